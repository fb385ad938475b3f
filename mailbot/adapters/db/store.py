"""Ledger writes for ingestion: claim, attempt, file, fail. Each call is one transaction."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Connection, Engine, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from mailbot.adapters.db.outbox import NewEmail
from mailbot.adapters.db.outbox import add as add_to_outbox
from mailbot.adapters.db.schema import (
    attachments,
    bouncing_addresses,
    excuses,
    learned_addresses,
    mailbox_state,
    messages,
)
from mailbot.core.model import Disposition, Verdict


@dataclass(frozen=True)
class MailboxState:
    uidvalidity: int
    last_uid: int


@dataclass(frozen=True)
class Claim:
    """One message seen on the server: its identity, raw bytes' hash and arrival."""

    folder: str
    uidvalidity: int
    uid: int
    message_id: str | None
    raw_sha256: str | None  # None for baseline mail, whose body is never fetched
    raw_size: int
    received_at: datetime
    baseline_reason: str | None = None
    from_addr: str | None = None
    from_name: str | None = None
    subject: str | None = None


@dataclass(frozen=True)
class Pending:
    id: int
    raw_sha256: str
    received_at: datetime
    attempts: int
    raw_size: int = 0


@dataclass(frozen=True)
class StoredFile:
    filename: str
    display_name: str
    content_type: str
    size: int
    sha256: str
    from_forward: bool


@dataclass(frozen=True)
class Filing:
    """Everything learned by processing one message, written in one transaction."""

    from_addr: str | None
    from_name: str | None
    subject: str
    body_text: str
    verdict: Verdict
    files: Sequence[StoredFile]
    bounced: Sequence[str] = ()
    diagnostic: str = ""
    outgoing: Sequence[NewEmail] = ()  # e.g. the acknowledgement: committed with the filing


