"""Decode body and header text from a declared charset, tolerating the labels
Vietnamese mail actually carries.

Python has no codec for VISCII or TCVN 5712 (VN1), so both are decoded from the
tables below, generated once from glibc's iconv and checked against it by
tests/adapters/test_parse_charsets.py. A table keeps hostile input away from
subprocesses and ctypes.
"""

from __future__ import annotations

import codecs
import unicodedata

_VISCII_LOW = {
    0x02: "\u1eb2", 0x05: "\u1eb4", 0x06: "\u1eaa", 0x14: "\u1ef6", 0x19: "\u1ef8",
    0x1e: "\u1ef4",
}
_VISCII_HIGH = (
    "ẠẮẰẶẤẦẨẬẼẸẾỀỂỄỆỐỒỔỖỘỢỚỜỞỊỎỌỈỦŨỤỲ"  # 0x80
    "ÕắằặấầẩậẽẹếềểễệốồổỗỠƠộờởịỰỨỪỬơớƯ"  # 0xa0
    "ÀÁÂÃẢĂẳẵÈÉÊẺÌÍĨỳĐứÒÓÔạỷừửÙÚỹỵÝỡư"  # 0xc0
    "àáâãảăữẫèéêẻìíĩỉđựòóôõỏọụùúũủýợỮ"  # 0xe0
)
_TCVN_LOW = {
    0x01: "\u00da", 0x02: "\u1ee4", 0x04: "\u1eea", 0x05: "\u1eec", 0x06: "\u1eee",
    0x11: "\u1ee8", 0x12: "\u1ef0", 0x13: "\u1ef2", 0x14: "\u1ef6", 0x15: "\u1ef8",
    0x16: "\u00dd", 0x17: "\u1ef4",
}
_TCVN_HIGH = (
    "ÀẢÃÁẠẶẬÈẺẼÉẸỆÌỈĨÍỊÒỎÕÓỌỘỜỞỠỚỢÙỦŨ"  # 0x80
    "\u00a0ĂÂÊÔƠƯĐăâêôơưđẰ\u0300\u0309\u0303\u0301\u0323àảãáạẲằẳẵắẴ"  # 0xa0
    "ẮẦẨẪẤỀặầẩẫấậèỂẻẽéẹềểễếệìỉỄẾỒĩíịò"  # 0xc0
    "ỔỏõóọồổỗốộờởỡớợùỖủũúụừửữứựỳỷỹýỵỐ"  # 0xe0
)

_VISCII = "".join(_VISCII_LOW.get(b, chr(b)) for b in range(128)) + "".join(_VISCII_HIGH)
_TCVN = "".join(_TCVN_LOW.get(b, chr(b)) for b in range(128)) + "".join(_TCVN_HIGH)

_TABLES = {
    "viscii": _VISCII,
    "x-viet-viscii": _VISCII,
    "csviscii": _VISCII,
    "viscii1.1-1": _VISCII,
    "tcvn": _TCVN,
    "tcvn-5712": _TCVN,
    "tcvn5712": _TCVN,
    "tcvn5712-1": _TCVN,
    "tcvn5712-1:1993": _TCVN,
    "tcvn-5712:1993": _TCVN,
    "x-viet-tcvn": _TCVN,
    "x-viet-tcvn5712": _TCVN,
}

# Labels senders put on UTF-8 text by mistake (a webmail default, a mis-set client).
_MISLABELS = frozenset(
    {"us-ascii", "ascii", "iso-8859-1", "iso8859-1", "latin1", "latin-1", "l1",
     "windows-1252", "cp1252", "x-unknown", "unknown-8bit", "unknown", "default"}
)

# Mislabels that still name a full 8-bit charset: trust them when the text is not UTF-8.
_EIGHT_BIT = frozenset(
    {"iso-8859-1", "iso8859-1", "latin1", "latin-1", "l1", "windows-1252", "cp1252"}
)

# Codecs Python has that are not charsets, or decode in quadratic time.
_REFUSED = frozenset({"idna", "punycode", "raw-unicode-escape", "unicode-escape", "undefined"})

# The office's unlabelled 8-bit text that is not UTF-8 is most likely Windows Vietnamese.
FALLBACK = "windows-1258"


def decode_text(data: bytes, label: str | None) -> tuple[str, str | None]:
    """Decode ``data`` declared as ``label`` into NFC text, and say what went wrong.

    Returns ``(text, defect)``; ``defect`` is None when the text decoded cleanly as
    declared. Never raises, never drops letters silently: bytes that cannot be read
    become U+FFFD and the defect says so.

    >>> decode_text("Dương".encode(), "us-ascii")
    ('Dương', 'charset us-ascii declared but the text is UTF-8')
    """
    name = _clean_label(label)
    if name is None or name in _MISLABELS:
        if data.isascii():
            return data.decode("ascii"), None
        utf8 = _as_utf8(data)
        if utf8 is not None:
            defect = None if name is None else f"charset {name} declared but the text is UTF-8"
            return _nfc(utf8), defect
        if name is None or name not in _EIGHT_BIT:
            text = data.decode(FALLBACK, "replace")
            why = "no charset declared" if name is None else f"charset {name} declared"
            return _nfc(text), f"{why} and the text is not UTF-8: read as {FALLBACK}"
    assert name is not None
    table = _TABLES.get(name)
    if table is not None:
        return _nfc(codecs.charmap_decode(data, "strict", table)[0]), None
    codec = _codec(name)
    if codec is None:
        utf8 = _as_utf8(data)
        if data.isascii():
            return data.decode("ascii"), None
        if utf8 is not None:
            return _nfc(utf8), f"charset {name} not supported: read as UTF-8"
        return _nfc(data.decode("utf-8", "replace")), f"charset {name} not supported"
    try:
        return _nfc(data.decode(codec)), None
    except (UnicodeError, ValueError):
        pass
    utf8 = _as_utf8(data)
    if utf8 is not None:
        return _nfc(utf8), f"charset {name} declared but the text is UTF-8"
    return _nfc(data.decode(codec, "replace")), f"text is not valid {name}"


def _clean_label(label: str | None) -> str | None:
    if not label:
        return None
    # An RFC 2231 language tag ("utf-8*vi") and stray quotes are not part of the name.
    name = label.split("*", 1)[0].strip().strip("\"'").strip().lower()
    return name or None


def _codec(name: str) -> str | None:
    try:
        info = codecs.lookup(name)
    except (LookupError, ValueError):
        return None
    codec = info.name.replace("_", "-")
    if codec in _REFUSED:
        return None
    try:
        b"a".decode(codec)  # LookupError for bytes-to-bytes codecs (base64, zlib...)
    except LookupError:
        return None
    except (UnicodeError, ValueError):
        pass  # a multi-byte codec that needs more than one byte: still a charset
    return codec


def _as_utf8(data: bytes) -> str | None:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)
