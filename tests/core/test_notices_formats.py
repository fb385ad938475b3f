"""Vietnamese formats for dates, months and file sizes, as the office writes them."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from mailbot.core.model import Period
from mailbot.core.notices import last_day, vn_date, vn_datetime, vn_long_date, vn_period, vn_size
from mailbot.core.periods import Schedule, deadline_end
from tests.core.samples import HCM


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2023, 10, 15), "15/10/2023"),
        (date(2024, 1, 5), "05/01/2024"),
        (datetime(2023, 12, 31, 23, 59), "31/12/2023"),
    ],
)
def test_it_writes_a_date_as_day_month_year(day: date, expected: str) -> None:
    assert vn_date(day) == expected


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2023, 10, 17), "ngày 17 tháng 10 năm 2023"),
        (date(2024, 1, 5), "ngày 05 tháng 01 năm 2024"),
        (date(2024, 2, 29), "ngày 29 tháng 02 năm 2024"),
        (date(2024, 3, 9), "ngày 09 tháng 3 năm 2024"),
        (date(2023, 11, 1), "ngày 01 tháng 11 năm 2023"),
    ],
)
def test_it_writes_a_long_date_with_the_zeros_documents_use(day: date, expected: str) -> None:
    assert vn_long_date(day) == expected


def test_it_writes_a_moment_as_hour_and_day() -> None:
    assert vn_datetime(datetime(2023, 10, 5, 7, 3, tzinfo=HCM)) == "07:03 ngày 05/10/2023"


@pytest.mark.parametrize(
    ("period", "expected"),
    [(Period(2023, 10), "tháng 10/2023"), (Period(2024, 1), "tháng 1/2024")],
)
def test_it_names_a_month_as_subjects_do(period: Period, expected: str) -> None:
    assert vn_period(period) == expected


@pytest.mark.parametrize(
    ("size", "expected"),
    [
        (0, "0 byte"),
        (12, "12 byte"),
        (999, "999 byte"),
        (1000, "1 KB"),
        (1536, "1,5 KB"),
        (358_400, "350 KB"),
        (1023 * 1024, "1 MB"),
        (1_258_291, "1,2 MB"),
        (10 * 1024 * 1024, "10 MB"),
        (int(2.5 * 1024**3), "2,5 GB"),
        (5000 * 1024**4, "5000 TB"),
    ],
)
def test_it_writes_a_size_with_a_decimal_comma(size: int, expected: str) -> None:
    assert vn_size(size) == expected


def test_it_refuses_a_negative_size() -> None:
    with pytest.raises(ValueError, match="negative"):
        vn_size(-1)


@pytest.mark.parametrize(
    ("deadline", "expected"),
    [
        pytest.param(deadline_end(Period(2023, 10), Schedule(), HCM), date(2023, 10, 15),
                     id="the exclusive end from periods.deadline_end"),
        pytest.param(datetime(2023, 10, 15, 23, 59, 59, tzinfo=HCM), date(2023, 10, 15),
                     id="the last second of the day"),
        pytest.param(datetime(2023, 10, 15, 17, 0, tzinfo=HCM), date(2023, 10, 15),
                     id="office hours on the day"),
        pytest.param(datetime(2024, 3, 1, 0, 0, tzinfo=HCM), date(2024, 2, 29),
                     id="midnight after a leap day"),
    ],
)
def test_the_last_day_to_send_is_the_day_the_deadline_closes(
    deadline: datetime, expected: date
) -> None:
    assert last_day(deadline) == expected
