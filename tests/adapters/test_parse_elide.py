"""Setting long base64 runs aside before the stdlib parser runs, and putting them back,
gives the very tree the stdlib builds from the whole message: checked leaf by leaf
against ``email.message_from_bytes`` on hand-picked and random messages."""

from __future__ import annotations

import base64
import email
import hashlib
from email.message import Message

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mailbot.adapters import parse_elide
from mailbot.adapters.parse import parse_mail

pytestmark = pytest.mark.filterwarnings(
    "ignore:mypy_extensions.TypedDict is deprecated:DeprecationWarning")

DATA = bytes(range(256)) * 40  # 10 KB: 135 base64 lines


def b64(data: bytes, eol: bytes = b"\r\n", width: int = 76) -> bytes:
    text = base64.b64encode(data)
    return b"".join(text[i:i + width] + eol for i in range(0, len(text), width))


def shape(msg: Message) -> list[tuple[str, object, list[str]]]:
    # Every part's type, raw payload (a leaf's str, or its number of children) and defects.
    return [(p.get_content_type(),
             len(p.get_payload()) if p.is_multipart() else p.get_payload(),  # type: ignore[arg-type]
             [type(d).__name__ for d in p.defects]) for p in msg.walk()]


def round_trip(raw: bytes) -> Message:
    elided, runs = parse_elide.elide(raw)
    msg = email.message_from_bytes(elided)
    parse_elide.restore(msg, runs)
    return msg


def same_tree(raw: bytes) -> None:
    expected = email.message_from_bytes(raw)
    assert shape(round_trip(raw)) == shape(expected)


def mixed(*parts: bytes, eol: bytes = b"\r\n", boundary: bytes = b"b1") -> bytes:
    head = (b"From: a@example.vn" + eol + b"Subject: x" + eol + b"MIME-Version: 1.0" + eol
            + b'Content-Type: multipart/mixed; boundary="' + boundary + b'"' + eol + eol)
    body = b"".join(b"--" + boundary + eol + p for p in parts)
    return head + body + b"--" + boundary + b"--" + eol


def leaf(ctype: bytes, body: bytes, eol: bytes = b"\r\n", cte: bytes = b"base64") -> bytes:
    return (b"Content-Type: " + ctype + eol + b"Content-Transfer-Encoding: " + cte + eol + eol
            + body)


@pytest.mark.parametrize("eol", [b"\r\n", b"\n"])
@pytest.mark.parametrize("width", [76, 64, 1000])
def test_a_photo_s_lines_are_set_aside_and_come_back_exactly(eol: bytes, width: int) -> None:
    raw = mixed(leaf(b"text/plain", b"Xin ch\xc3\xa0o" + eol, eol, b"8bit"),
                leaf(b"image/jpeg", b64(DATA, eol, width), eol), eol=eol)
    elided, runs = parse_elide.elide(raw)

    assert len(runs) == 1 and len(elided) < len(raw) // 10
    same_tree(raw)


@pytest.mark.parametrize("body", [
    b64(DATA) + b"\r\n",  # the usual blank line before the boundary
    b64(DATA),  # the run ends right at the boundary, which takes its line break
    b64(DATA)[:-2],  # ...and without a line break of its own
    b64(DATA) + b"AAAA\r\n",  # a short last line after the run
    b64(DATA, b"\r"),  # old Mac line breaks
    b64(DATA) + b"AAAA: x\r\n",  # a line that is not base64 ends the run
    b"junk\r\n" + b64(DATA) + b"more junk\r\n" + b64(DATA[:6000]),  # two runs in one part
])
def test_where_a_run_ends_does_not_change_the_part(body: bytes) -> None:
    same_tree(mixed(leaf(b"application/pdf", body), leaf(b"image/png", b64(DATA[:100]))))


@pytest.mark.parametrize("eol", [b"\r\n", b"\n", b"\r"])
def test_blank_lines_are_never_set_aside(eol: bytes) -> None:
    body = eol + b64(DATA, eol) + eol + eol + b64(DATA, eol) + eol
    raw = mixed(leaf(b"image/jpeg", body, eol), eol=eol)
    _, runs = parse_elide.elide(raw)

    assert len(runs) == 2
    assert all(not r.startswith(("\r", "\n")) and (eol + eol).decode() not in r
               for r in runs.values())
    same_tree(raw)


