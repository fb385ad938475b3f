"""The units sheet as rows: headers, valid rows, and a problem named by row and column."""

from __future__ import annotations

import re
import unicodedata

import pytest

from mailbot import config, config_fields
from mailbot.core import roster
from mailbot.core.model import Unit
from mailbot.core.roster import RosterError, parse_sheet

HEADER = ["STT", "Mã đơn vị", "Tên đơn vị", "Email", "Ghi chú"]


def _rows(*rows: list[str]) -> list[list[str]]:
    return [HEADER, *rows]


def test_the_sheet_rules_are_the_configs_rules() -> None:
    assert roster.CODE_RE.pattern == config._CODE_RE.pattern
    assert roster.EMAIL_RE.pattern == config_fields.EMAIL_RE.pattern


@pytest.mark.parametrize(("text", "field"), [
    ("Mã đơn vị", "code"), ("MÃ ĐƠN VỊ", "code"), ("ma don vi", "code"), ("Code", "code"),
    ("Tên đơn vị", "name"), ("ten don vi", "name"), ("Đơn vị", "name"),
    ("Email", "emails"), ("E-mail", "emails"), ("Địa chỉ email", "emails"),
    ("Email 2", "emails"), ("Ghi chú", "notes"), ("ghi chu", "notes"),
    ("Tên gọi khác", "aliases"), ("STT", None), ("Emial", None), ("Mã đơn vị 2", None),
])
def test_a_header_is_recognised_whatever_its_case_and_diacritics(
        text: str, field: str | None) -> None:
    assert roster.header_field(text) == field


def test_rows_become_units_with_vietnamese_names_intact() -> None:
    nfd_name = unicodedata.normalize("NFD", "UBND phường Hòa Nghĩa")
    sheet = parse_sheet([
        ["DANH SÁCH ĐƠN VỊ", "", "", "", ""],  # a title above the header
        HEADER,
        ["1", " hoa-nghia ", nfd_name,
         "UBNDHoaNghia@example.gov.vn, vanthu.hoanghia@gmail.com;\nmailto:hn@example.com",
         "Văn thư: chị Lan"],
        ["", "", "", "", ""],
        ["2", "tu-phap", "Phòng  Tư\npháp", "Tư pháp <tuphap@example.gov.vn>", ""],
    ])
    assert [e.unit for e in sheet.entries] == [
        Unit("hoa-nghia", "UBND phường Hòa Nghĩa",
             ("ubndhoanghia@example.gov.vn", "vanthu.hoanghia@gmail.com", "hn@example.com")),
        Unit("tu-phap", "Phòng Tư pháp", ("tuphap@example.gov.vn",)),
    ]
    assert [e.row for e in sheet.entries] == [3, 5]
    assert sheet.entries[0].note == "Văn thư: chị Lan"
    assert sheet.header_row == 2 and sheet.ignored_columns == ("A (STT)",)


def test_several_email_columns_and_aliases_are_merged() -> None:
    sheet = parse_sheet([["Mã", "Tên", "Email 1", "Email 2", "Tên gọi khác"],
                         ["da-phuc", "UBND phường Đa Phúc", "a@example.gov.vn",
                          "b@example.com; a@example.gov.vn", "phường Đa Phúc; Đa Phúc"]])
    unit = sheet.entries[0].unit
    assert unit.emails == ("a@example.gov.vn", "b@example.com")
    assert unit.aliases == ("phường Đa Phúc", "Đa Phúc")


def test_a_unit_without_an_address_is_kept_with_a_warning() -> None:
    sheet = parse_sheet(_rows(["", "thanh-tra", "Thanh tra quận", "", ""]))
    assert sheet.entries[0].unit.emails == ()
    assert "row 2" in sheet.warnings[0] and "thanh-tra" in sheet.warnings[0]


GOOD = ["1", "hoa-nghia", "UBND phường Hòa Nghĩa", "ubndhoanghia@example.gov.vn", ""]


