"""Outgoing mail as RFC 5322 bytes: UTF-8, CRLF, a text and an HTML alternative.

The top-level headers are encoded here rather than by ``email.policy``, because CPython
gets Vietnamese wrong in two ways: its folder drops the space between two encoded-words
it splits ("việc tốt" arrives as "việctốt"), and its address parser adds a space
between two encoded-words of a display name. So a subject is encoded with
``email.header.Header`` (RFC 2047 words of at most 75 characters that carry their own
spaces) and a display name as one encoded-word, which every decoder reads the same.
The MIME parts (bodies, attachments' headers with RFC 2231 file names) come from the
email package; their headers hold no encoded-words. Attachments' bodies are base64ed
here in large chunks, straight into the output.
"""

from __future__ import annotations

import base64
import email.policy
import email.utils
import hashlib
import io
import re
import secrets
import unicodedata
from collections.abc import Sequence
from datetime import datetime
from email.charset import Charset
from email.header import Header
from email.message import EmailMessage

_CRLF = "\r\n"
_MAX_LINE = 78
_B64_CHUNK = 57 * 1024  # bytes that base64 into exactly 1,024 lines of 76 characters
_MAX_NAME = 150  # characters of a display name: one encoded-word stays under 998 octets
_BODY_POLICY = email.policy.SMTP.clone(cte_type="7bit")  # no raw 8-bit: base64 or q-p
_ATEXT = r"A-Za-z0-9!#$%&'*+/=?^_`{|}~-"
_DOT_ATOM = rf"[{_ATEXT}]+(?:\.[{_ATEXT}]+)*"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
# Used with fullmatch: "$" would let a trailing newline through.
_DOMAIN_RE = re.compile(rf"{_LABEL}(?:\.{_LABEL})+")
_ADDRESS_RE = re.compile(rf"{_DOT_ATOM}@{_LABEL}(?:\.{_LABEL})*")
_MSG_ID_RE = re.compile(rf"{_DOT_ATOM}@(?:{_DOT_ATOM}|\[[!-Z^-~]*\])")
_TOKEN_CHAR_RE = re.compile(r"[^a-z0-9._+=-]+")
_MIME_TOKEN = r"[a-z0-9][a-z0-9!#$&^_.+-]*"
_MIME_TYPE_RE = re.compile(rf"({_MIME_TOKEN})/({_MIME_TOKEN})")
_AUTO_SUBMITTED = frozenset({"no", "auto-generated", "auto-replied", "auto-notified"})


def _one_line(text: str) -> str:
    # Line breaks, NUL and every other control or separator character become a space.
    text = unicodedata.normalize("NFC", text)
    return " ".join("".join(" " if unicodedata.category(c)[0] in "CZ" else c
                            for c in text).split())


def _address(value: str, header: str) -> str:
    if not _ADDRESS_RE.fullmatch(value):
        raise ValueError(f"{header}: not an email address: {value!r}")
    return value


def _bare(value: str) -> str:
    return value[1:-1] if value.startswith("<") and value.endswith(">") else value


def _message_id(value: str, header: str) -> str:
    bare = _bare(value)
    if not _MSG_ID_RE.fullmatch(bare):
        raise ValueError(f"{header}: not a message id: {value!r}")
    return bare


def is_message_id(value: str) -> bool:
    """True when ``value`` (bare or in <>) can go in Message-ID, In-Reply-To, References."""
    return bool(_MSG_ID_RE.fullmatch(_bare(value)))


def _thread(in_reply_to: str | None, references: Sequence[str]) -> tuple[str | None, list[str]]:
    # Threading headers are advisory and their ids come from the units' mail: one that
    # is malformed is left out rather than failing the reply; a line break never is.
    for value in (in_reply_to or "", *references):
        if any(c in value for c in "\r\n\0"):
            raise ValueError(f"In-Reply-To/References: line break in message id {value!r}")
    parent = _bare(in_reply_to) if in_reply_to and is_message_id(in_reply_to) else None
    refs = [_bare(r) for r in references if is_message_id(r)]
    return parent, list(dict.fromkeys([*refs, parent] if parent else refs))


