"""Where each unit stands for one period: on time, late, missing or excused."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType

from mailbot.core.model import Unit
from mailbot.core.text import vietnamese_sort_key

ON_TIME, LATE, MISSING, EXCUSED = "on_time", "late", "missing", "excused"

_NO_EXCUSES: Mapping[str, str] = MappingProxyType({})


@dataclass(frozen=True)
class SubmissionFact:
    """One filed submission of a unit for the period in question."""

    unit: str
    received_at: datetime
    late: bool


@dataclass(frozen=True)
class UnitStatus:
    """A unit's standing for a period. ``status`` is on_time, late, missing or excused."""

    unit: Unit
    status: str
    submissions: int
    first_received_at: datetime | None
    excused_reason: str | None = None


def period_status(
    units: Sequence[Unit],
    facts: Iterable[SubmissionFact],
    excused: Mapping[str, str] = _NO_EXCUSES,
) -> list[UnitStatus]:
    """Every unit's standing for one period, in Vietnamese alphabetical order of name.

    on_time when any submission was on time (a late supplement does not spoil it);
    late when every submission was late; excused when the office excused the unit
    (``excused`` maps unit code to the reason) and it sent nothing; missing
    otherwise. A submission beats an excuse, and then ``excused_reason`` is None.
    Facts about units not in ``units`` are left out.

    >>> from datetime import timezone
    >>> units = [Unit("tan-thanh", "UBND phường Tân Thành"), Unit("hnd", "Hội Nông dân quận")]
    >>> late = SubmissionFact("tan-thanh", datetime(2023, 10, 16, 9, tzinfo=timezone.utc), True)
    >>> [(s.unit.code, s.status) for s in period_status(units, [late])]
    [('hnd', 'missing'), ('tan-thanh', 'late')]
    """
    by_unit: dict[str, list[SubmissionFact]] = {u.code: [] for u in units}
    for fact in facts:
        if fact.unit in by_unit:
            by_unit[fact.unit].append(fact)

    result = []
    for unit in units:
        mine = by_unit[unit.code]
        first = min((f.received_at for f in mine), default=None)
        if mine:
            status = ON_TIME if any(not f.late for f in mine) else LATE
            result.append(UnitStatus(unit, status, len(mine), first))
        elif unit.code in excused:
            result.append(UnitStatus(unit, EXCUSED, 0, None, excused[unit.code]))
        else:
            result.append(UnitStatus(unit, MISSING, 0, None))
    return sorted(result, key=lambda s: (vietnamese_sort_key(s.unit.name), s.unit.code))
