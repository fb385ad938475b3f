"""render("digest", ...): the package for the Board as the Board and the office read it."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from mailbot.adapters.render import Rendered, render
from mailbot.core.digest_model import Digest, PackedFile
from mailbot.core.periods import subject_period
from tests.core.test_digest_notice import (
    EXCUSED,
    HOA_NGHIA,
    MB,
    MISSING,
    OCTOBER,
    SUMMARY,
    TU_PHAP,
    file,
    month,
    notice,
    parts,
    section,
    submission,
)

SUBJECT = "Quận Dương Kinh: gương người tốt, việc tốt tháng 10/2023 (34/40 đơn vị)"
OPENING = "Kính gửi: Ban Thi đua - Khen thưởng Sở Nội vụ thành phố."
INTRO = ("Ủy ban nhân dân quận Dương Kinh (qua Phòng Nội vụ) xin gửi tổng hợp gương người "
         "tốt, việc tốt tháng 10/2023 của các cơ quan, đơn vị trên địa bàn quận Dương Kinh. "
         "Đã có 34/40 đơn vị gửi, trong đó 31 đơn vị gửi đúng hạn, 3 đơn vị gửi muộn; 4 đơn vị "
         "chưa gửi; 2 đơn vị được miễn.")
CLOSING = ("Trân trọng.", "Phòng Nội vụ quận Dương Kinh")
HOSTILE = "Ông A <script>alert(1)</script> & \"B\"\nbà C"


def normal() -> Rendered:
    return render("digest", notice(month(summaries={HOA_NGHIA: SUMMARY})))


def preview() -> Rendered:
    return render("digest", notice(preview=True))


def second_of_three() -> Rendered:
    digest = month()
    return render("digest", notice(digest, parts(digest, 3)[1]))


def first_of_three() -> Rendered:
    digest = month()
    return render("digest", notice(digest, parts(digest, 3)[0]))


def video() -> tuple[Digest, PackedFile]:
    clip = file("Video lễ tuyên dương.mp4", 48 * MB)
    digest = month(extra={HOA_NGHIA: [submission(HOA_NGHIA, day=12, files=(clip,))]})
    folder = section(digest, HOA_NGHIA)
    return digest, PackedFile(f"{folder.folder}/{clip.name}", clip, folder.unit.code)


def oversized() -> Rendered:
    digest, big = video()
    attached = parts(digest)[0]
    attached = attached.__class__(1, 1, tuple(p for p in attached.files if p != big))
    return render("digest", notice(digest, attached, oversized=[big]))


def empty() -> Rendered:
    return render("digest", notice(month(nobody=True)))


def hostile() -> Rendered:
    odd = submission(HOA_NGHIA, day=12, summary=HOSTILE, subject="<b>Gương</b> tháng 10/2023",
                     files=(file("<img src=x onerror=alert(1)>.jpg", 10),))
    return render("digest", notice(month(extra={HOA_NGHIA: [odd]})))


CASES: dict[str, tuple[Callable[[], Rendered], str, list[str]]] = {
    "a normal month": (normal, SUBJECT, [
        "Dương Kinh, ngày 17 tháng 10 năm 2023", OPENING, INTRO,
        "Gói còn gồm 1 thư gửi bổ sung cho các tháng trước.",
        "Kèm theo thư này: bản tổng hợp (Tong-hop-thang-10-2023.docx, "
        "Danh-sach-thang-10-2023.xlsx) và 69 tệp (53 MB) của các đơn vị.",
        "Đúng hạn", "Muộn", "Chưa gửi", "Được miễn", "Bổ sung tháng 9/2023",
        "34. UBND phường Hòa Nghĩa", "(thư mục tệp: 34-UBND phường Hòa Nghĩa)",
        "Thư gửi lúc 09:30 ngày 12/10/2023",
        "tại hồ điều hòa.", "Đề nghị biểu dương.",
        "Báo cáo thành tích - UBND phường Hòa Nghĩa.docx (350 KB)",
        "Ảnh trao thưởng.jpg (1,2 MB)", "Bổ sung tháng 9.pdf (88 KB)",
        "Đơn vị chưa gửi gương người tốt, việc tốt tháng 10/2023 (4):",
        "Hội Khuyến học quận; Hội Nông dân quận; Phòng Kinh tế; Thanh tra quận.",
        "Đơn vị được miễn (2):", "Công an quận; Trung tâm Y tế quận.", *CLOSING]),
    "a preview": (preview, f"[BẢN XEM TRƯỚC] {SUBJECT}", [
        "BẢN XEM TRƯỚC — thư này chưa được gửi tới Ban Thi đua - Khen thưởng Sở Nội vụ thành "
        "phố. Gói sẽ được gửi tới Ban lúc 08:00 ngày 17/10/2023 nếu không bị tạm dừng.",
        OPENING, INTRO, *CLOSING]),
    "part 2 of 3": (second_of_three, f"{SUBJECT} - Phần 2/3", [
        OPENING,
        "Thư này là Phần 2/3 của gói tổng hợp gương người tốt, việc tốt tháng 10/2023 do Ủy "
        "ban nhân dân quận Dương Kinh gửi. Bảng tổng hợp và nội dung gương người tốt, việc "
        "tốt của các đơn vị được trình bày tại Phần 1/3 của gói.",
        "Do dung lượng tệp đính kèm lớn, gói được gửi thành 3 thư. Phần 2/3 gồm tệp của các "
        "đơn vị: Liên đoàn Lao động quận, Phòng Giáo dục và Đào tạo,",
        "Báo cáo thành tích - Phòng Giáo dục và Đào tạo.docx (350 KB)", *CLOSING]),
    "part 1 of 3": (first_of_three, f"{SUBJECT} - Phần 1/3", [
        OPENING, INTRO,
        "Phần 1/3 gồm bản tổng hợp (Tong-hop-thang-10-2023.docx, "
        "Danh-sach-thang-10-2023.xlsx) và tệp của các đơn vị: Ban Chỉ huy Quân sự quận,",
        "kèm thư này", "kèm phần khác của gói", *CLOSING]),
    "oversized files": (oversized, SUBJECT, [
        "Tệp quá lớn, không gửi kèm",
        "Các tệp sau có dung lượng vượt quá giới hạn cho phép của thư điện tử nên không gửi "
        "kèm gói này; Phòng Nội vụ quận Dương Kinh sẽ gửi riêng các tệp này tới Ban.",
        "Video lễ tuyên dương.mp4", "48 MB", "quá lớn, không gửi kèm", *CLOSING]),
    "an empty month": (empty, "Quận Dương Kinh: gương người tốt, việc tốt tháng 10/2023 "
                              "(0/40 đơn vị)", [
        OPENING, "Chưa có đơn vị nào gửi (0/40 đơn vị); 2 đơn vị được miễn.",
        "Kèm theo thư này: bản tổng hợp (Tong-hop-thang-10-2023.docx, "
        "Danh-sach-thang-10-2023.xlsx).",
        "Trong tháng 10/2023, chưa có đơn vị nào gửi gương người tốt, việc tốt.",
        "Đơn vị chưa gửi gương người tốt, việc tốt tháng 10/2023 (38):", *CLOSING]),
}


@pytest.mark.parametrize("case", list(CASES))
def test_every_email_of_the_package_reads_as_expected(case: str) -> None:
    make, subject, sentences = CASES[case]

    out = make()

    assert out.subject == subject
    for sentence in sentences:
        assert sentence in out.text, sentence
        assert sentence in out.html, sentence


@pytest.mark.parametrize("case", list(CASES))
def test_only_a_preview_is_marked_as_one(case: str) -> None:
    make, _, _ = CASES[case]

    out = make()

    marked = [("XEM TRƯỚC" in part) for part in (out.subject, out.text, out.html)]
    assert marked == [case == "a preview"] * 3


def test_the_preview_banner_comes_before_the_letter() -> None:
    out = preview()

    for body in (out.text, out.html):
        assert body.index("BẢN XEM TRƯỚC") < body.index("Dương Kinh, ngày") < body.index(
            "Kính gửi:")
    assert out.text.startswith("=====")


@pytest.mark.parametrize("case", list(CASES))
def test_a_reply_to_any_email_of_the_package_names_its_month(case: str) -> None:
    make, _, _ = CASES[case]

    assert subject_period("Re: " + make().subject) == OCTOBER


@pytest.mark.parametrize("case", list(CASES))
def test_the_html_is_a_whole_page_that_loads_nothing(case: str) -> None:
    html = CASES[case][0]().html.lower()

    assert html.startswith("<!doctype html>") and html.rstrip().endswith("</html>")
    assert '<html lang="vi">' in html and '<meta charset="utf-8">' in html
    for external in ("http:", "https:", "src=", "<link", "<script", "url(", "@import",
                     "<style", "class="):
        assert external not in html


@pytest.mark.parametrize("case", list(CASES))
def test_the_text_body_is_plain_and_tidy(case: str) -> None:
    text = CASES[case][0]().text

    assert "\r" not in text and "\n\n\n" not in text and text.endswith("\n")
    assert "<" not in text and "{" not in text


def test_the_table_lists_every_unit_once_in_part_one_only() -> None:
    first, second = first_of_three(), second_of_three()

    for out in (normal(), first):
        assert out.html.count("<tr>") == 41
        assert "<th style=" in out.html and ">Tình trạng</th>" in out.html
        assert "Bảng tổng hợp" in out.html and "\nBảng tổng hợp (STT." in out.text
        for header in ("STT", "Đơn vị", "Số thư", "Ngày gửi", "Tệp đính kèm"):
            assert f">{header}</th>" in out.html
    assert "<tr>" not in second.html and "Bảng tổng hợp (STT." not in second.text
    assert "Nội dung gương người tốt" not in second.html + second.text
    assert "Tệp đính kèm của Phần 2/3" in second.text + second.html


def test_missing_and_excused_units_are_marked_in_the_table() -> None:
    out = normal()

    text_rows = re.findall(r"^ {2}\d+\. (.+?): (Đúng hạn|Muộn|Chưa gửi|Được miễn)", out.text,
                           re.MULTILINE)
    standing = dict(text_rows)
    assert len(standing) == 40
    assert {n for n, s in standing.items() if s == "Chưa gửi"} == set(MISSING)
    assert {n for n, s in standing.items() if s == "Được miễn"} == set(EXCUSED)
    assert standing[TU_PHAP] == "Đúng hạn"
    assert "color:#b00020;\">Chưa gửi</td>" in out.html


def test_an_empty_month_still_lists_every_unit_in_the_table() -> None:
    out = empty()

    assert out.html.count(">Chưa gửi</td>") == 38
    assert out.html.count(">Được miễn</td>") == 2
    assert "Thư gửi lúc" not in out.text


def test_line_breaks_in_a_summary_survive_in_both_bodies() -> None:
    out = normal()

    assert ("tại hồ điều hòa.</p>\n<p style=\"margin:0 0 8px 16px;\">Bà Trần Thị Bình"
            in out.html)
    assert "đánh rơi.<br>Đề nghị biểu dương.</p>" in out.html
    assert ("     tại hồ điều hòa.\n\n     Bà Trần Thị Bình" in out.text
            or "hồ điều hòa.\n\n     Bà Trần Thị Bình" in out.text)
    assert "đánh rơi.\n     Đề nghị biểu dương." in out.text


def test_a_supplement_is_marked_with_its_month() -> None:
    out = normal()

    assert ("Bổ sung tháng 9/2023 - Thư gửi lúc 14:00 ngày 20/09/2023 (gửi muộn)" in out.text)
    assert "Bổ sung tháng 9/2023</strong> – Thư gửi lúc 14:00 ngày 20/09/2023" in out.html


def test_a_summary_with_markup_is_escaped_in_html_and_intact_in_text() -> None:
    out = hostile()

    assert "Ông A <script>alert(1)</script> & \"B\"\n     bà C" in out.text
    assert "<script>" not in out.html and "<img" not in out.html and "<b>" not in out.html
    assert ("Ông A &lt;script&gt;alert(1)&lt;/script&gt; &amp; &#34;B&#34;<br>bà C"
            in out.html)
    assert "&lt;img src=x onerror=alert(1)&gt;.jpg" in out.html
    assert "tiêu đề “&lt;b&gt;Gương&lt;/b&gt; tháng 10/2023”" in out.html
    assert "<img src=x onerror=alert(1)>.jpg (10 byte)" in out.text


def test_part_one_marks_where_each_file_travels_and_the_letter_closes_properly() -> None:
    out = first_of_three()

    assert "(350 KB): kèm thư này" in out.text
    assert "(1,2 MB): kèm phần khác của gói" in out.text
    assert out.text.rstrip().endswith(
        "Trân trọng.\nPhòng Nội vụ quận Dương Kinh\n\n(Thư này được lập tự động từ hộp thư "
        "tiếp nhận của Phòng Nội vụ quận Dương Kinh.)")
