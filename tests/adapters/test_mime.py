"""build_message: what a mail client reads back from the bytes mailbot sends."""

from __future__ import annotations

import email
import email.policy
import re
from datetime import datetime
from email.header import decode_header, make_header
from email.message import EmailMessage, Message
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mailbot.adapters.mime import build_message, is_message_id, make_message_id
from mailbot.adapters.parse import parse_mail
from mailbot.core.model import Address
from tests.builders import DOCX, JPEG, PDF
from tests.core.samples import HCM

OFFICE = "noivuduongkinh@example.com"
OFFICE_NAME = "Phòng Nội vụ quận Dương Kinh"
UNIT = "ubndhoanghia@example.gov.vn"
SUBJECT = "Đã nhận: gương người tốt, việc tốt tháng 10/2023 - UBND phường Hòa Nghĩa"
TEXT = "Kính gửi: UBND phường Hòa Nghĩa\n\nPhòng Nội vụ quận Dương Kinh đã nhận được thư.\n"
HTML = ('<!DOCTYPE html>\n<html lang="vi"><body><p>Kính gửi: UBND phường Hòa Nghĩa</p>'
        "</body></html>\n")
MSG_ID = "ack-42.0123456789abcdef@mailbot.example.com"
WHEN = datetime(2023, 10, 10, 9, 31, 5, tzinfo=HCM)
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
CRLF_LINE = re.compile(rb"(?<!\r)\n|\r(?!\n)")


def build(**overrides: Any) -> bytes:
    args: dict[str, Any] = {
        "from_addr": OFFICE, "from_name": OFFICE_NAME, "to": [UNIT], "subject": SUBJECT,
        "text": TEXT, "html": HTML, "message_id": MSG_ID, "date": WHEN,
    } | overrides
    return build_message(**args)


def parsed(raw: bytes) -> EmailMessage:
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(msg, EmailMessage)
    return msg


def header_block(raw: bytes) -> str:
    return raw.split(b"\r\n\r\n", 1)[0].decode("ascii")


def unfolded(raw: bytes, name: str) -> str:
    """The raw value of a top-level header, unfolded as RFC 5322 says (CRLF before WSP)."""
    value = email.message_from_bytes(raw)[name]
    assert isinstance(value, str)
    return re.sub(r"\r?\n(?=[ \t])", "", value)


def rfc2047(raw: bytes, name: str) -> str:
    return str(make_header(decode_header(unfolded(raw, name))))


def test_the_headers_read_back() -> None:
    msg = parsed(build(cc=["vanthu.hoanghia@gmail.com"], in_reply_to="<CAB+x1@mail.gmail.com>",
                       references=["first@example.gov.vn"]))

    assert msg["Subject"] == SUBJECT
    assert msg["From"].addresses[0].display_name == OFFICE_NAME
    assert msg["From"].addresses[0].addr_spec == OFFICE
    assert [a.addr_spec for a in msg["To"].addresses] == [UNIT]
    assert [a.addr_spec for a in msg["Cc"].addresses] == ["vanthu.hoanghia@gmail.com"]
    assert msg["Message-ID"] == f"<{MSG_ID}>"
    assert msg["Date"].datetime == WHEN
    assert msg["In-Reply-To"] == "<CAB+x1@mail.gmail.com>"
    assert msg["References"] == "<first@example.gov.vn> <CAB+x1@mail.gmail.com>"
    assert msg["Auto-Submitted"] == "auto-generated"
    assert msg["X-Auto-Response-Suppress"] == "All"
    assert msg["MIME-Version"] == "1.0"
    assert msg.defects == []


def test_there_is_no_bcc_and_no_threading_header_unless_asked() -> None:
    names = [n.lower() for n in parsed(build())]

    assert names == ["from", "to", "subject", "date", "message-id", "auto-submitted",
                     "x-auto-response-suppress", "mime-version", "content-type"]


def test_an_acknowledgement_can_say_it_is_an_auto_reply() -> None:
    assert parsed(build(auto_submitted="auto-replied"))["Auto-Submitted"] == "auto-replied"