@pytest.mark.parametrize(("bad", "message"), [
    (["2", "", "Phòng Tư pháp", "tuphap@example.gov.vn", ""],
     "row 3, column B (Mã đơn vị): the code is empty"),
    (["2", "tu-phap", " ", "tuphap@example.gov.vn", ""],
     "row 3, column C (Tên đơn vị): the name is empty"),
    (["2", "Tư Pháp", "Phòng Tư pháp", "tuphap@example.gov.vn", ""],
     "row 3, column B (Mã đơn vị): 'Tư Pháp' is not a valid code: use lower-case letters, "
     "digits and dashes, such as 'tu-phap'"),
    (["2", "tu_phap", "Phòng Tư pháp", "tuphap@example.gov.vn", ""],
     "row 3, column B (Mã đơn vị): 'tu_phap' is not a valid code"),
    (["2", "tu-phap", "Phòng Tư pháp", "tuphap@example.gov.vn; tuphap.gmail.com", ""],
     "row 3, column D (Email): 'tuphap.gmail.com' is not an email address"),
    (["2", "tu-phap", "Phòng Tư pháp", "tu phap@example.gov.vn", ""],
     "row 3, column D (Email): 'tu phap@example.gov.vn' is not an email address"),
    (["2", "tu-phap", "Phòng Tư pháp", "UBNDHoaNghia@example.gov.vn", ""],
     "row 3, column D (Email): ubndhoanghia@example.gov.vn is already the address of "
     "'hoa-nghia' (row 2)"),
    (["2", "hoa-nghia", "Phòng Tư pháp", "tuphap@example.gov.vn", ""],
     "row 3, column B (Mã đơn vị): code 'hoa-nghia' is already used on row 2"),
])
def test_a_bad_row_is_named_by_row_and_column(bad: list[str], message: str) -> None:
    with pytest.raises(RosterError) as caught:
        parse_sheet(_rows(GOOD, bad))
    assert str(caught.value).startswith(message)


def test_every_problem_is_listed_at_once() -> None:
    with pytest.raises(RosterError) as caught:
        parse_sheet(_rows(["", "", "", "x@", ""], GOOD, ["", "Bad", "Tên", "", ""]))
    assert str(caught.value).split("\n") == [
        "row 2, column B (Mã đơn vị): the code is empty",
        "row 2, column C (Tên đơn vị): the name is empty",
        "row 2, column D (Email): 'x@' is not an email address",
        "row 4, column B (Mã đơn vị): 'Bad' is not a valid code: use lower-case letters, "
        "digits and dashes, such as 'bad'",
    ]


@pytest.mark.parametrize(("rows", "message"), [
    ([["Đơn vị", "Email"], ["x", "y"]], "no header row"),
    ([HEADER, ["", "", "", "", ""]], "no units below the header row (row 1)"),
    ([["Mã", "Tên", "Code"], ["a", "b", "c"]], "two columns are \"Mã đơn vị\": A, C"),
])
def test_a_sheet_without_a_roster_is_refused(rows: list[list[str]], message: str) -> None:
    with pytest.raises(RosterError, match=re.escape(message)):
        parse_sheet(rows)


def test_the_sheet_rows_come_back_in_the_same_columns() -> None:
    units = [Unit("hoa-nghia", "UBND phường Hòa Nghĩa", ("a@example.gov.vn",),
                  ("phường Hòa Nghĩa", "Hòa Nghĩa")), Unit("tu-phap", "Phòng Tư pháp")]
    rows = roster.sheet_rows(units, {"hoa-nghia": "Văn thư"})
    assert rows[0] == ["Mã đơn vị", "Tên đơn vị", "Email", "Ghi chú", "Tên gọi khác"]
    assert [e.unit for e in parse_sheet(rows).entries] == units


def test_changes_are_counted_by_code() -> None:
    a, b, c = Unit("a", "A"), Unit("b", "B"), Unit("c", "C")
    assert roster.roster_changes([a, b], [Unit("a", "A2"), c]) == (["c"], ["b"], ["a"])


@pytest.mark.parametrize(("index", "letters"), [(0, "A"), (25, "Z"), (26, "AA"), (27, "AB")])
def test_columns_are_named_as_excel_names_them(index: int, letters: str) -> None:
    assert roster.column_letter(index) == letters
