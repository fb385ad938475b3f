from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

import pytest

from mailbot.core.duties import due_reminder, office_status_due, period_of_day
from mailbot.core.model import Period
from mailbot.core.periods import Schedule

VN = ZoneInfo("Asia/Ho_Chi_Minh")
OCT = Period(2023, 10)


def t(day: int, hour: int = 8, minute: int = 0, month: int = 10) -> datetime:
    return datetime(2023, month, day, hour, minute, tzinfo=VN)


@pytest.mark.parametrize(("now", "step"), [
    (t(9, 23, 59), None),
    (t(10, 7, 59), None),
    (t(10, 8, 0), "d5"),
    (t(12), "d5"),          # catch-up after downtime: the step is still due
    (t(14, 8, 0), "d1"),
    (t(14, 7, 0), "d5"),
    (t(15, 23, 59), "d1"),  # the deadline day itself: the last step is still due
    (t(16, 0, 0), None),    # deadline passed: no reminder any more
    (t(20), None),
])
def test_the_due_reminder_step(now: datetime, step: str | None) -> None:
    due = due_reminder(now, OCT, Schedule(), (5, 1), time(8), VN)
    assert (due.name if due else None) == step


def test_reminder_days_can_be_configured_in_any_order() -> None:
    due = due_reminder(t(13), OCT, Schedule(deadline_day=15), (1, 3, 7), time(8), VN)
    assert due is not None and due.name == "d3"


@pytest.mark.parametrize(("now", "due"), [
    (t(16, 7, 59), False),
    (t(16, 8, 0), True),
    (t(20), True),
    (t(26, 7, 59), True),
    (t(26, 8, 0), False),
])
def test_the_office_status_is_due_the_morning_after_the_deadline(now: datetime,
                                                                 due: bool) -> None:
    assert office_status_due(now, OCT, Schedule(), time(8), VN) is due


def test_the_period_of_day_is_read_in_the_office_timezone() -> None:
    utc_evening = datetime(2023, 10, 31, 18, 0, tzinfo=ZoneInfo("UTC"))
    assert period_of_day(utc_evening, VN) == Period(2023, 11)
