"""The outbox: every email mailbot sends, keyed so that no duty can send twice.

States: pending -> sending -> sent | failed | unknown, or back to pending for a retry.
`sending` is committed just before the SMTP DATA command: a row found in `sending` by
a later process may or may not have been delivered, so it becomes `unknown` (shown
to the office), never re-sent automatically.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, Engine, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from mailbot.adapters.db.schema import bouncing_addresses, outbox


@dataclass(frozen=True)
class NewEmail:
    """A rendered email waiting to be committed to the outbox."""

    key: str
    kind: str
    to: tuple[str, ...]
    subject: str
    message_id: str
    raw: bytes
    period: str | None = None
    unit: str | None = None
    step: str = ""
    message: int | None = None


@dataclass(frozen=True)
class OutboxRow:
    id: int
    key: str
    kind: str
    period: str | None
    unit: str | None
    to: tuple[str, ...]
    subject: str
    status: str
    attempts: int
    last_error: str | None
    message_id: str
    created_at: datetime
    sent_at: datetime | None
    refused: str | None


def add(conn: Connection, mails: Iterable[NewEmail], now: datetime) -> list[str]:
    """Insert each email unless its key is already there; returns the keys added."""
    added = []
    for m in mails:
        try:
            with conn.begin_nested():
                conn.execute(insert(outbox).values(
                    key=m.key, kind=m.kind, period=m.period, unit=m.unit, step=m.step,
                    message=m.message, to_addrs=",".join(m.to), subject=m.subject,
                    message_id=m.message_id, raw=m.raw, status="pending", attempts=0,
                    next_attempt_at=now, created_at=now))
            added.append(m.key)
        except IntegrityError:
            continue  # this duty was done before: the unique key is the guarantee
    return added


class Outbox:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def add(self, mails: Iterable[NewEmail], now: datetime) -> list[str]:
        with self.engine.begin() as conn:
            return add(conn, mails, now)

    def keys(self, kind: str, period: str) -> set[str]:
        with self.engine.connect() as conn:
            return set(conn.scalars(select(outbox.c.key).where(
                outbox.c.kind == kind, outbox.c.period == period)))

    def latest_created_at(self) -> datetime | None:
        """When the newest email was queued (mailbot's clock at the time), or None."""
        with self.engine.connect() as conn:
            latest: datetime | None = conn.scalar(select(func.max(outbox.c.created_at)))
        return latest

    def keys_like(self, prefix: str) -> set[str]:
        with self.engine.connect() as conn:
            return set(conn.scalars(select(outbox.c.key).where(
                outbox.c.key.startswith(prefix, autoescape=True))))

    def due(self, now: datetime, limit: int = 200) -> list[tuple[int, tuple[str, ...], int]]:
        """(id, recipients, size) of pending emails whose attempt is due."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(
                outbox.c.id, outbox.c.to_addrs, func.length(outbox.c.raw).label("size")).where(
                outbox.c.status == "pending", outbox.c.next_attempt_at <= now,
            ).order_by(outbox.c.id).limit(limit)).all()
        return [(r.id, tuple(r.to_addrs.split(",")), int(r.size)) for r in rows]

    def raw(self, row: int) -> bytes:
        with self.engine.connect() as conn:
            return bytes(conn.scalar(select(outbox.c.raw).where(outbox.c.id == row)) or b"")

    def claim(self, row: int) -> bool:
        """pending -> sending, committed just before DATA; False when another worker
        got there first (then this one must not send)."""
        with self.engine.begin() as conn:
            return conn.execute(update(outbox).where(
                outbox.c.id == row, outbox.c.status == "pending").values(
                status="sending")).rowcount == 1

    def finish(self, row: int, status: str, detail: str, now: datetime, *,
               retry_at: datetime | None = None, refused: Mapping[str, str] | None = None
               ) -> None:
        """Record one delivery attempt's outcome (status "pending" with retry_at: retry)."""
        values: dict[str, object] = {"status": status, "last_error": detail or None,
                                     "next_attempt_at": retry_at,
                                     "attempts": outbox.c.attempts + 1}
        if status == "sent":
            values.update(sent_at=now, last_error=None)
        if refused:
            values["refused"] = "; ".join(f"{k}: {v}" for k, v in refused.items())
        with self.engine.begin() as conn:
            conn.execute(update(outbox).where(outbox.c.id == row).values(**values))

    def resolve(self, row: int, *, sent: bool, note: str, now: datetime) -> bool:
        """The office's word on a failed or unknown email: it did arrive (sent), or send
        it again (back to pending, due now). False when the row is in no such state."""
        values: dict[str, object] = (
            {"status": "sent", "sent_at": now, "last_error": note, "next_attempt_at": None}
            if sent else
            {"status": "pending", "next_attempt_at": now, "attempts": 0, "last_error": note})
        with self.engine.begin() as conn:
            return conn.execute(update(outbox).where(
                outbox.c.id == row, outbox.c.status.in_(("failed", "unknown"))).values(
                **values)).rowcount == 1

    def status_of(self, row: int) -> str | None:
        with self.engine.connect() as conn:
            return conn.scalar(select(outbox.c.status).where(outbox.c.id == row))

    def attempts(self, row: int) -> int:
        with self.engine.connect() as conn:
            return int(conn.scalar(select(outbox.c.attempts).where(outbox.c.id == row)) or 0)

    def orphans_to_unknown(self) -> int:
        """Rows left in `sending` by a process that died: delivery cannot be known."""
        with self.engine.begin() as conn:
            return conn.execute(update(outbox).where(outbox.c.status == "sending").values(
                status="unknown",
                last_error="mailbot stopped while sending: check with the recipient before "
                           "sending again")).rowcount

    def acks_since(self, address: str, since: datetime) -> int:
        with self.engine.connect() as conn:
            return int(conn.scalar(select(func.count()).select_from(outbox).where(
                outbox.c.kind == "ack", outbox.c.to_addrs == address,
                outbox.c.created_at >= since)) or 0)

    def units_of(self, message_ids: Sequence[str]) -> dict[str, str]:
        """Message-ID -> unit, for those of ``message_ids`` that mailbot sent to a unit
        (a reply to an acknowledgement or a reminder is matched through them)."""
        if not message_ids:
            return {}
        with self.engine.connect() as conn:
            return {r.message_id: r.unit for r in conn.execute(
                select(outbox.c.message_id, outbox.c.unit).where(
                    outbox.c.message_id.in_(list(message_ids)[:200]),
                    outbox.c.unit.is_not(None)))}

    def rows(self, kinds: Sequence[str] = ()) -> list[OutboxRow]:
        q = select(outbox).order_by(outbox.c.id)
        if kinds:
            q = q.where(outbox.c.kind.in_(kinds))
        with self.engine.connect() as conn:
            return [OutboxRow(
                id=r.id, key=r.key, kind=r.kind, period=r.period, unit=r.unit,
                to=tuple(r.to_addrs.split(",")), subject=r.subject, status=r.status,
                attempts=r.attempts, last_error=r.last_error, message_id=r.message_id,
                created_at=r.created_at, sent_at=r.sent_at, refused=r.refused)
                for r in conn.execute(q)]

    def counts(self) -> dict[str, int]:
        with self.engine.connect() as conn:
            return {r.status: r.n for r in conn.execute(
                select(outbox.c.status, func.count().label("n")).group_by(outbox.c.status))}


def bouncing(engine: Engine) -> set[str]:
    with engine.connect() as conn:
        return set(conn.scalars(select(bouncing_addresses.c.email)))
