"""parse_mail: body text in the charsets Vietnamese mail really uses."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from mailbot.adapters.parse import parse_mail
from tests.adapters.parse_builders import TOP, cp1258, leaf, multipart, raw_message
from tests.builders import make_mail

DATA = Path(__file__).resolve().parent.parent / "data"
TEXT = "Kính gửi Phòng Nội vụ: ông Nguyễn Văn Bình, tổ dân phố số 3, phường Hòa Nghĩa."
# TEXT encoded with glibc iconv -t VISCII and -t TCVN5712-1.
VISCII = (b"K\xednh g\xd8i Ph\xf2ng N\xb5i v\xf8: \xf4ng Nguy\xadn V\xe5n B\xecnh, t\xb1 "
          b"d\xe2n ph\xaf s\xaf 3, ph\xdf\xb6ng H\xf2a Ngh\xeea.")
TCVN = (b"K\xddnh g\xf6i Ph\xdfng N\xe9i v\xf4: \xabng Nguy\xd4n V\xa8n B\xd7nh, t\xe6 "
        b"d\xa9n ph\xe8 s\xe8 3, ph\xad\xeang H\xdfa Ngh\xdca.")


def _single(body: bytes, ctype: str, cte: str | None = None) -> bytes:
    headers: list[tuple[str, str | bytes]] = [
        *TOP, ("MIME-Version", "1.0"), ("Content-Type", ctype)]
    if cte:
        headers.append(("Content-Transfer-Encoding", cte))
    return raw_message(headers, body)


def test_it_reads_a_cp1258_body_as_nfc_vietnamese() -> None:
    raw = _single(cp1258(TEXT), "text/plain; charset=windows-1258", "8bit")

    mail = parse_mail(raw)

    assert mail.text == TEXT
    assert mail.defects == ()


def test_the_outlook_sample_reads_its_windows_1258_body() -> None:
    mail = parse_mail((DATA / "outlook-winmail.eml").read_bytes())

    assert mail.text == "Kính gửi Phòng Nội vụ, đơn vị gửi báo cáo tháng 10."
    assert mail.subject == "Báo cáo tháng 10"


def test_it_reads_unlabelled_8bit_utf8_as_utf8() -> None:
    raw = raw_message([*TOP], TEXT.encode())

    mail = parse_mail(raw)

    assert mail.text == TEXT
    assert mail.defects == ()


@pytest.mark.parametrize("label", ["us-ascii", "iso-8859-1", "windows-1252"])
def test_it_prefers_utf8_when_a_mislabelled_body_is_valid_utf8(label: str) -> None:
    raw = _single(TEXT.encode(), f"text/plain; charset={label}", "8bit")

    mail = parse_mail(raw)

    assert mail.text == TEXT
    assert f"text/plain: charset {label} declared but the text is UTF-8" in mail.defects


def test_a_latin1_label_on_real_latin1_text_is_trusted() -> None:
    raw = _single("Café crème".encode("latin-1"), "text/plain; charset=iso-8859-1", "8bit")

    assert parse_mail(raw).text == "Café crème"


@pytest.mark.parametrize("label", ["VISCII", "x-viet-viscii"])
def test_it_decodes_viscii_which_python_lacks(label: str) -> None:
    raw = _single(VISCII, f"text/plain; charset={label}", "8bit")

    mail = parse_mail(raw)

    assert mail.text == TEXT
    assert mail.defects == ()


@pytest.mark.parametrize("label", ["TCVN5712-1", "x-viet-tcvn", "tcvn"])
def test_it_decodes_tcvn_which_python_lacks(label: str) -> None:
    # VN1 also has bare combining tone marks (0xB0-0xB4): "N" + "ô" + dot below + "i".
    raw = _single(TCVN + b" N\xab\xb4i", f"text/plain; charset={label}", "8bit")

    assert parse_mail(raw).text == TEXT + " Nội"


def test_it_flags_a_charset_it_cannot_decode_and_keeps_the_bytes_visible() -> None:
    # VNI is a font encoding with no charset table anywhere: never guessed.
    raw = _single(b"Ba\xf8o ca\xf8o tha\xf8ng 10", "text/plain; charset=x-vni", "8bit")

    mail = parse_mail(raw)

    assert mail.text.startswith("Ba\ufffdo ca\ufffdo")
    assert "text/plain: charset x-vni not supported" in mail.defects


def test_an_unknown_label_on_utf8_text_reads_the_utf8() -> None:
    raw = _single(TEXT.encode(), "text/plain; charset=x-user-defined-vn", "8bit")

    mail = parse_mail(raw)

    assert mail.text == TEXT
    assert any("not supported" in d for d in mail.defects)


@pytest.mark.parametrize("label", ["base64", "zlib", "punycode", "idna", "undefined", "rot13"])
def test_codec_names_that_are_not_charsets_are_refused(label: str) -> None:
    raw = _single(TEXT.encode(), f"text/plain; charset={label}", "8bit")

    assert parse_mail(raw).text == TEXT


def test_broken_utf8_is_shown_with_replacement_characters_and_flagged() -> None:
    raw = _single("Báo cáo".encode() + b"\xff\xfe", "text/plain; charset=utf-8", "8bit")

    mail = parse_mail(raw)

    assert mail.text == "Báo cáo\ufffd\ufffd"
    assert "text/plain: text is not valid utf-8" in mail.defects


def test_it_renders_html_only_mail_as_plain_text() -> None:
    html = ("<html><head><style>p {color: red}</style><title>x</title></head><body>"
            "<p>K&iacute;nh g&#7917;i Ph&ograve;ng N&#7897;i v&#7909;,</p>"
            "<div>&#273;&#417;n v&#7883; g&#7917;i b&aacute;o c&aacute;o<br>"
            "th&aacute;ng 10 &amp; 11</div><script>alert(1)</script></body></html>")
    raw = _single(html.encode(), "text/html; charset=utf-8", "8bit")

    mail = parse_mail(raw)

    assert mail.text == "Kính gửi Phòng Nội vụ,\n\nđơn vị gửi báo cáo\ntháng 10 & 11"
    assert mail.html == html


def test_plain_text_wins_over_html_in_an_alternative() -> None:
    raw = make_mail(body="Ban thuong\n", html="<p>Ban <b>HTML</b></p>")

    mail = parse_mail(raw)

    assert mail.text == "Ban thuong"
    assert "<b>HTML</b>" in mail.html


def test_several_inline_text_parts_are_joined_in_order() -> None:
    raw = multipart([
        leaf([("Content-Type", "text/plain; charset=utf-8")], "Phần một.".encode()),
        leaf([("Content-Type", "image/jpeg"), ("Content-Disposition", "inline")], b"\xff\xd8"),
        leaf([("Content-Type", "text/plain; charset=utf-8")], "Phần hai.".encode()),
    ], headers=TOP)

    assert parse_mail(raw).text == "Phần một.\nPhần hai."


def test_a_message_with_a_broken_part_still_yields_what_can_be_read() -> None:
    broken = leaf([("Content-Type", "application/pdf; name=a.pdf"),
                   ("Content-Transfer-Encoding", "base64")], b"JVBER!!!i0xLjQK=\r\n===")
    good = leaf([("Content-Type", "text/plain; charset=utf-8")], TEXT.encode())
    raw = multipart([good, broken], headers=TOP)[:-len(b"--b0--\r\n")]  # no closing boundary

    mail = parse_mail(raw)

    assert mail.text == TEXT
    assert [a.filename for a in mail.attachments] == ["a.pdf"]
    assert mail.defects  # the bad base64 and the missing end boundary are listed


def test_quoted_printable_and_base64_bodies_are_decoded() -> None:
    qp = _single(b"Ph=C3=B2ng N=E1=BB=99i v=E1=BB=A5=\r\n ok", "text/plain; charset=utf-8",
                 "quoted-printable")
    b64 = _single(base64.encodebytes("Phòng Nội vụ ok".encode()), "text/plain; charset=utf-8",
                  "base64")

    assert parse_mail(qp).text == "Phòng Nội vụ ok"
    assert parse_mail(b64).text == "Phòng Nội vụ ok"


def test_a_message_that_breaks_mail_parser_is_read_with_the_stdlib() -> None:
    # mail-parser 4.8 raises TypeError on an epilogue defect when the top level has
    # no boundary (here: a message/rfc822 wrapping an empty multipart).
    raw = (b"From: UBND <ubnd@example.gov.vn>\r\nContent-Type: message/rfc822\r\n\r\n"
           b"From: =?utf-8?q?Tr=E1=BA=A7n?= <a@example.vn>\r\n"
           b'Content-Type: multipart/mixed; boundary="x"\r\n\r\n--x--\r\n')

    mail = parse_mail(raw)

    assert "mail-parser failed (TypeError): parsed with the stdlib" in mail.defects
    assert mail.forwarded_from is not None and mail.forwarded_from.addr == "a@example.vn"
