"""Realistic Vietnamese office mail as raw RFC 5322 bytes, for the demo and the tests."""

from __future__ import annotations

import email.policy
import email.utils
from collections.abc import Iterable, Mapping
from datetime import datetime
from email.message import EmailMessage
from zoneinfo import ZoneInfo

OFFICE = "noivuduongkinh@example.com"

# A tiny valid JPEG header plus filler: real enough for content sniffing.
JPEG = (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
        + bytes(range(256)) * 8)
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
DOCX = b"PK\x03\x04" + b"word/document.xml" + bytes(200)


def make_mail(
    *,
    subject: str = "Gương người tốt việc tốt tháng 10/2023 - UBND phường Hòa Nghĩa",
    sender: str = "UBND phường Hòa Nghĩa <ubndhoanghia@example.gov.vn>",
    to: str = OFFICE,
    body: str = ("Kính gửi Phòng Nội vụ,\n"
                 "Đơn vị xin gửi gương người tốt, việc tốt: ông Nguyễn Văn An.\n"),
    html: str | None = None,
    attachments: Iterable[tuple[str, bytes, str]] = (),
    message_id: str | None = None,
    date: str | None = None,
    in_reply_to: str | None = None,
    references: str | None = None,
    headers: Mapping[str, str] | None = None,
    forward_of: bytes | None = None,
) -> bytes:
    """One message as bytes (CRLF line ends). Attachments are (filename, data, mime type)."""
    # CPython's header folding drops the space between two encoded-words it splits
    # ("việc tốt" -> "việctốt"); unfolded headers (< 998 chars) avoid that bug.
    msg = EmailMessage(policy=email.policy.SMTP.clone(max_line_length=998))
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = date or email.utils.format_datetime(
        email.utils.parsedate_to_datetime("Tue, 10 Oct 2023 09:30:00 +0700")
    )
    msg["Message-ID"] = message_id or email.utils.make_msgid(domain="example.gov.vn")
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
    if references:
        msg["References"] = references
    for name, value in (headers or {}).items():
        msg[name] = value
    msg.set_content(body)
    if html is not None:
        msg.add_alternative(html, subtype="html")
    for filename, data, mime in attachments:
        maintype, subtype = mime.split("/", 1)
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    if forward_of is not None:
        inner = email.message_from_bytes(forward_of, policy=email.policy.default)
        msg.add_attachment(inner, filename="forwarded.eml")
    return msg.as_bytes()


VN = ZoneInfo("Asia/Ho_Chi_Minh")
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def at(day: int, hour: int = 9, minute: int = 0, month: int = 10) -> datetime:
    return datetime(2023, month, day, hour, minute, tzinfo=VN)


def dsn(failed: str) -> bytes:
    return f"""From: Mail Delivery Subsystem <mailer-daemon@example.com>
To: noivuduongkinh@example.com
Subject: Delivery Status Notification (Failure)
Message-ID: <bounce-1@example.com>
Date: Wed, 11 Oct 2023 08:01:00 +0700
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="b1"

--b1
Content-Type: text/plain; charset=utf-8

Your message wasn't delivered to {failed} because the address couldn't be found.

--b1
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.com

Final-Recipient: rfc822; {failed}
Action: failed
Status: 5.1.1
Diagnostic-Code: smtp; 550 5.1.1 The email account that you tried to reach does not exist

--b1--
""".replace("\n", "\r\n").encode()


def month_of_mail() -> list[tuple[str, bytes, datetime]]:
    original = make_mail(
        subject="Báo cáo gương người tốt việc tốt tháng 10/2023",
        sender="Phòng Tư pháp <tuphap@example.gov.vn>", message_id="<orig-tp@example.gov.vn>",
        attachments=[("Danh sách điển hình.pdf", PDF, "application/pdf")])
    return [
        ("hoa-nghia", make_mail(
            message_id="<hn-1@example.gov.vn>",
            attachments=[("Báo cáo thành tích.docx", DOCX, DOCX_TYPE),
                         ("Danh sách.pdf", PDF, "application/pdf"),
                         ("IMG_2041.jpg", JPEG, "image/jpeg")]), at(10)),
        ("da-phuc-reply", make_mail(
            subject="Re: Gương người tốt việc tốt tháng 10/2023",
            sender="=?utf-8?q?UBND_ph=C6=B0=E1=BB=9Dng_=C4=90a_Ph=C3=BAc?= "
                   "<ubnddaphuc@example.gov.vn>",
            message_id="<dp-1@example.gov.vn>", in_reply_to="<older@example.com>",
            body="Đơn vị gửi bổ sung ảnh.\n\n> Kính gửi các đơn vị...\n",
            attachments=[("ảnh trao thưởng.jpg", JPEG, "image/jpeg")]), at(12, 15)),
        ("forward", make_mail(
            subject="Fwd: Báo cáo gương người tốt việc tốt tháng 10/2023",
            sender="Nguyễn Thị Mai <mai.nt@example.com>", message_id="<fwd-1@example.com>",
            body="Chuyển tiếp báo cáo của Phòng Tư pháp.\n", forward_of=original), at(13)),
        ("newsletter", make_mail(
            subject="Bản tin công nghệ tuần này", sender="Tin tức <news@example.com>",
            message_id="<news-1@example.com>", body="Tin mới nhất...\n",
            headers={"List-Id": "<news.example.com>", "Precedence": "bulk"}), at(11)),
        ("unrelated", make_mail(
            subject="Mời họp giao ban tuần", sender="Văn phòng <vanphong@example.org>",
            message_id="<meet-1@example.org>", body="Mời đồng chí dự họp lúc 14h.\n"), at(11)),
        ("out-of-office", make_mail(
            subject="Trả lời tự động: Nhắc nộp báo cáo", sender="hoiphunu@example.gov.vn",
            message_id="<ooo-1@example.gov.vn>", body="Tôi đang đi công tác.\n",
            headers={"Auto-Submitted": "auto-replied"}), at(11, 10)),
        ("bounce", dsn("vanthu.hoanghia@gmail.com"), at(11, 8)),
        ("unmatched", make_mail(
            subject="Gương người tốt việc tốt tháng 10", sender="nguyenvana@gmail.com",
            message_id="<un-1@gmail.com>",
            attachments=[("bao cao.docx", DOCX, DOCX_TYPE)]), at(14)),
        ("baseline", make_mail(
            subject="Gương người tốt việc tốt tháng 8/2023", message_id="<old-1@example.gov.vn>"),
         at(20, month=8)),
        ("late", make_mail(
            subject="Gương người tốt, việc tốt - Hội Liên hiệp Phụ nữ quận",
            sender="hoiphunu@example.gov.vn", message_id="<pn-1@example.gov.vn>",
            attachments=[("Báo cáo.pdf", PDF, "application/pdf")]), at(16, 10)),
        ("next-month", make_mail(
            subject="Gương người tốt việc tốt", sender="ubnddaphuc@example.gov.vn",
            message_id="<dp-2@example.gov.vn>",
            attachments=[("Báo cáo T11.pdf", PDF, "application/pdf")]), at(17, 9)),
    ]


def malformed() -> bytes:
    """A message nested 60 multiparts deep (mailbot's limit is 50): quarantined."""
    nested = b"".join(b'Content-Type: multipart/mixed; boundary="b%d"\r\n\r\n--b%d\r\n' % (i, i)
                      for i in range(60))
    return (b"From: x@example.com\r\nSubject: deep\r\nMessage-ID: <deep@example.com>\r\n"
            b"MIME-Version: 1.0\r\n" + nested)
