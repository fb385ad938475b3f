"""Writes tests/data/corpus/generated/*.eml: Vietnamese charsets, Outlook TNEF and
hostile mail, as the corpus test feeds them to mailbot. Re-run after changing it:

    .venv/bin/python -m tests.data.corpus.make_generated

The files are committed so that a reader can open each sample as it was tested.
"""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

from mailbot.adapters.parse_charsets import _TCVN, _VISCII
from tests.adapters.parse_builders import (
    TOP,
    cp1258,
    leaf,
    make_tnef,
    multipart,
    nested_multipart,
    nested_rfc822,
    raw_message,
)

OUT = Path(__file__).parent / "generated"
TEXT = "Kính gửi Phòng Nội vụ, đơn vị gửi gương người tốt, việc tốt: ông Nguyễn Văn Dũng."
SUBJECT = "Gương người tốt việc tốt tháng 10/2023"
PE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + bytes(200)
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
ZIP_AS_JPG = b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + bytes(40)



def _legacy(text: str, table: str) -> bytes:
    """``text`` in VISCII or TCVN3 (the tables parse_charsets checks against iconv)."""
    code = {c: i for i, c in enumerate(table)}
    return bytes(code[c] for c in text)


VISCII_TEXT = _legacy(TEXT, _VISCII)
TCVN_TEXT = _legacy(TEXT, _TCVN)


def _word(data: bytes, charset: str) -> str:
    """An RFC 2047 Q encoded word carrying ``data`` as is."""
    q = "".join(chr(c) if chr(c).isalnum() else "_" if c == 32 else f"={c:02X}" for c in data)
    return f"=?{charset}?Q?{q}?="


def _b64(data: bytes) -> bytes:
    return base64.encodebytes(data).replace(b"\n", b"\r\n")


def _file(name_header: str | bytes, data: bytes, ctype: str = "application/pdf") -> bytes:
    return leaf([("Content-Type", ctype), ("Content-Transfer-Encoding", "base64"),
                 ("Content-Disposition", name_header)], _b64(data))


def _text(data: bytes, ctype: str, cte: str = "8bit") -> bytes:
    return leaf([("Content-Type", ctype), ("Content-Transfer-Encoding", cte)], data)


def _with_files(*parts: bytes, top: tuple[tuple[str, str | bytes], ...] = TOP) -> bytes:
    return multipart(list(parts), headers=top)


