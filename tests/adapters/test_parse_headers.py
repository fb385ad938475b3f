"""parse_mail: header values decoded, NFC, ids bare; garbage tolerated."""

from __future__ import annotations

import unicodedata

import pytest

from mailbot.adapters.parse import parse_mail
from mailbot.core.model import Address
from tests.adapters.parse_builders import raw_message
from tests.builders import make_mail


def _headers_only(*headers: tuple[str, str | bytes]) -> bytes:
    return raw_message(list(headers), b"noi dung\r\n")


def test_it_joins_a_display_name_split_across_encoded_words() -> None:
    raw = _headers_only(("From", "=?utf-8?q?D=C6=B0=C6=A1ng_Kin?= =?utf-8?q?h?= <A@Example.VN>"))

    assert parse_mail(raw).from_ == Address("Dương Kinh", "a@example.vn")


def test_it_joins_encoded_words_split_across_folded_lines() -> None:
    subject = "=?utf-8?q?G=C6=B0=C6=A1ng_ng=C6=B0?=\r\n =?utf-8?q?=E1=BB=9Di_t=E1=BB=91t?="
    raw = _headers_only(("Subject", subject), ("From", "a@example.vn"))

    assert parse_mail(raw).subject == "Gương người tốt"


def test_it_keeps_an_encoded_comma_inside_one_display_name() -> None:
    to = "=?utf-8?q?Nguy=E1=BB=85n=2C_V=C4=83n_An?= <an@example.vn>, b@example.vn"
    raw = _headers_only(("From", "a@example.vn"), ("To", to))

    assert parse_mail(raw).to == (Address("Nguyễn, Văn An", "an@example.vn"),
                                  Address("", "b@example.vn"))


def test_it_normalises_names_and_subjects_to_nfc() -> None:
    nfd = unicodedata.normalize("NFD", "Phường Hòa Nghĩa")
    raw = make_mail(sender=f"{nfd} <Hoanghia@Example.gov.vn>", subject=nfd)

    mail = parse_mail(raw)

    assert mail.from_ == Address("Phường Hòa Nghĩa", "hoanghia@example.gov.vn")
    assert mail.subject == "Phường Hòa Nghĩa"


def test_it_reads_raw_utf8_header_bytes() -> None:
    raw = _headers_only(("From", "Phòng Nội vụ <a@example.vn>".encode()),
                        ("Subject", "Báo cáo tháng 10".encode()))

    mail = parse_mail(raw)

    assert mail.subject == "Báo cáo tháng 10"
    assert mail.from_ == Address("Phòng Nội vụ", "a@example.vn")


def test_it_reads_raw_windows_1258_subject_bytes_and_flags_them() -> None:
    raw = _headers_only(("From", "a@example.vn"), ("Subject", b"B\xe1o c\xe1o th\xe1ng 10"))

    mail = parse_mail(raw)

    assert mail.subject == "Báo cáo tháng 10"
    assert any("windows-1258" in d for d in mail.defects)


def test_it_decodes_an_encoded_word_in_a_charset_python_lacks() -> None:
    # "Dương" in VISCII: ư = 0xDF, ơ = 0xBD
    raw = _headers_only(("From", "a@example.vn"), ("Subject", "=?VISCII?Q?D=DF=BDng?="))

    assert parse_mail(raw).subject == "Dương"


def test_it_reads_message_ids_bare_and_lower_case() -> None:
    raw = make_mail(message_id="<ABC.123@Mail.Example.VN>",
                    in_reply_to="<Reminder-1@Example.com>",
                    references="<Root@Example.com> <Reminder-1@Example.com> <root@example.com>")

    mail = parse_mail(raw)

    assert mail.message_id == "abc.123@mail.example.vn"
    assert mail.in_reply_to == ("reminder-1@example.com",)
    assert mail.references == ("root@example.com", "reminder-1@example.com")


def test_it_accepts_message_ids_written_without_brackets() -> None:
    raw = _headers_only(("From", "a@example.vn"), ("Message-ID", "Bare-Id@Example.vn"),
                        ("References", "one@example.vn two@example.vn"))

    mail = parse_mail(raw)

    assert mail.message_id == "bare-id@example.vn"
    assert mail.references == ("one@example.vn", "two@example.vn")


@pytest.mark.parametrize("from_header", [
    None, "", "garbage", "<<>>", ",,,", "=?utf-8?b?!!!?=", "=?x-unknown?q?=FF?= <>",
    "\"unterminated <a@", "@", "a@b@c <>", "(" * 5000 + "a@example.vn",
])
def test_it_gives_no_sender_for_a_missing_or_garbage_from(from_header: str | None) -> None:
    headers: list[tuple[str, str | bytes]] = [("Subject", "x")]
    if from_header is not None:
        headers.append(("From", from_header))

    mail = parse_mail(raw_message(headers, b"body"))

    assert mail.from_ is None or "@" in mail.from_.addr


@pytest.mark.parametrize("header,value", [
    ("Subject", "=?utf-8?b?!!!?="), ("Subject", "=?utf-8?q?=FF=FE?="),
    ("Subject", "=?base64?q?x?="),
    ("Subject", b"\xff\xfe\x00"), ("To", "=?utf-8?q?a?= <"), ("Message-ID", "<<<>>>"),
    ("In-Reply-To", "<"), ("Auto-Submitted", ";;;"), ("List-Id", "=?utf-7?q?+AGE-?="),
    ("Content-Type", "multipart/mixed"), ("Content-Type", "text/plain; charset*=''"),
    ("Content-Type", "garbage/"), ("Content-Transfer-Encoding", "x-unknown"),
    ("To", "(" * 5000), ("Reply-To", "<" * 5000), ("References", "<" * 5000),
])
def test_it_tolerates_garbage_in_any_header(header: str, value: str | bytes) -> None:
    raw = raw_message([("From", "a@example.vn"), (header, value)], b"noi dung")

    mail = parse_mail(raw)

    assert mail.from_ == Address("", "a@example.vn")


def test_it_reads_auto_reply_and_list_headers() -> None:
    raw = make_mail(headers={
        "Auto-Submitted": "Auto-Replied; owner-email=\"x@example.vn\"",
        "X-Autoreply": "yes",
        "Precedence": "Bulk",
        "List-Id": "Thong bao <thongbao.example.vn>",
    })

    mail = parse_mail(raw)

    assert mail.auto_submitted == "auto-replied"
    assert mail.x_autoreply is True
    assert mail.precedence == "bulk"
    assert mail.list_id == "Thong bao <thongbao.example.vn>"


def test_an_ordinary_message_has_no_auto_reply_markers() -> None:
    mail = parse_mail(make_mail())

    assert (mail.auto_submitted, mail.x_autoreply, mail.precedence, mail.list_id) == (
        None, False, None, None)


def test_x_autorespond_counts_as_an_auto_reply() -> None:
    assert parse_mail(make_mail(headers={"X-Autorespond": "1"})).x_autoreply is True


def test_reply_to_and_sender_are_read() -> None:
    raw = make_mail(headers={"Reply-To": "Văn thư <VANTHU@example.vn>, b@example.vn",
                             "Sender": "relay@example.vn"})

    mail = parse_mail(raw)

    assert mail.reply_to == (Address("Văn thư", "vanthu@example.vn"), Address("", "b@example.vn"))
    assert mail.sender == Address("", "relay@example.vn")
