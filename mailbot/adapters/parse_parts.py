"""Walk the MIME tree of one message: body text, files, forwarded messages,
winmail.dat contents and delivery-status blocks.

mail-parser flattens the tree (a forwarded message's body lands in ``text_plain``,
its files among the sender's own, named after their Content-ID), so the walk is
done here on the stdlib tree it builds. File bytes come from
``Message.get_payload(decode=True)``, the same decode mail-parser applies (for base64,
the same function it calls, on the payload without line breaks); the tests compare
both, and the original, by sha256 for every transfer encoding.
"""

from __future__ import annotations

import binascii
import contextlib
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from email._encoded_words import decode_b  # type: ignore[import-not-found]  # see _base64
from email.message import Message

from mailbot.adapters.parse_charsets import decode_text
from mailbot.adapters.parse_headers import first_headers, header_text, unfold
from mailbot.adapters.parse_text import html_to_text
from mailbot.adapters.parse_tnef import TnefError, expand
from mailbot.core.model import Attachment
from mailbot.errors import ParseError

_CHUNK = 2**20
_TNEF_TYPES = frozenset({"application/ms-tnef", "application/vnd.ms-tnef"})
_EXTENSIONS = {
    "image/jpeg": ".jpg", "image/png": ".png", "image/gif": ".gif", "image/heic": ".heic",
    "image/heif": ".heif", "image/webp": ".webp", "image/bmp": ".bmp", "image/tiff": ".tif",
    "application/pdf": ".pdf", "application/msword": ".doc",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
    "application/vnd.ms-excel": ".xls",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
    "application/zip": ".zip", "application/x-rar-compressed": ".rar",
    "text/plain": ".txt", "text/html": ".html", "text/csv": ".csv", "text/calendar": ".ics",
    "message/rfc822": ".eml",
}
_TYPES = {ext: ctype for ctype, ext in _EXTENSIONS.items()} | {".jpeg": "image/jpeg"}


@dataclass
class Found:
    """What a walk collects. ``inner()`` starts a forwarded message's own text
    while sharing the lists that hold files, forwards and defects."""

    attachments: list[Attachment] = field(default_factory=list)
    forwards: list[Message] = field(default_factory=list)
    defects: list[str] = field(default_factory=list)
    names: Counter[str] = field(default_factory=Counter)
    text: list[str] = field(default_factory=list)
    html: list[str] = field(default_factory=list)
    forwarded_text: list[str] = field(default_factory=list)
    dsn_blocks: list[Message] | None = None

    def inner(self) -> Found:
        return Found(self.attachments, self.forwards, self.defects, self.names)

    def body(self) -> str:
        plain = "\n".join(t for t in self.text if t.strip())
        return plain or html_to_text("\n".join(self.html))

    def generated_name(self, ctype: str, prefix: str) -> str:
        self.names[prefix] += 1
        return f"{prefix}-{self.names[prefix]}{_EXTENSIONS.get(ctype, '.bin')}"


def walk(msg: Message, *, max_depth: int) -> Found:
    found = Found()
    _visit(msg, found, depth=0, max_depth=max_depth, in_forward=False, in_report=False)
    return found


def _visit(part: Message, found: Found, *, depth: int, max_depth: int, in_forward: bool,
           in_report: bool) -> None:
    if depth > max_depth:
        raise ParseError(f"MIME nesting deeper than {max_depth} levels")
    view = _mime_view(part, found.defects)
    ctype = _content_type(view)
    # Only a multipart's payload is read here: get_payload() on a leaf applies its
    # declared charset and raises for some (charset=punycode).
    payload = part.get_payload() if part.is_multipart() else None
    if ctype == "message/delivery-status":
        if not in_forward and found.dsn_blocks is None and isinstance(payload, list):
            found.dsn_blocks = [b for b in payload if isinstance(b, Message)]
    elif isinstance(payload, list):
        children = [c for c in payload if isinstance(c, Message)]
        if ctype.startswith("message/"):
            if not in_report:  # a bounce's returned copy is neither a forward nor files
                _forward(part, view, children, found, depth=depth, max_depth=max_depth)
        else:
            for child in children:
                _visit(child, found, depth=depth + 1, max_depth=max_depth,
                       in_forward=in_forward, in_report=in_report or ctype == "multipart/report")
    elif not (in_report and ctype in ("text/rfc822-headers", "message/rfc822")):
        _leaf(part, view, ctype, found, in_forward=in_forward)
    for defect in part.defects:
        found.defects.append(f"{ctype}: {type(defect).__name__}")


