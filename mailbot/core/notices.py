"""The data of every email mailbot writes, as template contexts, and Vietnamese formats.

Builders return plain dicts for mailbot/templates (rendered by adapters.render); the
sentences they carry are in polite, official Vietnamese because a unit's clerk or an
office worker reads them. Times are shown in the time zone of ``deadline``, which the
caller builds in the office's zone (``periods.deadline_end``), so the core needs none.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from mailbot.core.model import Period, Unit
from mailbot.core.status import EXCUSED, LATE, MISSING, ON_TIME, UnitStatus
from mailbot.core.text import nfc, vietnamese_sort_key

OFFICE_NAME = "Phòng Nội vụ quận Dương Kinh"
NO_ATTACHMENT = (
    "Thư không có tệp đính kèm. Đề nghị quý đơn vị gửi bổ sung danh sách, báo cáo thành "
    "tích và hình ảnh, tư liệu bằng cách trả lời thư này."
)
FILE_PROBLEM = (
    "Một số tệp đính kèm không sử dụng được (xem ghi chú trong danh sách tệp). Đề nghị "
    "quý đơn vị kiểm tra và gửi lại các tệp này."
)
WHAT_TO_SEND = (
    "Danh sách ít nhất 01 gương người tốt, việc tốt, điển hình tiên tiến của đơn vị;",
    "Báo cáo thành tích của từng gương điển hình;",
    "Hình ảnh, tư liệu về gương điển hình và các hoạt động thi đua, khen thưởng.",
)
_MAX_SUBJECT = 200
_UNITS = 1024
_SIZE_UNITS: tuple[str, ...] = ("KB", "MB", "GB", "TB")


@dataclass(frozen=True)
class FileLine:
    """One attached file in an acknowledgement; ``problem`` in Vietnamese, e.g. "tệp rỗng"."""

    name: str
    size: int
    problem: str | None = None


@dataclass(frozen=True)
class UnitLine:
    """One unit in the office status; ``first_received`` is formatted, ``reason`` the excuse."""

    name: str
    code: str
    submissions: int = 0
    first_received: str | None = None
    reason: str | None = None


def vn_date(d: date) -> str:
    """A date as dd/mm/yyyy.

    >>> vn_date(date(2023, 10, 15)), vn_date(datetime(2024, 1, 5, 9, 30))
    ('15/10/2023', '05/01/2024')
    """
    return f"{d.day:02d}/{d.month:02d}/{d.year:04d}"


def vn_long_date(d: date) -> str:
    """A date as documents write it: a leading zero for days below 10 and months 1 and 2.

    >>> [vn_long_date(date(*ymd)) for ymd in ((2023, 10, 17), (2024, 2, 5), (2024, 3, 9))]
    ['ngày 17 tháng 10 năm 2023', 'ngày 05 tháng 02 năm 2024', 'ngày 09 tháng 3 năm 2024']
    """
    month = f"{d.month:02d}" if d.month < 3 else str(d.month)
    return f"ngày {d.day:02d} tháng {month} năm {d.year:04d}"


def vn_datetime(d: datetime) -> str:
    """A moment as "09:30 ngày 10/10/2023", in ``d``'s own time zone."""
    return f"{d.hour:02d}:{d.minute:02d} ngày {vn_date(d)}"


def vn_size(n: int) -> str:
    """A file size as Windows Explorer counts it (1 KB = 1024 bytes), with a decimal comma.

    One decimal below 10, none above; never four digits before the unit.

    >>> [vn_size(n) for n in (0, 12, 999, 1000, 358_400, 1_258_291, 15_000_000)]
    ['0 byte', '12 byte', '999 byte', '1 KB', '350 KB', '1,2 MB', '14 MB']
    """
    if n < 0:
        raise ValueError(f"a size cannot be negative, got {n}")
    if n < 1000:
        return f"{n} byte"
    value, units = n / _UNITS, _SIZE_UNITS
    while round(value) >= 1000 and len(units) > 1:
        value, units = value / _UNITS, units[1:]
    text = f"{value:.1f}" if value < 9.95 else f"{value:.0f}"
    return f"{text.removesuffix('.0').replace('.', ',')} {units[0]}"


def vn_period(p: Period) -> str:
    """A reporting month as subjects name it (``periods.subject_period`` reads it back).

    >>> vn_period(Period(2023, 10)), vn_period(Period(2024, 1))
    ('tháng 10/2023', 'tháng 1/2024')
    """
    return f"tháng {p.month}/{p.year}"


def last_day(deadline: datetime) -> date:
    """The last day to send, given the deadline instant.

    A deadline at 00:00 is the exclusive end that ``periods.deadline_end`` returns
    (00:00 on the 16th), so the last day is the one before; any other time is on it.

    >>> last_day(datetime(2023, 10, 16, 0, 0)), last_day(datetime(2023, 10, 15, 23, 59))
    (datetime.date(2023, 10, 15), datetime.date(2023, 10, 15))
    """
    if deadline.time() == time(0, 0):
        return (deadline - timedelta(days=1)).date()
    return deadline.date()


def _local(moment: datetime, deadline: datetime) -> datetime:
    aware = moment.tzinfo is not None and deadline.tzinfo is not None
    return moment.astimezone(deadline.tzinfo) if aware else moment


def _sentence(text: str) -> str:
    return nfc(" ".join(text.split()))


def _common(period: Period, deadline: datetime, office_name: str) -> dict[str, object]:
    day = last_day(deadline)
    return {
        "office_name": office_name,
        "period": period, "period_text": vn_period(period),
        "deadline_day": day, "deadline_text": f"ngày {vn_date(day)}",
    }


