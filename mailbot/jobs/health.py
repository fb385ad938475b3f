"""`mailbot health`: is mailbot doing its job? One verdict per check, for a monitor.

Four checks, each OK, WARN or FAIL (SKIP: not tried); any FAIL makes the whole unhealthy:

- database: reachable and at the latest migration (else nothing else is checked);
- poll: the configured folder was polled within ``max_poll_age``;
- outbox: no email is `failed` or `unknown` (each needs a person to look at it);
- lease: a daemon holds the lease and renews it; a lease nobody renews is stale (FAIL),
  no lease at all means no daemon is running (WARN: `mailbot tick` from cron is a valid
  way to run mailbot, and the poll check catches a daemon that should be there).

The poll signal is ``mailbox_state.last_pass_at``, written when ``poll`` returns: a
pass that completed (server reached, login accepted, folder examined, every new message
claimed and what was due processed). ``last_poll_at``, written when a pass starts, only
serves the detail: a daemon that reaches the server and then fails every time (a full
disk, a locked database, a FETCH that always breaks) keeps that one moving, and the
check says so. The newest ledger row adds nothing: ``poll`` reads the clock once and
passes that instant down, and on a quiet mailbox the newest row is days old while all
is well.

Two clocks: poll times are mailbot's clock (``--now`` moves it, as it moved the poll),
the lease is real wall-clock time, as in mailbot.adapters.db.lease.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from mailbot.adapters.db import lease
from mailbot.adapters.db.engine import current_revision, head_revision
from mailbot.adapters.db.schema import mailbox_state, outbox
from mailbot.app import App
from mailbot.errors import StorageError
from mailbot.jobs.backup import sqlite_file

OK, WARN, FAIL, SKIP = "OK", "WARN", "FAIL", "SKIP"  # as in `mailbot check`
LISTED_IDS = 10  # ids named in the one-line detail; --json has them all


@dataclass(frozen=True)
class Check:
    name: str
    status: str  # OK | WARN | FAIL | SKIP
    detail: str
    data: dict[str, Any] = field(default_factory=dict)  # JSON-ready facts behind it

    def line(self) -> str:
        return f"{self.status:<4} {self.name:<8}  {self.detail}"


@dataclass(frozen=True)
class Report:
    checks: tuple[Check, ...]

    @property
    def healthy(self) -> bool:
        return all(c.status != FAIL for c in self.checks)

    def json(self) -> dict[str, Any]:
        return {"healthy": self.healthy,
                "checks": [{"check": c.name, "status": c.status, "detail": c.detail, **c.data}
                           for c in self.checks]}


def health(app: App, now: datetime, *, wall: datetime, max_poll_age: timedelta) -> Report:
    """Read the facts once and judge them. ``now`` is mailbot's clock, ``wall`` the real one."""
    db = check_database(app)
    if db.status != OK:
        skipped = "not checked: the database is not usable"
        return Report((db, *(Check(n, SKIP, skipped) for n in ("poll", "outbox", "lease"))))
    folder = app.config.imap.folder
    with app.engine.connect() as conn:
        state = conn.execute(select(mailbox_state.c.last_pass_at, mailbox_state.c.last_poll_at
                                    ).where(mailbox_state.c.folder == folder)).first()
        stuck = conn.execute(select(outbox.c.id, outbox.c.status).where(
            outbox.c.status.in_(("failed", "unknown"))).order_by(outbox.c.id)).all()
    return Report((
        db,
        check_poll(state.last_pass_at if state else None, now, max_poll_age, folder=folder,
                   poll_interval=timedelta(seconds=app.config.imap.poll_interval),
                   started=state.last_poll_at if state else None),
        check_outbox([r.id for r in stuck if r.status == "failed"],
                     [r.id for r in stuck if r.status == "unknown"]),
        check_lease(lease.holder(app.engine), wall, lease.TTL),
    ))


def check_database(app: App) -> Check:
    path = sqlite_file(app.engine)
    if path is not None and not path.exists():
        # Connecting would create an empty file; say what is wrong instead.
        return Check("database", FAIL, f"no database at {path}: run `mailbot db upgrade`",
                     {"path": str(path)})
    head = head_revision(app.engine)
    try:
        revision = current_revision(app.engine)
    except StorageError as e:
        return Check("database", FAIL, str(e))
    return check_revision(revision, head)


