"""parse_mail refuses, quickly and with ParseError, what it cannot handle safely."""

from __future__ import annotations

import base64
import time

import pytest

from mailbot.adapters.parse import ParseLimits, parse_mail
from mailbot.errors import ParseError
from tests.adapters.parse_builders import (
    TOP,
    leaf,
    multipart,
    nested_multipart,
    nested_rfc822,
    raw_message,
)
from tests.builders import JPEG, make_mail


def _refused(raw: bytes, limits: ParseLimits | None = None) -> tuple[ParseError, float]:
    started = time.monotonic()
    with pytest.raises(ParseError) as caught:
        parse_mail(raw, limits=limits or ParseLimits())
    return caught.value, time.monotonic() - started


def test_a_2000_level_nested_multipart_raises_parse_error_quickly() -> None:
    error, seconds = _refused(nested_multipart(2000))

    assert str(error) == "MIME nesting deeper than 50 levels"
    assert seconds < 1


def test_deep_message_rfc822_nesting_raises_parse_error() -> None:
    error, _ = _refused(nested_rfc822(2000))

    assert str(error) == "MIME nesting deeper than 50 levels"


def test_nesting_within_the_limit_parses() -> None:
    mail = parse_mail(nested_multipart(40))

    assert mail.text == "innermost"


def test_mail_parsers_recursion_error_is_translated_when_the_limits_allow_it() -> None:
    generous = ParseLimits(max_depth=10**6, max_parts=10**6)

    error, _ = _refused(nested_multipart(3000), generous)

    assert "nest" in str(error)
    assert isinstance(error.__cause__, Exception)


def test_an_oversize_message_raises_parse_error() -> None:
    raw = make_mail(attachments=[("anh.jpg", JPEG * 100, "image/jpeg")])

    error, _ = _refused(raw, ParseLimits(max_bytes=len(raw) - 1))

    assert str(error) == f"message is {len(raw)} bytes, over the {len(raw) - 1} byte limit"


def test_too_many_parts_raise_parse_error() -> None:
    parts = [leaf([("Content-Type", "text/plain")], b"x")] * 2001

    error, seconds = _refused(multipart(parts, headers=TOP))

    assert str(error) == "more than 2000 MIME parts"
    assert seconds < 1


def test_too_many_parts_without_content_type_headers_raise_too() -> None:
    raw = multipart([b"\r\nx"] * 30, headers=TOP)

    error, _ = _refused(raw, ParseLimits(max_parts=20))

    assert str(error) == "more than 20 MIME parts"


def test_headers_too_big_raise_parse_error() -> None:
    raw = raw_message([*TOP, ("X-Junk", "a" * 300_000)], b"body")

    error, _ = _refused(raw)

    assert str(error) == "headers larger than 262144 bytes"


@pytest.mark.parametrize("raw", [b"", b"\r\n\r\n", b"\r\n\r\nKinh gui", b"just some text\r\n",
                                 b"\xff\xfe\x00binary", b"   \r\n"])
def test_a_message_without_headers_raises_parse_error(raw: bytes) -> None:
    error, _ = _refused(raw)

    assert str(error) in {"empty message",
                          "no headers: the message does not start with a header line"}


def test_a_headers_only_message_parses() -> None:
    assert parse_mail(b"From: a@example.vn\r\nSubject: x").subject == "x"


@pytest.mark.parametrize("header", ["Content-Type", "Content-Disposition"])
def test_a_quadratic_mime_parameter_is_refused_quickly(header: str) -> None:
    # The stdlib's _parseparam recounts quotes at every ';': 128 KB of this took ~4 s.
    value = 'attachment; filename="' + "a;" * 64_000
    raw = multipart([leaf([(header, value)], b"x")], headers=TOP)

    error, seconds = _refused(raw)

    assert str(error) == "MIME header parameters too long to parse safely"
    assert seconds < 1


def test_hidden_boundaries_after_bare_cr_line_ends_are_still_counted() -> None:
    body = b"".join(b"--n%d\rContent-Type: multipart/mixed; boundary=n%d\r\r" % (i, i + 1)
                    for i in range(200))
    raw = b"From: a@example.vn\rContent-Type: multipart/mixed; boundary=n0\r\r" + body

    error, _ = _refused(raw)

    assert str(error) == "MIME nesting deeper than 50 levels"


def test_a_big_photo_message_within_the_limits_parses() -> None:
    photo = JPEG * 1000
    raw = multipart([leaf([("Content-Type", "image/jpeg; name=anh.jpg"),
                           ("Content-Transfer-Encoding", "base64")], base64.encodebytes(photo))],
                    headers=TOP)

    assert parse_mail(raw).attachments[0].data == photo

