"""Use case: read new mail from the folder and file every message.

Claim before work: each message's raw bytes are written durably and its ledger row
committed (advancing the folder's last UID in the same transaction) before it is
parsed. A crash at any point leaves each message either unclaimed (it is fetched
again) or claimed and pending (it is processed on the next pass): never lost, never
filed twice.
"""

from __future__ import annotations

import logging
from collections import Counter, deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.parser import BytesHeaderParser
from email.policy import compat32
from itertools import islice
from typing import Protocol

from mailbot.adapters.db.store import Claim, Filing, Pending
from mailbot.adapters.imap import Envelope, Fetched, batches
from mailbot.adapters.parse import ParseLimits, parse_taken
from mailbot.adapters.parse_headers import first_address, first_headers, header_text, message_ids
from mailbot.app import App
from mailbot.core.model import Address, Disposition, ParsedMail
from mailbot.errors import DiskFullError, ParseError, StorageError
from mailbot.jobs.acks import with_ack
from mailbot.jobs.filing import file_mail
from mailbot.jobs.parsing import Parsers

log = logging.getLogger(__name__)
MAX_BATCH_COUNT = 500
MAX_HEADER_SCAN = 256 * 1024  # the parser refuses bigger header blocks anyway
# Messages filed in one transaction, their files flushed to disk together.
GROUP_COUNT = 16
GROUP_BYTES = 24 * 2**20


class Mailbox(Protocol):
    """What ingestion needs from an IMAP folder (ImapMailbox, or a test double)."""

    uidvalidity: int

    def list_new(self, after_uid: int) -> list[Envelope]: ...
    def fetch(self, batch: Sequence[Envelope]) -> list[Fetched]: ...
    def headers(self, batch: Sequence[Envelope]) -> dict[int, bytes]: ...


@dataclass
class PollSummary:
    new: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)

    def line(self) -> str:
        parts = ", ".join(f"{k} {v}" for k, v in sorted(self.outcomes.items()))
        return f"polled {self.new} new, processed {self.outcomes.total()}" + (
            f": {parts}" if parts else "")


Progress = Callable[[int, int], None]


def poll(app: App, mailbox: Mailbox, now: datetime, progress: Progress | None = None
         ) -> PollSummary:
    """One ingestion pass: claim every new message, then process what is due."""
    cfg = app.config
    state = app.store.start_pass(cfg.imap.folder, mailbox.uidvalidity, now)
    envelopes = mailbox.list_new(state.last_uid)
    summary = PollSummary(new=len(envelopes))
    done = 0
    with _parsers(app) as parsers:
        for batch in batches(envelopes, cfg.imap.batch_bytes, max_count=MAX_BATCH_COUNT,
                             weight=lambda e: 0 if _is_baseline(app, e) else e.size):
            _claim_batch(app, mailbox, batch, now, summary)
            summary.outcomes.update(process_due(app, now, parsers))
            done += len(batch)
            if progress:
                progress(done, len(envelopes))
        summary.outcomes.update(process_due(app, now, parsers))  # retries now due
    app.store.finish_pass(cfg.imap.folder, now)
    return summary


def _is_baseline(app: App, env: Envelope) -> bool:
    return env.internaldate.astimezone(app.config.timezone).date() < app.config.imap.import_since


def _claim_batch(app: App, mailbox: Mailbox, batch: list[Envelope], now: datetime,
                 summary: PollSummary) -> None:
    old = [e for e in batch if _is_baseline(app, e)]
    new = [e for e in batch if not _is_baseline(app, e)]
    heads = mailbox.headers(old) if old else {}
    bodies = {f.uid: f for f in mailbox.fetch(new)} if new else {}
    # In UID order, each message's bytes written (not yet flushed) before the next: when
    # writing fails (disk full) the messages before it are flushed and claimed, it and
    # the rest are not, and last_uid stops right before it. One wave of fsyncs, then one
    # commit, for the whole batch.
    claims: list[Claim] = []
    failure: StorageError | None = None
    for env in sorted(batch, key=lambda e: e.uid):
        if env.uid in heads:
            claims.append(_baseline_claim(app, mailbox.uidvalidity, env, heads[env.uid]))
        elif env.uid in bodies:
            f = bodies.pop(env.uid)
            try:
                sha = app.raw_mail.put(f.raw, durable=False)
            except StorageError as e:
                failure = e
                break
            claims.append(Claim(folder=app.config.imap.folder, uidvalidity=mailbox.uidvalidity,
                                uid=f.uid, message_id=_identity(f.raw)[0], raw_sha256=sha,
                                raw_size=len(f.raw), received_at=f.internaldate))
        # else: expunged before it could be fetched
    bodies.clear()
    app.raw_mail.sync([c.raw_sha256 for c in claims if c.raw_sha256])
    for c, (_, needs_work) in zip(claims, app.store.claim_many(claims, now), strict=True):
        if c.baseline_reason:
            summary.outcomes[Disposition.BASELINE.value] += 1
        elif not needs_work:
            summary.outcomes["already known"] += 1
    if failure is not None:
        raise failure


