"""withheld_reason: programs, macro documents and disguised files stay out of the package."""

from __future__ import annotations

import pytest

from mailbot.core.risky_files import (
    DISK_IMAGE_TEXT,
    EXECUTABLE_TEXT,
    MACRO_TEXT,
    withheld_reason,
)
from tests.builders import DOCX, JPEG, PDF

PE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 48
ELF = b"\x7fELF\x02\x01\x01" + b"\x00" * 9
ZIP = b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + b"\x00" * 20 + b"anh/IMG_1.jpg"
OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504
DOCM_INSIDE = b"PK\x03\x04\x14\x00\x06\x00" + b"\x00" * 22 + b"word/vbaProject.bin" + b"\x00" * 9
DOC_WITH_MACROS = OLE + "_VBA_PROJECT".encode("utf-16-le") + b"\x00" * 64


@pytest.mark.parametrize("name,data", [
    ("Báo cáo thành tích.docx", DOCX),
    ("Danh sách.pdf", PDF),
    ("IMG_2041.jpg", JPEG),
    ("Ảnh hoạt động.zip", ZIP),
    ("Báo cáo.doc", OLE),
    ("Bảng tổng hợp.xls", OLE),
    ("ghi chú", b"Nguyen Van An"),
    ("báo cáo.pdf", b""),
    ("v1.2.pdf", PDF),
    ("exe.pdf", PDF),  # a word, not an extension
    ("MZ.txt", b"MZ is just two letters here"[:1]),
])
def test_ordinary_files_go_with_the_package(name: str, data: bytes) -> None:
    assert withheld_reason(name, data) is None


@pytest.mark.parametrize("name,data,reason", [
    ("setup.exe", PE, EXECUTABLE_TEXT),
    ("SETUP.EXE", PE, EXECUTABLE_TEXT),
    ("virus.scr", PE, EXECUTABLE_TEXT),
    ("hoadon.js", b"var x = new ActiveXObject('WScript.Shell');", EXECUTABLE_TEXT),
    ("run.bat", b"@echo off", EXECUTABLE_TEXT),
    ("run.cmd", b"@echo off", EXECUTABLE_TEXT),
    ("thu.vbs", b"CreateObject(\"WScript.Shell\")", EXECUTABLE_TEXT),
    ("script.ps1", b"Invoke-WebRequest", EXECUTABLE_TEXT),
    ("lien-ket.lnk", b"L\x00\x00\x00", EXECUTABLE_TEXT),
    ("trang.hta", b"<html><script>", EXECUTABLE_TEXT),
    ("app.jar", ZIP, EXECUTABLE_TEXT),
    ("baocao.pdf.exe", PE, "Tệp thực thi (đuôi kép .pdf.exe), không đưa vào gói"),
    ("Báo cáo.docx .exe", PE, "Tệp thực thi (đuôi kép .docx.exe), không đưa vào gói"),
    ("Báo cáo.docm", DOCM_INSIDE, MACRO_TEXT),
    ("Bảng.xlsm", DOCM_INSIDE, MACRO_TEXT),
    ("Trình chiếu.pptm", DOCM_INSIDE, MACRO_TEXT),
    ("renamed.docx", DOCM_INSIDE, MACRO_TEXT),  # a .docm renamed .docx
    ("Báo cáo.doc", DOC_WITH_MACROS, MACRO_TEXT),
    ("dia.iso", b"\x00" * 64, DISK_IMAGE_TEXT),
    ("baocao.pdf", PE, "Tệp thực thi mang đuôi .pdf, không đưa vào gói"),
    ("anh.jpg", ELF, "Tệp thực thi mang đuôi .jpg, không đưa vào gói"),
    ("baocao", PE, "Tệp thực thi mang tên không có đuôi, không đưa vào gói"),
    ("anh.jpg", ZIP,
     "Nội dung tệp không khớp với đuôi .jpg (thực chất là tệp nén), không đưa vào gói"),
    ("baocao.pdf", OLE, "Nội dung tệp không khớp với đuôi .pdf (thực chất là tài liệu Office "
                        "cũ), không đưa vào gói"),
])
def test_programs_macros_and_disguises_are_withheld_with_a_reason(
        name: str, data: bytes, reason: str) -> None:
    assert withheld_reason(name, data) == reason
