"""parse_mail: files come out byte-exact and with the name the sender wrote."""

from __future__ import annotations

import base64
import binascii
import hashlib
import struct
import time
import unicodedata
from pathlib import Path

import mailparser
import pytest

from mailbot.adapters.parse import parse_mail
from tests.adapters.parse_builders import (
    TOP,
    leaf,
    make_tnef,
    multipart,
    tnef_object,
    tnef_with_mapi,
)
from tests.builders import DOCX, JPEG, PDF, make_mail

DATA = Path(__file__).resolve().parent.parent / "data"
# Every byte value, bare CR and LF, and a trailing line end: the hard cases for 8bit/binary.
PHOTO = JPEG + b"\r\n\n\r\x00 end\r\n"


def _uuencode(data: bytes, name: str) -> bytes:
    lines = [binascii.b2a_uu(data[i:i + 45]).rstrip(b"\n") for i in range(0, len(data), 45)]
    return b"\r\n".join([f"begin 644 {name}".encode(), *lines, b"`", b"end"]) + b"\r\n"


ENCODED = {
    "base64": base64.encodebytes(PHOTO),
    "quoted-printable": binascii.b2a_qp(PHOTO, quotetabs=True, istext=False),
    "8bit": PHOTO,
    "binary": PHOTO,
    None: PHOTO,
    "x-uuencode": _uuencode(PHOTO, "anh.jpg"),
}


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _with_file(headers: list[tuple[str, str | bytes]], body: bytes) -> bytes:
    text = leaf([("Content-Type", "text/plain; charset=utf-8")], "Gửi kèm tệp.".encode())
    return multipart([text, leaf(headers, body)], headers=TOP)


@pytest.mark.parametrize("cte", list(ENCODED), ids=lambda c: str(c))
def test_attachment_bytes_round_trip_for_every_transfer_encoding(cte: str | None) -> None:
    headers: list[tuple[str, str | bytes]] = [
        ("Content-Type", 'image/jpeg; name="anh.jpg"'),
        ("Content-Disposition", 'attachment; filename="anh.jpg"')]
    if cte:
        headers.append(("Content-Transfer-Encoding", cte))
    raw = _with_file(headers, ENCODED[cte])

    mail = parse_mail(raw)
    theirs = mailparser.parse_from_bytes(raw).attachments

    assert [(a.filename, a.content_type) for a in mail.attachments] == [("anh.jpg", "image/jpeg")]
    assert _sha(mail.attachments[0].data) == _sha(PHOTO)
    # mail-parser's payloads are base64 text when "binary": the same bytes once decoded.
    assert [t["binary"] for t in theirs] == [True]
    assert _sha(base64.b64decode(theirs[0]["payload"])) == _sha(PHOTO)


def test_make_mail_attachments_round_trip() -> None:
    files = [("Báo cáo.docx", DOCX, "application/vnd.openxmlformats-officedocument"
              ".wordprocessingml.document"), ("anh.jpg", JPEG, "image/jpeg"),
             ("to-trinh.pdf", PDF, "application/pdf")]

    mail = parse_mail(make_mail(attachments=files))

    assert [(a.filename, _sha(a.data), a.from_forward) for a in mail.attachments] == [
        (name, _sha(data), False) for name, data, _ in files]


