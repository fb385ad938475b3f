from collections.abc import Mapping
from datetime import UTC, datetime

import pytest

from mailbot.core.model import Period
from mailbot.core.periods import Schedule, assign_period
from tests.core.samples import HCM, at

PLAIN = "Gương người tốt việc tốt - UBND phường Hòa Nghĩa"
SEP, OCT, NOV = Period(2023, 9), Period(2023, 10), Period(2023, 11)
DEC, JAN = Period(2023, 12), Period(2024, 1)
NONE: Mapping[Period, datetime] = {}


@pytest.mark.parametrize(
    ("arrived", "subject", "compiled_at", "expected"),
    [
        pytest.param(at(2023, 10, 1), PLAIN, NONE, (OCT, False), id="first of the month"),
        pytest.param(at(2023, 10, 15, 23, 59), PLAIN, NONE, (OCT, False), id="15th 23:59"),
        pytest.param(at(2023, 10, 15, 23, 59, 59), PLAIN, NONE, (OCT, False),
                     id="15th 23:59:59"),
        pytest.param(at(2023, 10, 16), PLAIN, NONE, (OCT, True), id="16th 00:00 is late"),
        pytest.param(at(2023, 10, 16, 15), PLAIN, NONE, (OCT, True), id="16th afternoon"),
        pytest.param(at(2023, 10, 17, 7, 59), PLAIN, NONE, (OCT, True),
                     id="17th before the digest"),
        pytest.param(at(2023, 10, 17, 8), PLAIN, NONE, (NOV, False),
                     id="17th at the digest time counts for next month"),
        pytest.param(at(2023, 10, 17, 9), PLAIN, NONE, (NOV, False), id="17th after the digest"),
        pytest.param(at(2023, 9, 30, 23), PLAIN, NONE, (OCT, False), id="end of the month before"),
        pytest.param(at(2023, 10, 16, 9), PLAIN, {OCT: at(2023, 10, 16, 10)}, (OCT, True),
                     id="before a digest compiled early on the 16th"),
        pytest.param(at(2023, 10, 16, 11), PLAIN, {OCT: at(2023, 10, 16, 10)}, (NOV, False),
                     id="after a digest compiled early on the 16th"),
        pytest.param(at(2023, 10, 3), PLAIN, {SEP: at(2023, 10, 5, 9)}, (SEP, True),
                     id="held digest: the 3rd still counts for last month"),
        pytest.param(at(2023, 10, 6), PLAIN, {SEP: at(2023, 10, 5, 9)}, (OCT, False),
                     id="held digest: after it is compiled the month moves on"),
        pytest.param(at(2023, 10, 3), "GNTVT tháng 10/2023", {SEP: at(2023, 10, 5, 9)},
                     (OCT, False), id="held digest: subject naming this month wins"),
        pytest.param(at(2023, 12, 16), PLAIN, NONE, (DEC, True), id="december late"),
        pytest.param(at(2023, 12, 17, 8), PLAIN, NONE, (JAN, False),
                     id="december digest moves mail to january"),
        pytest.param(at(2023, 12, 31, 23, 59), PLAIN, NONE, (JAN, False), id="new year's eve"),
        pytest.param(at(2024, 1, 3), PLAIN, {DEC: at(2024, 1, 4)}, (DEC, True),
                     id="december digest held into january"),
        pytest.param(at(2024, 1, 16), PLAIN, NONE, (JAN, True), id="january late"),
        pytest.param(at(2023, 10, 10), "Bổ sung GNTVT tháng 9/2023", NONE, (SEP, True),
                     id="subject naming the previous month"),
        pytest.param(at(2023, 10, 20), "Gửi bổ sung tháng 10/2023", NONE, (OCT, True),
                     id="subject naming the month whose digest is out"),
        pytest.param(at(2023, 10, 10), "GNTVT tháng 10/2023", NONE, (OCT, False),
                     id="subject naming the computed month"),
        pytest.param(at(2023, 10, 10), "GNTVT tháng 11/2023", NONE, (OCT, False),
                     id="subject naming a future month is ignored"),
        pytest.param(at(2023, 10, 10), "GNTVT tháng 8/2023", NONE, (OCT, False),
                     id="subject naming an old month is ignored"),
        pytest.param(at(2024, 1, 5), "GNTVT tháng 12/2023", NONE, (DEC, True),
                     id="subject naming december in january"),
        pytest.param(datetime(2023, 10, 15, 17, 30, tzinfo=UTC), PLAIN, NONE, (OCT, True),
                     id="UTC 15th 17:30 is already the 16th in Ho Chi Minh City"),
        pytest.param(datetime(2023, 10, 17, 1, 0, tzinfo=UTC), PLAIN, NONE, (NOV, False),
                     id="UTC 17th 01:00 is the digest time in Ho Chi Minh City"),
        pytest.param(datetime(2023, 12, 31, 18, 0, tzinfo=UTC), PLAIN, {DEC: at(2024, 1, 4)},
                     (DEC, True), id="UTC new year's eve is january in Ho Chi Minh City"),
    ],
)
def test_it_assigns_a_mail_to_the_month_it_counts_for(
    arrived: datetime,
    subject: str,
    compiled_at: Mapping[Period, datetime],
    expected: tuple[Period, bool],
) -> None:
    got = assign_period(arrived, subject=subject, schedule=Schedule(), tz=HCM,
                        compiled_at=compiled_at)
    assert got == expected


def test_it_follows_a_custom_schedule() -> None:
    schedule = Schedule(deadline_day=10, digest_day=12)
    assert assign_period(at(2023, 10, 11), subject=PLAIN, schedule=schedule, tz=HCM,
                         compiled_at={}) == (OCT, True)
    assert assign_period(at(2023, 10, 12, 8), subject=PLAIN, schedule=schedule, tz=HCM,
                         compiled_at={}) == (NOV, False)


def test_it_refuses_a_naive_arrival_time() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        assign_period(datetime(2023, 10, 10), subject=PLAIN, schedule=Schedule(), tz=HCM,
                      compiled_at={})
