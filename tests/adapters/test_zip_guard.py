"""check_zip: a zip bomb is refused from its central directory, before anything inflates."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from docx import Document  # type: ignore[import-untyped]
from openpyxl import Workbook  # type: ignore[import-untyped]

from mailbot.adapters.zip_guard import ZipLimits, ZipRefused, check_zip


def _zip(members: dict[str, bytes]) -> io.BytesIO:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    buf.seek(0)
    return buf


def _lying(declared: int) -> io.BytesIO:
    """One small member whose central directory claims ``declared`` bytes."""
    buf = _zip({"xl/worksheets/sheet1.xml": b"<x/>" * 10})
    raw = bytearray(buf.getvalue())
    cd = raw.rfind(b"PK\x01\x02")
    raw[cd + 24:cd + 28] = declared.to_bytes(4, "little")
    return io.BytesIO(bytes(raw))


def test_ordinary_office_files_pass() -> None:
    for doc in (Document(), Workbook()):
        buf = io.BytesIO()
        doc.save(buf)
        check_zip(buf)


@pytest.mark.parametrize("archive,named", [
    (_zip({f"{i}.xml": b"" for i in range(10_001)}), "10001 entries"),
    (_zip({"bomb.xml": b"\0" * (20 * 2**20)}), "unpacks"),
    (_lying(300 * 2**20), "bytes once unpacked"),
], ids=["entries", "ratio", "declared size"])
def test_a_bomb_is_refused_naming_the_limit(archive: io.BytesIO, named: str) -> None:
    with pytest.raises(ZipRefused, match=named):
        check_zip(archive)


def test_a_small_archive_may_compress_well() -> None:
    check_zip(_zip({"blank.xml": b" " * 100_000}))


def test_limits_can_be_tightened(tmp_path: Path) -> None:
    path = tmp_path / "a.zip"
    path.write_bytes(_zip({"a": b"1", "b": b"2"}).getvalue())
    with pytest.raises(ZipRefused, match="2 entries"):
        check_zip(path, ZipLimits(max_entries=1))


def test_not_a_zip_is_not_called_a_bomb() -> None:
    with pytest.raises(zipfile.BadZipFile):
        check_zip(io.BytesIO(b"%PDF-1.7"))
