"""`mailbot archive`: a year of submissions in one zip, streamed from the file store."""

from __future__ import annotations

import hashlib
import io
import zipfile
from pathlib import Path

import pytest
from openpyxl import load_workbook

from tests.builders import JPEG, PDF, make_mail
from tests.samples import at
from tests.servers.dovecot import ImapAccount
from tests.support import Mailbot

pytestmark = pytest.mark.dovecot


def test_the_archive_holds_every_file_by_unit_and_month_with_an_index(
        imap_account: ImapAccount, mailbot: Mailbot, tmp_path: Path) -> None:
    imap_account.append(make_mail(attachments=[("Báo cáo.pdf", PDF, "application/pdf"),
                                               ("ảnh.jpg", JPEG, "image/jpeg")]),
                        internaldate=at(10))
    imap_account.append(make_mail(sender="ubnddaphuc@example.gov.vn", message_id="<d@x>",
                                  subject="Gương người tốt việc tốt",
                                  attachments=[("Báo cáo.pdf", PDF + b"x", "application/pdf")]),
                        internaldate=at(5, month=11))
    imap_account.append(make_mail(sender="ubnddaphuc@example.gov.vn", message_id="<e@x>",
                                  subject="Gương người tốt việc tốt",
                                  attachments=[("Báo cáo.pdf", PDF + b"y", "application/pdf")]),
                        internaldate=at(6, month=11))
    mailbot("poll", now="2023-12-01T09:00")
    out = tmp_path / "lưu trữ" / "2023.zip"
    line = mailbot("archive", "--year", "2023", "--out", str(out))
    assert "3 submission(s), 4 file(s)" in line
    with zipfile.ZipFile(out) as zf:
        names = zf.namelist()
        assert "03-UBND phường Đa Phúc/2023-11/Báo cáo.pdf" in names
        assert "03-UBND phường Đa Phúc/2023-11/Báo cáo (2).pdf" in names
        assert "04-UBND phường Hòa Nghĩa/2023-10/ảnh.jpg" in names
        assert hashlib.sha256(zf.read("04-UBND phường Hòa Nghĩa/2023-10/ảnh.jpg")).digest() \
            == hashlib.sha256(JPEG).digest()
        sheet = load_workbook(io.BytesIO(zf.read("Muc-luc.xlsx"))).active
        assert sheet.max_row == 4
        assert sheet.cell(2, 1).value == "UBND phường Hòa Nghĩa"
    assert not out.with_name("2023.zip.part").exists()


def test_an_empty_year_is_a_clear_error(mailbot: Mailbot, tmp_path: Path) -> None:
    err = mailbot("archive", "--year", "2019", "--out", str(tmp_path / "x.zip"), expect=1)
    assert "no submission was filed for 2019" in err
    assert not (tmp_path / "x.zip").exists()


def test_a_subject_or_file_name_that_looks_like_a_formula_stays_text_in_the_index(
        imap_account: ImapAccount, mailbot: Mailbot, tmp_path: Path) -> None:
    formula = '=HYPERLINK("http://evil.example/","Gương người tốt")'
    imap_account.append(make_mail(subject=formula, attachments=[
        ("+1+cmd|' /C calc'!A0.pdf", PDF, "application/pdf"),
        ("@SUM(1).pdf", PDF + b"1", "application/pdf")]), internaldate=at(10))
    mailbot("poll", now="2023-12-01T09:00")
    out = tmp_path / "2023.zip"
    mailbot("archive", "--year", "2023", "--out", str(out))
    with zipfile.ZipFile(out) as zf:
        index = zf.read("Muc-luc.xlsx")
    with zipfile.ZipFile(io.BytesIO(index)) as book:
        sheet_xml = book.read("xl/worksheets/sheet1.xml")
    assert b"<f>" not in sheet_xml and b"<f " not in sheet_xml
    cells = [c for row in load_workbook(io.BytesIO(index)).active.iter_rows() for c in row]
    assert formula in [c.value for c in cells]
    assert all(c.data_type == "s" for c in cells if str(c.value or "")[:1] in "=+-@")
