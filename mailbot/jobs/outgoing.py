"""Use cases for outgoing mail: compose an email into the outbox, deliver the outbox."""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime, timedelta

from mailbot.adapters.db.outbox import NewEmail, Outbox
from mailbot.adapters.db.people import Audit
from mailbot.adapters.mime import build_message, make_message_id
from mailbot.adapters.render import render
from mailbot.adapters.smtp import Outcome, Outgoing, deliver
from mailbot.app import App
from mailbot.errors import MailbotError, NotFound

log = logging.getLogger(__name__)
BATCH_BYTES = 40 * 2**20  # one SMTP connection carries at most this much
SERVER_RETRY_MAX = timedelta(minutes=30)  # while the server is down or over quota
_delivering = threading.Lock()  # the daemon's threads deliver one batch at a time


def compose(app: App, *, kind: str, key: str, to: Sequence[str], context: Mapping[str, object],
            now: datetime, period: str | None = None, unit: str | None = None, step: str = "",
            message: int | None = None, in_reply_to: str | None = None,
            references: Sequence[str] = (), template: str | None = None,
            cc: Sequence[str] = (), attachments: Sequence[tuple[str, str, bytes]] = ()
            ) -> NewEmail:
    """Render one email of ``kind`` (with the templates named ``template``, default the
    kind) for the outbox row ``key``; attachments are (filename, MIME type, bytes)."""
    smtp = app.config.smtp
    assert smtp is not None, "compose needs [smtp]"
    rendered = render(template or kind, context, override_dir=app.config.outbox.templates_dir)
    # The key makes the id readable; the instant keeps it unique even if the database
    # is ever reset (Gmail silently drops a second mail with a Message-ID it has seen).
    message_id = make_message_id(app.config.message_id_domain, f"{key}.{now:%Y%m%d%H%M%S%f}")
    raw = build_message(
        from_addr=smtp.from_address, from_name=smtp.from_name, to=to,
        subject=rendered.subject, text=rendered.text, html=rendered.html,
        message_id=message_id, date=now,
        auto_submitted="auto-replied" if kind == "ack" else "auto-generated",
        in_reply_to=in_reply_to, references=references, cc=cc, attachments=attachments)
    return NewEmail(key=key, kind=kind, to=(*to, *cc), subject=rendered.subject,
                    message_id=message_id, raw=raw, period=period, unit=unit, step=step,
                    message=message)


def deliver_outbox(app: App, now: datetime) -> Counter[str]:
    """Send every pending email that is due, over one SMTP connection per batch."""
    smtp = app.config.smtp
    if smtp is None:
        return Counter()
    box = Outbox(app.engine)
    outcomes: Counter[str] = Counter()
    with _delivering:
        for chunk in _by_size(box.due(now), BATCH_BYTES):
            batch = [Outgoing(key=row, mail_from=smtp.from_address, rcpt_to=to,
                              raw=box.raw(row)) for row, to, _ in chunk]
            outcomes.update(_deliver_batch(app, box, batch, now))
    return outcomes


def resolve(app: App, row: int, *, sent: bool, now: datetime, actor: str = "cli") -> str:
    """The office checked a failed or unknown email: it arrived (``sent``), or it must
    be sent again (pending, due now; the next delivery pass sends it)."""
    box = Outbox(app.engine)
    status = box.status_of(row)
    if status is None:
        raise NotFound(f"no email #{row} in the outbox (see `mailbot outbox`)")
    note = f"marked as sent by {actor} after checking" if sent else f"retry asked by {actor}"
    if not box.resolve(row, sent=sent, note=note, now=now):
        raise MailbotError(f"email #{row} is {status}: only failed or unknown emails can be "
                           "resolved")
    Audit(app.engine).record(actor, "mark_sent" if sent else "retry", "outbox", str(row),
                             f"was {status}", now)
    return "sent" if sent else "pending"


def _by_size(rows: list[tuple[int, tuple[str, ...], int]], limit: int
             ) -> Iterator[list[tuple[int, tuple[str, ...], int]]]:
    """Consecutive groups of at most ``limit`` bytes (at least one email each): only one
    group's bytes are in memory at a time, however big the package."""
    group: list[tuple[int, tuple[str, ...], int]] = []
    size = 0
    for row in rows:
        if group and size + row[2] > limit:
            yield group
            group, size = [], 0
        group.append(row)
        size += row[2]
    if group:
        yield group


def _deliver_batch(app: App, box: Outbox, batch: list[Outgoing], now: datetime
                   ) -> Counter[str]:
    smtp = app.config.smtp
    assert smtp is not None
    cfg = app.config.outbox
    outcomes: Counter[str] = Counter()

    def record(result: Outcome) -> None:
        # Each reply is committed as it comes: were the process killed later in the
        # batch, the emails the server already took would otherwise stay `sending`
        # and be reported `unknown` at the next start.
        status, detail, retry_at = result.status, result.detail, None
        if status == "skipped":
            return  # another worker claimed it first and sends it
        if status == "retry":
            attempts = box.attempts(result.key) + 1
            if attempts >= cfg.max_attempts and not result.server_wide:
                status, detail = "failed", f"gave up after {attempts} attempts: {detail}"
            else:
                # An outage or a quota is waited out however long it lasts, retrying at
                # least every SERVER_RETRY_MAX so the mail goes soon after it ends.
                status = "pending"
                delay = cfg.retry_base_seconds * 2 ** min(attempts, 16)
                if result.server_wide:
                    delay = min(delay, SERVER_RETRY_MAX.total_seconds())
                retry_at = now + timedelta(seconds=delay)
        box.finish(result.key, status, detail, now, retry_at=retry_at,
                   refused=result.refused)
        outcomes[status] += 1
        if status in ("failed", "unknown"):
            log.warning("outbox #%d %s: %s", result.key, status, detail)

    deliver(smtp, batch, before_data=box.claim, after=record)
    return outcomes
