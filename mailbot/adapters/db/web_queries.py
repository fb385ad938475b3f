"""Read-only views the web page needs beyond the CLI's (mailbot.adapters.db.queries)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, Engine, func, select

from mailbot.adapters.db.queries import attachments_of
from mailbot.adapters.db.schema import (
    attachments,
    excuses,
    learned_addresses,
    messages,
    outbox,
)
from mailbot.core.model import Disposition

WAITING = (Disposition.UNMATCHED.value, "unverified", Disposition.QUARANTINED.value)


@dataclass(frozen=True)
class FileRow:
    id: int
    message: int
    display_name: str
    content_type: str
    size: int
    sha256: str


@dataclass(frozen=True)
class MessageRow:
    id: int
    received_at: datetime
    from_addr: str | None
    from_name: str | None
    subject: str | None
    disposition: str
    reason: str
    unit: str | None
    period: str | None
    late: bool
    body_text: str | None
    last_error: str | None
    attempts: int
    files: tuple[FileRow, ...]


@dataclass(frozen=True)
class SentRow:
    id: int
    kind: str
    period: str | None
    unit: str | None
    step: str
    to: str
    subject: str
    status: str
    attempts: int
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None


def _files(conn: Connection, ids: Sequence[int]) -> dict[int, list[FileRow]]:
    return {m: [FileRow(a.id, a.message, a.display_name, a.content_type, a.size, a.sha256)
                for a in found] for m, found in attachments_of(conn, ids).items()}


def messages_where(engine: Engine, *conditions: object, newest_first: bool = False,
                   limit: int | None = None) -> list[MessageRow]:
    order = (messages.c.received_at.desc(), messages.c.id.desc()) if newest_first else (
        messages.c.received_at, messages.c.id)
    q = select(messages).where(*conditions).order_by(*order)  # type: ignore[arg-type]
    if limit:
        q = q.limit(limit)
    with engine.connect() as conn:
        rows = conn.execute(q).all()
        files = _files(conn, [r.id for r in rows])
    return [MessageRow(
        r.id, r.received_at, r.from_addr, r.from_name, r.subject, r.disposition, r.reason,
        r.unit, r.period, bool(r.late), r.body_text, r.last_error, r.attempts,
        tuple(files.get(r.id, ()))) for r in rows]


def message(engine: Engine, message_id: int) -> MessageRow | None:
    found = messages_where(engine, messages.c.id == message_id)
    return found[0] if found else None


def waiting_messages(engine: Engine) -> list[MessageRow]:
    return messages_where(engine, messages.c.disposition.in_(WAITING))


def unit_submissions(engine: Engine, unit: str) -> list[MessageRow]:
    return messages_where(engine, messages.c.unit == unit,
                          messages.c.disposition == Disposition.SUBMISSION.value,
                          newest_first=True)


def file_row(engine: Engine, file_id: int) -> FileRow | None:
    with engine.connect() as conn:
        a = conn.execute(select(attachments).where(attachments.c.id == file_id)).first()
    return FileRow(a.id, a.message, a.display_name, a.content_type, a.size, a.sha256) \
        if a else None


def files_per_unit(engine: Engine, period: str) -> Counter[str]:
    """Files filed with each unit's submissions for ``period``."""
    q = select(messages.c.unit, func.count(attachments.c.id).label("n")).join(
        attachments, attachments.c.message == messages.c.id).where(
        messages.c.period == period,
        messages.c.disposition == Disposition.SUBMISSION.value).group_by(messages.c.unit)
    with engine.connect() as conn:
        return Counter({r.unit: int(r.n) for r in conn.execute(q)})


def sent_rows(engine: Engine, *conditions: object) -> list[SentRow]:
    """Outbox rows without their bytes, newest first."""
    cols = [outbox.c.id, outbox.c.kind, outbox.c.period, outbox.c.unit, outbox.c.step,
            outbox.c.to_addrs, outbox.c.subject, outbox.c.status, outbox.c.attempts,
            outbox.c.last_error, outbox.c.created_at, outbox.c.sent_at]
    with engine.connect() as conn:
        return [SentRow(r.id, r.kind, r.period, r.unit, r.step, r.to_addrs, r.subject,
                        r.status, r.attempts, r.last_error, r.created_at, r.sent_at)
                for r in conn.execute(select(*cols).where(*conditions).order_by(  # type: ignore[arg-type]
                    outbox.c.id.desc()))]


def stuck_sends(engine: Engine) -> list[SentRow]:
    return sent_rows(engine, outbox.c.status.in_(("failed", "unknown")))


def unit_sends(engine: Engine, unit: str) -> list[SentRow]:
    return sent_rows(engine, outbox.c.unit == unit)


def digest_sends(engine: Engine, period: str) -> list[SentRow]:
    return sent_rows(engine, outbox.c.kind == "digest", outbox.c.period == period)


def learned_for(engine: Engine, unit: str) -> list[str]:
    with engine.connect() as conn:
        return list(conn.scalars(select(learned_addresses.c.email).where(
            learned_addresses.c.unit == unit).order_by(learned_addresses.c.email)))


def unit_excuses(engine: Engine, unit: str) -> dict[str, str]:
    with engine.connect() as conn:
        return {r.period: r.reason for r in conn.execute(
            select(excuses.c.period, excuses.c.reason).where(excuses.c.unit == unit))}


def excuses_between(engine: Engine, first: str, last: str) -> dict[tuple[str, str], str]:
    with engine.connect() as conn:
        return {(r.unit, r.period): r.reason for r in conn.execute(
            select(excuses.c.unit, excuses.c.period, excuses.c.reason).where(
                excuses.c.period >= first, excuses.c.period <= last))}


def submissions_between(engine: Engine, first: str, last: str
                        ) -> list[tuple[str, str, datetime, bool]]:
    """(period, unit, received_at, late) of every submission for months in [first, last]."""
    q = select(messages.c.period, messages.c.unit, messages.c.received_at,
               messages.c.late).where(
        messages.c.disposition == Disposition.SUBMISSION.value,
        messages.c.period >= first, messages.c.period <= last)
    with engine.connect() as conn:
        return [(r.period, r.unit, r.received_at, bool(r.late)) for r in conn.execute(q)]