def _leaf(part: Message, view: Message, ctype: str, found: Found, *, in_forward: bool) -> None:
    disposition = _disposition(view)
    filename = part_filename(view, found.defects)
    data = _payload(part, ctype, found.defects)
    if ctype in ("text/plain", "text/html") and disposition != "attachment" and not filename:
        text, defect = decode_text(data, _charset(view))
        if defect:
            found.defects.append(f"{ctype}: {defect}")
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        (found.text if ctype == "text/plain" else found.html).append(text)
        return
    if ctype in _TNEF_TYPES or (filename or "").lower() == "winmail.dat":
        _winmail(data, filename or "winmail.dat", ctype, found)
        return
    if not filename:
        prefix = "image" if ctype.startswith("image/") and view.get("content-id") else "attachment"
        filename = found.generated_name(ctype, prefix)
    found.attachments.append(Attachment(filename, ctype, data, from_forward=in_forward))


def _forward(part: Message, view: Message, children: list[Message], found: Found, *,
             depth: int, max_depth: int) -> None:
    """A message/rfc822 part: its files become Attachments with from_forward=True and
    its text is appended to the sender's, under a Gmail-style forward header.

    The .eml container itself is not kept as a file: that would duplicate the files
    and text just extracted (the raw message is archived whole anyway). It is kept
    only when the forwarded message yields neither text nor files, so that what the
    sender forwarded still reaches a person.
    """
    if not children:
        return
    inner = children[0]
    cte = str(part.get("content-transfer-encoding", "")).strip().lower()
    if cte in ("base64", "quoted-printable"):
        _encoded_forward(view, inner, cte, found)
        return
    found.forwards.append(inner)
    sub = found.inner()
    before = len(found.attachments)
    _visit(inner, sub, depth=depth + 1, max_depth=max_depth, in_forward=True, in_report=False)
    body = sub.body()
    found.forwarded_text.append("\n\n".join([_forward_header(inner) + body, *sub.forwarded_text]))
    if len(found.attachments) > before or body.strip():
        return
    try:
        data = inner.as_bytes()
    except Exception as e:  # the generator chokes on some broken messages
        found.defects.append(f"empty forwarded message not kept: {type(e).__name__}")
        return
    name = part_filename(view, found.defects) or found.generated_name("message/rfc822",
                                                                      "forwarded-message")
    found.attachments.append(Attachment(name, "message/rfc822", data, from_forward=True))


def _encoded_forward(view: Message, inner: Message, cte: str, found: Found) -> None:
    """RFC 2046 forbids encoding message/rfc822, and the stdlib then reads the encoded
    text as a headerless message. Decoding it would mean parsing unchecked nested
    bytes: it is kept as a file instead, decoded, with a defect."""
    encoded = inner.get_payload()
    text = encoded if isinstance(encoded, str) else ""
    leaf = Message()
    leaf["Content-Transfer-Encoding"] = cte
    leaf.set_payload(text.encode("ascii", "replace").decode("ascii"))
    data = _payload(leaf, "message/rfc822", found.defects)
    name = part_filename(view, found.defects) or found.generated_name("message/rfc822",
                                                                      "forwarded-message")
    found.defects.append(f"forwarded message is {cte}-encoded: kept as a file")
    found.attachments.append(Attachment(name, "message/rfc822", data, from_forward=True))


def _forward_header(inner: Message) -> str:
    fields = first_headers(inner)
    lines = ["---------- Forwarded message ---------"]
    for name in ("From", "Date", "Subject", "To"):
        value = header_text(fields.get(name.lower()))
        if value:
            lines.append(f"{name}: {value}")
    return "\n".join(lines) + "\n\n"


