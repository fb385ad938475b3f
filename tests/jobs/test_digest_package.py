"""The package for the Board: frozen and previewed on the 16th, sent once on the 17th."""

from __future__ import annotations

import email
import email.policy
import hashlib
import io
from email.message import EmailMessage
from pathlib import Path

import pytest
from docx import Document  # type: ignore[import-untyped]
from openpyxl import load_workbook  # type: ignore[import-untyped]

from tests.builders import DOCX, JPEG, PDF, make_mail
from tests.samples import DOCX_TYPE, at
from tests.servers.dovecot import ImapAccount
from tests.servers.smtp import SmtpServer
from tests.support import BOARD, OFFICE_BOSS, SQLITE, Database, Mailbot, write_config

pytestmark = [pytest.mark.dovecot, pytest.mark.both_databases]


def _bot(tmp_path: Path, account: ImapAccount, smtp: SmtpServer,
         capsys: pytest.CaptureFixture[str], board: str = "",
         database: Database = SQLITE) -> Mailbot:
    b = Mailbot(write_config(tmp_path, account, smtp=smtp, board=board, database=database),
                capsys)
    b("db", "upgrade")
    return b


@pytest.fixture
def bot(tmp_path: Path, imap_account: ImapAccount, smtp_server: SmtpServer, database: Database,
        capsys: pytest.CaptureFixture[str]) -> Mailbot:
    return _bot(tmp_path, imap_account, smtp_server, capsys, database=database)


def _month(account: ImapAccount) -> dict[str, bytes]:
    files = {"Báo cáo thành tích.docx": DOCX, "IMG_2041.jpg": JPEG, "Danh sách.pdf": PDF}
    account.append(make_mail(attachments=[("Báo cáo thành tích.docx", DOCX, DOCX_TYPE),
                                          ("IMG_2041.jpg", JPEG, "image/jpeg")],
                             body="Kính gửi Phòng Nội vụ,\nGương ông Nguyễn Văn An cứu người "
                                  "đuối nước.\n\nTrân trọng,\nVăn thư\n> trích thư cũ\n"),
                   internaldate=at(10, 9))
    account.append(make_mail(sender="ubnddaphuc@example.gov.vn", message_id="<dp@x>",
                             subject="Gương người tốt việc tốt <script>alert(1)</script>",
                             attachments=[("Danh sách.pdf", PDF, "application/pdf")]),
                   internaldate=at(16, 7))
    return files


def _parsed(raw: bytes) -> EmailMessage:
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(msg, EmailMessage)
    return msg


def _attachments(msg: EmailMessage) -> dict[str, bytes]:
    return {str(p.get_filename()): p.get_content() for p in msg.iter_attachments()}


def _to(smtp: SmtpServer, address: str) -> list[EmailMessage]:
    return [_parsed(m.raw) for m in smtp.messages if address in m.rcpt_tos]