def test_the_body_is_text_and_html_alternatives_in_utf8() -> None:
    msg = parsed(build())

    assert msg.get_content_type() == "multipart/alternative"
    text, html = msg.iter_parts()
    assert text.get_content_type() == "text/plain" and html.get_content_type() == "text/html"
    assert text.get_content_charset() == "utf-8" and html.get_content_charset() == "utf-8"
    assert text.get_content().replace("\r\n", "\n") == TEXT
    assert html.get_content().replace("\r\n", "\n") == HTML
    assert list(msg.iter_attachments()) == []


def test_every_line_ends_in_crlf_and_nothing_is_sent_as_raw_8bit() -> None:
    raw = build(attachments=[("Danh sách.csv", "text/csv", b"a;b\n1;2\r\n")])

    assert CRLF_LINE.search(raw) is None
    assert raw.isascii()
    assert max(len(line) for line in raw.split(b"\r\n")) <= 78


ATTACHMENTS = [
    ("Báo cáo thành tích gương người tốt, việc tốt tháng 10/2023 - UBND phường Hòa "
     "Nghĩa (bản chính thức).docx", DOCX_TYPE, DOCX),
    ("Ảnh trao thưởng ông Nguyễn Văn An.jpg", "image/jpeg", JPEG),
    ("report.pdf", "application/pdf", PDF),
    ('Tổng hợp; "bản 2".xlsx', "application/vnd.ms-excel", b"\x00\xff" * 50),
    ("Danh sách.csv", "text/csv", "Họ tên;Đơn vị\r\nNguyễn Văn An;Hòa Nghĩa\n".encode()),
    ("rỗng.txt", "text/plain", b""),
]


def test_attachments_arrive_byte_exact_with_their_vietnamese_names() -> None:
    msg = parsed(build(attachments=ATTACHMENTS))

    assert msg.get_content_type() == "multipart/mixed"
    body, *files = msg.iter_parts()
    assert body.get_content_type() == "multipart/alternative"
    assert [(f.get_filename(), f.get_content_type(), f.get_payload(decode=True))
            for f in files] == ATTACHMENTS
    assert all(f.get_content_disposition() == "attachment" for f in files)


def test_attachment_names_read_back_with_the_legacy_parser_too() -> None:
    legacy = email.message_from_bytes(build(attachments=ATTACHMENTS))

    names = [part.get_filename() for part in legacy.walk() if part.get_filename()]
    assert names == [name for name, _, _ in ATTACHMENTS]


def test_vietnamese_file_names_use_rfc_2231() -> None:
    raw = build(attachments=[("Ảnh.jpg", "image/jpeg", JPEG)]).decode("ascii")

    assert "filename*=utf-8''%E1%BA%A2nh.jpg" in raw


@pytest.mark.parametrize(
    ("name", "mime_type"),
    [("a.eml", "message/rfc822"), ("a", "multipart/mixed"), ("a", "jpeg"),
     ("a", "image/jpeg\r\nBcc: x@evil.com"), ("a", "image/jpeg\n"), ("\r\n", "image/jpeg"),
     ("", "image/jpeg")],
)
def test_an_unusable_attachment_is_refused(name: str, mime_type: str) -> None:
    with pytest.raises(ValueError, match="attachment"):
        build(attachments=[(name, mime_type, b"x")])


LONG_SUBJECTS = [
    "Báo cáo gương người tốt việc tốt tháng 10/2023",
    "Báo cáo gương người tốt việc tốt tháng 10/2023 - Trung tâm Văn hóa - Thông tin và Thể "
    "thao quận Dương Kinh - bổ sung hình ảnh, tư liệu hoạt động thi đua, khen thưởng",
    "Tình hình gửi gương người tốt, việc tốt tháng 10/2023: 30/40 đơn vị đã gửi",
    "Re: Fwd: Nhắc nhở: gửi gương người tốt, việc tốt tháng 10/2023 chậm nhất ngày 15/10/2023",
    "An ASCII subject long enough to be folded by the encoder at one of its many spaces, "
    "again and again and again",
    "=?utf-8?q?not_an_encoded_word?= written literally",
    "Ủy ban MTTQ Việt Nam quận    ",
    "x" * 120,
    "đ" * 200,
]


