"""Staff accounts for the web page and the audit log of the office's decisions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, insert, select, update

from mailbot.adapters.db.schema import audit_log, users


@dataclass(frozen=True)
class User:
    name: str
    password_hash: str
    failures: int
    locked_until: datetime | None


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: datetime
    actor: str
    action: str
    target_kind: str
    target: str
    detail: str


class Users:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def get(self, name: str) -> User | None:
        with self.engine.connect() as conn:
            r = conn.execute(select(users).where(users.c.name == name)).first()
        return User(r.name, r.password_hash, r.failures, r.locked_until) if r else None

    def names(self) -> list[str]:
        with self.engine.connect() as conn:
            return list(conn.scalars(select(users.c.name).order_by(users.c.name)))

    def put(self, name: str, password_hash: str, now: datetime) -> bool:
        """Create the account, or set a new password (and unlock it); True when created."""
        with self.engine.begin() as conn:
            changed = conn.execute(update(users).where(users.c.name == name).values(
                password_hash=password_hash, failures=0, locked_until=None)).rowcount
            if changed:
                return False
            conn.execute(insert(users).values(name=name, password_hash=password_hash,
                                              created_at=now, failures=0))
            return True

    def failed(self, name: str, *, lock_after: int, until: datetime) -> int:
        """Count a failed login; the ``lock_after``-th in a row locks until ``until``."""
        with self.engine.begin() as conn:
            conn.execute(update(users).where(users.c.name == name).values(
                failures=users.c.failures + 1))
            failures = int(conn.scalar(select(users.c.failures).where(
                users.c.name == name)) or 0)
            if failures >= lock_after:
                conn.execute(update(users).where(users.c.name == name).values(
                    locked_until=until, failures=0))
            return failures

    def succeeded(self, name: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(users).where(users.c.name == name).values(
                failures=0, locked_until=None))


class Audit:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def record(self, actor: str, action: str, target_kind: str, target: str, detail: str,
               now: datetime) -> None:
        with self.engine.begin() as conn:
            conn.execute(insert(audit_log).values(
                at=now, actor=actor[:64], action=action, target_kind=target_kind,
                target=target[:64], detail=detail))

    def of(self, target_kind: str, targets: list[str] | None = None,
           limit: int = 500) -> list[AuditEntry]:
        """Newest first: the entries about ``targets`` of ``target_kind`` (all of that
        kind when ``targets`` is None)."""
        q = select(audit_log).where(audit_log.c.target_kind == target_kind)
        if targets is not None:
            q = q.where(audit_log.c.target.in_(targets))
        with self.engine.connect() as conn:
            return [AuditEntry(r.id, r.at, r.actor, r.action, r.target_kind, r.target,
                               r.detail)
                    for r in conn.execute(q.order_by(audit_log.c.id.desc()).limit(limit))]

    def recent(self, limit: int = 100) -> list[AuditEntry]:
        with self.engine.connect() as conn:
            return [AuditEntry(r.id, r.at, r.actor, r.action, r.target_kind, r.target,
                               r.detail)
                    for r in conn.execute(select(audit_log).order_by(
                        audit_log.c.id.desc()).limit(limit))]
