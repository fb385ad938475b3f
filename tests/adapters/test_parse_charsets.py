"""The VISCII and TCVN tables in parse_charsets agree with glibc's iconv."""

from __future__ import annotations

import shutil
import subprocess
import unicodedata

import pytest

from mailbot.adapters.parse_charsets import decode_text


@pytest.mark.skipif(shutil.which("iconv") is None, reason="needs glibc's iconv command")
@pytest.mark.parametrize("label", ["VISCII", "TCVN5712-1"])
def test_every_byte_decodes_as_glibc_iconv_decodes_it(label: str) -> None:
    values = [b for b in range(256) if b != 0x0A]  # the line end separates the samples
    sample = b"".join(bytes([b]) + b"\n" for b in values)
    done = subprocess.run(["iconv", "-f", label, "-t", "UTF-8"], input=sample,
                          capture_output=True, check=False)
    if done.returncode != 0:
        pytest.skip(f"this iconv has no {label}: {done.stderr.decode(errors='replace')}")
    expected = [unicodedata.normalize("NFC", line)
                for line in done.stdout.decode("utf-8").split("\n")[:-1]]

    ours = [decode_text(bytes([b]), label)[0] for b in values]

    assert ours == expected


@pytest.mark.parametrize("data,label,text,defect", [
    (b"plain", None, "plain", None),
    ("Dương".encode(), None, "Dương", None),
    ("Dương".encode(), "us-ascii", "Dương", "charset us-ascii declared but the text is UTF-8"),
    (b"D\xfd\xf5ng", None, "Dương",
     "no charset declared and the text is not UTF-8: read as windows-1258"),
    (b"D\xfd\xf5ng", "us-ascii", "Dương",
     "charset us-ascii declared and the text is not UTF-8: read as windows-1258"),
    (b"D\xfd\xf5ng", "windows-1258", "Dương", None),
    (b"D\xdf\xbdng", "viscii", "Dương", None),
    (b"D\xad\xacng", '"TCVN5712-1"', "Dương", None),
    (b"abc", "utf-8*vi", "abc", None),
    (b"a\xffb", "x-foo", "a\ufffdb", "charset x-foo not supported"),
    (b"a+AGE-", "utf-7", "aa", None),
    (b"\xff", "utf-8", "\ufffd", "text is not valid utf-8"),
])
def test_decode_text_reads_what_vietnamese_mail_carries(data: bytes, label: str | None,
                                                        text: str, defect: str | None) -> None:
    assert decode_text(data, label) == (text, defect)