@pytest.mark.parametrize("disposition,ctype,expected", [
    ("attachment; filename*=utf-8''B%C3%A1o%20c%C3%A1o.docx", "application/msword",
     "Báo cáo.docx"),
    ("attachment; filename*0*=utf-8''B%C3%A1o%20c%C3%A1o%20th%C3%A1ng;"
     " filename*1*=%2010%20ph%C6%B0%E1%BB%9Dng.docx", "application/msword",
     "Báo cáo tháng 10 phường.docx"),
    ('attachment; filename="=?utf-8?B?QsOhbyBjw6FvIHRow6FuZyAxMC5kb2N4?="', "application/msword",
     "Báo cáo tháng 10.docx"),
    ('attachment; filename="=?utf-8?Q?Danh_s=C3=A1ch?=\r\n =?utf-8?Q?_g=C6=B0=C6=A1ng.xlsx?="',
     "application/vnd.ms-excel", "Danh sách gương.xlsx"),
    ("attachment", 'application/pdf; name="=?windows-1258?Q?T=F5=CC_tri=CCnh.pdf?="',
     "Tờ trình.pdf"),
    ('attachment; filename="Ba\u0301o ca\u0301o.pdf"'.encode(), "application/pdf", "Báo cáo.pdf"),
    ('attachment; filename="../../etc/passwd"', "text/plain", "../../etc/passwd"),
    ("attachment; filename*=viscii''D%DF%BDng.txt", "text/plain", "Dương.txt"),
    ("attachment; filename*=x-unknown''abc.txt", "text/plain", "abc.txt"),
])
def test_it_decodes_filenames_as_written(disposition: str | bytes, ctype: str,
                                         expected: str) -> None:
    raw = _with_file([("Content-Type", ctype), ("Content-Disposition", disposition),
                      ("Content-Transfer-Encoding", "base64")], base64.encodebytes(b"data"))

    mail = parse_mail(raw)

    assert [a.filename for a in mail.attachments] == [expected]
    assert unicodedata.is_normalized("NFC", mail.attachments[0].filename)


def test_a_raw_utf8_filename_is_not_turned_into_replacement_characters() -> None:
    raw = _with_file([("Content-Type", 'application/pdf; name="Tờ trình.pdf"'.encode()),
                      ("Content-Transfer-Encoding", "base64")], base64.encodebytes(PDF))

    assert [a.filename for a in parse_mail(raw).attachments] == ["Tờ trình.pdf"]


def test_inline_images_without_a_filename_get_a_name_from_their_type() -> None:
    related = multipart([
        leaf([("Content-Type", "text/html; charset=utf-8")],
             b'<p>Anh <img src="cid:a1"> <img src="cid:a2"></p>'),
        leaf([("Content-Type", "image/jpeg"), ("Content-ID", "<a1>"),
              ("Content-Transfer-Encoding", "base64")], base64.encodebytes(JPEG)),
        leaf([("Content-Type", "image/png"), ("Content-ID", "<a2>"),
              ("Content-Disposition", "inline"), ("Content-Transfer-Encoding", "base64")],
             base64.encodebytes(b"\x89PNG\r\n")),
    ], subtype="related", boundary="rel", headers=TOP)

    mail = parse_mail(related)

    assert [(a.filename, a.content_type) for a in mail.attachments] == [
        ("image-1.jpg", "image/jpeg"), ("image-2.png", "image/png")]
    assert mail.attachments[0].data == JPEG
    assert mail.text == "Anh"


def test_a_nameless_attachment_gets_a_generic_name() -> None:
    raw = _with_file([("Content-Type", "application/pdf"), ("Content-Disposition", "attachment"),
                      ("Content-Transfer-Encoding", "base64")], base64.encodebytes(PDF))

    assert [a.filename for a in parse_mail(raw).attachments] == ["attachment-1.pdf"]


def test_a_text_file_attachment_is_a_file_not_body_text() -> None:
    raw = _with_file([("Content-Type", "text/plain; charset=utf-8; name=ds.txt"),
                      ("Content-Disposition", "attachment; filename=ds.txt")], "Danh sách".encode())

    mail = parse_mail(raw)

    assert mail.text == "Gửi kèm tệp."
    assert [(a.filename, a.data) for a in mail.attachments] == [("ds.txt", "Danh sách".encode())]


def _winmail(dat: bytes, ctype: str = 'application/ms-tnef; name="winmail.dat"') -> bytes:
    return _with_file([("Content-Type", ctype),
                       ("Content-Disposition", 'attachment; filename="winmail.dat"'),
                       ("Content-Transfer-Encoding", "base64")], base64.encodebytes(dat))


def test_it_expands_a_winmail_dat_into_its_files() -> None:
    files = [("Báo cáo thành tích.docx", DOCX), ("ảnh trao thưởng.jpg", JPEG)]

    mail = parse_mail(_winmail(make_tnef(files)))

    assert [(a.filename, _sha(a.data), a.from_forward) for a in mail.attachments] == [
        (name, _sha(data), True) for name, data in files]
    assert [a.content_type for a in mail.attachments] == [
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "image/jpeg"]
    assert mail.defects == ()