@pytest.mark.parametrize("subject", LONG_SUBJECTS)
def test_long_subjects_read_back_exactly(subject: str) -> None:
    raw = build(subject=subject)
    expected = " ".join(subject.split())

    assert parsed(raw)["Subject"] == expected
    assert rfc2047(raw, "Subject") == expected
    assert parse_mail(raw).subject == expected


LONG_NAMES = [
    "Phòng Nội vụ quận Dương Kinh",
    "Phòng Nội vụ quận Dương Kinh - Ủy ban nhân dân quận Dương Kinh, thành phố Hải Phòng",
    "Ủy ban MTTQ Việt Nam quận",
    'Văn phòng "HĐND và UBND" quận',
]


@pytest.mark.parametrize("name", LONG_NAMES)
def test_vietnamese_display_names_read_back_exactly(name: str) -> None:
    raw = build(from_name=name)

    assert parsed(raw)["From"].addresses[0].display_name == name
    assert rfc2047(raw, "From") == f"{name} <{OFFICE}>"
    assert parse_mail(raw).from_ == Address(name, OFFICE)


@pytest.mark.parametrize("name", ["Noi vu", 'Phong "Noi vu", quan <Duong Kinh>', ""])
def test_ascii_display_names_read_back_exactly(name: str) -> None:
    address = parsed(build(from_name=name))["From"].addresses[0]

    assert (address.display_name, address.addr_spec) == (name, OFFICE)


VIETNAMESE = "aăâbcdđeêghiklmnoôơpqrstuưvxyàáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợ" \
    "ùúủũụừứửữựỳýỷỹỵĐƯÀỦ"
TEXTS = st.text(alphabet=st.sampled_from(list(VIETNAMESE + "     ,.-:;/()0123456789")),
                min_size=1, max_size=150).filter(lambda s: s.strip() != "")


@given(subject=TEXTS, name=TEXTS)
def test_any_vietnamese_subject_and_name_read_back_exactly(subject: str, name: str) -> None:
    raw = build(subject=subject, from_name=name)
    subject, name = " ".join(subject.split()), " ".join(name.split())

    msg = parsed(raw)
    assert msg["Subject"] == subject == rfc2047(raw, "Subject")
    assert msg["From"].addresses[0].display_name == name
    assert parse_mail(raw).from_ == Address(name, OFFICE)


HOSTILE = ["Hòa Nghĩa\r\nBcc: x@evil.com", "Hoa Nghia\r\nBcc: x@evil.com", "Hòa\nBcc: x@evil.com",
           "Hoa\rBcc: x@evil.com", "Hoa\x00Bcc: x@evil.com", "Hòa\u2028Bcc: x@evil.com",
           "Hoa\r\n\r\n<html>body</html>"]


@pytest.mark.parametrize("hostile", HOSTILE)
def test_a_line_break_in_a_subject_or_name_creates_no_header(hostile: str) -> None:
    raw = build(subject=hostile, from_name=hostile,
                attachments=[(hostile + ".pdf", "application/pdf", PDF)])

    msg = parsed(raw)
    assert "Bcc" not in msg
    flat = " ".join(hostile.replace("\x00", " ").replace("\u2028", " ").split())
    assert msg["Subject"] == flat
    assert msg["From"].addresses[0].display_name == flat
    assert [p.get_filename() for p in msg.iter_attachments()] == [flat + ".pdf"]
    assert not any(line.lower().startswith("bcc") for line in header_block(raw).split("\r\n"))