def _text_header(name: str, value: str) -> str:
    text = _one_line(value)
    plain = text.isascii() and "=?" not in text and all(len(w) < 70 for w in text.split())
    header = Header(text, "us-ascii" if plain else "utf-8", header_name=name)
    return f"{name}: {header.encode(linesep=_CRLF, maxlinelen=_MAX_LINE)}"


def _mailbox(name: str, addr: str) -> str:
    text = _one_line(name)[:_MAX_NAME]
    if not text:
        return addr
    if text.isascii() and "=?" not in text:
        return email.utils.formataddr((text, addr))
    return f"{Charset('utf-8').header_encode(text)} <{addr}>"


def _from_header(mailbox: str) -> str:
    line = f"From: {mailbox}"
    if len(line) <= _MAX_LINE or not mailbox.endswith(">"):
        return line
    phrase, _, addr = mailbox.rpartition(" <")
    return f"From: {phrase}{_CRLF} <{addr}"


def _folded(name: str, items: Sequence[str], sep: str) -> str:
    lines = [f"{name}: {items[0]}"]
    for item in items[1:]:
        if len(lines[-1]) + len(sep) + len(item) > _MAX_LINE:
            lines[-1] += sep.rstrip()
            lines.append(f" {item}")
        else:
            lines[-1] += sep + item
    return _CRLF.join(lines)


def _alternatives(text: str, html: str) -> EmailMessage:
    msg = EmailMessage(policy=_BODY_POLICY)
    msg.set_content(text.replace("\r\n", "\n"), subtype="plain", charset="utf-8")
    msg.add_alternative(html.replace("\r\n", "\n"), subtype="html", charset="utf-8")
    for part in msg.walk():
        if part is not msg:
            del part["MIME-Version"]
    return msg


def _attachment_head(filename: str, mime_type: str) -> bytes:
    # The email package writes the part's headers (RFC 2231 file name); the body is
    # added by _write_base64, which is several times faster than its line-by-line coder.
    match = _MIME_TYPE_RE.fullmatch(mime_type.lower())
    if not match or match.group(1) in ("multipart", "message"):
        raise ValueError(f"attachment {filename!r}: unusable MIME type {mime_type!r}")
    name = _one_line(filename)
    if not name:
        raise ValueError(f"attachment {filename!r}: empty file name")
    part = EmailMessage(policy=_BODY_POLICY)
    part.set_content(b"", maintype=match.group(1), subtype=match.group(2),
                     disposition="attachment", filename=name)
    del part["MIME-Version"]
    head, _, _ = part.as_bytes().partition(b"\r\n\r\n")
    return head + b"\r\n\r\n"


def _write_base64(out: io.BytesIO, data: bytes) -> None:
    view = memoryview(data)
    for start in range(0, len(view), _B64_CHUNK):  # whole 76-character lines per chunk
        out.write(base64.encodebytes(view[start:start + _B64_CHUNK]).replace(b"\n", b"\r\n"))


def _write_body(out: io.BytesIO, text: str, html: str,
                attachments: Sequence[tuple[str, str, bytes]]) -> None:
    alternatives = _alternatives(text, html)
    if not attachments:
        out.write(alternatives.as_bytes())
        return
    del alternatives["MIME-Version"]
    heads = [_attachment_head(name, mime_type) for name, mime_type, _ in attachments]
    first = alternatives.as_bytes()
    boundary = f"=_mailbot_{secrets.token_hex(16)}".encode("ascii")
    # Base64 never holds "_"; only the text parts could, by a 1 in 2^128 chance.
    while boundary in first or any(boundary in h for h in heads):
        boundary = f"=_mailbot_{secrets.token_hex(16)}".encode("ascii")
    out.write(b'MIME-Version: 1.0\r\nContent-Type: multipart/mixed;\r\n boundary="%s"\r\n\r\n'
              b"--%s\r\n" % (boundary, boundary))
    out.write(first)
    for head, (_, _, data) in zip(heads, attachments, strict=True):
        out.write(b"\r\n--%s\r\n" % boundary)
        out.write(head)
        _write_base64(out, data)
    out.write(b"\r\n--%s--\r\n" % boundary)


