"""The monthly package's documents: a sample digest shared by the report and list tests,
and the documents' file names."""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from mailbot.adapters.office_docs import list_filename, report_filename
from mailbot.core.digest_model import Digest, DigestFile, DigestSubmission, UnitSection
from mailbot.core.model import Period, Unit

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
OCTOBER = Period(2023, 10)
COMPILED = datetime(2023, 10, 16, 8, 0, tzinfo=HCM)
HOSTILE = ("Đồng chí Phạm Văn Bình đã giúp dân chống bão.\x00\x1b\x0b"
           "<script>alert('x')</script> & <b>đậm</b>\ufffe\ud800 hết.")
FORMULA = '=HYPERLINK("http://evil.example/x","Bấm vào đây")'
NFD_NAME = unicodedata.normalize("NFD", "UBND phường Hòa Nghĩa")


def _file(name: str, size: int = 358_400) -> DigestFile:
    return DigestFile(name=name, sha256="0" * 64, size=size, content_type="application/pdf")


def _sub(message: int, day: int, summary: str, *, late: bool = False,
         files: tuple[DigestFile, ...] = (), supplement_of: Period | None = None,
         at: datetime | None = None) -> DigestSubmission:
    return DigestSubmission(
        message=message, received_at=at or datetime(2023, 10, day, 9, 30, tzinfo=HCM),
        late=late, subject=f"Gương người tốt việc tốt tháng 10/2023 ({message})",
        summary=summary, files=files, supplement_of=supplement_of)


def sample_digest() -> Digest:
    """Eight units: every status, two mails from one unit, a supplement, hostile text."""
    units: list[tuple[str, str, str, tuple[DigestSubmission, ...]]] = [
        ("ad", "UBND phường Anh Dũng", "on_time", (_sub(
            1, 10, "Ông Nguyễn Văn An, tổ trưởng tổ dân phố số 3, nhặt được ví và trả lại "
                   "người đánh rơi.\n\nBà Lê Thị Hoa tặng 50 suất quà cho hộ nghèo.",
            files=(_file("Báo cáo thành tích.docx"), _file("IMG_2041.jpg", 1_258_291))),)),
        ("dp", "UBND phường Đa Phúc", "late", (_sub(2, 16, HOSTILE, late=True),)),
        ("hn", NFD_NAME, "on_time", (_sub(
            3, 14, FORMULA + "\n- Anh Trần Minh Tuấn hiến máu 20 lần.",
            files=(_file("+danh sách.xlsx"),),
            at=datetime(2023, 10, 14, 18, 30, tzinfo=UTC)),)),  # 01:30 on the 15th in Hải Phòng
        ("pn", "Hội Liên hiệp Phụ nữ quận", "missing", (_sub(
            4, 2, "- Chị Vũ Thị Thu Hằng giúp đỡ phụ nữ khó khăn.", late=True,
            supplement_of=Period(2023, 9)),)),
        ("tp", "Phòng Tư pháp", "missing", ()),
        ("mt", "Ủy ban MTTQ Việt Nam quận", "on_time", (_sub(
            5, 12, "", files=(_file("@bao cao.pdf"),)),)),
        ("qd", "Quận đoàn", "on_time", (
            _sub(6, 11, "Tập thể Chi đoàn Thanh niên phường Hòa Nghĩa đã dọn vệ sinh bãi biển."),
            _sub(7, 15, "+ Em Đỗ Hoàng Long nhặt được của rơi."))),
        ("tt", "Thanh tra quận", "excused", ()),
    ]
    sections = tuple(
        UnitSection(number=i, unit=Unit(code, name), status=status, submissions=subs,
                    folder=f"{i:02d}-{unicodedata.normalize('NFC', name)}")
        for i, (code, name, status, subs) in enumerate(units, start=1))
    return Digest(period=OCTOBER, compiled_at=COMPILED, sections=sections)


def test_the_documents_are_named_by_month_in_ascii() -> None:
    assert report_filename(OCTOBER) == "Tong-hop-thang-10-2023.docx"
    assert list_filename(OCTOBER) == "Danh-sach-thang-10-2023.xlsx"
    assert report_filename(Period(2024, 1)) == "Tong-hop-thang-01-2024.docx"