def test_the_office_gets_a_preview_on_the_16th_and_the_board_the_package_on_the_17th_once(
        imap_account: ImapAccount, smtp_server: SmtpServer, tmp_path: Path, database: Database,
        capsys: pytest.CaptureFixture[str]) -> None:
    bot = _bot(tmp_path, imap_account, smtp_server, capsys, database=database)
    files = _month(imap_account)
    bot("tick", now="2023-10-16T07:59")
    assert _to(smtp_server, BOARD) == []
    bot("tick", now="2023-10-16T08:00")
    (preview,) = [m for m in _to(smtp_server, OFFICE_BOSS) if "XEM TRƯỚC" in m["Subject"]]
    assert _to(smtp_server, BOARD) == []

    bot("tick", now="2023-10-17T08:00")
    (package,) = _to(smtp_server, BOARD)
    assert package["Subject"].startswith("Quận Dương Kinh: gương người tốt, việc tốt tháng "
                                         "10/2023 (2/4")
    assert "XEM TRƯỚC" not in package["Subject"]
    got = _attachments(package)
    for name, data in files.items():
        (match,) = [v for k, v in got.items() if k.endswith(name)]
        assert hashlib.sha256(match).digest() == hashlib.sha256(data).digest()
    # named so they sort by unit, in Vietnamese order (Đa Phúc before Hòa Nghĩa)
    assert sorted(k for k in got if k[:2].isdigit()) == [
        "03-UBND phường Đa Phúc - Danh sách.pdf",
        "04-UBND phường Hòa Nghĩa - Báo cáo thành tích.docx",
        "04-UBND phường Hòa Nghĩa - IMG_2041.jpg"]
    report = Document(io.BytesIO(got["Tong-hop-thang-10-2023.docx"]))
    text = "\n".join(p.text for p in report.paragraphs) + "\n".join(
        c.text for t in report.tables for row in t.rows for c in row.cells)
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in text and "UBND phường Hòa Nghĩa" in text
    sheet = load_workbook(io.BytesIO(got["Danh-sach-thang-10-2023.xlsx"])).active
    assert any("UBND phường Đa Phúc" in str(c.value) for row in sheet.iter_rows() for c in row)
    html = package.get_body(preferencelist=("html",))
    assert html is not None and "<script>" not in str(html.get_content())
    assert set(_attachments(preview)) == set(got)

    sent = len(smtp_server.messages)
    bot("tick", now="2023-10-17T09:00")
    bot("tick", now="2023-10-20T09:00")
    assert len(smtp_server.messages) == sent  # one package per month, ever


def test_mail_after_the_package_is_compiled_counts_for_next_month_or_as_a_supplement(
        imap_account: ImapAccount, smtp_server: SmtpServer, bot: Mailbot) -> None:
    _month(imap_account)
    bot("tick", now="2023-10-16T08:00")
    imap_account.append(make_mail(sender="hoiphunu@example.gov.vn", message_id="<pn@x>",
                                  subject="Gương người tốt việc tốt tháng 10/2023 (gửi muộn)"),
                        internaldate=at(16, 9))
    imap_account.append(make_mail(sender="tuphap@example.gov.vn", message_id="<tp@x>",
                                  subject="Gương người tốt việc tốt"), internaldate=at(16, 9))
    bot("tick", now="2023-10-17T08:00")
    rows = {r["message_id"]: r for r in bot.ledger()}
    assert (rows["pn@x"]["period"], rows["pn@x"]["late"]) == ("2023-10", True)
    assert rows["tp@x"]["period"] == "2023-11"
    (october,) = _to(smtp_server, BOARD)
    assert "(2/4" in october["Subject"]

    bot("tick", now="2023-11-17T08:00")
    november = _to(smtp_server, BOARD)[-1]
    body = november.get_body(preferencelist=("plain",))
    assert body is not None
    text = str(body.get_content())
    assert "Bổ sung tháng 10/2023" in text or "bổ sung tháng 10/2023" in text


def test_a_held_package_waits_until_the_office_approves_it(
        imap_account: ImapAccount, smtp_server: SmtpServer, bot: Mailbot) -> None:
    _month(imap_account)
    bot("tick", now="2023-10-16T08:00")
    bot("digest", "hold", "--period", "2023-10", now="2023-10-16T10:00")
    bot("tick", now="2023-10-17T08:00")
    assert _to(smtp_server, BOARD) == []
    bot("digest", "approve", "--period", "2023-10", now="2023-10-17T10:00")
    bot("tick", now="2023-10-17T10:01")
    assert len(_to(smtp_server, BOARD)) == 1
    err = bot("digest", "send", "--period", "2023-10", now="2023-10-17T11:00", expect=1)
    assert "--resend" in err
    bot("digest", "send", "--period", "2023-10", "--resend", now="2023-10-17T11:00")
    assert len(_to(smtp_server, BOARD)) == 2


