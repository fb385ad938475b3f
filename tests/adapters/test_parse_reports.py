"""parse_mail: bounces (RFC 3464 DSNs and plain notices) and auto-replies."""

from __future__ import annotations

from pathlib import Path

import pytest

from mailbot.adapters.parse import parse_mail
from mailbot.core.model import DeliveryReport
from tests.adapters.parse_builders import leaf, multipart
from tests.builders import make_mail

DATA = Path(__file__).resolve().parent.parent / "data"


def test_it_reads_a_postfix_dsn() -> None:
    mail = parse_mail((DATA / "postfix-dsn.eml").read_bytes())

    assert mail.delivery_report == DeliveryReport(
        failed_recipients=("ubndhoanghia@example.gov.vn",),
        diagnostic="550 5.1.1 <ubndhoanghia@example.gov.vn>: Recipient address rejected: "
                   "User unknown in virtual mailbox table")
    assert mail.auto_submitted == "auto-replied"


def test_the_returned_copy_in_a_dsn_is_neither_a_forward_nor_files() -> None:
    mail = parse_mail((DATA / "postfix-dsn.eml").read_bytes())

    assert mail.attachments == ()
    assert mail.forwarded_from is None
    assert "could not\nbe delivered" in mail.text
    assert "đề nghị gửi báo cáo" not in mail.text


def _dsn(*recipients: tuple[str, str, str]) -> bytes:
    blocks = "\r\n".join(
        f"Final-Recipient: rfc822; {addr}\r\nAction: {action}\r\nStatus: 5.0.0\r\n"
        f"Diagnostic-Code: smtp; {diag}\r\n" for addr, action, diag in recipients)
    return multipart([
        leaf([("Content-Type", "text/plain")], b"Delivery report"),
        leaf([("Content-Type", "message/delivery-status")],
             b"Reporting-MTA: dns; mx.example.com\r\n\r\n" + blocks.encode()),
        leaf([("Content-Type", "text/rfc822-headers")], b"Subject: x\r\n"),
    ], subtype="report", params="; report-type=delivery-status", headers=[
        ("From", "postmaster@example.com"), ("Subject", "Delivery Status Notification")])


def test_only_recipients_whose_action_failed_are_listed() -> None:
    mail = parse_mail(_dsn(("A@Example.vn", "failed", "550 no such user"),
                           ("b@example.vn", "delayed", "451 try later"),
                           ("c@example.vn", "failed", "552 mailbox full")))

    assert mail.delivery_report == DeliveryReport(("a@example.vn", "c@example.vn"),
                                                  "550 no such user; 552 mailbox full")


def test_a_delay_only_dsn_is_a_report_with_no_failed_recipients() -> None:
    mail = parse_mail(_dsn(("b@example.vn", "delayed", "451 try later")))

    assert mail.delivery_report == DeliveryReport((), "")


@pytest.mark.parametrize("sender,subject,body,failed", [
    ("MAILER-DAEMON@mx.example.com", "failure notice",
     "Hi. This is the qmail-send program at mx.example.com.\nI'm afraid I wasn't able to "
     "deliver your message to the following addresses.\nThis is a permanent error; I've given up."
     "\n\n<ubnd.hoanghia@example.gov.vn>:\n203.0.113.5 does not like recipient.\nRemote host "
     "said: 550 5.1.1 User unknown\n", ("ubnd.hoanghia@example.gov.vn",)),
    ("Mail Delivery System <Mailer-Daemon@mx.example.com>", "Mail delivery failed: returning "
     "message to sender", "This message was created automatically by mail delivery software.\n\n"
     "A message that you sent could not be delivered to one or more of its\nrecipients. This is a "
     "permanent error. The following address(es) failed:\n\n  vanhoa@example.gov.vn\n    host "
     "mx.example.gov.vn [203.0.113.9]\n    SMTP error from remote mail server after RCPT TO:"
     "<vanhoa@example.gov.vn>:\n    550 5.1.1 mailbox unavailable\n", ("vanhoa@example.gov.vn",)),
    ("Mail Delivery Subsystem <mailer-daemon@googlemail.com>", "Delivery Status Notification "
     "(Failure)", "Không tìm thấy địa chỉ\n\nThư của bạn chưa được gửi tới phuong@example.gov.vn "
     "vì không tìm thấy địa chỉ.\n\n550 5.1.1 The email account does not exist.\n",
     ("phuong@example.gov.vn",)),
])
def test_it_reads_a_plain_mailer_daemon_bounce(sender: str, subject: str, body: str,
                                               failed: tuple[str, ...]) -> None:
    mail = parse_mail(make_mail(sender=sender, subject=subject, body=body))

    assert mail.delivery_report is not None
    assert mail.delivery_report.failed_recipients == failed
    assert "550" in mail.delivery_report.diagnostic


def test_a_gmail_out_of_office_is_an_auto_reply_not_a_bounce() -> None:
    mail = parse_mail((DATA / "gmail-out-of-office.eml").read_bytes())

    assert mail.auto_submitted == "auto-replied"
    assert mail.delivery_report is None
    assert mail.subject == "Trả lời tự động: Nhắc nộp báo cáo"
    assert mail.in_reply_to == ("reminder-2023-10-daphuc@example.com",)
    assert mail.text == ("Tôi đang nghỉ phép đến hết ngày 13/10. "
                         "Việc gấp xin liên hệ đồng chí Lan.")


@pytest.mark.parametrize("body", [
    "Kính gửi Phòng Nội vụ, báo cáo đính kèm.\n",
    "Email này không gửi được tới ai cả? Chỉ là câu hỏi: 550 người tham gia.\n",
])
def test_an_ordinary_submission_has_no_delivery_report(body: str) -> None:
    assert parse_mail(make_mail(body=body)).delivery_report is None
