"""README's first command: the demo really runs a month, end to end, in bounded time."""

from __future__ import annotations

import io
import time
import zipfile
from pathlib import Path

import pytest

from mailbot.cli import main


def test_the_demo_runs_a_month_and_leaves_a_package_a_person_can_open(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    started = time.monotonic()
    assert main(["demo", "--dir", str(tmp_path / "demo")]) == 0
    assert time.monotonic() - started < 180
    out = capsys.readouterr().out
    for step in ("reminder 32", "quarantined 1", "unmatched 1", "office_status 1",
                 "the package goes to the Board"):
        assert step in out
    package = tmp_path / "demo" / "goi-gui-ban"
    docx = package / "Tong-hop-thang-10-2023.docx"
    with zipfile.ZipFile(io.BytesIO(docx.read_bytes())) as z:
        assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in z.read("word/document.xml").decode()
    assert (package / "Danh-sach-thang-10-2023.xlsx").stat().st_size > 0
    assert "Kính gửi" in (package / "phan-1.html").read_text(encoding="utf-8")
    assert "digest         sent" in out
