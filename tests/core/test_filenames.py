"""display_name: a sender's filename made safe as one path component."""

from __future__ import annotations

import unicodedata

import pytest

from mailbot.core.filenames import MAX_BYTES, MAX_CHARS, display_name


@pytest.mark.parametrize("original,expected", [
    ("Báo cáo tháng 10.docx", "Báo cáo tháng 10.docx"),
    ("../../x", "x"),
    ("/etc/passwd", "passwd"),
    ("..\\..\\boot.ini", "boot.ini"),
    ("C:\\Users\\An\\Desktop\\Danh sách.xlsx", "Danh sách.xlsx"),
    ("a\x00b.pdf", "ab.pdf"),
    ("bad\r\nname\t.pdf", "badname.pdf"),
    ("invoice\u202efdp.exe", "invoicefdp.exe"),
    ("\u2066\u200fảnh\u200e\u2069.jpg", "ảnh.jpg"),
    ("CON.txt", "_CON.txt"),
    ("con", "_con"),
    ("Nul.tar.gz", "_Nul.tar.gz"),
    ("COM1.docx", "_COM1.docx"),
    ("lpt9", "_lpt9"),
    ("CONSOLE.txt", "CONSOLE.txt"),
    ("COM10.txt", "COM10.txt"),
    ("", "tep-dinh-kem"),
    (".", "tep-dinh-kem"),
    ("..", "tep-dinh-kem"),
    ("/", "tep-dinh-kem"),
    ("../", "tep-dinh-kem"),
    ("\x00\x01", "tep-dinh-kem"),
    (".pdf", "tep-dinh-kem.pdf"),
    ("../.docx", "tep-dinh-kem.docx"),
    (".hidden.pdf", "hidden.pdf"),
    ("...Báo cáo.pdf", "Báo cáo.pdf"),
    ("report.pdf. . ", "report.pdf"),
    ('a<b>c:d"e|f?g*.pdf', "a_b_c_d_e_f_g_.pdf"),
    ("Ba\u0301o ca\u0301o.pdf", "Báo cáo.pdf"),
    ("..\\", "tep-dinh-kem"),
    ("a/b\\c.pdf", "c.pdf"),
    ("\x7fa.pdf", "a.pdf"),
    ("a\x85b.pdf", "ab.pdf"),
    ("a\u200b\u00ad\u2060.pdf", "a.pdf"),
    ("baocao\u202excod.exe", "baocaoxcod.exe"),
    ("CON .txt", "_CON.txt"),
    ("nul.", "_nul"),
    ("COM¹.txt", "_COM¹.txt"),
    ("file:stream.pdf", "file_stream.pdf"),
])
def test_display_name_makes_one_safe_component(original: str, expected: str) -> None:
    assert display_name(original) == expected


def test_the_fallback_can_be_chosen() -> None:
    assert display_name("../", fallback="anh") == "anh"
    assert display_name("/.jpg", fallback="anh") == "anh.jpg"


@pytest.mark.parametrize("original", ["x" * 300 + ".pdf", "Ư" * 300 + ".xlsx", "y" * 400,
                                      "Báo cáo " * 50 + ".docx"])
def test_long_names_are_cut_keeping_the_extension(original: str) -> None:
    name = display_name(original)

    assert len(name) <= MAX_CHARS
    assert len(name.encode("utf-8")) <= MAX_BYTES
    assert name.endswith(original[original.rfind("."):] if "." in original else "y")
    assert name[0] == original[0]


def test_names_are_nfc_and_keep_vietnamese_letters() -> None:
    original = unicodedata.normalize("NFD", "Danh sách gương người tốt việc tốt.xlsx")

    assert display_name(original) == "Danh sách gương người tốt việc tốt.xlsx"