def _winmail(data: bytes, filename: str, ctype: str, found: Found) -> None:
    """winmail.dat: its files, with from_forward=True (they sat inside a container
    the sender did not see). The .dat is kept, with a defect, only when something
    in it could not be read; one that holds only Outlook's rich-text copy of the
    body yields nothing and is dropped."""
    try:
        files, defects = expand(data)
    except TnefError as e:
        files, defects = [], [f"winmail.dat not expanded: {e}"]
    for f in files:
        suffix = f.name[f.name.rfind("."):].lower() if "." in f.name else ""
        found.attachments.append(Attachment(
            unicodedata.normalize("NFC", f.name), _TYPES.get(suffix, "application/octet-stream"),
            f.data, from_forward=True))
    if defects:
        found.defects.extend(defects)
        found.attachments.append(Attachment(filename, ctype, data))


def part_filename(view: Message, defects: list[str]) -> str | None:
    """The filename as written: RFC 2231 (``filename*=utf-8''...``), RFC 2047 even
    inside quotes, raw 8-bit; from Content-Disposition, else Content-Type name."""
    for header, param in (("content-disposition", "filename"), ("content-type", "name")):
        value = view.get_param(param, header=header)
        if isinstance(value, tuple):  # RFC 2231: (charset, language, %-decoded latin-1)
            charset, _language, text = value
            data = str(text).encode("latin-1", "replace")
            value, defect = decode_text(data, charset or None)
            if defect:
                defects.append(f"filename: {defect}")
        if isinstance(value, str):
            name = header_text(value, defects)
            if name:
                return name
    return None


def _base64(part: Message, payload: str) -> bytes:
    """What ``part.get_payload(decode=True)`` gives for a base64 part of a message
    parsed from bytes, defects included: the same decoder on the payload without its
    line breaks. Encoded a megabyte at a time into one buffer, and without the stdlib's
    list of one bytes object per line, it peaks at the payload plus the result."""
    joined = bytearray()
    for i in range(0, len(payload), _CHUNK):
        joined += payload[i:i + _CHUNK].encode("ascii", "surrogateescape").translate(
            None, b"\r\n")
    if len(joined) % 4 == 0:
        # decode_b's first try, without its copy: exact for well-formed base64
        with contextlib.suppress(binascii.Error):
            return binascii.a2b_base64(joined, strict_mode=True)
    data, found = decode_b(bytes(joined))
    for defect in found:
        part.policy.handle_defect(part, defect)
    return bytes(data)


def _mime_view(part: Message, defects: list[str]) -> Message:
    """A header-only copy of the MIME headers with raw 8-bit bytes decoded (the
    stdlib would turn a raw UTF-8 filename into U+FFFD)."""
    view = Message()
    view.set_default_type(part.get_default_type())
    for name, value in part.raw_items():
        if str(name).lower() in ("content-type", "content-disposition", "content-id"):
            view[name] = unfold(str(value), defects)
    return view


def _content_type(view: Message) -> str:
    ctype = view.get_content_type()
    return ctype if ctype.isascii() else "application/octet-stream"


def _disposition(view: Message) -> str:
    return view.get_content_disposition() or ""


def _charset(view: Message) -> str | None:
    value = view.get_param("charset")
    if isinstance(value, tuple):
        value = value[2]
    return value if isinstance(value, str) and value.strip() else None


def _payload(part: Message, ctype: str, defects: list[str]) -> bytes:
    try:
        payload = getattr(part, "_payload", None)
        if (isinstance(payload, str)
                and str(part.get("content-transfer-encoding", "")).lower() == "base64"):
            return _base64(part, payload)
        data = part.get_payload(decode=True)
    except Exception as e:  # the stdlib decoders are lenient, but not audited for this
        defects.append(f"{ctype}: payload not decodable: {type(e).__name__}")
        return b""
    return data if isinstance(data, bytes) else b""