def test_a_winmail_dat_without_long_names_falls_back_to_its_code_page_titles() -> None:
    mail = parse_mail(_winmail(make_tnef([("Báo cáo.pdf", PDF)], long_names=False),
                               ctype="application/octet-stream"))

    assert [(a.filename, a.data) for a in mail.attachments] == [("Báo cáo.pdf", PDF)]


def test_the_outlook_sample_yields_the_files_inside_its_winmail_dat() -> None:
    mail = parse_mail((DATA / "outlook-winmail.eml").read_bytes())

    assert [(a.filename, a.from_forward) for a in mail.attachments] == [
        ("Báo cáo thành tích.docx", True), ("ảnh trao thưởng.jpg", True)]
    assert "winmail.dat" not in [a.filename for a in mail.attachments]


@pytest.mark.parametrize("dat", [
    b"", b"not tnef at all", struct.pack("<IH", 0x223E9F78, 1) + b"\x02" + bytes(40),
    make_tnef([("a.pdf", PDF)])[:-9],
])
def test_it_keeps_a_winmail_dat_it_cannot_expand_with_a_defect(dat: bytes) -> None:
    mail = parse_mail(_winmail(dat))

    assert [(a.filename, a.data, a.from_forward) for a in mail.attachments] == [
        ("winmail.dat", dat, False)]
    assert any(d.startswith("winmail.dat") for d in mail.defects)


def test_a_body_only_winmail_dat_yields_nothing_and_no_defect() -> None:
    header = make_tnef([])
    body = tnef_object(1, 0x800C, 0x0002, b"{\\rtf1 Kinh gui}")

    mail = parse_mail(_winmail(header + body))

    assert mail.attachments == ()
    assert mail.defects == ()


def _unicode_value(text: str) -> bytes:
    value = text.encode("utf-16-le") + b"\0\0"
    value += bytes(-len(value) % 4)
    return struct.pack("<II", 1, len(value)) + value


def test_well_formed_mapi_with_named_and_multi_value_properties_is_expanded() -> None:
    name = "x".encode("utf-16-le") + b"\0\0"
    mapi = struct.pack("<I", 3)
    mapi += struct.pack("<HH", 0x001F, 0x8001) + bytes(16) + struct.pack("<II", 1, len(name))
    mapi += name + _unicode_value("named")
    mapi += struct.pack("<HHI", 0x1002, 0x0001, 3) + struct.pack("<hhh", 1, 2, 3) + bytes(2)
    mapi += struct.pack("<HH", 0x001F, 0x3707) + _unicode_value("Tên dài.pdf")

    mail = parse_mail(_winmail(tnef_with_mapi(mapi)))

    assert [(a.filename, a.data) for a in mail.attachments] == [("Tên dài.pdf", b"data")]
    assert mail.defects == ()


@pytest.mark.parametrize("mapi", [
    # one SHORT multi-value property declaring three million values in 12 bytes
    struct.pack("<IHHI", 1, 0x1002, 0x0001, 3_000_000),
    # four billion properties
    struct.pack("<I", 0xFFFFFFFF) + bytes(8),
    # a string property declaring four billion values
    struct.pack("<IHHI", 1, 0x001E, 0x3707, 0xFFFFFFFF),
    # an embedded Outlook message, which tnefparse would parse with no checks at all
    struct.pack("<IHHII", 1, 0x000D, 0x3701, 1, 16)
    + b"\x07\x03\x02\x00\x00\x00\x00\x00\xc0\x00\x00\x00\x00\x00\x00\x46",
])
def test_a_winmail_dat_with_absurd_counts_is_refused_quickly(mapi: bytes) -> None:
    started = time.monotonic()

    mail = parse_mail(_winmail(tnef_with_mapi(mapi)))

    assert time.monotonic() - started < 1
    assert [a.filename for a in mail.attachments] == ["winmail.dat"]
    assert any("winmail.dat attachment 1 unreadable" in d for d in mail.defects)
