"""Builders for test mail: realistic Vietnamese messages as raw RFC 5322 bytes."""

from __future__ import annotations

import email.policy
import email.utils
from collections.abc import Iterable, Mapping
from email.message import EmailMessage

OFFICE = "noivuduongkinh@example.com"

# A tiny valid JPEG header plus filler: real enough for content sniffing.
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + bytes(range(256)) * 8
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
DOCX = b"PK\x03\x04" + b"word/document.xml" + bytes(200)


def make_mail(
    *,
    subject: str = "Gương người tốt việc tốt tháng 10/2023 - UBND phường Hòa Nghĩa",
    sender: str = "UBND phường Hòa Nghĩa <ubndhoanghia@example.gov.vn>",
    to: str = OFFICE,
    body: str = "Kính gửi Phòng Nội vụ,\nĐơn vị xin gửi gương người tốt, việc tốt: ông Nguyễn Văn An.\n",
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
    msg = EmailMessage(policy=email.policy.SMTP)
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
