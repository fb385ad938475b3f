"""Refuse a zip bomb before anything decompresses it (.xlsx and .docx are zip files).

The central directory is read, nothing is inflated. Python's zipfile stops each
member at its declared size, so bounding the declared sizes bounds what a reader
such as openpyxl can be made to inflate.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO


class ZipRefused(ValueError):
    """The archive is refused; the message says which limit it exceeds."""


@dataclass(frozen=True)
class ZipLimits:
    max_entries: int = 10_000
    max_total: int = 200 * 2**20  # declared uncompressed bytes, all members
    max_ratio: int = 100  # uncompressed / compressed, over the whole archive
    ratio_applies_above: int = 2**20  # small archives may compress as well as they like


def check_zip(source: Path | BinaryIO, limits: ZipLimits = ZipLimits()) -> None:
    """Raise ZipRefused when ``source`` is a zip bomb, BadZipFile when not a zip."""
    with zipfile.ZipFile(source) as zf:
        infos = zf.infolist()
    if len(infos) > limits.max_entries:
        raise ZipRefused(f"{len(infos)} entries, more than {limits.max_entries}")
    total = sum(i.file_size for i in infos)
    packed = sum(i.compress_size for i in infos)
    if total > limits.max_total:
        raise ZipRefused(f"{total} bytes once unpacked, more than {limits.max_total}")
    if total > limits.ratio_applies_above and total > limits.max_ratio * max(packed, 1):
        raise ZipRefused(f"unpacks {total // max(packed, 1)} times its size, more than "
                         f"{limits.max_ratio}")