def build_message(
    *,
    from_addr: str,
    from_name: str,
    to: Sequence[str],
    subject: str,
    text: str,
    html: str,
    message_id: str,
    date: datetime,
    auto_submitted: str = "auto-generated",
    in_reply_to: str | None = None,
    references: Sequence[str] = (),
    cc: Sequence[str] = (),
    attachments: Sequence[tuple[str, str, bytes]] = (),
) -> bytes:
    """One email as bytes with CRLF line ends, ready for SMTP.

    multipart/alternative (text, HTML), inside multipart/mixed when there are
    ``attachments`` ((file name, MIME type, data), names RFC 2231-encoded). Display
    text (subject, sender name, file names) is put on one line: CR, LF, NUL and other
    control characters become spaces, so they can never start a header. Addresses and
    ``message_id`` (bare or in <>) are checked instead: ValueError when one does not
    look like one. Ids for In-Reply-To and References come from the units' mail: a
    malformed one is left out (ValueError only for a line break or NUL), and
    ``in_reply_to`` is added to References when missing there. ``date`` must be
    timezone-aware.
    """
    if not to:
        raise ValueError("To: a message needs at least one recipient")
    if date.tzinfo is None or date.utcoffset() is None:
        raise ValueError(f"Date: must be timezone-aware, got {date.isoformat()}")
    if auto_submitted not in _AUTO_SUBMITTED:
        raise ValueError(f"Auto-Submitted: unknown value {auto_submitted!r}")
    parent, refs = _thread(in_reply_to, references)
    lines = [
        _from_header(_mailbox(from_name, _address(from_addr, "From"))),
        _folded("To", [_address(a, "To") for a in to], ", "),
        *([_folded("Cc", [_address(a, "Cc") for a in cc], ", ")] if cc else []),
        _text_header("Subject", subject),
        f"Date: {email.utils.format_datetime(date)}",
        f"Message-ID: <{_message_id(message_id, 'Message-ID')}>",
        *([f"In-Reply-To: <{parent}>"] if parent else []),
        *([_folded("References", [f"<{r}>" for r in refs], " ")] if refs else []),
        f"Auto-Submitted: {auto_submitted}",
        "X-Auto-Response-Suppress: All",
    ]
    out = io.BytesIO()
    out.write((_CRLF.join(lines) + _CRLF).encode("ascii"))
    _write_body(out, text, html, attachments)
    return out.getvalue()


def make_message_id(domain: str, token: str | None = None) -> str:
    """A bare, lower-case Message-ID at ``domain``: the same for the same ``token``.

    Pass a token unique for all time (an outbox key) so that rendering a mail again
    gives the same id and mail clients never see two different mails with one id.
    A token that is not already a clean lower-case id part is cleaned and given a
    hash of itself, so two different tokens never share an id. Without a token the
    id is random.

    >>> make_message_id("mailbot.example.com", "ack.42.2023-10")
    'ack.42.2023-10@mailbot.example.com'
    >>> make_message_id("mailbot.example.com", "ack:42/Hòa Nghĩa")
    'ack-42-hoa-nghia.f380ae10971e401b@mailbot.example.com'
    """
    domain = domain.strip().lower()
    if not _DOMAIN_RE.fullmatch(domain):
        raise ValueError(f"not a domain for a message id: {domain!r}")
    if token is None:
        return f"{secrets.token_hex(16)}@{domain}"
    if not token:
        raise ValueError("an empty token gives no unique message id")
    folded = unicodedata.normalize("NFKD", token.lower().replace("đ", "d"))
    folded = folded.encode("ascii", "ignore").decode("ascii")
    clean = ".".join(p for p in _TOKEN_CHAR_RE.sub("-", folded).split(".") if p)
    if clean != token or len(clean) > 64:
        digest = hashlib.sha256(token.encode("utf-8")).hexdigest()[:16]
        clean = f"{clean[:48]}.{digest}" if clean else digest
    return f"{clean}@{domain}"