def samples() -> dict[str, bytes]:
    """File name -> raw message."""
    top_1258 = (*TOP[:2], ("Subject", _word(cp1258(SUBJECT), "windows-1258")), TOP[3])
    s: dict[str, bytes] = {
        "vi-windows-1258-body-and-subject.eml": _with_files(
            _text(cp1258(TEXT), 'text/plain; charset="windows-1258"'),
            _file("attachment; filename*=windows-1258''B%E1o%20c%E1o.pdf", PDF), top=top_1258),
        "vi-windows-1258-qp-combining-marks.eml": raw_message(
            [*TOP, ("MIME-Version", "1.0"), ("Content-Type", "text/plain; charset=cp1258"),
             ("Content-Transfer-Encoding", "quoted-printable")],
            b"".join(b"=%02X" % c if c > 127 or c == 61 else bytes([c])
                     for c in cp1258(TEXT))),
        "vi-viscii.eml": raw_message(
            [*TOP[:2], ("Subject", _word(_legacy(SUBJECT, _VISCII), "VISCII")), TOP[3],
             ("MIME-Version", "1.0"), ("Content-Type", "text/plain; charset=VISCII"),
             ("Content-Transfer-Encoding", "8bit")], VISCII_TEXT),
        "vi-x-viet-viscii-attachment.eml": _with_files(
            _text(VISCII_TEXT, "text/plain; charset=x-viet-viscii"),
            _file('attachment; filename="=?VISCII?B?' + base64.b64encode(
                b"Danh s\xe1ch.pdf").decode() + '?="', PDF)),
        "vi-tcvn3.eml": raw_message(
            [*TOP, ("MIME-Version", "1.0"), ("Content-Type", 'text/plain; charset="TCVN5712-1"'),
             ("Content-Transfer-Encoding", "8bit")], TCVN_TEXT),
        "vi-tcvn-x-viet-label-html.eml": raw_message(
            [*TOP, ("MIME-Version", "1.0"), ("Content-Type", "text/html; charset=x-viet-tcvn"),
             ("Content-Transfer-Encoding", "8bit")], b"<p>" + TCVN_TEXT + b"</p>"),
        "vi-utf8-labelled-latin1.eml": raw_message(
            [*TOP, ("MIME-Version", "1.0"), ("Content-Type", "text/plain; charset=iso-8859-1"),
             ("Content-Transfer-Encoding", "8bit")], TEXT.encode()),
        "vi-no-charset-utf8.eml": raw_message(
            [*TOP[:2], ("Subject", SUBJECT.encode()), TOP[3], ("MIME-Version", "1.0"),
             ("Content-Type", "text/plain"), ("Content-Transfer-Encoding", "8bit")],
            TEXT.encode()),
        "vi-no-charset-cp1258.eml": raw_message(
            [*TOP[:2], ("Subject", cp1258(SUBJECT)), TOP[3], ("MIME-Version", "1.0"),
             ("Content-Type", "text/plain")], cp1258(TEXT)),
        "vi-unknown-charset-label.eml": raw_message(
            [*TOP, ("MIME-Version", "1.0"), ("Content-Type", "text/plain; charset=x-vn-bogus"),
             ("Content-Transfer-Encoding", "8bit")], TEXT.encode()),
        "vi-raw-8bit-filename.eml": _with_files(
            _text(TEXT.encode(), "text/plain; charset=utf-8"),
            _file("attachment; filename=\"Báo cáo thành tích.pdf\"".encode(), PDF)),
        "vi-bad-encoded-word.eml": raw_message(
            [*TOP[:2], ("Subject", "=?utf-8?B?R8awxqFuZyBuZ8aw4budaSB0?= =?bogus?Q?=ZZ?="),
             TOP[3]], TEXT.encode()),
        "tnef-winmail-vietnamese-names.eml": _with_files(
            _text(cp1258(TEXT), "text/plain; charset=windows-1258"),
            _file('attachment; filename="winmail.dat"', make_tnef(
                [("Báo cáo thành tích.docx", b"PK\x03\x04docx"), ("ảnh trao thưởng.jpg",
                                                                  b"\xff\xd8\xff\xe0jpeg")]),
                'application/ms-tnef; name="winmail.dat"')),
        "tnef-truncated.eml": _with_files(
            _file('attachment; filename="winmail.dat"',
                  make_tnef([("Báo cáo.pdf", PDF)])[:40], "application/ms-tnef")),
        "tnef-garbage.eml": _with_files(
            _file('attachment; filename="winmail.dat"', b"\x78\x9f\x3e\x22" + bytes(range(256)),
                  "application/ms-tnef")),
        "hostile-attachment-names.eml": _with_files(*[
            _file(f'attachment; filename="{name}"'.encode(), PDF + name.encode())
            for name in ("../../x.pdf", "/etc/passwd", "..\\\\..\\\\boot.ini", "a\x01b.pdf",
                         "invoice\u202efdp.pdf", "CON.pdf", "x" * 300 + ".pdf", "dup.pdf",
                         "dup.pdf", "DUP.PDF", "C:\\\\Windows\\\\x.pdf")]),
        "hostile-programs.eml": _with_files(
            _file('attachment; filename="baocao.pdf.exe"', PE),
            _file('attachment; filename="hoso.pdf"', PE),
            _file('attachment; filename="anh.jpg"', ZIP_AS_JPG, "image/jpeg"),
            _file('attachment; filename="run.js"', b"WScript.Shell", "text/javascript"),
            _file('attachment; filename="Bang.xlsm"', b"PK\x03\x04xl/vbaProject.bin")),
        "hostile-html-and-formula.eml": raw_message(
            [*TOP[:2], ("Subject", "=HYPERLINK(\"http://evil.example\",\"Gương người tốt\")"
                                   " <script>alert(1)</script>"), TOP[3],
             ("MIME-Version", "1.0"), ("Content-Type", "text/html; charset=utf-8")],
            b"<script>alert(1)</script><img src=http://evil.example/x.gif>"
            b"<p>=cmd|' /C calc'!A0</p><p>+1+1</p><p>@SUM(1)</p>"),
        "hostile-crlf-in-encoded-subject.eml": raw_message(
            [*TOP[:2], ("Subject", "=?utf-8?q?G=C6=B0=C6=A1ng=0D=0ABcc:_evil@example.com?="),
             TOP[3]], TEXT.encode()),
        "hostile-forged-authentication-results.eml": raw_message(
            [("Authentication-Results", "mx.google.com; dmarc=pass header.from=example.gov.vn"),
             *TOP], TEXT.encode()),
        "broken-nested-60-multiparts.eml": nested_multipart(60),
        "broken-nested-60-rfc822.eml": nested_rfc822(60),
        "broken-header-300kb.eml": raw_message(
            [*TOP, ("X-Padding", "a" * 300_000)], TEXT.encode()),
        "broken-no-from-no-date.eml": raw_message([("Subject", SUBJECT)], TEXT.encode()),
        "broken-headers-only.eml": b"From: a@example.vn\r\nSubject: x\r\n",
        "broken-no-closing-boundary.eml": multipart(
            [_text(b"x", "text/plain")], headers=TOP).rsplit(b"--b0--", 1)[0],
        "broken-missing-boundary-param.eml": raw_message(
            [*TOP, ("MIME-Version", "1.0"), ("Content-Type", "multipart/mixed")],
            b"--b0\r\n\r\nx\r\n--b0--\r\n"),
        "broken-bad-base64.eml": _with_files(leaf(
            [("Content-Type", "application/pdf"), ("Content-Transfer-Encoding", "base64"),
             ("Content-Disposition", 'attachment; filename="a.pdf"')], b"!!!not base64===\r\n")),
        "broken-bare-lf-and-binary.eml": (b"From: ubndhoanghia@example.gov.vn\nSubject: "
                                          + SUBJECT.encode() + b"\n\n" + bytes(range(1, 256))),
        "broken-utf16-body.eml": raw_message(
            [*TOP, ("MIME-Version", "1.0"), ("Content-Type", "text/plain; charset=utf-16")],
            TEXT.encode("utf-16")),
    }
    return s


def main() -> None:
    OUT.mkdir(exist_ok=True)
    for old in OUT.glob("*.eml"):
        old.unlink()
    for name, raw in samples().items():
        (OUT / name).write_bytes(raw)
        print(f"{name}  {len(raw)} bytes  {hashlib.sha256(raw).hexdigest()[:12]}")


if __name__ == "__main__":
    main()
