"""The compiled report (.docx) reads as an official letter of the People's Committee."""

from __future__ import annotations

import io
import unicodedata
import zipfile
from dataclasses import replace
from datetime import date

import pytest
from docx import Document
from docx.document import Document as DocumentObject
from docx.enum.section import WD_ORIENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Pt
from docx.table import Table

from mailbot.adapters.office_docs import write_report_docx
from mailbot.core.digest_model import Digest
from tests.adapters.test_office_docs import sample_digest


def _write(digest: Digest | None = None, **kwargs: object) -> bytes:
    out = io.BytesIO()
    write_report_docx(digest or sample_digest(), out, **kwargs)  # type: ignore[arg-type]
    return out.getvalue()


def _open(data: bytes) -> DocumentObject:
    return Document(io.BytesIO(data))


def _text(doc: DocumentObject) -> str:
    cells = [c.text for t in doc.tables for row in t.rows for c in row.cells]
    return "\n".join([p.text for p in doc.paragraphs] + cells)


def _cell_lines(table: Table, row: int, col: int) -> list[str]:
    return [p.text for p in table.rows[row].cells[col].paragraphs]


@pytest.fixture(scope="module")
def report() -> DocumentObject:
    return _open(_write(date_of=date(2023, 10, 17)))


def test_the_letterhead_has_the_issuer_the_number_and_the_national_motto(
        report: DocumentObject) -> None:
    head = report.tables[0]
    assert _cell_lines(head, 0, 0)[:2] == ["ỦY BAN NHÂN DÂN", "QUẬN DƯƠNG KINH"]
    assert all(r.bold for p in head.rows[0].cells[0].paragraphs for r in p.runs)
    nation, motto = head.rows[0].cells[1].paragraphs
    assert nation.text == "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" and nation.runs[0].bold
    assert motto.text == "Độc lập - Tự do - Hạnh phúc"
    assert motto.runs[0].bold and motto.runs[0].underline
    number, subject = _cell_lines(head, 1, 0)
    assert number.startswith("Số:") and number.endswith("/UBND-NV")
    assert subject == "V/v tổng hợp gương người tốt, việc tốt tháng 10/2023"
    (dated,) = head.rows[1].cells[1].paragraphs
    assert dated.text == "Dương Kinh, ngày 17 tháng 10 năm 2023" and dated.runs[0].italic
    assert head.style is None or head.style.name == "Normal Table"  # no borders
    assert report.paragraphs[0].text == (
        "Kính gửi: Ban Thi đua - Khen thưởng Sở Nội vụ thành phố.")
    assert report.paragraphs[0].alignment == WD_ALIGN_PARAGRAPH.CENTER


def test_the_page_is_a4_portrait_with_decree_30_margins_in_times_new_roman(
        report: DocumentObject) -> None:
    (section,) = report.sections
    mm = [round(x.mm) for x in (section.page_width, section.page_height, section.top_margin,
                                section.bottom_margin, section.left_margin, section.right_margin)
          if x is not None]
    assert mm[:2] == [210, 297] and section.orientation == WD_ORIENT.PORTRAIT
    assert 20 <= mm[2] <= 25 and 20 <= mm[3] <= 25 and 30 <= mm[4] <= 35 and 15 <= mm[5] <= 20
    normal = report.styles["Normal"]
    assert normal.font.name == "Times New Roman" and normal.font.size == Pt(14)
    assert report.styles["Nội dung bảng"].font.size == Pt(13)
    runs = [r for p in report.paragraphs for r in p.runs] + [
        r for t in report.tables for row in t.rows for c in row.cells
        for p in c.paragraphs for r in p.runs]
    assert {r.font.name for r in runs} <= {None}  # every run takes Normal's font
    # Decree 30 sets "Nơi nhận" at 12 and its lines at 11 points; everything else 13-14.
    assert {r.font.size.pt for r in runs if r.font.size} <= {11, 12, 13, 14}
    styles_xml = zipfile.ZipFile(io.BytesIO(_write())).read("word/styles.xml").decode()
    assert 'w:eastAsia="Times New Roman"' in styles_xml and 'w:val="vi-VN"' in styles_xml


def test_the_table_has_a_header_and_one_row_per_unit_with_its_standing(
        report: DocumentObject) -> None:
    table = report.tables[1]
    rows = [[c.text for c in row.cells] for row in table.rows]
    assert rows[0] == ["STT", "Đơn vị", "Số lượt gửi", "Ngày gửi", "Tệp đính kèm", "Tình trạng"]
    assert all(r.bold for c in table.rows[0].cells for p in c.paragraphs for r in p.runs)
    assert table.style is not None and table.style.name == "Table Grid"
    assert len(rows) == 1 + len(sample_digest().sections)
    by_unit = {row[1]: row for row in rows[1:]}
    assert by_unit["UBND phường Anh Dũng"] == [
        "1", "UBND phường Anh Dũng", "1", "10/10/2023", "2 tệp\n(1,5 MB)", "Đúng hạn"]
    assert by_unit["UBND phường Đa Phúc"][5] == "Muộn"
    assert by_unit["UBND phường Hòa Nghĩa"][3] == "15/10/2023"  # 18:30 UTC on the 14th
    assert by_unit["Quận đoàn"][2:4] == ["2", "11/10/2023\n15/10/2023"]
    assert by_unit["Phòng Tư pháp"][2:] == ["", "", "", "Chưa gửi"]
    assert by_unit["Thanh tra quận"][5] == "Được miễn"
    assert by_unit["Hội Liên hiệp Phụ nữ quận"][5] == "Chưa gửi\n(bổ sung tháng 9/2023)"


