"""Property: on random MIME trees (nesting, transfer encodings, charsets, hostile
filenames) parse_mail returns a ParsedMail or raises ParseError, never anything
else, and every file comes back byte for byte."""

from __future__ import annotations

import base64
import binascii
import urllib.parse
from collections import Counter
from dataclasses import dataclass, field

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mailbot.adapters.parse import parse_mail
from mailbot.core.model import ParsedMail
from mailbot.errors import ParseError
from tests.adapters.parse_builders import make_tnef

# Hypothesis's failure explanation imports mypy_extensions, whose DeprecationWarning
# (an error under filterwarnings=error) would hide a real failure behind INTERNALERROR.
pytestmark = pytest.mark.filterwarnings(
    "ignore:mypy_extensions.TypedDict is deprecated:DeprecationWarning")

CHARSETS = ["utf-8", "windows-1258", "viscii", "tcvn", "us-ascii", "iso-8859-1", "x-unknown",
            "punycode", "utf-16", "base64", ""]
ENCODINGS = ["base64", "quoted-printable", "8bit", "binary", "", "x-uuencode"]
FILE_TYPES = ["application/pdf", "image/jpeg", "application/octet-stream",
              "application/vnd.ms-excel"]
HOSTILE = st.sampled_from(["../../x", "/etc/passwd", "..\\..\\boot.ini", "a\x00b.pdf",
                           "invoice\u202efdp.exe", "CON.txt", "", ".", "x" * 300, "a;b=c\"d",
                           "=?utf-8?q?x?=", "Báo cáo.docx", "a\r\nContent-Type: text/html"])
FILENAMES = st.one_of(HOSTILE, st.text(max_size=60))


@dataclass
class Built:
    """Raw bytes, the files parse_mail must find in them, and the files it must
    still find when they sit inside a multipart/report (where a returned message,
    message/rfc822, is skipped whole)."""

    raw: bytes
    files: list[bytes] = field(default_factory=list)
    files_in_report: list[bytes] | None = None

    def __post_init__(self) -> None:
        if self.files_in_report is None:
            self.files_in_report = list(self.files)


def _encode(data: bytes, cte: str) -> bytes:
    if cte == "base64":
        return base64.encodebytes(data)
    if cte == "quoted-printable":
        return binascii.b2a_qp(data, quotetabs=True, istext=False)
    if cte == "x-uuencode":
        lines = [binascii.b2a_uu(data[i:i + 45]).rstrip(b"\n") for i in range(0, len(data), 45)]
        return b"\r\n".join([b"begin 644 f", *lines, b"`", b"end"]) + b"\r\n"
    return data


def _disposition(name: str, style: int) -> bytes:
    if style == 0:
        quoted = name.replace("\\", "\\\\").replace('"', '\\"').replace("\r", "").replace("\n", "")
        return f'attachment; filename="{quoted}"'.encode("utf-8", "surrogatepass")
    if style == 1:
        return b"attachment; filename*=utf-8''" + urllib.parse.quote(
            name, safe="", errors="surrogatepass").encode()
    encoded = base64.b64encode(name.encode("utf-8", "surrogatepass")).decode()
    return f'attachment; filename="=?utf-8?B?{encoded}?="'.encode()


def _headers(*pairs: tuple[str, bytes]) -> bytes:
    return b"".join(name.encode() + b": " + value + b"\r\n" for name, value in pairs) + b"\r\n"


@st.composite
def _file(draw: st.DrawFn) -> Built:
    data = draw(st.binary(max_size=3000))
    cte = draw(st.sampled_from(ENCODINGS))
    name = draw(FILENAMES)
    if name.strip().lower() == "winmail.dat":
        name = "x" + name
    headers = [("Content-Type", draw(st.sampled_from(FILE_TYPES)).encode()),
               ("Content-Disposition", _disposition(name, draw(st.integers(0, 2))))]
    if cte:
        headers.append(("Content-Transfer-Encoding", cte.encode()))
    return Built(_headers(*headers) + _encode(data, cte), [data])


