"""Builders for the odd messages tests/builders.make_mail cannot produce: raw MIME
with any header bytes and transfer encoding, deep nesting, Outlook TNEF streams."""

from __future__ import annotations

import struct
from collections.abc import Sequence

CRLF = b"\r\n"
Header = tuple[str, "str | bytes"]


def _line(name: str, value: str | bytes) -> bytes:
    raw = value if isinstance(value, bytes) else value.encode("utf-8")
    return name.encode("ascii") + b": " + raw


def raw_message(headers: Sequence[Header], body: bytes = b"", *, eol: bytes = CRLF) -> bytes:
    """Headers exactly as given (bytes are written raw), a blank line, the body."""
    return eol.join(_line(n, v) for n, v in headers) + eol + eol + body


def leaf(headers: Sequence[Header], body: bytes) -> bytes:
    return raw_message(headers, body)


def multipart(parts: Sequence[bytes], *, subtype: str = "mixed", boundary: str = "b0",
              headers: Sequence[Header] = (), params: str = "") -> bytes:
    """A multipart entity (top-level when ``headers`` include From/Subject)."""
    b = boundary.encode()
    body = b"".join(b"--" + b + CRLF + p + CRLF for p in parts) + b"--" + b + b"--" + CRLF
    ctype = f'multipart/{subtype}; boundary="{boundary}"{params}'
    return raw_message([*headers, ("MIME-Version", "1.0"), ("Content-Type", ctype)], body)


TOP = (("From", "UBND phường Hòa Nghĩa <ubndhoanghia@example.gov.vn>"),
       ("To", "noivuduongkinh@example.com"),
       ("Subject", "Gương người tốt việc tốt tháng 10/2023"),
       ("Message-ID", "<sample@example.gov.vn>"))


def nested_multipart(depth: int) -> bytes:
    """``depth`` levels of multipart/mixed, each holding the next and a text part."""
    inner = leaf([("Content-Type", "text/plain")], b"innermost")
    for level in range(depth - 1, 0, -1):
        inner = multipart([inner], boundary=f"n{level}")
    return multipart([inner], boundary="n0", headers=TOP[:3])


def nested_rfc822(depth: int) -> bytes:
    """``depth`` message/rfc822 levels, no multipart at all."""
    inner = raw_message([("From", "a@example.vn")], b"innermost")
    for _ in range(depth):
        inner = raw_message([("From", "a@example.vn"), ("Content-Type", "message/rfc822")], inner)
    return inner


def tnef_object(level: int, attr_id: int, attr_type: int, data: bytes) -> bytes:
    return (struct.pack("<BHHI", level, attr_id, attr_type, len(data)) + data
            + struct.pack("<H", sum(data) & 0xFFFF))


def make_tnef(files: Sequence[tuple[str, bytes]], *, codepage: int = 1258,
              long_names: bool = True) -> bytes:
    """A winmail.dat as Outlook writes one: version, OEM code page, then for each
    file its rendering data, 8-bit title, data and MAPI long filename (UTF-16)."""
    out = struct.pack("<IH", 0x223E9F78, 0x0001)
    out += tnef_object(1, 0x9006, 0x0008, struct.pack("<I", 0x00010000))
    out += tnef_object(1, 0x9007, 0x0006, struct.pack("<II", codepage, 0))
    for name, data in files:
        out += tnef_object(2, 0x9002, 0x0006, bytes(14))
        out += tnef_object(2, 0x8010, 0x0001, name.encode(f"cp{codepage}", "replace") + b"\0")
        out += tnef_object(2, 0x800F, 0x0006, data)
        if long_names:
            value = name.encode("utf-16-le") + b"\0\0"
            value += bytes(-len(value) % 4)
            mapi = struct.pack("<IHHII", 1, 0x001F, 0x3707, 1, len(value)) + value
            out += tnef_object(2, 0x9005, 0x0006, mapi)
    return out


def tnef_with_mapi(mapi: bytes) -> bytes:
    """One attachment whose MAPI property block is ``mapi`` as given."""
    out = struct.pack("<IH", 0x223E9F78, 0x0001)
    out += tnef_object(2, 0x9002, 0x0006, bytes(14))
    out += tnef_object(2, 0x800F, 0x0006, b"data")
    out += tnef_object(2, 0x9005, 0x0006, mapi)
    return out


_TONES = "\u0300\u0301\u0303\u0309\u0323"


def cp1258(text: str) -> bytes:
    """Encode as Windows does for windows-1258: letters the code page lacks are
    written as a base letter plus a combining tone mark (so decoding gives NFD)."""
    import unicodedata

    out = bytearray()
    for char in text:
        try:
            out += char.encode("cp1258")
            continue
        except UnicodeEncodeError:
            pass
        decomposed = unicodedata.normalize("NFD", char)
        tones = "".join(c for c in decomposed if c in _TONES)
        base = unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in _TONES))
        out += (base + tones).encode("cp1258")
    return bytes(out)
