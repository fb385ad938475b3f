"""Use case: the acknowledgement a unit's clerk receives within seconds of submitting."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Sequence
from datetime import datetime, timedelta

from mailbot.adapters.db.outbox import Outbox, bouncing
from mailbot.adapters.db.store import Filing
from mailbot.app import App
from mailbot.core.acks import why_no_ack
from mailbot.core.model import Disposition, ParsedMail
from mailbot.core.notices import FileLine, ack_notice
from mailbot.core.periods import deadline_end
from mailbot.core.risky_files import withheld_reason
from mailbot.jobs.outgoing import compose

log = logging.getLogger(__name__)
LARGE_FILE = 20 * 2**20  # mail servers refuse messages near 25 MB: it may not travel on


def _problem(size: int) -> str | None:
    if size == 0:
        return "tệp rỗng"
    if size > LARGE_FILE:
        return "tệp quá lớn (trên 20 MB), có thể không gửi kèm được"
    return None


def with_ack(app: App, mail: ParsedMail, filing: Filing, message: int, received_at: datetime,
             now: datetime, *, unsaved: Sequence[Filing] = ()) -> Filing:
    """``filing`` plus its acknowledgement when one is due, so both commit together.
    ``unsaved`` are filings of the same transaction, before this one: their
    acknowledgements and bounces count as if already committed."""
    v = filing.verdict
    cfg = app.config
    if v.disposition != Disposition.SUBMISSION or cfg.smtp is None or not v.unit or not v.period:
        return filing
    unit = app.roster().by_code(v.unit)
    if unit is None:
        return filing
    sender = mail.from_.addr if mail.from_ else ""
    reason = why_no_ack(
        mail, received_at=received_at, now=now, own_addresses=cfg.own_addresses,
        bouncing=frozenset(bouncing(app.engine)).union(*(f.bounced for f in unsaved)),
        acks_today=Outbox(app.engine).acks_since(sender, now - timedelta(days=1)) + sum(
            1 for f in unsaved for e in f.outgoing if e.kind == "ack" and sender in e.to),
        daily_limit=cfg.outbox.acks_per_address_per_day,
        max_age=timedelta(days=cfg.outbox.ack_max_age_days))
    if reason:
        log.info("no acknowledgement for message #%d: %s", message, reason)
        return filing
    problems = ["Một phần của thư không đọc được; Phòng Nội vụ sẽ kiểm tra lại."] \
        if mail.defects else []
    context = ack_notice(
        unit=unit, period=v.period, late=v.late, received_at=received_at.astimezone(cfg.timezone),
        subject=mail.subject,
        files=[FileLine(f.display_name, f.size,
                        _problem(f.size) or withheld_reason(f.display_name, a.data))
               for f, a in zip(filing.files, mail.attachments, strict=False)],
        deadline=deadline_end(v.period, cfg.schedule, cfg.timezone) - timedelta(seconds=1),
        problems=problems)
    refs = tuple(mail.references) + ((mail.message_id,) if mail.message_id else ())
    ack = compose(app, kind="ack", key=f"ack:{message}", to=[sender], context=context, now=now,
                  period=str(v.period), unit=v.unit, message=message,
                  in_reply_to=mail.message_id, references=refs[-10:])
    return dataclasses.replace(filing, outgoing=(*filing.outgoing, ack))
