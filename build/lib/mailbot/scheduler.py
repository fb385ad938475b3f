"""The schedule as data: (id, trigger, job) rows handed to APScheduler 3.

Every job is a "do whatever is due at now" function, so the triggers only decide how
soon a duty happens, never whether: a missed run is caught up by the next one.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler

from mailbot.app import App
from mailbot.jobs.duties import run_duties
from mailbot.jobs.outgoing import deliver_outbox

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Entry:
    id: str
    trigger: str  # APScheduler trigger name: "cron" or "interval"
    args: dict[str, Any] = field(default_factory=dict)
    job: Callable[[App, datetime], object] = run_duties


def schedule_table(app: App) -> list[Entry]:
    t, d = app.config.send_time, app.config.schedule.digest_time
    return [
        Entry("duties-at-send-time", "cron", {"hour": t.hour, "minute": t.minute}, run_duties),
        Entry("duties-at-digest-time", "cron", {"hour": d.hour, "minute": d.minute}, run_duties),
        Entry("duties-catch-up", "interval", {"minutes": 10}, run_duties),
        Entry("deliver-outbox", "interval", {"seconds": 60}, deliver_outbox),
    ]


def start(app: App, clock: Callable[[], datetime], table: Sequence[Entry],
          extra: Sequence[tuple[str, Callable[[], object], dict[str, Any]]] = ()
          ) -> BackgroundScheduler:
    """Start a background scheduler in the configured timezone running ``table``."""
    scheduler = BackgroundScheduler(
        timezone=app.config.timezone,
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 3600})
    for entry in table:
        scheduler.add_job(_guarded(entry.id, partial(_at_now, entry.job, app, clock)),
                          entry.trigger, id=entry.id, **entry.args)
    for job_id, fn, args in extra:
        scheduler.add_job(_guarded(job_id, fn), "interval", id=job_id, **args)
    scheduler.start()
    return scheduler


def _at_now(job: Callable[[App, datetime], object], app: App,
            clock: Callable[[], datetime]) -> object:
    return job(app, clock())


def _guarded(job_id: str, fn: Callable[[], object]) -> Callable[[], None]:
    def run() -> None:
        try:
            fn()
        except Exception:  # one failed run must not stop the schedule
            log.exception("scheduled job %s failed", job_id)

    return run
