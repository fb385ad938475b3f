"""Builders shared by the test_digest_* files (no tests here): filed submissions, stored
files, a 40-unit roster."""

from __future__ import annotations

import hashlib
from datetime import datetime

from mailbot.core.digest_model import DigestFile, SubmissionRecord
from mailbot.core.model import Period, Unit
from tests.core.samples import at

OCTOBER = Period(2023, 10)
COMPILED = at(2023, 10, 17, 8)
MID_OCTOBER = at(2023, 10, 10, 9)

# The district's 33 units (units-and-terms.md) and seven schools: about the ~40 the
# office hears from every month.
ROSTER_NAMES = (
    "UBND phường Anh Dũng", "UBND phường Đa Phúc", "UBND phường Hải Thành",
    "UBND phường Hòa Nghĩa", "UBND phường Hưng Đạo", "UBND phường Tân Thành",
    "Văn phòng HĐND và UBND quận", "Phòng Nội vụ", "Phòng Tư pháp",
    "Phòng Tài chính - Kế hoạch", "Phòng Tài nguyên và Môi trường",
    "Phòng Lao động - Thương binh và Xã hội", "Phòng Văn hóa và Thông tin",
    "Phòng Giáo dục và Đào tạo", "Phòng Y tế", "Phòng Quản lý đô thị", "Phòng Kinh tế",
    "Thanh tra quận", "Văn phòng Quận ủy", "Ban Tổ chức Quận ủy", "Ban Tuyên giáo Quận ủy",
    "Ban Dân vận Quận ủy", "Ủy ban Kiểm tra Quận ủy", "Ủy ban MTTQ Việt Nam quận",
    "Quận đoàn", "Hội Liên hiệp Phụ nữ quận", "Hội Nông dân quận", "Hội Cựu chiến binh quận",
    "Liên đoàn Lao động quận", "Trung tâm Văn hóa - Thông tin và Thể thao quận",
    "Trung tâm Y tế quận", "Ban Quản lý dự án đầu tư xây dựng quận",
    "Trung tâm Phát triển quỹ đất quận", "Trường THCS Anh Dũng", "Trường THCS Đa Phúc",
    "Trường THCS Hải Thành", "Trường Tiểu học Hòa Nghĩa", "Trường Tiểu học Hưng Đạo",
    "Trường Mầm non Tân Thành", "Trường Mầm non Đa Phúc",
)
ROSTER = tuple(Unit(f"u{i:02d}", name) for i, name in enumerate(ROSTER_NAMES, start=1))


def stored(name: str, data: bytes = b"", *, size: int | None = None,
           content_type: str = "application/octet-stream") -> DigestFile:
    """A file in the store; its sha256 is that of ``data`` (default: of the name)."""
    data = data or name.encode("utf-8")
    return DigestFile(name, hashlib.sha256(data).hexdigest(),
                      len(data) if size is None else size, content_type)


def filed(unit: str, message: int, *, received_at: datetime = MID_OCTOBER,
          late: bool = False, period: Period = OCTOBER,
          body: str = "Đơn vị gửi gương người tốt, việc tốt.",
          subject: str = "Gương người tốt việc tốt tháng 10/2023",
          files: tuple[DigestFile, ...] = ()) -> SubmissionRecord:
    """A submission as the ledger holds it."""
    return SubmissionRecord(message=message, unit=unit, period=period, received_at=received_at,
                            late=late, subject=subject, body_text=body, files=files)
