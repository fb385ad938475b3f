"""Use case: do every dated duty that is due at `now` and not done yet.

Reminders before the deadline, the office's status email the morning after, and the
package for the Board (jobs/digest.py).
"Done" is the outbox row with the duty's unique key, so this can run at start-up,
every few minutes and from `mailbot tick` alike: a second run adds nothing.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence
from datetime import datetime, timedelta

from mailbot.adapters.db.outbox import NewEmail, Outbox, bouncing
from mailbot.adapters.db.queries import disposition_counts, excused, submission_facts
from mailbot.app import App
from mailbot.core.duties import due_reminder, office_status_due, period_of_day
from mailbot.core.model import Period, Unit
from mailbot.core.notices import office_status_notice, reminder_notice
from mailbot.core.periods import deadline_end
from mailbot.core.status import UnitStatus, period_status
from mailbot.jobs.digest import digest_duties, mark_sent_if_queued
from mailbot.jobs.outgoing import compose

log = logging.getLogger(__name__)
CLOCK_SLACK = timedelta(minutes=10)  # a clock this far behind the outbox went back


def run_duties(app: App, now: datetime) -> Counter[str]:
    """Queue whatever is due; returns how many emails of each kind were added."""
    if app.config.smtp is None:
        return Counter()
    latest = Outbox(app.engine).latest_created_at()
    if latest is not None and now < latest - CLOCK_SLACK:
        # The clock went back (a bad RTC, NTP stepping it, a wrong --now): what looks
        # due "now" was decided long ago, e.g. a month whose package would go out after
        # the next one's. Wait until the clock passes the newest email again.
        log.warning("the clock (%s) is behind the newest email in the outbox (%s): dated "
                    "duties wait until it catches up", now.isoformat(timespec="minutes"),
                    latest.isoformat(timespec="minutes"))
        return Counter()
    this = period_of_day(now, app.config.timezone)
    queued: Counter[str] = Counter()
    for period in (this.previous(), this):
        queued["reminder"] += len(Outbox(app.engine).add(reminders(app, period, now), now))
        queued["office_status"] += len(Outbox(app.engine).add(
            office_status(app, period, now), now))
        queued["digest"] += len(Outbox(app.engine).add(digest_duties(app, period, now), now))
        mark_sent_if_queued(app, period, now)
    if queued.total():
        log.info("duties at %s: queued %s", now.isoformat(timespec="minutes"),
                 ", ".join(f"{k} {v}" for k, v in queued.items() if v))
    return +queued


def statuses(app: App, period: Period) -> list[UnitStatus]:
    return period_status(app.config.units, submission_facts(app.engine, period),
                         excused(app.engine, period))


def reminders(app: App, period: Period, now: datetime, *, dry_run: bool = False
              ) -> list[NewEmail]:
    """The reminders due now for ``period``: one per unit that has neither submitted nor
    been excused, to all its addresses except bouncing ones."""
    cfg = app.config
    step = due_reminder(now, period, cfg.schedule, cfg.reminder_days_before, cfg.send_time,
                        cfg.timezone)
    if step is None and not dry_run:
        return []
    step_name = step.name if step else "preview"
    done = Outbox(app.engine).keys("reminder", str(period))
    dead = bouncing(app.engine)
    learned = app.store.learned()
    deadline = deadline_end(period, cfg.schedule, cfg.timezone)
    out = []
    for s in statuses(app, period):
        key = f"reminder:{period}:{s.unit.code}:{step_name}"
        if s.status != "missing" or key in done:
            continue
        to = [a for a in _addresses(s.unit, learned) if a not in dead]
        if not to:
            log.warning("no reminder for %s: every address bounces or none is known", s.unit.code)
            continue
        context = reminder_notice(
            unit=s.unit, period=period, deadline=deadline - timedelta(seconds=1),
            office_address=cfg.imap.username, days_left=max(0, (deadline - now).days))
        out.append(compose(app, kind="reminder", key=key, to=to, context=context, now=now,
                           period=str(period), unit=s.unit.code, step=step_name))
    return out


def _addresses(unit: Unit, learned: dict[str, str]) -> list[str]:
    extra = sorted(a for a, code in learned.items() if code == unit.code)
    return list(dict.fromkeys([*unit.emails, *extra]))


def office_status(app: App, period: Period, now: datetime) -> Sequence[NewEmail]:
    cfg = app.config
    key = f"office_status:{period}"
    if (not cfg.office_emails or not office_status_due(now, period, cfg.schedule,
                                                        cfg.send_time, cfg.timezone)
            or key in Outbox(app.engine).keys("office_status", str(period))):
        return []
    counts = disposition_counts(app.engine)
    sends = Outbox(app.engine).counts()
    context = office_status_notice(
        period=period, statuses=statuses(app, period), unmatched=counts.get("unmatched", 0),
        quarantined=counts.get("quarantined", 0), unverified=counts.get("unverified", 0),
        bouncing=sorted(bouncing(app.engine)),
        failed_sends=sends.get("failed", 0) + sends.get("unknown", 0),
        deadline=deadline_end(period, cfg.schedule, cfg.timezone) - timedelta(seconds=1))
    return [compose(app, kind="office_status", key=key, to=list(cfg.office_emails),
                    context=context, now=now, period=str(period))]
