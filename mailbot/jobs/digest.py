"""Use case: the monthly package for the Board, frozen, previewed, then sent once.

The day before digest_day (at send_time) the package is frozen: the ledger ids it
holds are recorded, and from then on mail counts for the next month (late mail for
this month becomes a supplement of the next package). The office gets a preview, the
same emails addressed to it. On digest_day at digest_time the package goes to the
Board through the outbox: with approval "auto" unless the office held it, with
"required" only once approved. Outbox keys make every step happen once, ever.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from multiprocessing import get_context
from pathlib import Path

from mailbot.adapters.db.digests import DigestRow, Digests
from mailbot.adapters.db.outbox import NewEmail, Outbox
from mailbot.adapters.db.people import Audit
from mailbot.adapters.db.queries import excused, submission_records
from mailbot.adapters.mime import build_message
from mailbot.adapters.render import render
from mailbot.adapters.smtp import size_limit
from mailbot.adapters.unit_zips import zip_per_unit
from mailbot.app import App
from mailbot.core.digest import build_digest, pack_files, split_parts
from mailbot.core.digest_model import Digest, PackedFile, Part, SubmissionRecord
from mailbot.core.digest_notice import digest_notice
from mailbot.core.model import Period
from mailbot.core.notices import vn_period
from mailbot.core.risky_files import withheld_reason
from mailbot.errors import MailbotError, NotFound

log = logging.getLogger(__name__)
# A package whose day passed while mailbot was down goes out when it is back, within
# this window; an older one (e.g. the month before mailbot was installed) is left to
# `mailbot digest send`, so a first start never mails the Board a stale package.
CATCH_UP = timedelta(days=10)
# Room for an email's own headers and MIME scaffolding, and for the body of parts 2, 3…
# (the units and files they carry: well under this for the largest district).
BODY_HEADERS = 16 * 1024
LATER_BODY = 112 * 1024


@dataclass(frozen=True)
class Package:
    digest: Digest
    parts: list[Part]
    oversized: list[PackedFile]
    documents: list[tuple[str, str, bytes]]  # the generated .docx and .xlsx


def freeze_at(app: App, period: Period) -> datetime:
    s = app.config.schedule
    day = date(period.year, period.month, s.digest_day - 1)
    return datetime.combine(day, app.config.send_time, tzinfo=app.config.timezone)


def send_at(app: App, period: Period) -> datetime:
    s = app.config.schedule
    day = date(period.year, period.month, s.digest_day)
    return datetime.combine(day, s.digest_time, tzinfo=app.config.timezone)


def digest_duties(app: App, period: Period, now: datetime) -> Iterator[NewEmail]:
    """Freeze, preview and send ``period``'s package as far as ``now`` calls for. A
    generator: the outbox stores each part as it is built (one part in memory at a time)
    and commits the whole package at once."""
    board = app.config.board
    if board is None or now < freeze_at(app, period):
        return
    in_window = now < freeze_at(app, period) + CATCH_UP
    row = Digests(app.engine).get(period)
    if row is None:
        if not in_window:
            return
        row = freeze(app, period, now)
    if row.status == "sent":
        return
    done = Outbox(app.engine).keys("digest", str(period))
    if not any(k.startswith(f"digest:{period}:preview:") for k in done):
        yield from compose_package(app, row, now, preview=True)
    if now < send_at(app, period) or row.status == "held":
        return
    if row.status == "frozen":
        if not in_window:
            return
        if board.approval == "required":
            yield from _approval_reminder(app, period, now)
            return
    yield from compose_package(app, row, now, preview=False)


def mark_sent_if_queued(app: App, period: Period, now: datetime) -> None:
    if any(k.startswith(f"digest:{period}:board:")
           for k in Outbox(app.engine).keys("digest", str(period))):
        Digests(app.engine).set_status(period, "sent", now, only_from=("frozen", "approved"))


def freeze(app: App, period: Period, now: datetime) -> DigestRow:
    """Record the package's contents (idempotent): this month's submissions plus late
    ones for months already compiled that no package has carried yet."""
    store = Digests(app.engine)
    row = store.get(period)
    if row is not None:
        return row
    carried = {m for r in store.all() for m in r.messages}
    compiled = [str(p) for p in store.compiled_at() if p < period]
    ids = [r.message for r in submission_records(app.engine, periods=[str(period), *compiled])
           if r.message not in carried]
    row = store.freeze(period, ids, now)
    log.info("package %s frozen with %d submission(s)", period, len(row.messages))
    return row


def build_package(app: App, row: DigestRow, now: datetime) -> Package:
    cfg = app.config
    board = cfg.board
    assert board is not None
    records = submission_records(app.engine, ids=list(row.messages)) if row.messages else []
    records = [_with_risks(app, r) for r in records]
    digest = build_digest(
        row.period, units=cfg.units, records=[r for r in records if r.period == row.period],
        excused=excused(app.engine, row.period), compiled_at=row.compiled_at,
        supplements=[r for r in records if r.period != row.period])
    limit = board.size_limit
    if cfg.smtp is not None:
        try:
            server = size_limit(cfg.smtp)
        except MailbotError as e:
            log.warning("cannot ask the SMTP server for its size limit (%s): using %d MB", e,
                        limit // 2**20)
            server = None
        if server:
            limit = min(limit, server)
    docs = _documents(app, digest, send_at(app, row.period).date())
    packed = pack_files(digest)
    if board.zip_per_unit:
        packed = zip_per_unit(packed, app.files)
    # Part 1 carries the letter (every unit's summary, as text and as HTML) and the
    # documents: measure it as built, as if split and carrying no unit's file.
    first = BODY_HEADERS + _letter_size(app, row, digest, docs)
    log.info("the package's letter and documents take %d KB of part 1", first // 1024)
    if first >= limit:
        log.warning("the package's letter and documents alone take %d KB, over the %d MB "
                    "limit: part 1 carries no unit's file and may still be refused",
                    first // 1024, limit // 2**20)
        first = limit - 1
    parts, oversized = split_parts(packed, limit=limit, overhead=BODY_HEADERS + LATER_BODY,
                                   first_overhead=first)
    return Package(digest, parts, oversized, docs)


def _with_risks(app: App, record: SubmissionRecord) -> SubmissionRecord:
    """``record`` with its programs and macro documents marked withheld: they stay in
    the file store but do not travel to the Board."""
    files = []
    for f in record.files:
        reason = withheld_reason(f.name, app.files.get(f.sha256))
        if reason:
            log.warning("message #%d: %r withheld from the package: %s", record.message,
                        f.name, reason)
        files.append(dataclasses.replace(f, withheld=reason or ""))
    return dataclasses.replace(record, files=tuple(files))


def _documents(app: App, digest: Digest, day: date) -> list[tuple[str, str, bytes]]:
    """The .docx and .xlsx, built in a child process: python-docx, openpyxl and lxml take
    ~100 MB for a large month and the allocator never gives it back, so building them
    in the daemon would keep it that much bigger until it restarts."""
    board = app.config.board
    assert board is not None
    from mailbot.adapters.office_docs import build_documents

    try:
        with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool:
            return pool.submit(build_documents, digest, issuer=board.issuer,
                               date_of=day).result()
    except (OSError, BrokenProcessPool) as e:
        log.warning("cannot build the documents in a child process (%s): building them here",
                    e)
        return build_documents(digest, issuer=board.issuer, date_of=day)


def compose_package(app: App, row: DigestRow, now: datetime, *, preview: bool,
                    resend: int = 0) -> Iterator[NewEmail]:
    """One email per part; to the office when ``preview``, else to the Board."""
    from mailbot.jobs.outgoing import compose

    cfg = app.config
    board = cfg.board
    assert board is not None
    pkg = build_package(app, row, now)
    to, cc = (list(cfg.office_emails), []) if preview else (list(board.to), list(board.cc))
    if not to:
        return
    step = "preview" if preview else "board" + (f"-resend{resend}" if resend else "")
    for part in pkg.parts:
        files = [(_attachment_name(f), f.file.content_type, app.files.get(f.file.sha256))
                 for f in part.files]
        extra = pkg.documents if part.number == 1 else []
        context = _context(app, row, pkg.digest, part, pkg.oversized, extra, preview=preview)
        yield compose(
            app, kind="digest", key=f"digest:{row.period}:{step}:part-{part.number}",
            to=to, cc=cc, context=context, now=now, period=str(row.period),
            step=f"{step}-{part.number}of{part.total}", attachments=[*extra, *files])


def _letter_size(app: App, row: DigestRow, digest: Digest,
                 docs: Sequence[tuple[str, str, bytes]]) -> int:
    body = render("digest", _context(app, row, digest, Part(1, 2, ()), (), docs, preview=False),
                  override_dir=app.config.outbox.templates_dir)
    return len(build_message(
        from_addr="mailbot@example.invalid", from_name="", to=["board@example.invalid"],
        subject=body.subject, text=body.text, html=body.html,
        message_id="size@example.invalid", date=row.compiled_at, attachments=docs))


def _context(app: App, row: DigestRow, digest: Digest, part: Part,
             oversized: Sequence[PackedFile], documents: Sequence[tuple[str, str, bytes]],
             *, preview: bool) -> dict[str, object]:
    board = app.config.board
    assert board is not None
    return digest_notice(
        digest, part, preview=preview, oversized=oversized, district=board.district,
        date_of=send_at(app, row.period).date(), extra_files=[d[0] for d in documents],
        send_at=send_at(app, row.period))


def _attachment_name(f: PackedFile) -> str:
    # Mail clients strip or mangle "/" in attachment names; keep the unit prefix visible.
    return f.archive_name.replace("/", " - ")


def _approval_reminder(app: App, period: Period, now: datetime) -> list[NewEmail]:
    from mailbot.jobs.outgoing import compose

    day = now.astimezone(app.config.timezone).date()
    context = {"period": period, "period_text": vn_period(period),
               "office_name": app.config.smtp.from_name if app.config.smtp else "Phòng Nội vụ",
               "command": f"mailbot digest approve --period {period}"}
    return [compose(app, kind="office_status", template="digest_approval",
                    key=f"office_status:{period}:approve:{day}", to=list(app.config.office_emails),
                    context=context, now=now, period=str(period))] \
        if app.config.office_emails else []


def set_decision(app: App, period: Period, decision: str, now: datetime, *,
                 actor: str = "cli") -> str:
    """`digest hold` / `digest approve`: the office's word on a frozen package."""
    store = Digests(app.engine)
    row = store.get(period)
    if row is None:
        raise NotFound(f"the package for {period} is not compiled yet (it is frozen on "
                       f"{freeze_at(app, period):%d/%m/%Y %H:%M})")
    if row.status == "sent":
        raise MailbotError(f"the package for {period} was already sent; use "
                           f"`mailbot digest send --period {period} --resend` to send it again")
    store.set_status(period, decision, now)
    Audit(app.engine).record(actor, decision, "digest", str(period), f"was {row.status}", now)
    return decision


