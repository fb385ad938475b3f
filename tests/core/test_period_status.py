from collections.abc import Mapping
from datetime import datetime

import pytest

from mailbot.core.status import SubmissionFact, UnitStatus, period_status
from tests.core.samples import ANH_DUNG, DA_PHUC, HOA_NGHIA, TAN_THANH, UNITS, at

EARLY, DEADLINE_DAY, LATE_DAY = at(2023, 10, 5, 9), at(2023, 10, 15, 16), at(2023, 10, 16, 10)


def on_time(unit: str, when: datetime = EARLY) -> SubmissionFact:
    return SubmissionFact(unit, when, late=False)


def late(unit: str, when: datetime = LATE_DAY) -> SubmissionFact:
    return SubmissionFact(unit, when, late=True)


@pytest.mark.parametrize(
    ("facts", "excused", "expected"),
    [
        pytest.param([on_time("hoa-nghia")], {}, UnitStatus(HOA_NGHIA, "on_time", 1, EARLY),
                     id="on time"),
        pytest.param([late("hoa-nghia"), on_time("hoa-nghia", DEADLINE_DAY)], {},
                     UnitStatus(HOA_NGHIA, "on_time", 2, DEADLINE_DAY),
                     id="a late supplement does not spoil an on-time submission"),
        pytest.param([late("hoa-nghia"), late("hoa-nghia", at(2023, 10, 17, 7))], {},
                     UnitStatus(HOA_NGHIA, "late", 2, LATE_DAY), id="all late"),
        pytest.param([], {}, UnitStatus(HOA_NGHIA, "missing", 0, None), id="nothing sent"),
        pytest.param([on_time("da-phuc")], {}, UnitStatus(HOA_NGHIA, "missing", 0, None),
                     id="another unit's submission does not count"),
        pytest.param([], {"hoa-nghia": "sáp nhập, báo cáo chung với Đa Phúc"},
                     UnitStatus(HOA_NGHIA, "excused", 0, None,
                                "sáp nhập, báo cáo chung với Đa Phúc"), id="excused"),
        pytest.param([late("hoa-nghia")], {"hoa-nghia": "nghỉ lễ"},
                     UnitStatus(HOA_NGHIA, "late", 1, LATE_DAY),
                     id="a submission beats an excuse"),
    ],
)
def test_it_tells_where_a_unit_stands_for_the_period(
    facts: list[SubmissionFact], excused: Mapping[str, str], expected: UnitStatus
) -> None:
    statuses = {s.unit.code: s for s in period_status(UNITS, facts, excused)}
    assert statuses["hoa-nghia"] == expected


def test_it_lists_units_in_vietnamese_alphabetical_order() -> None:
    statuses = period_status([TAN_THANH, DA_PHUC, HOA_NGHIA, ANH_DUNG], [])
    assert [s.unit.name for s in statuses] == [
        "UBND phường Anh Dũng", "UBND phường Đa Phúc", "UBND phường Hòa Nghĩa",
        "UBND phường Tân Thành",
    ]


def test_it_leaves_out_facts_about_units_not_on_the_list() -> None:
    statuses = period_status([HOA_NGHIA], [on_time("no-such-unit"), on_time("hoa-nghia")])
    assert [(s.unit.code, s.submissions) for s in statuses] == [("hoa-nghia", 1)]


def test_excuses_are_optional() -> None:
    assert [s.status for s in period_status([HOA_NGHIA], [])] == ["missing"]
