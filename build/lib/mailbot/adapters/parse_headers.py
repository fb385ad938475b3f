"""Header values as mailbot's rules read them: RFC 2047 decoded, NFC, ids bare.

Every function here takes the raw header text (``Message.raw_items()``: folded,
8-bit bytes kept as surrogate escapes) and never raises on garbage.
"""

from __future__ import annotations

import re
import unicodedata
from email.errors import HeaderParseError
from email.header import decode_header
from email.message import Message
from email.utils import getaddresses

from mailbot.adapters.parse_charsets import decode_text
from mailbot.core.model import Address

_FOLD = re.compile(r"\r?\n(?=[ \t])")
_NEWLINE = re.compile(r"[\r\n]+")
_BRACKETED_ID = re.compile(r"<\s*([^<>\s]+?)\s*>")
_SURROGATE = re.compile("[\udc80-\udcff]")


def first_headers(msg: Message) -> dict[str, str]:
    """The first raw value of each header, by lower-case name."""
    found: dict[str, str] = {}
    for name, value in msg.raw_items():
        key = str(name).strip().lower()
        if key not in found:
            found[key] = str(value)
    return found


def unfold(raw: str, defects: list[str] | None = None) -> str:
    """One line, with raw 8-bit bytes read as UTF-8 (or Windows Vietnamese)."""
    text = _NEWLINE.sub(" ", _FOLD.sub("", raw))
    if _SURROGATE.search(text):
        data = text.encode("utf-8", "surrogateescape")
        text, defect = decode_text(data, None)
        if defect and defects is not None:
            defects.append(f"raw 8-bit header: {defect}")
    return text


def decode_words(text: str, defects: list[str] | None = None) -> str:
    """Decode RFC 2047 encoded words the way mail clients split them.

    ``decode_header`` drops the whitespace between adjacent encoded words, so a
    display name split mid-word ("=?utf-8?q?D=C6=B0=C6=A1ng_Kin?= =?utf-8?q?h?=")
    reads "Dương Kinh", where ``email.policy.default`` gives "Dương Kin h". The
    chunks are joined here rather than by ``make_header``, which raises on charsets
    Python lacks (VISCII, TCVN) and doubles a space next to raw UTF-8 text.
    """
    if "=?" not in text:
        return unicodedata.normalize("NFC", text)
    try:
        chunks = decode_header(text)
    except (HeaderParseError, ValueError, AssertionError):
        if defects is not None:
            defects.append("undecodable encoded word in a header")
        return unicodedata.normalize("NFC", text)
    out: list[str] = []
    for word, charset in chunks:
        if isinstance(word, str):
            out.append(word)
        elif charset is None:
            # Plain runs come back as raw-unicode-escape bytes once any encoded word
            # is present: undo that, or raw UTF-8 beside one would read "Ti\\u1ebfng".
            out.append(word.decode("raw-unicode-escape", "replace"))
        else:
            decoded, defect = decode_text(word, charset)
            if defect and defects is not None:
                defects.append(f"encoded word: {defect}")
            out.append(decoded)
    return unicodedata.normalize("NFC", "".join(out))


def header_text(raw: str | None, defects: list[str] | None = None) -> str:
    """A decoded, NFC, single-line header value ('' when absent)."""
    if raw is None:
        return ""
    return decode_words(unfold(raw, defects), defects).strip()


def addresses(raw: str | None, defects: list[str] | None = None) -> tuple[Address, ...]:
    """Mailboxes in an address header; entries without an ``@`` are dropped.

    The header is split before display names are decoded: an encoded name may hide
    a comma ("=?utf-8?q?Nguy=E1=BB=85n=2C_An?=") that must not split the address.
    """
    if raw is None:
        return ()
    try:
        pairs = getaddresses([unfold(raw, defects)])
    except (RecursionError, ValueError, IndexError):  # "((((...": one frame per parenthesis
        if defects is not None:
            defects.append("unparseable address header")
        return ()
    found: list[Address] = []
    for name, addr in pairs:
        addr = unicodedata.normalize("NFC", addr.strip()).lower()
        if "@" not in addr:
            continue
        found.append(Address(name=decode_words(name, defects).strip(), addr=addr))
    return tuple(found)


def first_address(raw: str | None, defects: list[str] | None = None) -> Address | None:
    found = addresses(raw, defects)
    return found[0] if found else None


def message_ids(raw: str | None) -> tuple[str, ...]:
    """Bare, lower-cased message ids, in order, without duplicates.

    Old clients write ids without angle brackets: then every token with an ``@``.
    """
    if raw is None:
        return ()
    text = unfold(raw)
    ids = _BRACKETED_ID.findall(text)
    if not ids:
        ids = [t.strip("<>,;\"'") for t in text.split() if "@" in t]
    seen: dict[str, None] = {}
    for value in ids:
        value = unicodedata.normalize("NFC", value).lower()
        if value:
            seen.setdefault(value, None)
    return tuple(seen)


def token(raw: str | None) -> str | None:
    """The first ``;``-separated token, lower-cased: Auto-Submitted, Precedence."""
    value = header_text(raw).split(";", 1)[0].strip().lower()
    return value or None


def is_yes(raw: str | None) -> bool:
    """X-Autoreply / X-Autorespond: present and not an explicit no."""
    if raw is None:
        return False
    return header_text(raw).strip().lower() not in {"", "no", "false", "0", "off"}