def test_the_body_counts_the_units_then_gives_each_senders_exemplars(
        report: DocumentObject) -> None:
    paragraphs = [p.text for p in report.paragraphs]
    assert paragraphs[1].startswith("Ủy ban nhân dân quận Dương Kinh tổng hợp gương người tốt, "
                                    "việc tốt tháng 10/2023")
    assert ("Tính đến ngày 16 tháng 10 năm 2023, có 5/8 đơn vị gửi danh sách, báo cáo gương "
            "người tốt, việc tốt (4 đơn vị đúng hạn, 1 đơn vị gửi muộn); 2 đơn vị chưa gửi; "
            "1 đơn vị được miễn; 1 đơn vị gửi bổ sung hồ sơ tháng 9/2023.") in paragraphs[3]
    start = paragraphs.index("1. UBND phường Anh Dũng")
    assert paragraphs[start + 1:start + 5] == [
        "Thư nhận ngày 10/10/2023 (đúng hạn).",
        "Ông Nguyễn Văn An, tổ trưởng tổ dân phố số 3, nhặt được ví và trả lại người đánh rơi.",
        "Bà Lê Thị Hoa tặng 50 suất quà cho hộ nghèo.",
        "Tệp đính kèm (thư mục “01-UBND phường Anh Dũng”): Báo cáo thành tích.docx (350 KB); "
        "IMG_2041.jpg (1,2 MB).",
    ]
    assert report.paragraphs[start].runs[0].bold
    assert "3. UBND phường Hòa Nghĩa" in paragraphs  # the NFD name comes out composed (NFC)
    supplement = paragraphs.index("4. Hội Liên hiệp Phụ nữ quận")
    assert paragraphs[supplement + 1] == "Bổ sung tháng 9/2023, thư nhận ngày 02/10/2023."
    assert "(Nội dung trong tệp đính kèm.)" in paragraphs
    assert not any(p.startswith(("5. ", "8. ")) for p in paragraphs)  # sent nothing
    assert paragraphs[-1] == ("Ủy ban nhân dân quận Dương Kinh kính gửi Ban Thi đua - Khen "
                              "thưởng Sở Nội vụ thành phố tổng hợp, theo dõi./.")


def test_mail_text_goes_in_as_plain_text_without_control_characters() -> None:
    data = _write()
    xml = zipfile.ZipFile(io.BytesIO(data)).read("word/document.xml").decode()
    assert "&lt;script&gt;alert('x')&lt;/script&gt; &amp; &lt;b&gt;đậm&lt;/b&gt;" in xml
    assert "<script>" not in xml and "<b>" not in xml
    assert not any(c in xml for c in "\x00\x1b\x0b\ufffe")
    text = _text(_open(data))
    assert "Đồng chí Phạm Văn Bình đã giúp dân chống bão." in text
    assert "<script>alert('x')</script> & <b>đậm</b> hết." in text


def test_it_ends_with_the_distribution_list_and_the_signature_block() -> None:
    doc = _open(_write(signer="Nguyễn Văn Bình"))
    to, sign = doc.tables[-1].rows[0].cells
    heading = to.paragraphs[0]
    assert heading.text == "Nơi nhận:" and heading.runs[0].bold and heading.runs[0].italic
    assert [p.text for p in to.paragraphs[1:]] == ["- Như trên;", "- Lưu: VT, NV."]
    lines = [p for p in sign.paragraphs if p.text]
    assert [p.text for p in lines] == ["TM. ỦY BAN NHÂN DÂN", "KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH",
                                       "Nguyễn Văn Bình"]
    assert all(p.runs[0].bold for p in lines)
    assert len(sign.paragraphs) - len(lines) >= 3  # room to sign


def test_the_letter_is_dated_the_day_the_digest_was_compiled_unless_told() -> None:
    head = _open(_write()).tables[0]
    assert head.rows[1].cells[1].text == "Dương Kinh, ngày 16 tháng 10 năm 2023"


def test_another_issuer_is_named_in_capitals_above_and_in_sentence_case_below() -> None:
    issuer = unicodedata.normalize("NFD", "Ủy ban nhân dân huyện An Lão")  # as a Mac types it
    doc = _open(_write(issuer=issuer, place="An Lão", office_code="VP",
                       recipient="Sở Nội vụ thành phố Hải Phòng"))
    head = doc.tables[0]
    assert _cell_lines(head, 0, 0)[:2] == ["ỦY BAN NHÂN DÂN", "HUYỆN AN LÃO"]
    assert _cell_lines(head, 1, 0)[0].endswith("/UBND-VP")
    assert head.rows[1].cells[1].text.startswith("An Lão, ngày")
    assert doc.paragraphs[0].text == "Kính gửi: Sở Nội vụ thành phố Hải Phòng."
    assert doc.paragraphs[1].text.startswith("Ủy ban nhân dân huyện An Lão tổng hợp")
    assert "- Lưu: VT, VP." in _text(doc)


def test_a_month_in_which_nobody_sent_still_makes_a_letter() -> None:
    digest = sample_digest()
    quiet = replace(digest, sections=tuple(
        replace(s, status="missing", submissions=()) for s in digest.sections))
    doc = _open(_write(quiet))
    assert len(doc.tables[1].rows) == 1 + len(quiet.sections)
    text = _text(doc)
    assert "có 0/8 đơn vị gửi" in text and "8 đơn vị chưa gửi" in text
    assert "Trong tháng, chưa có đơn vị nào gửi gương người tốt, việc tốt." in text


def test_an_unknown_status_is_refused_before_anything_is_written() -> None:
    digest = sample_digest()
    odd = replace(digest, sections=(replace(digest.sections[0], status="pending"),))
    out = io.BytesIO()
    with pytest.raises(ValueError, match="pending"):
        write_report_docx(odd, out)
    assert out.getvalue() == b""
