"""One daemon per database: a lease row with an owner, a heartbeat and an expiry.

Taking it is one optimistic UPDATE (or INSERT) that succeeds only when the lease is
free, expired or already ours, so two daemons racing for it cannot both win, on
SQLite or PostgreSQL alike. Lease times are real wall-clock times, never `--now`.
"""

from __future__ import annotations

import os
import re
import socket
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from mailbot.adapters.db.schema import lease

NAME = "daemon"
_OWNER = re.compile(r"pid (\d+) on (\S+)$")
TTL = timedelta(seconds=90)


@dataclass(frozen=True)
class Holder:
    owner: str
    heartbeat_at: datetime
    expires_at: datetime


def me() -> str:
    return f"pid {os.getpid()} on {socket.gethostname()}"


def _dead_here(owner: str) -> bool:
    """True when ``owner`` was a process on this host that no longer exists: a crashed
    mailbot on the same machine need not wait for its lease to expire."""
    m = _OWNER.search(owner)
    if not m or m.group(2) != socket.gethostname():
        return False
    try:
        os.kill(int(m.group(1)), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def take(engine: Engine, owner: str, now: datetime | None = None) -> Holder | None:
    """Take or renew the lease. Returns None on success, else the live holder."""
    now = now or datetime.now(UTC)
    values = dict(owner=owner, heartbeat_at=now, expires_at=now + TTL)
    with engine.begin() as conn:
        current = conn.scalar(select(lease.c.owner).where(lease.c.name == NAME))
        stale = current is not None and _dead_here(current)
        won = conn.execute(update(lease).where(
            lease.c.name == NAME,
            or_(lease.c.owner == owner, lease.c.expires_at < now,
                lease.c.owner == (current if stale else owner)),
        ).values(**values)).rowcount == 1
        if not won:
            try:
                with conn.begin_nested():
                    conn.execute(insert(lease).values(name=NAME, **values))
                won = True
            except IntegrityError:
                won = False
        if won:
            return None
        row = conn.execute(select(lease).where(lease.c.name == NAME)).one()
        return Holder(row.owner, row.heartbeat_at, row.expires_at)


def release(engine: Engine, owner: str) -> None:
    with engine.begin() as conn:
        conn.execute(lease.delete().where(lease.c.name == NAME, lease.c.owner == owner))


def holder(engine: Engine) -> Holder | None:
    with engine.connect() as conn:
        row = conn.execute(select(lease).where(lease.c.name == NAME)).first()
    return Holder(row.owner, row.heartbeat_at, row.expires_at) if row else None