def check_revision(revision: str | None, head: str) -> Check:
    """OK only at the latest migration: other commands refuse an older database."""
    data = {"revision": revision, "latest": head}
    if revision == head:
        return Check("database", OK, f"at revision {revision} (the latest)", data)
    if revision is None:
        return Check("database", FAIL, "has no mailbot tables: run `mailbot db upgrade`", data)
    return Check("database", FAIL, f"at revision {revision}, this mailbot needs {head}: "
                                   "run `mailbot db upgrade`", data)


def check_poll(last_poll: datetime | None, now: datetime, max_age: timedelta, *,
               folder: str, poll_interval: timedelta, started: datetime | None = None
               ) -> Check:
    """FAIL when no pass over the folder completed, or none within ``max_age`` of
    ``now``. ``last_poll`` is when the last pass completed, ``started`` when the last
    one started (newer when passes start and then fail)."""
    failing = ""
    if started is not None and (last_poll is None or started - last_poll > poll_interval):
        failing = (f"; a pass started {ago(max(now - started, timedelta(0)))} ago but "
                   "did not complete: see the log (disk full, database locked?)")
    if last_poll is None:
        return Check("poll", FAIL, f"folder {folder!r} has never been polled{failing}",
                     {"folder": folder, "last_poll_at": None,
                      "last_started_at": started.isoformat() if started else None})
    age = max(now - last_poll, timedelta(0))
    data = {"folder": folder, "last_poll_at": last_poll.isoformat(),
            "last_started_at": started.isoformat() if started else None,
            "age_seconds": int(age.total_seconds()),
            "max_age_seconds": int(max_age.total_seconds())}
    if age <= max_age:
        return Check("poll", OK, f"folder {folder!r} polled {ago(age)} ago", data)
    hint = failing
    if not failing and poll_interval >= max_age:
        hint = (f" (imap.poll_interval is {ago(poll_interval)}: give --max-poll-age more "
                "than that)")
    return Check("poll", FAIL, f"folder {folder!r} last polled {ago(age)} ago, more than "
                               f"{ago(max_age)}: is the daemon running, and can it reach the "
                               f"IMAP server?{hint}", data)


def check_outbox(failed: Sequence[int], unknown: Sequence[int]) -> Check:
    """FAIL while any email is failed (refused) or unknown (maybe delivered)."""
    data = {"failed": list(failed), "unknown": list(unknown)}
    if not failed and not unknown:
        return Check("outbox", OK, "no failed or unknown email", data)
    parts = [f"{len(ids)} {word} ({_ids(ids)})"
             for ids, word in ((failed, "failed"), (unknown, "unknown")) if ids]
    return Check("outbox", FAIL, f"{', '.join(parts)}: see `mailbot outbox`", data)


def check_lease(holder: lease.Holder | None, wall: datetime, ttl: timedelta) -> Check:
    """No lease: WARN (no daemon). A lease not renewed for ``ttl``: FAIL (stale)."""
    if holder is None:
        return Check("lease", WARN, "daemon not running (nobody holds the lease)",
                     {"owner": None})
    age = max(wall - holder.heartbeat_at, timedelta(0))
    data = {"owner": holder.owner, "heartbeat_at": holder.heartbeat_at.isoformat(),
            "age_seconds": int(age.total_seconds())}
    if age <= ttl:
        return Check("lease", OK, f"held by {holder.owner}, heartbeat {ago(age)} ago", data)
    return Check("lease", FAIL, f"stale: held by {holder.owner}, whose last heartbeat was "
                                f"{ago(age)} ago (more than {ago(ttl)}): the daemon was killed "
                                "without releasing it, or its process is frozen", data)


def ago(delta: timedelta) -> str:
    """A short human duration.

    >>> ago(timedelta(seconds=45)), ago(timedelta(minutes=90)), ago(timedelta(hours=50))
    ('45 s', '1 h 30 min', '2 d 2 h')
    """
    s = int(delta.total_seconds())
    if s < 120:
        return f"{s} s"
    m, h, d = s // 60, s // 3600, s // 86400
    if h < 1:
        return f"{m} min"
    if d < 1:
        return f"{h} h {m % 60} min" if m % 60 else f"{h} h"
    return f"{d} d {h % 24} h" if h % 24 else f"{d} d"


def _ids(ids: Sequence[int]) -> str:
    shown = ", ".join(f"#{i}" for i in ids[:LISTED_IDS])
    return shown + (f" and {len(ids) - LISTED_IDS} more" if len(ids) > LISTED_IDS else "")
