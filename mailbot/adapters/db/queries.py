"""Read-only views of the ledger for the CLI and reports."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, Row, func, select

from mailbot.adapters.db.schema import attachments, excuses, messages
from mailbot.core.digest_model import DigestFile, SubmissionRecord
from mailbot.core.model import Disposition, Period
from mailbot.core.status import SubmissionFact


@dataclass(frozen=True)
class LedgerFile:
    filename: str
    size: int
    sha256: str


@dataclass(frozen=True)
class LedgerEntry:
    id: int
    uid: int
    message_id: str | None
    received_at: datetime
    from_addr: str | None
    from_name: str | None
    subject: str | None
    disposition: str
    reason: str
    unit: str | None
    period: str | None
    late: bool
    attempts: int
    last_error: str | None
    attachments: tuple[LedgerFile, ...]


def ledger(engine: Engine, period: Period | None = None,
           disposition: str | None = None) -> list[LedgerEntry]:
    """Messages in arrival order, each with its stored files."""
    q = select(messages).order_by(messages.c.received_at, messages.c.id)
    if period is not None:
        q = q.where(messages.c.period == str(period))
    if disposition is not None:
        q = q.where(messages.c.disposition == disposition)
    with engine.connect() as conn:
        rows = conn.execute(q).all()
        files = {m: [LedgerFile(a.filename, a.size, a.sha256) for a in found]
                 for m, found in attachments_of(conn, [r.id for r in rows]).items()}
    return [LedgerEntry(
        id=r.id, uid=r.uid, message_id=r.message_id, received_at=r.received_at,
        from_addr=r.from_addr, from_name=r.from_name, subject=r.subject,
        disposition=r.disposition, reason=r.reason, unit=r.unit, period=r.period,
        late=bool(r.late), attempts=r.attempts, last_error=r.last_error,
        attachments=tuple(files.get(r.id, ()))) for r in rows]


def attachments_of(conn: Connection, ids: Sequence[int]) -> dict[int, list[Row[Any]]]:
    """Attachment rows by ledger id, in their order in the message."""
    found: dict[int, list[Row[Any]]] = defaultdict(list)
    for chunk in (ids[i:i + 500] for i in range(0, len(ids), 500)):
        for a in conn.execute(select(attachments).where(
                attachments.c.message.in_(chunk)).order_by(
                attachments.c.message, attachments.c.position)):
            found[a.message].append(a)
    return found


def submission_facts(engine: Engine, period: Period) -> list[SubmissionFact]:
    q = select(messages.c.unit, messages.c.received_at, messages.c.late).where(
        messages.c.period == str(period),
        messages.c.disposition == Disposition.SUBMISSION.value)
    with engine.connect() as conn:
        return [SubmissionFact(unit=r.unit, received_at=r.received_at, late=bool(r.late))
                for r in conn.execute(q)]


def excused(engine: Engine, period: Period) -> dict[str, str]:
    with engine.connect() as conn:
        return {r.unit: r.reason for r in conn.execute(
            select(excuses.c.unit, excuses.c.reason).where(excuses.c.period == str(period)))}


def disposition_counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {r.disposition: r.n for r in conn.execute(
            select(messages.c.disposition, func.count().label("n")).group_by(
                messages.c.disposition))}


def submission_records(engine: Engine, *, periods: Sequence[str] = (),
                       ids: Sequence[int] = ()) -> list[SubmissionRecord]:
    """Filed submissions (of ``periods``, or with the ledger ``ids``), with their files."""
    q = select(messages).where(messages.c.disposition == Disposition.SUBMISSION.value)
    if periods:
        q = q.where(messages.c.period.in_(list(periods)))
    if ids:
        q = q.where(messages.c.id.in_(list(ids)))
    if not periods and not ids:
        return []
    with engine.connect() as conn:
        rows = conn.execute(q.order_by(messages.c.received_at, messages.c.id)).all()
        files = {m: [DigestFile(a.display_name, a.sha256, a.size, a.content_type)
                     for a in found]
                 for m, found in attachments_of(conn, [r.id for r in rows]).items()}
    return [SubmissionRecord(
        message=r.id, unit=r.unit, period=Period.parse(r.period), received_at=r.received_at,
        late=bool(r.late), subject=r.subject or "", body_text=r.body_text or "",
        files=tuple(files.get(r.id, ()))) for r in rows if r.unit and r.period]
