"""Acknowledgements, reminders and the office status, through real Dovecot and SMTP."""

from __future__ import annotations

import email
import email.policy
from email.message import EmailMessage
from pathlib import Path

import pytest

from tests.builders import PDF, make_mail
from tests.samples import at
from tests.servers.dovecot import ImapAccount
from tests.servers.smtp import SmtpServer
from tests.support import OFFICE_BOSS, Database, Mailbot, write_config

pytestmark = [pytest.mark.dovecot, pytest.mark.both_databases]


@pytest.fixture
def bot(tmp_path: Path, imap_account: ImapAccount, smtp_server: SmtpServer, database: Database,
        capsys: pytest.CaptureFixture[str]) -> Mailbot:
    b = Mailbot(write_config(tmp_path, imap_account, smtp=smtp_server, database=database),
                capsys)
    b("db", "upgrade")
    return b


def _parsed(raw: bytes) -> EmailMessage:
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(msg, EmailMessage)
    return msg


def _text(msg: EmailMessage) -> str:
    part = msg.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


def test_a_submission_is_acknowledged_in_vietnamese_as_a_reply(
        imap_account: ImapAccount, smtp_server: SmtpServer, bot: Mailbot) -> None:
    imap_account.append(make_mail(message_id="<hn-1@example.gov.vn>",
                                  attachments=[("Báo cáo thành tích.pdf", PDF,
                                                "application/pdf")]), internaldate=at(6, 9))
    bot("tick", now="2023-10-06T09:01")
    (got,) = smtp_server.wait_for(1)
    assert got.rcpt_tos == ("ubndhoanghia@example.gov.vn",)
    ack = _parsed(got.raw)
    assert ack["In-Reply-To"] == "<hn-1@example.gov.vn>"
    assert ack["Auto-Submitted"] == "auto-replied"
    assert ack["X-Auto-Response-Suppress"] == "All"
    assert "tháng 10/2023" in ack["Subject"]
    body = _text(ack)
    assert "Báo cáo thành tích.pdf" in body
    assert "UBND phường Hòa Nghĩa" in body
    (row,) = bot.json("outbox")
    assert (row["kind"], row["status"], row["unit"], row["period"]) == (
        "ack", "sent", "hoa-nghia", "2023-10")
    assert row["message_id"] in ack["Message-ID"]

    bot("tick", now="2023-10-06T09:05")
    assert len(smtp_server.messages) == 1  # nothing is sent twice


def test_a_reply_to_an_acknowledgement_is_filed_under_the_same_unit(
        imap_account: ImapAccount, smtp_server: SmtpServer, bot: Mailbot) -> None:
    imap_account.append(make_mail(message_id="<hn-1@example.gov.vn>"), internaldate=at(6, 9))
    bot("tick", now="2023-10-06T09:01")
    ack_id = _parsed(smtp_server.wait_for(1)[0].raw)["Message-ID"]
    imap_account.append(make_mail(
        sender="Chị Lan <lan.clerk@example.com>", subject="Re: Đã nhận", in_reply_to=ack_id,
        message_id="<reply-1@example.com>", body="Gửi thêm ảnh.\n",
        attachments=[("anh.pdf", PDF, "application/pdf")]), internaldate=at(6, 10))
    bot("tick", now="2023-10-06T10:01")
    (row,) = [r for r in bot.ledger() if r["message_id"] == "reply-1@example.com"]
    assert (row["disposition"], row["unit"]) == ("submission", "hoa-nghia")


def test_an_out_of_office_reply_gets_no_acknowledgement(
        imap_account: ImapAccount, smtp_server: SmtpServer, bot: Mailbot) -> None:
    imap_account.append(make_mail(
        sender="hoiphunu@example.gov.vn", subject="Trả lời tự động: Nhắc nhở gửi gương",
        headers={"Auto-Submitted": "auto-replied"}), internaldate=at(6, 9))
    bot("tick", now="2023-10-06T09:01")
    assert [r["kind"] for r in bot.json("outbox") if r["kind"] == "ack"] == []
    assert all(m.rcpt_tos != ("hoiphunu@example.gov.vn",) or b"auto-replied" not in m.raw
               for m in smtp_server.messages)