def _baseline_claim(app: App, uidvalidity: int, env: Envelope, head: bytes) -> Claim:
    message_id, sender, subject = _identity(head)
    arrived = env.internaldate.astimezone(app.config.timezone).date()
    return Claim(
        folder=app.config.imap.folder, uidvalidity=uidvalidity, uid=env.uid,
        message_id=message_id, raw_sha256=None, raw_size=env.size,
        received_at=env.internaldate,
        baseline_reason=f"arrived {arrived}, before import_since {app.config.imap.import_since}",
        from_addr=sender.addr if sender else None, from_name=sender.name if sender else None,
        subject=subject)


def _identity(raw: bytes) -> tuple[str | None, Address | None, str]:
    """Message-ID, From and Subject from the header block only (the body is not parsed)."""
    ends = [i for i in (raw.find(b"\r\n\r\n", 0, MAX_HEADER_SCAN),
                        raw.find(b"\n\n", 0, MAX_HEADER_SCAN)) if i >= 0]
    block = raw[:min(ends, default=MAX_HEADER_SCAN)][:MAX_HEADER_SCAN]
    head = first_headers(BytesHeaderParser(policy=compat32).parsebytes(block))
    ids = message_ids(head.get("message-id"))
    return (ids[0] if ids else None, first_address(head.get("from")),
            header_text(head.get("subject")))


def process_due(app: App, now: datetime, parsers: Parsers | None = None) -> Counter[str]:
    """Process every claimed message whose attempt is due; one failure never stops the rest.

    Fresh messages (``_process``) have their attempts counted in one commit, then each is
    parsed (two ahead: in a thread, or for a large pass in a worker process, see
    ``jobs/parsing.py``) while the ones before are filed; every ``GROUP_COUNT`` messages
    or ``GROUP_BYTES`` their files are flushed to disk together and their filings
    committed at once. A message tried before (perhaps the one that killed the last
    run) is processed alone, so a crash it causes never counts against its neighbours
    twice.
    """
    if parsers is None:
        with _parsers(app) as own:
            return process_due(app, now, own)
    outcomes: Counter[str] = Counter()
    tried: set[int] = set()
    while True:
        due = [p for p in app.store.due(now) if p.id not in tried]
        if not due:
            return outcomes
        tried.update(p.id for p in due)
        fresh = [p for p in due if not p.attempts]
        in_process = parsers.wants_process(fresh)
        for p in (p for p in due if p.attempts):
            outcomes[_retry(app, p, parsers, now, in_process=in_process)] += 1
        if fresh:
            outcomes.update(_process(app, fresh, parsers, now, in_process=in_process))


def _parsers(app: App) -> Parsers:
    return Parsers(app.raw_mail, app.config.ingest.max_message_bytes,
                   lambda p: _parse(app, p))


def _process(app: App, messages: list[Pending], parsers: Parsers, now: datetime, *,
             in_process: bool) -> Counter[str]:
    attempts = app.store.begin_attempts({p.id: _next_attempt(app, p, now) for p in messages})
    # Two messages parsed ahead, not all: memory stays at about three messages.
    ahead = iter(messages)
    parsing = deque((p, parsers.submit(p, in_process=in_process)) for p in islice(ahead, 2))
    outcomes: Counter[str] = Counter()
    staged: list[tuple[Pending, Filing]] = []
    size = 0
    while parsing:
        p, parsed = parsing.popleft()
        parsing.extend((q, parsers.submit(q, in_process=in_process)) for q in islice(ahead, 1))
        try:
            staged.append((p, _stage(app, p, parsed, [f for _, f in staged], now)))
            size += p.raw_size
        except Exception as e:
            if isinstance(e, BrokenProcessPool):
                parsers.broken()
                e = StorageError(f"the parser process died on this message ({e})")
            outcomes[_failed(app, p, attempts[p.id], e, now)] += 1
        del parsed  # the future holds the parsed message
        if staged and (len(staged) >= GROUP_COUNT or size >= GROUP_BYTES or not parsing):
            outcomes.update(_commit(app, staged, now))
            staged, size = [], 0
    return outcomes


