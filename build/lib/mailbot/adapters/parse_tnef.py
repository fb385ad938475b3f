"""Expand an Outlook winmail.dat (application/ms-tnef) into the files it carries.

tnefparse decodes the MAPI properties, but it trusts every count it reads: a
22-byte property block declaring three million multi-values kept it busy for
seconds (four billion: hours, then out of memory), and it slices the remaining
stream once per object. So the stream is walked here first, with bounds, and
each attachment is handed to tnefparse on its own in a small rebuilt stream
(signature, code page, that attachment's objects): every loop tnefparse runs is
then bounded by counts checked here, and one broken attachment loses only itself.
Anything outside those bounds raises TnefError; the caller keeps the .dat as is.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass

import tnefparse
from tnefparse.properties import MAPI_ATTACH_DATA_OBJ, MAPI_ATTACH_LONG_FILENAME

from mailbot.adapters.parse_charsets import decode_text

_SIGNATURE = 0x223E9F78
_LVL_MESSAGE = 0x01
_LVL_ATTACHMENT = 0x02
_OEM_CODEPAGE = 0x9007
_ATTACH_REND_DATA = 0x9002  # starts an attachment
_ATTACH_TITLE = 0x8010
_ATTACH_DATA = 0x800F
_ATTACHMENT = 0x9005  # the attachment's MAPI properties
_BODY = frozenset({0x800C, 0x9003})  # attBody, attMAPIProps (where Outlook puts the body)
_KEPT = frozenset({_ATTACH_REND_DATA, _ATTACH_TITLE, _ATTACH_DATA, _ATTACHMENT})
_IMESSAGE_SIG = b"\x07\x03\x02\x00\x00\x00\x00\x00\xc0\x00\x00\x00\x00\x00\x00\x46"

_MAX_OBJECTS = 5000
_MAX_MAPI_VALUES = 10_000
_FIXED_SIZES = {0x2: 2, 0xB: 2, 0x3: 4, 0x4: 4, 0xA: 4, 0x5: 8, 0x6: 8, 0x7: 8, 0x14: 8,
                0x40: 8, 0x48: 16}
_COUNTED = frozenset({0x0, 0xD, 0x1E, 0x1F, 0x102})


class TnefError(Exception):
    """The stream is not TNEF, or outside what is safe to hand to tnefparse."""


@dataclass(frozen=True)
class TnefFile:
    name: str
    data: bytes


def expand(data: bytes) -> tuple[list[TnefFile], list[str]]:
    """The files inside a winmail.dat, and a defect for each one that was lost.

    A stream with neither files nor a message body is refused: an Outlook TNEF
    that carries only the rich-text copy of the body yields no file and no defect.
    """
    header = data[:6]
    codepage_obj = b""
    codepage = "cp1252"
    groups: list[list[tuple[int, bytes]]] = []
    has_body = False
    for level, name, obj in _objects(data):
        has_body = has_body or (level == _LVL_MESSAGE and name in _BODY)
        if level == _LVL_MESSAGE and name == _OEM_CODEPAGE and len(obj) >= 15:
            codepage_obj = obj
            codepage = f"cp{struct.unpack_from('<I', obj, 9)[0]}"
        elif level == _LVL_ATTACHMENT and name in _KEPT:
            if name == _ATTACH_REND_DATA:
                groups.append([])
            if groups:
                groups[-1].append((name, obj))
    if not groups and not has_body:
        raise TnefError("no files and no message body in it")
    files: list[TnefFile] = []
    defects: list[str] = []
    for index, group in enumerate(groups, 1):
        try:
            for name, obj in group:
                if name == _ATTACHMENT:
                    _check_mapi(obj[9:-2])
            parsed = tnefparse.TNEF(header + codepage_obj + b"".join(o for _, o in group),
                                    do_checksum=False)
            attachment = parsed.attachments[0]
            payload = attachment.data if isinstance(attachment.data, bytes) else b""
        except Exception as e:  # TnefError, or anything tnefparse raises on bad input
            defects.append(f"winmail.dat attachment {index} unreadable: {_reason(e)}")
            continue
        titles = [obj[9:-2] for name, obj in group if name == _ATTACH_TITLE]
        files.append(TnefFile(_filename(attachment, titles, codepage, index), payload))
    return files, defects


def _objects(data: bytes) -> Iterator[tuple[int, int, bytes]]:
    """(level, attribute id, raw object) for each object, as tnefparse steps them."""
    if len(data) < 6 or struct.unpack_from("<I", data)[0] != _SIGNATURE:
        raise TnefError("not a TNEF stream")
    offset, count = 6, 0
    while offset + 12 < len(data):
        level, name, _type, length = struct.unpack_from("<BHHI", data, offset)
        end = offset + 11 + length
        if end > len(data):
            raise TnefError("truncated TNEF object")
        count += 1
        if count > _MAX_OBJECTS:
            raise TnefError("too many TNEF objects")
        yield level, name, data[offset:end]
        offset = end


def _check_mapi(block: bytes) -> None:
    """Walk a MAPI property block exactly as tnefparse's decode_mapi does, and
    refuse it unless every count fits the bytes that remain."""
    size = len(block)
    off = 0

    def read(fmt: str) -> tuple[int, ...]:
        nonlocal off
        if off + struct.calcsize(fmt) > size:
            raise TnefError("truncated MAPI properties")
        off += struct.calcsize(fmt)
        return tuple(int(v) for v in struct.unpack_from(fmt, block, off - struct.calcsize(fmt)))

    def u32() -> int:
        return read("<I")[0]

    def fits(count: int, unit: int) -> None:
        if count * unit > size - off:
            raise TnefError("MAPI count larger than its data")

    values = 0
    count = u32()
    fits(count, 4)
    for _ in range(count):
        attr_type, attr_name = read("<HH")
        if attr_name >= 0x8000:
            fits(1, 16)
            off += 16
            if u32() == 0:
                u32()
            else:
                iid_len = u32()
                iid_len += -iid_len % 4
                fits(iid_len, 1)
                off += iid_len
        multi: int | None = None
        if attr_type & 0x1000:
            attr_type ^= 0x1000
            multi = u32()
        reps = multi or 1
        values += reps
        if values > _MAX_MAPI_VALUES:
            raise TnefError("too many MAPI values")
        if attr_type in _FIXED_SIZES:
            fits(reps, _FIXED_SIZES[attr_type])
            off += reps * _FIXED_SIZES[attr_type]
            if reps % 2 and attr_type in (0x2, 0xB):
                off += 2
            continue
        if attr_type not in _COUNTED:
            return  # tnefparse stops at an unknown type too
        for _ in range(reps):
            items = 1 if multi else u32()
            fits(items, 4)
            values += items
            if values > _MAX_MAPI_VALUES:
                raise TnefError("too many MAPI values")
            for _ in range(items):
                length = u32()
                length += -length % 4
                fits(length, 1)
                if attr_name == MAPI_ATTACH_DATA_OBJ and block.startswith(_IMESSAGE_SIG, off):
                    raise TnefError("embedded Outlook message")
                off += length


def _filename(attachment: object, titles: list[bytes], codepage: str, index: int) -> str:
    for attr in getattr(attachment, "mapi_attrs", []):
        if getattr(attr, "name", None) == MAPI_ATTACH_LONG_FILENAME:
            try:
                value = attr.data
            except Exception:  # a malformed property value: fall back to the title
                continue
            if isinstance(value, bytes):
                value = decode_text(value, codepage)[0]
            if isinstance(value, str) and value.strip("\x00 "):
                return value.strip("\x00 ")
    for title in titles:
        text = decode_text(title.rstrip(b"\x00"), codepage)[0].strip()
        if text:
            return text
    return f"winmail-{index}.bin"


def _reason(error: Exception) -> str:
    return str(error) if isinstance(error, TnefError) else f"{type(error).__name__}"