def _reminded(smtp: SmtpServer) -> set[str]:
    return {r for m in smtp.messages if "Nhắc" in _parsed(m.raw)["Subject"] for r in m.rcpt_tos}


def test_reminders_go_on_their_days_to_units_that_sent_nothing_and_were_not_excused(
        imap_account: ImapAccount, smtp_server: SmtpServer, bot: Mailbot) -> None:
    imap_account.append(make_mail(), internaldate=at(5, 9))  # Hòa Nghĩa submits early
    bot("excuse", "tu-phap", "--period", "2023-10", "--reason", "Đã báo cáo trực tiếp")
    bot("tick", now="2023-10-09T08:00")
    assert _reminded(smtp_server) == set()
    bot("tick", now="2023-10-10T08:00")
    assert _reminded(smtp_server) == {"ubnddaphuc@example.gov.vn", "hoiphunu@example.gov.vn"}
    first = len(smtp_server.messages)
    bot("tick", now="2023-10-12T08:00")  # the same step again: nothing new
    assert len(smtp_server.messages) == first
    bot("tick", now="2023-10-14T08:00")
    d1 = [m for m in smtp_server.messages[first:] if "Nhắc" in _parsed(m.raw)["Subject"]]
    assert sorted(r for m in d1 for r in m.rcpt_tos) == [
        "hoiphunu@example.gov.vn", "ubnddaphuc@example.gov.vn"]
    reminder = _parsed(d1[0].raw)
    assert reminder["Auto-Submitted"] == "auto-generated"
    assert "ngày 15/10/2023" in _text(reminder)


def test_after_downtime_a_passed_reminder_day_is_caught_up_but_a_passed_deadline_is_not(
        tmp_path: Path, imap_account: ImapAccount, smtp_server: SmtpServer,
        capsys: pytest.CaptureFixture[str]) -> None:
    late = Mailbot(write_config(tmp_path, imap_account, smtp=smtp_server), capsys)
    late("db", "upgrade")
    late("tick", now="2023-10-12T15:00")  # down on the 10th: the step is still due
    rows = [r for r in late.json("outbox") if r["kind"] == "reminder"]
    assert sorted(r["unit"] for r in rows) == ["da-phuc", "hoa-nghia", "phu-nu", "tu-phap"]
    assert {(r["period"], r["status"]) for r in rows} == {("2023-10", "sent")}
    assert "vanthu.hoanghia@gmail.com" in _reminded(smtp_server)  # every address of a unit

    smtp_server.messages.clear()
    late("tick", now="2023-11-16T09:00")  # down over the whole of November's reminder days
    assert _reminded(smtp_server) == set()


def test_the_office_gets_a_status_email_the_morning_after_the_deadline_once(
        imap_account: ImapAccount, smtp_server: SmtpServer, bot: Mailbot) -> None:
    imap_account.append(make_mail(), internaldate=at(5, 9))
    bot("tick", now="2023-10-16T07:59")
    assert not [m for m in smtp_server.messages if OFFICE_BOSS in m.rcpt_tos]
    bot("tick", now="2023-10-16T08:00")
    bot("tick", now="2023-10-16T09:00")
    status = [m for m in smtp_server.messages if OFFICE_BOSS in m.rcpt_tos]
    assert len(status) == 1
    text = _text(_parsed(status[0].raw))
    assert "UBND phường Hòa Nghĩa" in text and "UBND phường Đa Phúc" in text