class Store:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def mailbox_state(self, folder: str) -> MailboxState | None:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(mailbox_state.c.uidvalidity, mailbox_state.c.last_uid).where(
                    mailbox_state.c.folder == folder)
            ).first()
        return MailboxState(row.uidvalidity, row.last_uid) if row else None

    def start_pass(self, folder: str, uidvalidity: int, now: datetime) -> MailboxState:
        """Record a poll of ``folder``; a new UIDVALIDITY restarts from UID 0."""
        with self.engine.begin() as conn:
            row = conn.execute(
                select(mailbox_state).where(mailbox_state.c.folder == folder)
            ).first()
            if row is None:
                conn.execute(insert(mailbox_state).values(
                    folder=folder, uidvalidity=uidvalidity, last_uid=0, last_poll_at=now))
                return MailboxState(uidvalidity, 0)
            last_uid = row.last_uid if row.uidvalidity == uidvalidity else 0
            conn.execute(update(mailbox_state).where(mailbox_state.c.folder == folder).values(
                uidvalidity=uidvalidity, last_uid=last_uid, last_poll_at=now))
            return MailboxState(uidvalidity, last_uid)

    def finish_pass(self, folder: str, now: datetime) -> None:
        """Record that a pass over ``folder`` completed (`mailbot health` watches this)."""
        with self.engine.begin() as conn:
            conn.execute(update(mailbox_state).where(mailbox_state.c.folder == folder).values(
                last_pass_at=now))

    def claim(self, c: Claim, now: datetime) -> tuple[int, bool]:
        """Enter a message in the ledger and advance the folder's last UID, atomically.

        Returns (ledger id, True when it needs processing). A message already in the
        ledger under an older UIDVALIDITY (same Message-ID and bytes) is re-identified,
        not filed again; a second copy under the same UIDVALIDITY is recorded as a
        duplicate.
        """
        return self.claim_many([c], now)[0]

    def claim_many(self, claims: Sequence[Claim], now: datetime) -> list[tuple[int, bool]]:
        """``claim`` each of ``claims``, in order, in one transaction."""
        with self.engine.begin() as conn:
            return [self._claim(conn, c, now) for c in claims]

    def _claim(self, conn: Connection, c: Claim, now: datetime) -> tuple[int, bool]:
        self._advance(conn, c)
        same = conn.execute(select(messages.c.id).where(
            messages.c.folder == c.folder, messages.c.uidvalidity == c.uidvalidity,
            messages.c.uid == c.uid)).first()
        if same:
            return same.id, False
        twin = conn.execute(select(messages.c.id, messages.c.uidvalidity).where(
            messages.c.folder == c.folder, *_same_content(c)).order_by(messages.c.id)
        ).first()
        if twin and twin.uidvalidity != c.uidvalidity:
            conn.execute(update(messages).where(messages.c.id == twin.id).values(
                uidvalidity=c.uidvalidity, uid=c.uid))
            return twin.id, False
        values = dict(
            folder=c.folder, uidvalidity=c.uidvalidity, uid=c.uid,
            message_id=c.message_id, raw_sha256=c.raw_sha256, raw_size=c.raw_size,
            received_at=c.received_at, created_at=now, attempts=0, late=False,
            disposition=Disposition.PENDING.value, reason="", next_attempt_at=now,
            from_addr=c.from_addr, from_name=c.from_name, subject=c.subject)
        if c.baseline_reason:
            values.update(disposition=Disposition.BASELINE.value, processed_at=now,
                          reason=c.baseline_reason, next_attempt_at=None)
        elif twin:
            values.update(disposition=Disposition.IGNORED.value, processed_at=now,
                          reason=f"duplicate of message #{twin.id} (same bytes)")
        new_id = conn.execute(insert(messages).values(**values)).inserted_primary_key
        assert new_id is not None
        return int(new_id[0]), values["disposition"] == Disposition.PENDING.value

    @staticmethod
    def _advance(conn: Connection, c: Claim) -> None:
        conn.execute(update(mailbox_state).where(
            mailbox_state.c.folder == c.folder, mailbox_state.c.uidvalidity == c.uidvalidity,
            mailbox_state.c.last_uid < c.uid).values(last_uid=c.uid))

    def due(self, now: datetime, limit: int = 100) -> list[Pending]:
        """Claimed messages whose next attempt is due, oldest first."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(
                messages.c.id, messages.c.raw_sha256, messages.c.received_at,
                messages.c.attempts, messages.c.raw_size).where(
                messages.c.disposition == Disposition.PENDING.value,
                or_(messages.c.next_attempt_at.is_(None), messages.c.next_attempt_at <= now),
            ).order_by(messages.c.id).limit(limit)).all()
        return [Pending(r.id, r.raw_sha256, r.received_at, r.attempts, r.raw_size or 0)
                for r in rows]

    def begin_attempt(self, message: int, next_attempt_at: datetime) -> int:
        """Count an attempt before doing it, so a message that kills the process is
        eventually quarantined instead of crashing every restart. Returns the count."""
        return self.begin_attempts({message: next_attempt_at})[message]

    def begin_attempts(self, next_attempts: dict[int, datetime]) -> dict[int, int]:
        """``begin_attempt`` for each message, in one transaction: {id: count}."""
        with self.engine.begin() as conn:
            for message, at in next_attempts.items():
                conn.execute(update(messages).where(messages.c.id == message).values(
                    attempts=messages.c.attempts + 1, next_attempt_at=at))
            rows = conn.execute(select(messages.c.id, messages.c.attempts).where(
                messages.c.id.in_(list(next_attempts))))
            return {r.id: int(r.attempts) for r in rows}

    def fail(self, message: int, error: str, *, quarantine: bool, now: datetime) -> None:
        values: dict[str, object] = {"last_error": error}
        if quarantine:
            values.update(disposition=Disposition.QUARANTINED.value, processed_at=now,
                          reason=f"could not be processed: {error}", next_attempt_at=None)
        with self.engine.begin() as conn:
            conn.execute(update(messages).where(messages.c.id == message).values(**values))

    def file(self, message: int, f: Filing, now: datetime) -> None:
        """Write the outcome of processing, attachments and bounces in one transaction."""
        self.file_many([(message, f)], now)

    def file_many(self, filings: Sequence[tuple[int, Filing]], now: datetime) -> None:
        """``file`` each of ``filings``, in order, in one transaction."""
        with self.engine.begin() as conn:
            for message, f in filings:
                self._file(conn, message, f, now)

    @staticmethod
    def _file(conn: Connection, message: int, f: Filing, now: datetime) -> None:
        v = f.verdict
        conn.execute(attachments.delete().where(attachments.c.message == message))
        conn.execute(update(messages).where(messages.c.id == message).values(
            from_addr=f.from_addr, from_name=f.from_name, subject=f.subject,
            body_text=f.body_text, disposition=v.disposition.value, reason=v.reason,
            unit=v.unit, period=str(v.period) if v.period else None, late=v.late,
            processed_at=now, next_attempt_at=None, last_error=None))
        if f.files:
            conn.execute(insert(attachments), [
                dict(message=message, position=i, filename=a.filename,
                     display_name=a.display_name, content_type=a.content_type,
                     size=a.size, sha256=a.sha256, from_forward=a.from_forward)
                for i, a in enumerate(f.files)])
        for addr in f.bounced:
            _record_bounce(conn, addr, message, f.diagnostic, now)
        add_to_outbox(conn, f.outgoing, now)

    def learned(self) -> dict[str, str]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(learned_addresses.c.email, learned_addresses.c.unit))
            return {r.email: r.unit for r in rows}


def _same_content(c: Claim) -> list[ColumnElement[bool]]:
    """How a message is recognised after a UIDVALIDITY change: Message-ID plus the
    SHA-256 of its bytes; baseline mail (never fetched) by Message-ID, size and arrival."""
    same_id = (messages.c.message_id.is_(None) if c.message_id is None
               else messages.c.message_id == c.message_id)
    if c.raw_sha256 is None:
        return [same_id, messages.c.raw_sha256.is_(None), messages.c.raw_size == c.raw_size,
                messages.c.received_at == c.received_at]
    return [same_id, messages.c.raw_sha256 == c.raw_sha256]


def _record_bounce(conn: Connection, addr: str, message: int, diagnostic: str,
                   now: datetime) -> None:
    changed = conn.execute(update(bouncing_addresses).where(
        bouncing_addresses.c.email == addr).values(
        last_at=now, count=bouncing_addresses.c.count + 1, last_message=message,
        diagnostic=diagnostic)).rowcount
    if changed == 0:
        try:
            with conn.begin_nested():
                conn.execute(insert(bouncing_addresses).values(
                    email=addr, first_at=now, last_at=now, count=1, last_message=message,
                    diagnostic=diagnostic))
        except IntegrityError:
            pass  # a concurrent writer recorded it first; one row is all we need





class LedgerEdits:
    """The office's corrections: replay a message, remember an address."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def reset(self, message: int, now: datetime) -> Pending | None:
        """Put a processed message back to pending for a replay (not baseline mail,
        whose body was never fetched). Returns it, or None when there is no such message."""
        with self.engine.begin() as conn:
            row = conn.execute(select(messages.c.id, messages.c.raw_sha256,
                                      messages.c.received_at).where(
                messages.c.id == message)).first()
            if row is None or row.raw_sha256 is None:
                return None
            conn.execute(update(messages).where(messages.c.id == message).values(
                disposition=Disposition.PENDING.value, attempts=0, next_attempt_at=now,
                last_error=None))
            return Pending(row.id, row.raw_sha256, row.received_at, 0)

    def remember(self, email: str, unit: str, message: int, now: datetime) -> None:
        with self.engine.begin() as conn:
            conn.execute(learned_addresses.delete().where(learned_addresses.c.email == email))
            conn.execute(insert(learned_addresses).values(
                email=email, unit=unit, added_at=now, source_message=message))

    def excuse(self, unit: str, period: str, reason: str, now: datetime) -> None:
        with self.engine.begin() as conn:
            conn.execute(excuses.delete().where(excuses.c.unit == unit,
                                                excuses.c.period == period))
            conn.execute(insert(excuses).values(unit=unit, period=period, reason=reason,
                                                created_at=now))

    def settle(self, message: int, disposition: Disposition, reason: str, now: datetime, *,
               only_from: tuple[str, ...]) -> bool:
        """Set a message's disposition by the office's decision, only from one of the
        dispositions ``only_from`` (a decision on a stale page changes nothing)."""
        with self.engine.begin() as conn:
            return conn.execute(update(messages).where(
                messages.c.id == message, messages.c.disposition.in_(only_from)).values(
                disposition=disposition.value, reason=reason, processed_at=now,
                next_attempt_at=None)).rowcount == 1

    def claimed_unit(self, message: int) -> str | None:
        with self.engine.connect() as conn:
            return conn.scalar(select(messages.c.unit).where(messages.c.id == message))

    def sender_of(self, message: int) -> tuple[str | None, str | None] | None:
        """(disposition, From address) of a message, or None when it does not exist."""
        with self.engine.connect() as conn:
            row = conn.execute(select(messages.c.disposition, messages.c.from_addr).where(
                messages.c.id == message)).first()
        return (row.disposition, row.from_addr) if row else None
