"""Programs and macro documents a unit sent stay out of the Board's package, named with why."""

from __future__ import annotations

import dataclasses
import email
import email.policy
import hashlib
import io
from email.message import EmailMessage
from pathlib import Path

import pytest
from docx import Document  # type: ignore[import-untyped]
from openpyxl import load_workbook  # type: ignore[import-untyped]

from mailbot.core.digest import build_digest, pack_files
from mailbot.core.digest_model import Part
from mailbot.core.digest_notice import digest_notice
from mailbot.core.risky_files import EXECUTABLE_TEXT, MACRO_TEXT
from tests.builders import PDF, make_mail
from tests.core.digest_samples import COMPILED, OCTOBER, filed, stored
from tests.core.samples import UNITS
from tests.samples import at
from tests.servers.dovecot import ImapAccount
from tests.servers.smtp import SmtpServer
from tests.support import BOARD, Mailbot, write_config

PE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 100
DOCM = b"PK\x03\x04\x14\x00\x06\x00" + b"\x00" * 22 + b"word/vbaProject.bin" + b"\x00" * 40


def test_a_withheld_file_is_not_packed_but_is_listed_with_its_reason() -> None:
    report = stored("Báo cáo.pdf")
    program = dataclasses.replace(stored("setup.exe"), withheld=EXECUTABLE_TEXT)
    (unit, *_) = UNITS
    digest = build_digest(OCTOBER, units=UNITS, compiled_at=COMPILED, excused={},
                          records=[filed(unit.code, 1, files=(report, program))])

    packed = pack_files(digest)
    context = digest_notice(digest, Part(1, 1, tuple(packed)), preview=False)

    assert [p.file for p in packed] == [report]
    assert [(f.name, f.where, f.unit_name) for f in context["withheld"]] == [  # type: ignore
        ("setup.exe", EXECUTABLE_TEXT, unit.name)]


@pytest.mark.dovecot
def test_the_board_gets_the_report_but_not_the_program_which_stays_on_disk(
        tmp_path: Path, imap_account: ImapAccount, smtp_server: SmtpServer,
        capsys: pytest.CaptureFixture[str]) -> None:
    bot = Mailbot(write_config(tmp_path, imap_account, smtp=smtp_server, board=""), capsys)
    bot("db", "upgrade")
    imap_account.append(make_mail(attachments=[
        ("Báo cáo.pdf", PDF, "application/pdf"),
        ("baocao.pdf.exe", PE, "application/pdf"),  # the sender's type is not believed
        ("Bảng điểm.docm", DOCM, "application/octet-stream"),
    ]), internaldate=at(10, 9))

    bot("tick", now="2023-10-17T08:00")

    (package,) = [email.message_from_bytes(m.raw, policy=email.policy.default)
                  for m in smtp_server.messages if BOARD in m.rcpt_tos]
    assert isinstance(package, EmailMessage)
    attached = {str(p.get_filename()): p.get_content() for p in package.iter_attachments()}
    assert [k for k in attached if k.startswith("0")] == ["04-UBND phường Hòa Nghĩa - Báo cáo.pdf"]
    text = package.get_body(preferencelist=("plain",))
    html = package.get_body(preferencelist=("html",))
    assert text is not None and html is not None
    for body in (str(text.get_content()), str(html.get_content())):
        assert "Tệp không đưa vào gói" in body
        assert "Tệp thực thi (đuôi kép .pdf.exe), không đưa vào gói" in body
        assert MACRO_TEXT in body
    report = Document(io.BytesIO(attached["Tong-hop-thang-10-2023.docx"]))
    assert any("– Tệp thực thi (đuôi kép .pdf.exe)" in p.text for p in report.paragraphs)
    sheet = load_workbook(io.BytesIO(attached["Danh-sach-thang-10-2023.xlsx"])).active
    assert any("Tài liệu có macro" in str(c.value) for row in sheet.iter_rows() for c in row)
    (row,) = [r for r in bot.ledger() if r["attachments"]]
    files = tmp_path / "var" / "files"
    for f in row["attachments"]:  # every file is still kept for the office
        sha = f["sha256"]
        assert hashlib.sha256((files / sha[:2] / sha[2:]).read_bytes()).hexdigest() == sha
    assert len(row["attachments"]) == 3


@pytest.mark.dovecot
def test_the_acknowledgement_tells_the_unit_its_program_will_not_go_to_the_board(
        tmp_path: Path, imap_account: ImapAccount, smtp_server: SmtpServer,
        capsys: pytest.CaptureFixture[str]) -> None:
    bot = Mailbot(write_config(tmp_path, imap_account, smtp=smtp_server), capsys)
    bot("db", "upgrade")
    imap_account.append(make_mail(attachments=[("Báo cáo.pdf", PDF, "application/pdf"),
                                               ("Báo cáo.pdf.exe", PE, "application/pdf")]),
                        internaldate=at(6, 9))

    bot("tick", now="2023-10-06T09:01")

    (got,) = smtp_server.wait_for(1)
    ack = email.message_from_bytes(got.raw, policy=email.policy.default)
    assert isinstance(ack, EmailMessage)
    text = ack.get_body(preferencelist=("plain",))
    assert text is not None
    body = str(text.get_content())
    assert "Tệp thực thi (đuôi kép .pdf.exe), không đưa vào gói" in body
    assert body.count("không đưa vào gói") == 1