def test_with_required_approval_the_office_is_reminded_and_nothing_goes_unapproved(
        tmp_path: Path, imap_account: ImapAccount, smtp_server: SmtpServer,
        capsys: pytest.CaptureFixture[str]) -> None:
    bot = _bot(tmp_path, imap_account, smtp_server, capsys, board='approval = "required"')
    _month(imap_account)
    bot("tick", now="2023-10-17T08:00")
    assert _to(smtp_server, BOARD) == []
    assert any("phê duyệt" in m["Subject"] for m in _to(smtp_server, OFFICE_BOSS))
    bot("digest", "approve", "--period", "2023-10", now="2023-10-17T09:00")
    bot("tick", now="2023-10-17T09:01")
    assert len(_to(smtp_server, BOARD)) == 1


def test_a_large_month_splits_into_parts_that_together_carry_exactly_the_submitted_files(
        tmp_path: Path, imap_account: ImapAccount, smtp_server: SmtpServer,
        capsys: pytest.CaptureFixture[str]) -> None:
    bot = _bot(tmp_path, imap_account, smtp_server, capsys, board="size_limit_mb = 1")
    sent: dict[str, bytes] = {}
    for i, sender in enumerate(["ubndhoanghia@example.gov.vn", "ubnddaphuc@example.gov.vn",
                                "hoiphunu@example.gov.vn"]):
        photos = [(f"ảnh {i}-{k}.jpg", bytes([i, k]) * 150_000, "image/jpeg") for k in range(2)]
        sent.update({n: d for n, d, _ in photos})
        imap_account.append(make_mail(sender=sender, message_id=f"<big{i}@x>",
                                      attachments=photos), internaldate=at(10, 9 + i))
    bot("tick", now="2023-10-17T08:00")
    parts = _to(smtp_server, BOARD)
    assert len(parts) > 1
    assert all(len(m.as_bytes()) <= 2**20 for m in parts)
    assert all(f"/{len(parts)}" in m["Subject"] for m in parts)
    carried = [(k, v) for m in parts for k, v in _attachments(m).items()
               if not k.startswith(("Tong-hop", "Danh-sach"))]
    assert sorted(hashlib.sha256(v).hexdigest() for _, v in carried) == sorted(
        hashlib.sha256(v).hexdigest() for v in sent.values())


def test_digest_preview_writes_the_emails_html_docx_and_xlsx(
        imap_account: ImapAccount, smtp_server: SmtpServer, bot: Mailbot, tmp_path: Path) -> None:
    _month(imap_account)
    bot("tick", now="2023-10-15T09:00")
    out = bot("digest", "preview", "--period", "2023-10", "--out", str(tmp_path / "pv"),
              now="2023-10-15T10:00")
    names = {Path(line).name for line in out.splitlines()}
    assert {"phan-1.eml", "phan-1.html", "Tong-hop-thang-10-2023.docx",
            "Danh-sach-thang-10-2023.xlsx"} <= names
    assert _to(smtp_server, BOARD) == []


def test_with_zip_per_unit_each_unit_s_files_travel_as_one_zip(
        tmp_path: Path, imap_account: ImapAccount, smtp_server: SmtpServer,
        capsys: pytest.CaptureFixture[str]) -> None:
    import zipfile

    bot = _bot(tmp_path, imap_account, smtp_server, capsys, board="zip_per_unit = true")
    files = _month(imap_account)
    bot("tick", now="2023-10-17T08:00")
    (package,) = _to(smtp_server, BOARD)
    got = _attachments(package)
    zips = sorted(k for k in got if k.endswith(".zip"))
    assert zips == ["03-UBND phường Đa Phúc.zip", "04-UBND phường Hòa Nghĩa.zip"]
    with zipfile.ZipFile(io.BytesIO(got["04-UBND phường Hòa Nghĩa.zip"])) as zf:
        assert sorted(zf.namelist()) == ["Báo cáo thành tích.docx", "IMG_2041.jpg"]
        assert zf.read("IMG_2041.jpg") == files["IMG_2041.jpg"]