def _commit(app: App, staged: list[tuple[Pending, Filing]], now: datetime) -> Counter[str]:
    try:
        app.files.sync([f.sha256 for _, filing in staged for f in filing.files])
        app.store.file_many([(p.id, f) for p, f in staged], now)
    except Exception as e:  # the disk or the database refused: each message on its own
        log.warning("filing %d messages together failed (%s): filing one by one",
                    len(staged), e)
        return Counter(process_one(app, p, now) for p, _ in staged)
    return Counter(f.verdict.disposition.value for _, f in staged)


def _stage(app: App, p: Pending, parsed: Future[ParsedMail], unsaved: list[Filing],
           now: datetime) -> Filing:
    # Its own frame, so the parsed message (its files' bytes) is freed on return.
    mail = parsed.result()
    filing = file_mail(app, mail, p.received_at, durable=False)
    return with_ack(app, mail, filing, p.id, p.received_at, now, unsaved=unsaved)


def _retry(app: App, p: Pending, parsers: Parsers, now: datetime, *, in_process: bool) -> str:
    # Every attempt is counted before it starts: attempts that never ended in a success
    # or a recorded failure are the process dying on this message (a parser crash,
    # the OOM killer). Stop there rather than die at every start.
    limit = app.config.ingest.max_attempts
    if p.attempts >= limit:
        error = f"{p.attempts} attempts to process it did not finish (the process stopped)"
        log.warning("message #%d quarantined: %s", p.id, error)
        app.store.fail(p.id, error, quarantine=True, now=now)
        return Disposition.QUARANTINED.value
    outcome, = _process(app, [p], parsers, now, in_process=in_process).elements()
    return outcome


def process_one(app: App, p: Pending, now: datetime, *, assign_to: str | None = None) -> str:
    """Parse, match, classify and file one claimed message. Returns its outcome word."""
    attempt = app.store.begin_attempt(p.id, _next_attempt(app, p, now))
    try:
        mail = _parse(app, p)
        filing = file_mail(app, mail, p.received_at, assign_to=assign_to)
        filing = with_ack(app, mail, filing, p.id, p.received_at, now)
        app.store.file(p.id, filing, now)
        return filing.verdict.disposition.value
    except Exception as e:
        return _failed(app, p, attempt, e, now)


def _next_attempt(app: App, p: Pending, now: datetime) -> datetime:
    return now + timedelta(seconds=app.config.ingest.retry_base_seconds * 2 ** p.attempts)


def _parse(app: App, p: Pending) -> ParsedMail:
    return parse_taken([app.raw_mail.get(p.raw_sha256)],
                       limits=ParseLimits(max_bytes=app.config.ingest.max_message_bytes))


def _failed(app: App, p: Pending, attempt: int, e: Exception, now: datetime) -> str:
    ing = app.config.ingest
    if isinstance(e, DiskFullError):
        # Not this message's fault: leave it pending (not quarantined) and stop the pass.
        app.store.fail(p.id, "data_dir is full", quarantine=False, now=now)
        raise e
    if isinstance(e, ParseError):
        # Same bytes, same parser, same error: retrying cannot help; the office can
        # replay it with `mailbot reprocess` after an upgrade.
        log.warning("message #%d quarantined: %s", p.id, e)
        app.store.fail(p.id, str(e), quarantine=True, now=now)
        return Disposition.QUARANTINED.value
    # Isolate failures per message; the pass goes on.
    final = attempt >= ing.max_attempts
    log.error("message #%d failed (attempt %d of %d)", p.id, attempt, ing.max_attempts,
              exc_info=e)
    app.store.fail(p.id, f"{type(e).__name__}: {e}", quarantine=final, now=now)
    return Disposition.QUARANTINED.value if final else "retry later"
