from datetime import time

import pytest

from mailbot.core.model import Period
from mailbot.core.periods import Schedule, deadline_end, scheduled_cutoff
from tests.core.samples import HCM, at


@pytest.mark.parametrize(
    ("period", "schedule", "end"),
    [
        (Period(2023, 10), Schedule(), at(2023, 10, 16)),
        (Period(2023, 12), Schedule(), at(2023, 12, 16)),
        (Period(2024, 2), Schedule(deadline_day=10, digest_day=12), at(2024, 2, 11)),
        (Period(2024, 2), Schedule(deadline_day=27, digest_day=28), at(2024, 2, 28)),
    ],
    ids=["october", "december", "custom day", "late february"],
)
def test_the_deadline_ends_at_midnight_after_the_deadline_day(
    period: Period, schedule: Schedule, end: object
) -> None:
    assert deadline_end(period, schedule, HCM) == end


def test_a_mail_in_the_last_second_of_the_15th_is_before_the_deadline_end() -> None:
    end = deadline_end(Period(2023, 10), Schedule(), HCM)
    assert at(2023, 10, 15, 23, 59, 59) < end <= at(2023, 10, 16, 0, 0, 0)


@pytest.mark.parametrize(
    ("period", "schedule", "cutoff"),
    [
        (Period(2023, 10), Schedule(), at(2023, 10, 17, 8)),
        (Period(2024, 1), Schedule(), at(2024, 1, 17, 8)),
        (Period(2023, 10), Schedule(digest_day=20, digest_time=time(14, 30)),
         at(2023, 10, 20, 14, 30)),
    ],
)
def test_the_digest_is_compiled_on_the_digest_day_at_the_digest_time(
    period: Period, schedule: Schedule, cutoff: object
) -> None:
    assert scheduled_cutoff(period, schedule, HCM) == cutoff


@pytest.mark.parametrize(
    ("deadline_day", "digest_day"),
    [(0, 17), (15, 15), (17, 15), (15, 31), (29, 30)],
)
def test_a_schedule_needs_the_deadline_before_the_digest_on_days_every_month_has(
    deadline_day: int, digest_day: int
) -> None:
    with pytest.raises(ValueError, match="deadline_day"):
        Schedule(deadline_day=deadline_day, digest_day=digest_day)
