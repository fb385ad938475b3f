"""render: the packaged templates of every email, the override folder, template errors."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from mailbot.adapters.render import Rendered, render
from mailbot.core.model import Period, Unit
from mailbot.core.notices import (
    FileLine,
    ack_notice,
    office_status_notice,
    reminder_notice,
)
from mailbot.core.periods import Schedule, deadline_end, subject_period
from mailbot.core.status import UnitStatus
from mailbot.errors import MailbotError
from tests.core.samples import ANH_DUNG, DA_PHUC, HCM, HOA_NGHIA, NONG_DAN, TAN_THANH, TTYT, at

OCTOBER = Period(2023, 10)
DEADLINE = deadline_end(OCTOBER, Schedule(), HCM)
OFFICE = "noivuduongkinh@example.com"
FILES = (FileLine("Báo cáo thành tích ông Nguyễn Văn An.docx", 358_400),
         FileLine("Ảnh trao thưởng.jpg", 1_258_291))


def ack(*, unit: Unit = HOA_NGHIA, files: tuple[FileLine, ...] = FILES, late: bool = False,
        subject: str = "Gương người tốt việc tốt tháng 10/2023 - UBND phường Hòa Nghĩa",
        problems: tuple[str, ...] = ()) -> dict[str, object]:
    return ack_notice(unit=unit, period=OCTOBER, late=late,
                      received_at=at(2023, 10, 16 if late else 10, 9, 30), subject=subject,
                      files=files, deadline=DEADLINE, problems=problems)


def reminder(days_left: int = 3) -> dict[str, object]:
    return reminder_notice(unit=NONG_DAN, period=OCTOBER, deadline=DEADLINE,
                           office_address=OFFICE, days_left=days_left)


def office_status(*, everyone_in: bool = False) -> dict[str, object]:
    statuses = [
        UnitStatus(ANH_DUNG, "on_time", 1, at(2023, 10, 5, 14, 15)),
        UnitStatus(TAN_THANH, "on_time", 2, at(2023, 10, 3, 8)),
        UnitStatus(DA_PHUC, "late", 1, at(2023, 10, 16, 9)),
    ]
    if not everyone_in:
        statuses += [UnitStatus(NONG_DAN, "missing", 0, None),
                     UnitStatus(TTYT, "excused", 0, None, "sáp nhập, báo cáo chung")]
    return office_status_notice(
        period=OCTOBER, statuses=statuses, unmatched=0 if everyone_in else 2, quarantined=0,
        bouncing=[] if everyone_in else ["cu@example.gov.vn"], failed_sends=0,
        deadline=DEADLINE, as_of=at(2023, 10, 16, 8))


# (kind, context, subject, sentences in both bodies)
CASES: dict[str, tuple[str, Callable[[], dict[str, object]], str, list[str]]] = {
    "a unit with files": ("ack", ack,
        "Đã nhận: gương người tốt, việc tốt tháng 10/2023 - UBND phường Hòa Nghĩa",
        ["Kính gửi: UBND phường Hòa Nghĩa",
         "Phòng Nội vụ quận Dương Kinh đã nhận được thư của quý đơn vị gửi lúc 09:30 ngày "
         "10/10/2023",
         "Thư được gửi", "đúng hạn", "ngày 15/10/2023",
         "Các tệp đính kèm đã nhận (2 tệp, tổng dung lượng 1,5 MB)",
         "Báo cáo thành tích ông Nguyễn Văn An.docx", "350 KB", "Ảnh trao thưởng.jpg", "1,2 MB",
         "Trân trọng."]),
    "a late submission": ("ack", lambda: ack(late=True),
        "Đã nhận: gương người tốt, việc tốt tháng 10/2023 - UBND phường Hòa Nghĩa",
        ["gửi lúc 09:30 ngày 16/10/2023", "Thư được gửi sau thời hạn (hết ngày 15/10/2023)",
         "gửi muộn", "Đề nghị quý đơn vị lưu ý gửi đúng hạn trong các tháng tiếp theo."]),
    "no attachments": ("ack", lambda: ack(files=(), problems=("Ảnh chụp quá mờ.",)),
        "Đã nhận: gương người tốt, việc tốt tháng 10/2023 - UBND phường Hòa Nghĩa",
        ["Lưu ý:", "Thư không có tệp đính kèm. Đề nghị quý đơn vị gửi bổ sung danh sách, báo "
         "cáo thành tích và hình ảnh, tư liệu bằng cách trả lời thư này.", "Ảnh chụp quá mờ."]),
    "a file with a problem": ("ack",
        lambda: ack(files=(FileLine("Danh sách.xlsx", 0, "tệp rỗng"),)),
        "Đã nhận: gương người tốt, việc tốt tháng 10/2023 - UBND phường Hòa Nghĩa",
        ["Danh sách.xlsx", "0 byte", "tệp rỗng", "Đề nghị quý đơn vị kiểm tra và gửi lại"]),
    "a reminder": ("reminder", reminder,
        "Nhắc nhở: gửi gương người tốt, việc tốt tháng 10/2023 chậm nhất ngày 15/10/2023",
        ["Kính gửi: Hội Nông dân quận",
         "chưa nhận được gương người tốt, việc tốt tháng 10/2023 của quý đơn vị",
         "(còn 3 ngày)", "Đề nghị quý đơn vị gửi về địa chỉ thư điện tử",
         OFFICE, "chậm nhất trong ngày 15/10/2023",
         "Danh sách ít nhất 01 gương người tốt, việc tốt, điển hình tiên tiến của đơn vị;",
         "Báo cáo thành tích của từng gương điển hình;",
         "Hình ảnh, tư liệu về gương điển hình", "Trân trọng."]),
    "an overdue reminder": ("reminder", lambda: reminder(-1),
        "Nhắc nhở: chưa nhận được gương người tốt, việc tốt tháng 10/2023 "
        "(hạn gửi ngày 15/10/2023)",
        ["(đã quá hạn 1 ngày)", "trong thời gian sớm nhất"]),
    "an office status with an excused unit": ("office_status", office_status,
        "Tình hình gửi gương người tốt, việc tốt tháng 10/2023: 3/5 đơn vị đã gửi",
        ["Kính gửi: Phòng Nội vụ quận Dương Kinh", "tính đến 08:00 ngày 16/10/2023",
         "Đơn vị chưa gửi (1)", "Hội Nông dân quận",
         "Đơn vị gửi muộn (1)", "UBND phường Đa Phúc", "09:00 ngày 16/10/2023",
         "Đơn vị gửi đúng hạn (2)", "UBND phường Anh Dũng", "UBND phường Tân Thành",
         "Đơn vị được miễn (1)", "Trung tâm Y tế quận", "sáp nhập, báo cáo chung",
         "Việc cần Phòng xử lý", "2 thư chưa xác định được đơn vị gửi, cần gán đơn vị.",
         "cu@example.gov.vn"]),
    "an office status with no unit missing": ("office_status",
        lambda: office_status(everyone_in=True),
        "Tình hình gửi gương người tốt, việc tốt tháng 10/2023: 3/3 đơn vị đã gửi",
        ["Tất cả các đơn vị phải gửi đều đã gửi gương người tốt, việc tốt tháng 10/2023.",
         "Không có việc tồn đọng."]),
}


@pytest.mark.parametrize("case", list(CASES))
def test_every_template_renders_the_expected_vietnamese(case: str) -> None:
    kind, context, subject, sentences = CASES[case]

    out = render(kind, context())

    assert out.subject == subject
    for sentence in sentences:
        assert sentence in out.text, sentence
        assert sentence in out.html, sentence


@pytest.mark.parametrize("case", list(CASES))
def test_a_reply_to_any_email_is_filed_under_the_month_it_names(case: str) -> None:
    kind, context, _, _ = CASES[case]

    assert subject_period("Re: " + render(kind, context()).subject) == OCTOBER


@pytest.mark.parametrize("case", list(CASES))
def test_the_html_is_a_whole_page_that_loads_nothing(case: str) -> None:
    kind, context, _, _ = CASES[case]

    html = render(kind, context()).html.lower()

    assert html.startswith("<!doctype html>") and html.rstrip().endswith("</html>")
    assert '<html lang="vi">' in html and '<meta charset="utf-8">' in html
    for external in ("http:", "https:", "src=", "<link", "<script", "url(", "@import"):
        assert external not in html


def test_the_text_body_has_plain_line_ends_and_ends_with_one() -> None:
    out = render("ack", ack())

    assert "\r" not in out.text
    assert out.text.endswith("Phòng Nội vụ quận Dương Kinh.)\n")
    assert "\n\n\n" not in out.text


def test_hostile_text_is_escaped_in_html_and_intact_in_text() -> None:
    hostile = 'Báo cáo <script>alert(1)</script> & "x"'
    files = (FileLine("<img src=x onerror=alert(1)>.jpg", 10),)

    out = render("ack", ack(subject=hostile, files=files))

    assert hostile in out.text and "<img src=x onerror=alert(1)>.jpg" in out.text
    assert "<script>" not in out.html and "<img" not in out.html
    assert "Báo cáo &lt;script&gt;alert(1)&lt;/script&gt; &amp; &#34;x&#34;" in out.html
    assert "&lt;img src=x onerror=alert(1)&gt;.jpg" in out.html


def test_the_subject_stays_on_one_line_whatever_the_unit_is_called() -> None:
    unit = Unit("hoa-nghia", "UBND phường Hòa Nghĩa\r\nBcc: x@evil.com\x00\u2028")

    out = render("ack", ack(unit=unit))

    assert out.subject == ("Đã nhận: gương người tốt, việc tốt tháng 10/2023 - "
                           "UBND phường Hòa Nghĩa Bcc: x@evil.com")


def test_a_missing_variable_names_the_template() -> None:
    context = ack()
    del context["problems"]

    with pytest.raises(MailbotError, match=r"template ack-body\.txt: 'problems' is undefined"):
        render("ack", context)


def test_a_missing_subject_variable_names_the_subject_template() -> None:
    context = reminder()
    del context["period_text"]

    with pytest.raises(MailbotError, match=r"reminder-subject\.txt.*'period_text'"):
        render("reminder", context)


def test_an_override_folder_replaces_one_template(tmp_path: Path) -> None:
    (tmp_path / "ack-subject.txt").write_text(
        "Xác nhận {{ unit_name }} - {{ deadline_day|vn_long_date }}\n", encoding="utf-8")

    out = render("ack", ack(), override_dir=tmp_path)

    assert out.subject == "Xác nhận UBND phường Hòa Nghĩa - ngày 15 tháng 10 năm 2023"
    assert out.text == render("ack", ack()).text
    assert "Kính gửi: UBND phường Hòa Nghĩa" in out.html


def test_an_override_may_replace_the_shared_html_layout(tmp_path: Path) -> None:
    (tmp_path / "_base.html").write_text(
        "<html>{% block content %}{% endblock %}<p>{{ office_name }} - bản riêng</p></html>",
        encoding="utf-8")

    html = render("reminder", reminder(), override_dir=tmp_path).html

    assert "Phòng Nội vụ quận Dương Kinh - bản riêng" in html
    assert "Kính gửi: Hội Nông dân quận" in html


def test_a_syntax_error_in_an_override_names_the_template_and_line(tmp_path: Path) -> None:
    (tmp_path / "reminder-body.txt").write_text("Kính gửi\n{% if overdue %}\nmuộn\n",
                                                encoding="utf-8")

    with pytest.raises(MailbotError, match=r"template reminder-body\.txt: syntax error.*line"):
        render("reminder", reminder(), override_dir=tmp_path)


def test_a_failing_filter_names_the_template(tmp_path: Path) -> None:
    (tmp_path / "ack-body.txt").write_text("{{ unit_name|vn_size }}", encoding="utf-8")

    with pytest.raises(MailbotError, match=r"template ack-body\.txt: TypeError"):
        render("ack", ack(), override_dir=tmp_path)


def test_an_empty_subject_is_refused(tmp_path: Path) -> None:
    (tmp_path / "ack-subject.txt").write_text("{{ '\\n' }}  \n", encoding="utf-8")

    with pytest.raises(MailbotError, match="subject came out empty"):
        render("ack", ack(), override_dir=tmp_path)


@pytest.mark.parametrize("kind", ["digest", "../ack", "ACK", ""])
def test_an_unknown_kind_is_an_error(kind: str) -> None:
    with pytest.raises(MailbotError):
        render(kind, {})


def test_a_missing_override_folder_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(MailbotError, match="does not exist"):
        render("ack", ack(), override_dir=tmp_path / "nowhere")


def test_rendered_is_a_plain_value() -> None:
    out = render("reminder", reminder())

    assert out == Rendered(out.subject, out.text, out.html)
