"""The data of the acknowledgement, the reminder and the office's status mail."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import pytest

from mailbot.core.model import Period
from mailbot.core.notices import (
    FILE_PROBLEM,
    NO_ATTACHMENT,
    WHAT_TO_SEND,
    FileLine,
    UnitLine,
    ack_notice,
    office_status_notice,
    reminder_notice,
)
from mailbot.core.periods import Schedule, deadline_end
from mailbot.core.status import UnitStatus
from tests.core.samples import (
    ANH_DUNG,
    DA_PHUC,
    HCM,
    HOA_NGHIA,
    NONG_DAN,
    TAN_THANH,
    TTYT,
    at,
)

OCTOBER = Period(2023, 10)
DEADLINE = deadline_end(OCTOBER, Schedule(), HCM)
REPORT = FileLine("Báo cáo thành tích ông Nguyễn Văn An.docx", 358_400)
PHOTO = FileLine("Ảnh trao thưởng.jpg", 1_258_291)


def ack(*, files: Sequence[FileLine] = (REPORT, PHOTO), problems: Sequence[str] = (),
        subject: str = "Gương người tốt việc tốt tháng 10/2023 - UBND phường Hòa Nghĩa",
        late: bool = False, received_at: datetime | None = None) -> dict[str, object]:
    return ack_notice(
        unit=HOA_NGHIA, period=OCTOBER, late=late,
        received_at=received_at or at(2023, 10, 10, 9, 30), subject=subject, files=files,
        deadline=DEADLINE, problems=problems,
    )


def test_an_acknowledgement_names_the_unit_the_month_and_the_deadline() -> None:
    ctx = ack()

    assert ctx["unit_name"] == "UBND phường Hòa Nghĩa"
    assert ctx["unit_code"] == "hoa-nghia"
    assert ctx["period_text"] == "tháng 10/2023"
    assert ctx["deadline_text"] == "ngày 15/10/2023"
    assert ctx["received_text"] == "09:30 ngày 10/10/2023"
    assert ctx["late"] is False


def test_an_acknowledgement_lists_the_files_and_their_total_size() -> None:
    ctx = ack()

    assert ctx["files"] == [REPORT, PHOTO]
    assert ctx["file_count"] == 2
    assert ctx["total_size"] == 358_400 + 1_258_291
    assert ctx["total_size_text"] == "1,5 MB"
    assert ctx["problems"] == []


def test_a_mail_without_attachments_is_told_so() -> None:
    ctx = ack(files=[])

    assert ctx["problems"] == [NO_ATTACHMENT]
    assert "Thư không có tệp đính kèm" in NO_ATTACHMENT
    assert ctx["total_size_text"] == "0 byte"


def test_a_file_with_a_problem_adds_a_request_to_send_it_again() -> None:
    ctx = ack(files=[REPORT, FileLine("Danh sách.xlsx", 0, "tệp rỗng")],
              problems=["Tệp winmail.dat không đọc được."])

    assert ctx["problems"] == [FILE_PROBLEM, "Tệp winmail.dat không đọc được."]


def test_the_callers_problems_are_kept_once_each_on_one_line() -> None:
    ctx = ack(problems=["Ảnh quá lớn,\n  đề nghị gửi lại.", "Ảnh quá lớn, đề nghị gửi lại.", "  "])

    assert ctx["problems"] == ["Ảnh quá lớn, đề nghị gửi lại."]


def test_the_time_of_receipt_is_shown_in_the_offices_time_zone() -> None:
    ctx = ack(received_at=datetime(2023, 10, 15, 17, 30, tzinfo=UTC))

    assert ctx["received_text"] == "00:30 ngày 16/10/2023"


def test_the_units_subject_is_shown_on_one_line_and_clipped() -> None:
    assert ack(subject="Gương người tốt\r\n\tviệc tốt")["subject"] == "Gương người tốt việc tốt"
    assert ack(subject="")["subject"] == ""
    long = ack(subject="gương " * 100)["subject"]
    assert isinstance(long, str) and len(long) == 200 and long.endswith("…")


def test_a_late_submission_is_marked_late() -> None:
    assert ack(late=True, received_at=at(2023, 10, 16, 8))["late"] is True


@pytest.mark.parametrize(
    ("days_left", "text", "overdue"),
    [
        (5, "còn 5 ngày", False),
        (1, "còn 1 ngày", False),
        (0, "hôm nay là ngày cuối cùng", False),
        (-2, "đã quá hạn 2 ngày", True),
    ],
)
def test_a_reminder_says_how_many_days_are_left(days_left: int, text: str, overdue: bool) -> None:
    ctx = reminder_notice(unit=NONG_DAN, period=OCTOBER, deadline=DEADLINE,
                          office_address="noivuduongkinh@example.com", days_left=days_left)

    assert ctx["days_left_text"] == text
    assert ctx["overdue"] is overdue


def test_a_reminder_says_what_to_send_by_when_and_where() -> None:
    ctx = reminder_notice(unit=NONG_DAN, period=OCTOBER, deadline=DEADLINE,
                          office_address="noivuduongkinh@example.com", days_left=3)

    assert ctx["unit_name"] == "Hội Nông dân quận"
    assert ctx["deadline_text"] == "ngày 15/10/2023"
    assert ctx["office_address"] == "noivuduongkinh@example.com"
    assert ctx["what_to_send"] == list(WHAT_TO_SEND)
    assert any("ít nhất 01 gương người tốt, việc tốt" in item for item in WHAT_TO_SEND)
    assert any("Báo cáo thành tích" in item for item in WHAT_TO_SEND)
    assert any("Hình ảnh, tư liệu" in item for item in WHAT_TO_SEND)


def _statuses() -> list[UnitStatus]:
    return [
        UnitStatus(TAN_THANH, "on_time", 2, datetime(2023, 10, 3, 1, 0, tzinfo=UTC)),
        UnitStatus(DA_PHUC, "late", 1, at(2023, 10, 16, 9)),
        UnitStatus(NONG_DAN, "missing", 0, None),
        UnitStatus(TTYT, "excused", 0, None, "sáp nhập, báo cáo chung với Sở Y tế"),
        UnitStatus(ANH_DUNG, "on_time", 1, at(2023, 10, 5, 14, 15)),
        UnitStatus(HOA_NGHIA, "missing", 0, None),
    ]


def status(statuses: Sequence[UnitStatus] | None = None, *, unmatched: int = 0,
           quarantined: int = 0, bouncing: Sequence[str] = (), failed_sends: int = 0,
           as_of: datetime | None = None) -> dict[str, object]:
    return office_status_notice(
        period=OCTOBER, statuses=_statuses() if statuses is None else statuses,
        unmatched=unmatched, quarantined=quarantined, bouncing=bouncing,
        failed_sends=failed_sends, deadline=DEADLINE, as_of=as_of)


def test_the_office_status_counts_units_by_standing() -> None:
    ctx = status()

    assert (ctx["total"], ctx["sent_count"], ctx["on_time_count"], ctx["late_count"],
            ctx["missing_count"], ctx["excused_count"]) == (6, 3, 2, 1, 2, 1)


def test_the_office_status_lists_units_in_vietnamese_order_with_local_times() -> None:
    ctx = status()

    assert ctx["on_time"] == [
        UnitLine("UBND phường Anh Dũng", "anh-dung", 1, "14:15 ngày 05/10/2023"),
        UnitLine("UBND phường Tân Thành", "tan-thanh", 2, "08:00 ngày 03/10/2023"),
    ]
    assert ctx["late"] == [UnitLine("UBND phường Đa Phúc", "da-phuc", 1, "09:00 ngày 16/10/2023")]
    assert ctx["missing"] == [UnitLine("Hội Nông dân quận", "nong-dan"),
                              UnitLine("UBND phường Hòa Nghĩa", "hoa-nghia")]
    assert ctx["excused"] == [UnitLine("Trung tâm Y tế quận", "ttyt", 0, None,
                                       "sáp nhập, báo cáo chung với Sở Y tế")]


def test_the_office_status_says_what_waits_for_the_office() -> None:
    ctx = status(unmatched=3, quarantined=1, bouncing=["cu@example.gov.vn"], failed_sends=2)

    assert ctx["to_do"] == [
        "3 thư chưa xác định được đơn vị gửi, cần gán đơn vị.",
        "1 thư không xử lý được và đang được cách ly, cần kiểm tra.",
        "Thư gửi tới 1 địa chỉ bị trả lại, đề nghị kiểm tra lại địa chỉ thư điện tử của "
        "đơn vị: cu@example.gov.vn.",
        "2 thư gửi đi từ hộp thư của Phòng chưa gửi được.",
    ]


def test_nothing_waits_when_all_is_handled() -> None:
    assert status()["to_do"] == []


def test_the_office_status_with_every_unit_in() -> None:
    ctx = status([UnitStatus(HOA_NGHIA, "on_time", 1, at(2023, 10, 9))])

    assert (ctx["missing"], ctx["missing_count"], ctx["sent_count"]) == ([], 0, 1)


def test_the_office_status_may_say_when_it_was_compiled() -> None:
    assert status()["as_of_text"] is None
    assert status(as_of=at(2023, 10, 16, 8))["as_of_text"] == "08:00 ngày 16/10/2023"


def test_an_unknown_standing_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown status 'lost'"):
        status([UnitStatus(HOA_NGHIA, "lost", 0, None)])


def test_the_office_status_asks_the_office_to_check_unverified_mail() -> None:
    ctx = office_status_notice(period=OCTOBER, statuses=_statuses(), unmatched=0,
                               quarantined=0, bouncing=(), failed_sends=0, deadline=DEADLINE,
                               unverified=2)

    assert ctx["unverified"] == 2
    assert ctx["to_do"] == ["2 thư mang địa chỉ của đơn vị nhưng không xác thực được người gửi "
                            "(có thể bị giả mạo), chưa được tính, cần kiểm tra."]
