"""One process at a time does mailbot's work on a database: the lease, held for a block."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from mailbot.adapters.db import lease
from mailbot.adapters.db.outbox import Outbox
from mailbot.app import App
from mailbot.errors import MailbotError

log = logging.getLogger(__name__)


@contextmanager
def holding_lease(app: App, owner: str) -> Iterator[None]:
    """Hold the one-daemon lease for the block; refuse when a live daemon has it."""
    holder = lease.take(app.engine, owner)
    if holder is not None:
        ago = (datetime.now(UTC) - holder.heartbeat_at).total_seconds()
        raise MailbotError(
            f"another mailbot is already running on this database ({holder.owner}, "
            f"heartbeat {ago:.0f} s ago); it is taken over only when it stops renewing "
            f"its lease for {lease.TTL.total_seconds():.0f} s")
    try:
        unknown = Outbox(app.engine).orphans_to_unknown()
        if unknown:
            log.warning("%d email(s) were being sent when mailbot stopped: marked unknown "
                        "(see mailbot outbox)", unknown)
        swept = app.raw_mail.sweep_temps() + app.files.sweep_temps()
        if swept:
            log.warning("removed %d half-written file(s) left in %s by a process that died",
                        swept, app.config.data_dir)
        yield
    finally:
        lease.release(app.engine, owner)
