"""The list (.xlsx): one row per submission, real dates, and mail text that stays text."""

from __future__ import annotations

import io
import zipfile
from dataclasses import replace
from datetime import datetime
from typing import Any

import pytest
from openpyxl import load_workbook  # type: ignore[import-untyped, unused-ignore]

from mailbot.adapters.office_docs import write_list_xlsx
from mailbot.adapters.office_xlsx import exemplar_names
from mailbot.core.digest_model import Digest
from tests.adapters.test_office_docs import FORMULA, _sub, sample_digest

HEADERS = ["STT", "Đơn vị", "Người/tập thể điển hình", "Tóm tắt", "Ngày nhận", "Tình trạng",
           "Tệp"]


def _write(digest: Digest) -> bytes:
    out = io.BytesIO()
    write_list_xlsx(digest, out)
    return out.getvalue()


def _sheet(digest: Digest | None = None) -> Any:
    return load_workbook(io.BytesIO(_write(digest or sample_digest())))["Danh sách"]


def _values(ws: Any) -> list[list[Any]]:
    return [[c.value for c in row] for row in ws.iter_rows(min_row=3)]


def test_the_sheet_has_a_title_a_frozen_bold_header_and_set_widths() -> None:
    ws = _sheet()
    assert ws.parent.sheetnames == ["Danh sách"]
    assert ws["A1"].value == "DANH SÁCH GƯƠNG NGƯỜI TỐT, VIỆC TỐT THÁNG 10/2023"
    assert [c.value for c in ws[2]] == HEADERS
    assert all(c.font.b for c in ws[2])
    assert ws.freeze_panes == "A3"
    assert [ws.column_dimensions[k].width for k in "ABCDEFG"] == [6, 30, 30, 80, 13, 22, 40]
    assert ws["D3"].alignment.wrap_text and ws["D3"].font.name == "Times New Roman"


def test_there_is_one_row_per_submission_and_one_for_a_unit_with_nothing() -> None:
    rows = _values(_sheet())
    assert [r[0] for r in rows] == list(range(1, 11))
    assert [(r[1], r[5]) for r in rows] == [
        ("UBND phường Anh Dũng", "Đúng hạn"),
        ("UBND phường Đa Phúc", "Muộn"),
        ("UBND phường Hòa Nghĩa", "Đúng hạn"),  # composed (NFC) although the roster had NFD
        ("Hội Liên hiệp Phụ nữ quận", "Chưa gửi"),  # nothing for October...
        ("Hội Liên hiệp Phụ nữ quận", "Bổ sung tháng 9/2023"),  # ...but September's late mail
        ("Phòng Tư pháp", "Chưa gửi"),
        ("Ủy ban MTTQ Việt Nam quận", "Đúng hạn"),
        ("Quận đoàn", "Đúng hạn"),
        ("Quận đoàn", "Đúng hạn"),
        ("Thanh tra quận", "Được miễn"),
    ]
    first = rows[0]
    assert first[2] == "Ông Nguyễn Văn An; Bà Lê Thị Hoa"
    assert first[3] == ("Ông Nguyễn Văn An, tổ trưởng tổ dân phố số 3, nhặt được ví và trả lại "
                        "người đánh rơi.\nBà Lê Thị Hoa tặng 50 suất quà cho hộ nghèo.")
    assert first[6] == "Báo cáo thành tích.docx\nIMG_2041.jpg"
    assert rows[5][2:5] == [None, None, None]


def test_dates_are_excel_dates_shown_day_first_in_the_office_time_zone() -> None:
    ws = _sheet()
    cells = [row[4] for row in ws.iter_rows(min_row=3) if row[4].value is not None]
    assert len(cells) == 7
    assert all(c.is_date and c.number_format == "dd/mm/yyyy" for c in cells)
    assert [c.value for c in cells][:3] == [
        datetime(2023, 10, 10), datetime(2023, 10, 16), datetime(2023, 10, 15)]


@pytest.mark.parametrize("text", [FORMULA, "=1+1", "+84 912 345 678", "-2+3", "@SUM(A1:A9)",
                                  "- Ông Nguyễn Văn An", "#N/A"])
def test_mail_text_is_stored_as_text_never_as_a_formula(text: str) -> None:
    digest = sample_digest()
    section = replace(digest.sections[0], submissions=(_sub(1, 10, text),))
    data = _write(replace(digest, sections=(section,)))
    cell = load_workbook(io.BytesIO(data))["Danh sách"]["D3"]
    assert (cell.value, cell.data_type) == (text, "s")
    assert cell.quotePrefix == (text[0] in "=+-@")
    sheet_xml = zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet_xml and 't="e"' not in sheet_xml


def test_hostile_text_in_the_sample_stays_text_without_control_characters() -> None:
    ws = _sheet()
    cells = [c for row in ws.iter_rows(min_row=3) for c in row if isinstance(c.value, str)]
    assert not any(ch in c.value for c in cells for ch in "\x00\x1b\x0b\ufffe")
    by_start = {c.value.split("\n")[0]: c for c in cells}
    assert by_start[FORMULA].quotePrefix and by_start["+danh sách.xlsx"].quotePrefix
    assert by_start["@bao cao.pdf"].quotePrefix
    assert "<script>alert('x')</script> & <b>đậm</b> hết." in [
        line for c in cells for line in c.value.split("\n")]


def test_a_summary_longer_than_a_cell_holds_is_cut_with_an_ellipsis() -> None:
    digest = sample_digest()
    section = replace(digest.sections[0], submissions=(_sub(1, 10, "Gương tốt. " * 5000),))
    value = _sheet(replace(digest, sections=(section,)))["D3"].value
    assert len(value) <= 32_767 and value.endswith("…")


@pytest.mark.parametrize(("summary", "names"), [
    ("Ông Nguyễn Văn An nhặt được ví.", "Ông Nguyễn Văn An"),
    ("Biểu dương đồng chí Trần Thị Minh Khai và đ/c Lê Văn Tám.",
     "Đồng chí Trần Thị Minh Khai; Đồng chí Lê Văn Tám"),
    ("- Chị Vũ Thị Hằng; + Em Đỗ Hoàng Long, học sinh lớp 9.",
     "Chị Vũ Thị Hằng; Em Đỗ Hoàng Long"),
    ("ông An và bà Lê Thị Hoa giúp nhau", "Bà Lê Thị Hoa"),  # one given name is too little
    ("Tập thể Tổ dân phố số 5 đã giúp dân.", "Tập thể Tổ dân phố số 5"),
    ("Khen thưởng tập thể Chi đoàn Thanh niên phường Hòa Nghĩa.",
     "Tập thể Chi đoàn Thanh niên phường Hòa Nghĩa"),
    ("UBND phường Anh Dũng phát huy sức mạnh tập thể.", ""),
    ("Người dân ở Bà Rịa Vũng Tàu, tinh thần tập thể của cán bộ.", ""),
    ("Anh hùng lao động, bà con phường", ""),
    ("", ""),
])
def test_the_person_or_collective_is_read_from_the_summary(summary: str, names: str) -> None:
    assert exemplar_names(summary) == names