def send_now(app: App, period: Period, now: datetime, *, resend: bool,
             actor: str = "cli") -> list[str]:
    """`digest send`: queue the package for the Board now (the office's explicit word)."""
    row = freeze(app, period, now)
    if row.status == "sent" and not resend:
        raise MailbotError(f"the package for {period} was already sent; add --resend to send "
                           "it again")
    added = Outbox(app.engine).add(
        compose_package(app, row, now, preview=False, resend=row.sends if resend else 0), now)
    Digests(app.engine).set_status(period, "sent", now)
    Audit(app.engine).record(actor, "resend" if resend else "send", "digest", str(period),
                             f"{len(added)} email(s) queued", now)
    return added


def preview_files(app: App, period: Period, now: datetime) -> Package:
    row = Digests(app.engine).get(period) or _unsaved(app, period, now)
    return build_package(app, row, now)


def _unsaved(app: App, period: Period, now: datetime) -> DigestRow:
    """What the package would hold if it were frozen now (nothing is recorded)."""
    ids = [r.message for r in submission_records(app.engine, periods=[str(period)])]
    return DigestRow(period, now, "preview", tuple(ids), 0)



def preview_mails(app: App, period: Period, now: datetime) -> Iterator[NewEmail]:
    """The email(s) exactly as they would go to the Board now, one at a time. Records
    nothing."""
    row = Digests(app.engine).get(period) or _unsaved(app, period, now)
    yield from compose_package(app, row, now, preview=False)


def write_preview(app: App, period: Period, out: Path, now: datetime) -> list[Path]:
    """`digest preview --out DIR`: the email(s) as .eml, an .html rendering of each,
    the .docx and the .xlsx, exactly as they would go to the Board. Records nothing."""
    import email
    import email.policy

    row = Digests(app.engine).get(period) or _unsaved(app, period, now)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for i, mail in enumerate(preview_mails(app, period, now), start=1):
        eml = out / f"phan-{i}.eml"
        eml.write_bytes(mail.raw)
        msg = email.message_from_bytes(mail.raw, policy=email.policy.default)
        html = msg.get_body(preferencelist=("html",))
        page = out / f"phan-{i}.html"
        page.write_text(str(html.get_content()) if html is not None else "", encoding="utf-8")
        written += [eml, page]
    for name, _, data in build_package(app, row, now).documents:
        (out / name).write_bytes(data)
        written.append(out / name)
    return written