@st.composite
def _text(draw: st.DrawFn) -> Built:
    charset = draw(st.sampled_from(CHARSETS))
    subtype = draw(st.sampled_from(["plain", "html"]))
    text = draw(st.text(max_size=300))
    body = text.encode(charset if charset in ("utf-8", "windows-1258") else "utf-8", "replace")
    cte = draw(st.sampled_from(["base64", "quoted-printable", "8bit", ""]))
    ctype = f"text/{subtype}" + (f"; charset={charset}" if charset else "")
    headers = [("Content-Type", ctype.encode())]
    if cte:
        headers.append(("Content-Transfer-Encoding", cte.encode()))
    return Built(_headers(*headers) + _encode(body, cte))


@st.composite
def _winmail(draw: st.DrawFn) -> Built:
    files = draw(st.lists(st.tuples(st.text(min_size=1, max_size=30), st.binary(max_size=500)),
                          max_size=3))
    dat = make_tnef(files) if draw(st.booleans()) else draw(st.binary(max_size=200))
    headers = _headers(("Content-Type", b'application/ms-tnef; name="winmail.dat"'),
                       ("Content-Transfer-Encoding", b"base64"))
    expected = [d for _, d in files] if dat[:4] == b"\x78\x9f\x3e\x22" else [dat]
    return Built(headers + base64.encodebytes(dat), expected)


def _tree(depth: int) -> st.SearchStrategy[Built]:
    leaves = st.one_of(_file(), _text(), _winmail())
    if depth == 0:
        return leaves
    return st.one_of(leaves, _multipart(depth), _forward(depth))


@st.composite
def _multipart(draw: st.DrawFn, depth: int) -> Built:
    children = draw(st.lists(_tree(depth - 1), min_size=0, max_size=4))
    subtype = draw(st.sampled_from(["mixed", "alternative", "related", "report"]))
    boundary = f"=_b{depth}_{draw(st.integers(0, 10**9))}_="
    params = "; report-type=delivery-status" if subtype == "report" else ""
    body = b"".join(b"--" + boundary.encode() + b"\r\n" + c.raw + b"\r\n" for c in children)
    body += b"--" + boundary.encode() + b"--\r\n"
    ctype = f'multipart/{subtype}; boundary="{boundary}"{params}'.encode()
    in_report = [f for c in children for f in c.files_in_report or []]
    files = in_report if subtype == "report" else [f for c in children for f in c.files]
    return Built(_headers(("Content-Type", ctype)) + body, files, in_report)


@st.composite
def _forward(draw: st.DrawFn, depth: int) -> Built:
    inner = draw(_tree(depth - 1))
    message = _headers(("From", b"=?utf-8?q?Tr=E1=BA=A7n?= <a@example.vn>"))[:-2] + inner.raw
    return Built(_headers(("Content-Type", b"message/rfc822")) + message, inner.files, [])


@st.composite
def messages(draw: st.DrawFn) -> Built:
    body = draw(_tree(4))
    top = _headers(("From", b"UBND <ubnd@example.gov.vn>"), ("Subject", b"x"),
                   ("MIME-Version", b"1.0"))
    return Built(top[:-2] + body.raw, body.files)


PROPERTY = settings(max_examples=200, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@PROPERTY
@given(messages())
def test_random_mime_trees_parse_and_every_file_round_trips(built: Built) -> None:
    mail = parse_mail(built.raw)

    assert isinstance(mail, ParsedMail)
    found = Counter(a.data for a in mail.attachments)
    missing = Counter(built.files) - found
    assert not missing, f"{len(missing)} file(s) lost"


@PROPERTY
@given(messages(), st.lists(st.tuples(st.integers(0, 10**6), st.binary(max_size=8)),
                             min_size=1, max_size=5), st.integers(0, 10**6))
def test_corrupted_messages_parse_or_raise_parse_error(built: Built,
                                                       edits: list[tuple[int, bytes]],
                                                       cut: int) -> None:
    raw = bytearray(built.raw)
    for position, junk in edits:
        raw[position % (len(raw) + 1):position % (len(raw) + 1) + len(junk)] = junk
    raw = raw[: max(1, len(raw) - cut % max(1, len(raw)))]

    try:
        result = parse_mail(bytes(raw))
    except ParseError:
        return
    assert isinstance(result, ParsedMail)


@PROPERTY
@given(st.binary(max_size=2000))
def test_arbitrary_bytes_parse_or_raise_parse_error(raw: bytes) -> None:
    try:
        result = parse_mail(b"From: a@example.vn\r\n" + raw)
    except ParseError:
        return
    assert isinstance(result, ParsedMail)