def test_runs_in_a_forwarded_message_a_text_part_and_a_broken_header_block() -> None:
    inner = (b"From: b@example.vn\r\nContent-Type: multipart/mixed; boundary=in\r\n\r\n"
             b"--in\r\n" + leaf(b"image/jpeg", b64(DATA)) + b"--in--\r\n")
    raw = mixed(b"Content-Type: message/rfc822\r\n\r\n" + inner,
                leaf(b"text/plain", b64(DATA), cte=b"7bit"),  # base64-looking text
                b"Content-Type: image/gif\r\n" + b64(DATA))  # no blank line after the header
    same_tree(raw)


@pytest.mark.parametrize("body", [
    b"Ch\xc3\xa0o\r\n",
    b64(DATA[:2000]),  # too short to bother
    b64(DATA[:2000]) + b"\r\n" + b64(DATA[:2000]),  # blank lines split runs
    b64(DATA[:2000], b"\r").replace(b"\r", b"\r\r", 3),  # ...in old Mac line breaks too
])
def test_a_message_without_runs_is_passed_through_untouched(body: bytes) -> None:
    raw = mixed(leaf(b"text/plain", body, cte=b"8bit"))
    elided, runs = parse_elide.elide(raw)

    assert elided is raw and runs == {}
    same_tree(raw)


def test_parse_mail_returns_the_files_byte_for_byte() -> None:
    photo, scan = DATA * 30, DATA[::-1] * 7
    raw = mixed(leaf(b"text/plain", b"G\xc6\xb0\xc6\xa1ng t\xe1\xbb\x91t\r\n", cte=b"8bit"),
                leaf(b'image/jpeg; name="anh.jpg"', b64(photo)),
                leaf(b'application/pdf; name="scan.pdf"', b64(scan, b"\n")))
    parsed = parse_mail(raw)

    assert [hashlib.sha256(a.data).hexdigest() for a in parsed.attachments] == [
        hashlib.sha256(photo).hexdigest(), hashlib.sha256(scan).hexdigest()]
    assert parsed.text == "Gương tốt"


LINES = st.one_of(
    st.binary(min_size=30, max_size=60).map(lambda d: base64.b64encode(d)),
    st.sampled_from([b"", b"--b1", b"--b1--", b"=", b"AAAA", b"Content-Type: text/plain",
                     b" folded", b"==", b"x" * 80, b"--", b"=mailbot-elided-0-0="]),
)
BODIES = st.lists(st.tuples(LINES, st.integers(min_value=1, max_value=70)), max_size=6).map(
    lambda runs: [line for line, n in runs for _ in range(n)])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(BODIES, st.sampled_from([b"base64", b"7bit"])), min_size=1,
                max_size=4), st.sampled_from([b"\r\n", b"\n"]))
def test_random_messages_give_the_stdlib_s_tree(parts: list[tuple[list[bytes], bytes]],
                                                eol: bytes) -> None:
    raw = mixed(*[leaf(b"application/octet-stream", b"".join(line + eol for line in lines),
                       eol, cte) for lines, cte in parts], eol=eol)
    same_tree(raw)


@pytest.mark.parametrize("body", [
    b64(DATA),  # well formed: the fast path
    b64(DATA)[:-4] + b"QQ\r\n",  # padding missing
    b64(DATA).replace(b"A", b"*", 3),  # characters outside the alphabet
    b64(DATA)[:-3] + b"\r\n",  # a length that is no multiple of 4 plus 1
    b64(DATA) + b"=====\r\n",  # stray padding
])
def test_files_decode_as_the_stdlib_decodes_them_well_formed_or_not(body: bytes) -> None:
    raw = mixed(leaf(b"text/plain", b"x\r\n", cte=b"8bit"),
                leaf(b'application/pdf; name="a.pdf"', body))
    expected = email.message_from_bytes(raw).get_payload()[1]  # type: ignore[index]
    data = expected.get_payload(decode=True)

    [got] = parse_mail(raw).attachments
    assert hashlib.sha256(got.data).hexdigest() == hashlib.sha256(data).hexdigest()
