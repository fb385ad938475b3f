"""A sender's attachment filename made safe to show and to use as one path
component (on disk, inside a zip). Pure: no I/O."""

from __future__ import annotations

import re
import unicodedata

MAX_CHARS = 150
# ext4 and most filesystems allow 255 bytes per name; Vietnamese letters take up
# to 3 bytes in UTF-8, so 150 of them would not fit.
MAX_BYTES = 240
_MAX_EXTENSION = 16

_BIDI = frozenset("\u200e\u200f\u061c\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ufeff")
_WINDOWS_FORBIDDEN = re.compile(r'[<>:"|?*]')
_RESERVED = frozenset(
    {"CON", "PRN", "AUX", "NUL"} | {f"COM{i}" for i in range(1, 10)}
    | {f"LPT{i}" for i in range(1, 10)} | {f"{d}{s}" for d in ("COM", "LPT") for s in "¹²³"}
)


def display_name(original: str, *, fallback: str = "tep-dinh-kem") -> str:
    """One safe path component that keeps the sender's name as far as possible.

    NFC; directory parts (``/`` and ``\\``), NUL, control, invisible and
    bidi-override characters removed; Windows-forbidden characters become ``_``; no leading
    dots or trailing dots and spaces; reserved device names get a ``_`` prefix;
    at most 150 characters (and 240 UTF-8 bytes), keeping the extension. An empty
    result becomes ``fallback`` plus the original extension.

    >>> display_name("../../Báo cáo.docx")
    'Báo cáo.docx'
    >>> display_name("invoice\\u202efdp.exe")
    'invoicefdp.exe'
    >>> display_name("CON.txt")
    '_CON.txt'
    >>> display_name("/.pdf")
    'tep-dinh-kem.pdf'
    """
    text = unicodedata.normalize("NFC", original)
    # Cc: controls; Cf: invisible format characters (zero-width space, soft hyphen...)
    text = "".join(c for c in text
                   if c not in _BIDI and unicodedata.category(c) not in ("Cc", "Cf"))
    text = text.replace("\\", "/").rsplit("/", 1)[-1]
    text = _WINDOWS_FORBIDDEN.sub("_", text).strip().rstrip(". ")
    stem, extension = _split(text)
    stem = stem.lstrip(". ").strip()
    if not stem:
        return _fit(fallback, extension)
    if stem.split(".", 1)[0].rstrip().upper() in _RESERVED:
        stem = "_" + stem
    return _fit(stem, extension)


def _split(name: str) -> tuple[str, str]:
    """("report", ".pdf"); a name that is only ".pdf" has an empty stem."""
    dot = name.rfind(".")
    if dot < 0 or len(name) - dot > _MAX_EXTENSION or dot == len(name) - 1:
        return name, ""
    extension = name[dot:]
    if not all(c.isalnum() or c in "_-" for c in extension[1:]):
        return name, ""
    return name[:dot], extension


def _fit(stem: str, extension: str) -> str:
    budget = MAX_CHARS - len(extension)
    stem = stem[:budget]
    while len((stem + extension).encode("utf-8")) > MAX_BYTES:
        stem = stem[:-1]
    return unicodedata.normalize("NFC", stem.rstrip(". ") + extension)