@pytest.mark.parametrize(
    "field",
    [{"from_addr": "noivu@example.com\r\nBcc: x@evil.com"},
     {"from_addr": "Phòng Nội vụ <noivu@example.com>"},
     {"to": ["a@example.com", "b@example.com\nBcc: x@evil.com"]},
     {"to": ["not an address"]},
     {"to": ["a@example.com\n"]},
     {"to": ["hòa@example.com"]},
     {"to": []},
     {"cc": ["x@evil.com, y@evil.com"]},
     {"message_id": "abc@example.com\r\nBcc: x@evil.com"},
     {"message_id": "no-at-sign"},
     {"message_id": "abc@example.com\n"},
     {"message_id": "<a@b> <c@d>"},
     {"in_reply_to": "a@example.com\r\nBcc: x@evil.com"},
     {"in_reply_to": "a@example.com\n"},
     {"references": ["a@example.com", "b@example.com\nBcc: x@evil.com"]},
     {"auto_submitted": "auto-generated\r\nBcc: x@evil.com"},
     {"date": datetime(2023, 10, 10, 9, 30)}],
    ids=lambda field: next(iter(field)),
)
def test_a_bad_address_id_or_date_is_refused(field: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        build(**field)


def test_a_malformed_id_from_a_units_mail_is_left_out_of_the_thread() -> None:
    msg = parsed(build(in_reply_to="1234.no-at-sign", references=["ok@example.com", "xin chào",
                                                                 "(odd)@example.com"]))

    assert "In-Reply-To" not in msg
    assert msg["References"] == "<ok@example.com>"


def test_many_recipients_and_references_are_folded_and_read_back() -> None:
    to = [f"donvi{i}@example.gov.vn" for i in range(12)]
    refs = [f"ref{i}.{'x' * 30}@mail.example.com" for i in range(8)]

    raw = build(to=to, references=refs)

    assert [a.addr_spec for a in parsed(raw)["To"].addresses] == to
    assert parse_mail(raw).references == tuple(refs)
    assert max(len(line) for line in header_block(raw).split("\r\n")) <= 78


def test_the_projects_own_parser_reads_everything_back() -> None:
    raw = build(attachments=ATTACHMENTS[:2], in_reply_to="unit-1@example.gov.vn")

    mail = parse_mail(raw)

    assert mail.message_id == MSG_ID
    assert mail.subject == SUBJECT
    assert mail.from_ == Address(OFFICE_NAME, OFFICE)
    assert mail.auto_submitted == "auto-generated"
    assert mail.in_reply_to == ("unit-1@example.gov.vn",)
    assert "Phòng Nội vụ quận Dương Kinh đã nhận được thư." in mail.text
    assert [(a.filename, a.data) for a in mail.attachments] == [
        (name, data) for name, _, data in ATTACHMENTS[:2]]


def test_a_message_id_is_stable_for_a_token() -> None:
    first = make_message_id("mailbot.example.com", "ack.42.2023-10")

    assert first == "ack.42.2023-10@mailbot.example.com"
    assert make_message_id("MailBot.Example.com", "ack.42.2023-10") == first


@pytest.mark.parametrize("tokens", [("ack:42", "ack-42", "ACK-42", "ack_42"),
                                    ("reminder:2023-10:hòa-nghĩa", "reminder:2023-10:hoa-nghia"),
                                    ("a" * 100, "a" * 101)])
def test_different_tokens_never_share_an_id(tokens: tuple[str, ...]) -> None:
    ids = [make_message_id("mailbot.example.com", t) for t in tokens]

    assert len(set(ids)) == len(ids)
    assert all(is_message_id(i) and i == i.lower() and len(i) < 100 for i in ids)


def test_without_a_token_the_id_is_random() -> None:
    ids = {make_message_id("mailbot.example.com") for _ in range(100)}

    assert len(ids) == 100
    assert all(i.endswith("@mailbot.example.com") and is_message_id(i) for i in ids)


@pytest.mark.parametrize("token", ["ack:42", "Ack 42 / Hòa Nghĩa\r\n", "..", "ack.42"])
def test_a_made_id_goes_into_a_message_as_is(token: str) -> None:
    message_id = make_message_id("mailbot.example.com", token)

    assert parsed(build(message_id=message_id))["Message-ID"] == f"<{message_id}>"
    assert parse_mail(build(message_id=message_id)).message_id == message_id


@pytest.mark.parametrize("domain", ["", "example", "mail bot.example.com", "a@b.com",
                                    "example.com\r\nBcc: x@evil.com", "-x.example.com"])
def test_a_bad_domain_is_refused(domain: str) -> None:
    with pytest.raises(ValueError):
        make_message_id(domain, "ack.1")


def test_an_empty_token_is_refused() -> None:
    with pytest.raises(ValueError):
        make_message_id("mailbot.example.com", "")


def test_the_legacy_parser_sees_the_same_headers() -> None:
    legacy: Message = email.message_from_bytes(build())

    assert legacy["Message-ID"] == f"<{MSG_ID}>"
    assert rfc2047(build(), "Subject") == SUBJECT
    assert legacy.get_content_type() == "multipart/alternative"