def test_temporary_smtp_errors_are_retried_and_permanent_ones_shown(
        imap_account: ImapAccount, smtp_server: SmtpServer, bot: Mailbot) -> None:
    smtp_server.fail_next(2, code=421, stage="MAIL")  # 421 closes; one reconnect is tried
    imap_account.append(make_mail(message_id="<a@example.gov.vn>"), internaldate=at(6, 9))
    bot("tick", now="2023-10-06T09:01")
    assert bot.json("outbox")[0]["status"] == "pending"
    assert "421" in bot.json("outbox")[0]["last_error"]
    bot("tick", now="2023-10-06T09:30")
    assert bot.json("outbox")[0]["status"] == "sent"
    assert len(smtp_server.messages) == 1

    smtp_server.fail_next(1, code=550, stage="RCPT", text="5.1.1 No such user")
    imap_account.append(make_mail(sender="ubnddaphuc@example.gov.vn",
                                  message_id="<b@example.gov.vn>"), internaldate=at(6, 10))
    bot("tick", now="2023-10-06T10:01")
    failed = [r for r in bot.json("outbox") if r["status"] == "failed"]
    assert len(failed) == 1 and "550" in failed[0]["last_error"]


def test_smtp_down_leaves_the_email_pending_until_it_is_back(
        tmp_path: Path, imap_account: ImapAccount, capsys: pytest.CaptureFixture[str]) -> None:
    with SmtpServer() as smtp:
        down = Mailbot(write_config(tmp_path, imap_account, smtp=smtp), capsys)
    down("db", "upgrade")
    imap_account.append(make_mail(), internaldate=at(6, 9))
    down("tick", now="2023-10-06T09:01")  # the server is gone: connection refused
    (row,) = down.json("outbox")
    assert (row["status"], row["attempts"]) == ("pending", 1)


def test_no_header_can_be_injected_through_a_subject_that_came_in_by_mail(
        imap_account: ImapAccount, smtp_server: SmtpServer, bot: Mailbot) -> None:
    hostile = ("Gương người tốt =?utf-8?q?th=C3=A1ng_10=0D=0ABcc:_evil@example.com=0D=0A?="
               " <script>alert(1)</script>")
    raw = make_mail(subject="x").replace(b"Subject: x", b"Subject: " + hostile.encode())
    imap_account.append(raw, internaldate=at(6, 9))
    bot("tick", now="2023-10-06T09:01")
    (got,) = smtp_server.wait_for(1)
    assert got.rcpt_tos == ("ubndhoanghia@example.gov.vn",)
    ack = _parsed(got.raw)
    assert ack["Bcc"] is None
    html = ack.get_body(preferencelist=("html",))
    assert html is not None
    assert "<script>" not in str(html.get_content())
    assert "&lt;script&gt;" in str(html.get_content())


def test_remind_dry_run_shows_who_would_be_reminded_and_sends_nothing(
        imap_account: ImapAccount, smtp_server: SmtpServer, bot: Mailbot) -> None:
    imap_account.append(make_mail(), internaldate=at(5, 9))
    bot("tick", now="2023-10-05T09:01")
    sent = len(smtp_server.messages)
    out = bot("remind", "--period", "2023-10", "--dry-run", now="2023-10-09T09:00")
    assert "3 unit(s) would be reminded for 2023-10" in out
    assert "da-phuc: ubnddaphuc@example.gov.vn" in out and "hoa-nghia" not in out
    assert "Subject: Nhắc nhở" in out and "ngày 15/10/2023" in out
    assert len(smtp_server.messages) == sent
    assert [r["kind"] for r in bot.json("outbox")] == ["ack"]


def test_a_bounced_address_gets_no_more_reminders_but_the_unit_s_other_addresses_do(
        imap_account: ImapAccount, smtp_server: SmtpServer, bot: Mailbot) -> None:
    from tests.samples import dsn

    imap_account.append(dsn("vanthu.hoanghia@gmail.com"), internaldate=at(8, 9))
    bot("tick", now="2023-10-10T08:00")
    assert "ubndhoanghia@example.gov.vn" in _reminded(smtp_server)
    assert "vanthu.hoanghia@gmail.com" not in _reminded(smtp_server)
