"""Which month a mail counts for, and the deadline and digest instants of a month."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

from mailbot.core.model import Period
from mailbot.core.text import nfc

# "tháng 10/2023", "thang 10-2023", "T10/2023", "T.10/2023", "tháng 10 năm 2023".
# Matched on the NFC, case-folded subject so that "thắng" (to win) is not "tháng".
_MONTH_RE = re.compile(
    r"(?<![^\W_])(?:th[aá]ng|t)\s*\.?\s*(\d{1,2})"
    r"(?:\s*[/.\-–]\s*|\s+n[aă]m\s+)(\d{4})(?!\d)"
)


@dataclass(frozen=True)
class Schedule:
    """The monthly calendar: submissions are due by the end of ``deadline_day``; the
    digest goes upstream on ``digest_day`` at ``digest_time`` (local time)."""

    deadline_day: int = 15
    digest_day: int = 17
    digest_time: time = time(8, 0)

    def __post_init__(self) -> None:
        if not 1 <= self.deadline_day < self.digest_day <= 28:
            raise ValueError(
                "need 1 <= deadline_day < digest_day <= 28 (every month has those days), "
                f"got deadline_day={self.deadline_day}, digest_day={self.digest_day}"
            )


def deadline_end(period: Period, schedule: Schedule, tz: tzinfo) -> datetime:
    """The first instant after the deadline day: 00:00 on the day after, in ``tz``.

    A mail at 23:59:59 on the 15th is on time; one at 00:00:00 on the 16th is late.
    """
    day_after = date(period.year, period.month, schedule.deadline_day) + timedelta(days=1)
    return datetime.combine(day_after, time(0, 0), tzinfo=tz)


def scheduled_cutoff(period: Period, schedule: Schedule, tz: tzinfo) -> datetime:
    """When the period's digest is compiled if nobody moves it: digest_day at digest_time."""
    day = date(period.year, period.month, schedule.digest_day)
    return datetime.combine(day, schedule.digest_time.replace(tzinfo=None), tzinfo=tz)


def subject_period(subject: str) -> Period | None:
    """The month a subject names explicitly, or None.

    Accepts "tháng 10/2023", "Tháng 10-2023", "thang 10/2023", "T10/2023", "T.10/2023",
    "tháng 10 năm 2023". A bare "10/2023" is not enough (it may be a document number).
    None when no month is named, a month is invalid, or two different months are named.

    >>> subject_period("Gương người tốt việc tốt T.10/2023 - UBND phường Hòa Nghĩa")
    Period(year=2023, month=10)
    >>> subject_period("Bổ sung tháng 9/2023 và tháng 10/2023") is None
    True
    """
    found: set[tuple[int, int]] = {
        (int(m.group(2)), int(m.group(1)))
        for m in _MONTH_RE.finditer(nfc(subject).casefold())
    }
    if len(found) != 1:
        return None
    year, month = found.pop()
    if not 1 <= month <= 12 or year < 1:
        return None
    return Period(year, month)


def _compiled(period: Period, schedule: Schedule, tz: tzinfo,
              compiled_at: Mapping[Period, datetime]) -> datetime:
    return compiled_at.get(period) or scheduled_cutoff(period, schedule, tz)


def assign_period(
    arrived: datetime,
    *,
    subject: str,
    schedule: Schedule,
    tz: tzinfo,
    compiled_at: Mapping[Period, datetime],
) -> tuple[Period, bool]:
    """The month a mail counts for, and whether it is late for that month.

    A mail counts for month M when it arrives at or after M-1's digest was compiled
    and before M's digest is compiled; it is late when it arrives after M's deadline
    day. A digest's compile instant is ``compiled_at[period]`` when known, else
    ``scheduled_cutoff``. With the default schedule, in October 2023:

    - 10-15 23:59 -> (2023-10, on time); 10-16 00:00 -> (2023-10, late)
    - 10-17 07:59 -> (2023-10, late); 10-17 08:00 -> (2023-11, on time)

    A month named in the subject wins when it is M or M-1 (then late is judged
    against that month's deadline). When M-1's digest is held past the end of
    M-1, a subject naming the calendar month of arrival also wins: a unit that
    writes "tháng 10/2023" on 3 October means October, held digest or not. Any
    other named month is ignored.

    >>> from zoneinfo import ZoneInfo
    >>> hcm = ZoneInfo("Asia/Ho_Chi_Minh")
    >>> assign_period(datetime(2023, 10, 10, 9, tzinfo=hcm), subject="Bổ sung tháng 9/2023",
    ...               schedule=Schedule(), tz=hcm, compiled_at={})
    (Period(year=2023, month=9), True)
    """
    if arrived.tzinfo is None or arrived.utcoffset() is None:
        raise ValueError(f"arrived must be timezone-aware, got {arrived.isoformat()}")
    local = arrived.astimezone(tz)
    calendar = Period(local.year, local.month)
    period = calendar
    while arrived >= _compiled(period, schedule, tz, compiled_at):
        period = period.next()
    while arrived < _compiled(period.previous(), schedule, tz, compiled_at):
        period = period.previous()

    named = subject_period(subject)
    if named is not None and (
        named in (period, period.previous()) or period < named <= calendar
    ):
        period = named
    return period, arrived >= deadline_end(period, schedule, tz)