def ack_notice(
    *, unit: Unit, period: Period, late: bool, received_at: datetime, subject: str,
    files: Sequence[FileLine], deadline: datetime, problems: Sequence[str],
    office_name: str = OFFICE_NAME,
) -> dict[str, object]:
    """The context of an acknowledgement of one submission.

    ``problems`` (Vietnamese sentences) gain NO_ATTACHMENT when there are no files, or
    FILE_PROBLEM when a file has a problem; blanks and repeats are dropped. The
    unit's subject is shown on one line ("" if none), clipped to 200 characters; ``received_at`` is
    shown in the deadline's time zone ("09:30 ngày 10/10/2023").
    """
    extra = [NO_ATTACHMENT] if not files else [FILE_PROBLEM] if any(
        f.problem for f in files) else []
    shown = _sentence(subject)
    if len(shown) > _MAX_SUBJECT:
        shown = shown[: _MAX_SUBJECT - 1] + "…"
    received = _local(received_at, deadline)
    total = sum(f.size for f in files)
    return {
        **_common(period, deadline, office_name),
        "unit_name": unit.name, "unit_code": unit.code,
        "late": late,
        "received_at": received, "received_text": vn_datetime(received),
        "subject": shown,
        "files": list(files), "file_count": len(files),
        "total_size": total, "total_size_text": vn_size(total),
        "problems": list(dict.fromkeys(s for p in (*extra, *problems) if (s := _sentence(p)))),
    }


def _days_left_text(n: int) -> str:
    return (f"còn {n} ngày" if n > 0 else "hôm nay là ngày cuối cùng" if n == 0
            else f"đã quá hạn {-n} ngày")


def reminder_notice(
    *, unit: Unit, period: Period, deadline: datetime, office_address: str, days_left: int,
    office_name: str = OFFICE_NAME,
) -> dict[str, object]:
    """The context of a reminder to a unit that has sent nothing for ``period``.

    ``days_left`` counts whole days to the last day (0 on the day itself, negative
    once it has passed: then ``overdue`` is True and the wording changes).

    >>> ctx = reminder_notice(unit=Unit("hnd", "Hội Nông dân quận"), period=Period(2023, 10),
    ...     deadline=datetime(2023, 10, 16), office_address="nv@example.com", days_left=3)
    >>> ctx["deadline_text"], ctx["days_left_text"], ctx["overdue"]
    ('ngày 15/10/2023', 'còn 3 ngày', False)
    """
    return {
        **_common(period, deadline, office_name),
        "unit_name": unit.name, "unit_code": unit.code,
        "office_address": office_address,
        "days_left": days_left, "days_left_text": _days_left_text(days_left),
        "overdue": days_left < 0,
        "what_to_send": list(WHAT_TO_SEND),
    }


def _to_do(unmatched: int, quarantined: int, bouncing: Sequence[str],
           failed_sends: int, unverified: int = 0) -> list[str]:
    items = [
        (unmatched, f"{unmatched} thư chưa xác định được đơn vị gửi, cần gán đơn vị."),
        (unverified, f"{unverified} thư mang địa chỉ của đơn vị nhưng không xác thực được "
                     "người gửi (có thể bị giả mạo), chưa được tính, cần kiểm tra."),
        (quarantined, f"{quarantined} thư không xử lý được và đang được cách ly, cần kiểm tra."),
        (len(bouncing), f"Thư gửi tới {len(bouncing)} địa chỉ bị trả lại, đề nghị kiểm tra lại "
                        f"địa chỉ thư điện tử của đơn vị: {', '.join(bouncing)}."),
        (failed_sends, f"{failed_sends} thư gửi đi từ hộp thư của Phòng chưa gửi được."),
    ]
    return [sentence for count, sentence in items if count]


def office_status_notice(
    *, period: Period, statuses: Sequence[UnitStatus], unmatched: int, quarantined: int,
    bouncing: Sequence[str], failed_sends: int, deadline: datetime,
    as_of: datetime | None = None, office_name: str = OFFICE_NAME, unverified: int = 0,
) -> dict[str, object]:
    """The context of the office's own status mail for ``period``.

    Units are grouped by status (on_time, late, missing, excused), each group in
    Vietnamese alphabetical order; ``to_do`` lists, as Vietnamese sentences, what
    waits for an office worker (unassigned, unverified and quarantined mail, bouncing
    addresses, failed sends). An unknown status raises ValueError.
    """
    groups: dict[str, list[UnitLine]] = {ON_TIME: [], LATE: [], MISSING: [], EXCUSED: []}
    for s in sorted(statuses, key=lambda s: (vietnamese_sort_key(s.unit.name), s.unit.code)):
        if s.status not in groups:
            raise ValueError(f"unknown status {s.status!r} for unit {s.unit.code}")
        first = s.first_received_at
        groups[s.status].append(UnitLine(
            s.unit.name, s.unit.code, s.submissions,
            vn_datetime(_local(first, deadline)) if first else None, s.excused_reason))
    return {
        **_common(period, deadline, office_name),
        "as_of_text": vn_datetime(_local(as_of, deadline)) if as_of else None,
        "total": len(statuses), "sent_count": len(groups[ON_TIME]) + len(groups[LATE]),
        **{f"{status}_count": len(lines) for status, lines in groups.items()},
        **groups,
        "unmatched": unmatched, "quarantined": quarantined,
        "bouncing": list(bouncing), "failed_sends": failed_sends,
        "unverified": unverified,
        "to_do": _to_do(unmatched, quarantined, bouncing, failed_sends, unverified),
    }
