"""Which dated duties are due at an instant: reminder steps and the office status.

Each duty is "due from T until it no longer makes sense"; the job sends what is due
and not yet in the outbox, so a daemon that was down catches up when it returns and
running twice does nothing the second time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

from mailbot.core.model import Period
from mailbot.core.periods import Schedule, deadline_end

OFFICE_STATUS_WINDOW = timedelta(days=10)


@dataclass(frozen=True)
class Step:
    """One reminder step: ``name`` is stable ("d5" = five days before the deadline)."""

    name: str
    due_at: datetime


def period_of_day(when: datetime, tz: tzinfo) -> Period:
    """The calendar month of ``when`` in ``tz`` (reminders concern its deadline)."""
    local = when.astimezone(tz)
    return Period(local.year, local.month)


def _at(period: Period, day: int, clock: time, tz: tzinfo) -> datetime:
    return datetime.combine(date(period.year, period.month, day), clock, tzinfo=tz)


def reminder_steps(period: Period, schedule: Schedule, days_before: tuple[int, ...],
                   send_time: time, tz: tzinfo) -> list[Step]:
    """Reminder steps of ``period`` in time order.

    >>> from zoneinfo import ZoneInfo
    >>> [(s.name, s.due_at.day) for s in reminder_steps(Period(2023, 10), Schedule(), (5, 1),
    ...                                                   time(8), ZoneInfo("Asia/Ho_Chi_Minh"))]
    [('d5', 10), ('d1', 14)]
    """
    return [Step(f"d{d}", _at(period, schedule.deadline_day - d, send_time, tz))
            for d in sorted(set(days_before), reverse=True)]


def due_reminder(now: datetime, period: Period, schedule: Schedule,
                 days_before: tuple[int, ...], send_time: time, tz: tzinfo) -> Step | None:
    """The latest reminder step whose time has come, while the deadline has not passed.
    After downtime only the latest step is due: a unit gets one reminder, not two."""
    if now >= deadline_end(period, schedule, tz):
        return None
    due = [s for s in reminder_steps(period, schedule, days_before, send_time, tz)
           if s.due_at <= now]
    return due[-1] if due else None


def office_status_due_at(period: Period, schedule: Schedule, send_time: time,
                         tz: tzinfo) -> datetime:
    """The morning after the deadline."""
    return _at(period, schedule.deadline_day + 1, send_time, tz)


def office_status_due(now: datetime, period: Period, schedule: Schedule, send_time: time,
                      tz: tzinfo) -> bool:
    """Due from the morning after the deadline, for OFFICE_STATUS_WINDOW (a stale report
    after a long outage helps nobody)."""
    start = office_status_due_at(period, schedule, send_time, tz)
    return start <= now < start + OFFICE_STATUS_WINDOW
