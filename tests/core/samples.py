"""Realistic values for core tests: the Dương Kinh roster, the office's time zone, mail."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from mailbot.core.model import Address, Attachment, ParsedMail, Unit

HCM = ZoneInfo("Asia/Ho_Chi_Minh")

HOA_NGHIA = Unit(
    "hoa-nghia", "UBND phường Hòa Nghĩa",
    emails=("ubndhoanghia@example.gov.vn", "vanthu.hoanghia@gmail.com"),
    aliases=("phường Hòa Nghĩa",),
)
DA_PHUC = Unit("da-phuc", "UBND phường Đa Phúc", emails=("ubnddaphuc@example.gov.vn",))
ANH_DUNG = Unit("anh-dung", "UBND phường Anh Dũng", emails=("ubndanhdung@example.gov.vn",))
TAN_THANH = Unit("tan-thanh", "UBND phường Tân Thành", emails=("ubndtanthanh@example.gov.vn",))
HAI_THANH = Unit("hai-thanh", "UBND phường Hải Thành", emails=("ubndhaithanh@example.gov.vn",))
HUNG_DAO = Unit("hung-dao", "UBND phường Hưng Đạo", emails=("ubndhungdao@example.gov.vn",))
NOI_VU = Unit("noi-vu", "Phòng Nội vụ", emails=("phongnoivu@example.gov.vn",))
TU_PHAP = Unit("tu-phap", "Phòng Tư pháp", emails=("phongtuphap@example.gov.vn",))
NONG_DAN = Unit("nong-dan", "Hội Nông dân quận", emails=("hoinongdan@example.gov.vn",))
PHU_NU = Unit("phu-nu", "Hội Liên hiệp Phụ nữ quận", emails=("hoiphunu@example.gov.vn",))
MTTQ = Unit("mttq", "Ủy ban MTTQ Việt Nam quận", emails=("mttq@example.gov.vn",))
TTYT = Unit("ttyt", "Trung tâm Y tế quận", emails=("ttyt@example.gov.vn",))

UNITS = (HOA_NGHIA, DA_PHUC, ANH_DUNG, TAN_THANH, HAI_THANH, HUNG_DAO, NOI_VU, TU_PHAP,
         NONG_DAN, PHU_NU, MTTQ, TTYT)

OFFICE = "noivuduongkinh@example.com"
MAILBOT_DOMAIN = "mailbot.noivu.example.gov.vn"

PDF = Attachment("Bao cao thanh tich.pdf", "application/pdf", b"%PDF-1.4\n%%EOF\n")
JPG = Attachment("IMG_20231010.jpg", "image/jpeg", b"\xff\xd8\xff\xe0")


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0,
       tz: ZoneInfo = HCM) -> datetime:
    """An aware instant, by default on the office's wall clock."""
    return datetime(year, month, day, hour, minute, second, tzinfo=tz)


def addr(address: str, name: str = "") -> Address:
    return Address(name, address)


def mail(**overrides: Any) -> ParsedMail:
    """A typical submission from Hòa Nghĩa's official address; override any field."""
    fields: dict[str, Any] = {
        "message_id": "20231010093000.1234@example.gov.vn",
        "subject": "Gương người tốt việc tốt tháng 10/2023 - UBND phường Hòa Nghĩa",
        "from_": addr("ubndhoanghia@example.gov.vn", "UBND phường Hòa Nghĩa"),
        "to": (addr(OFFICE),),
        "text": "Kính gửi Phòng Nội vụ,\nĐơn vị xin gửi gương người tốt, việc tốt.\n",
        "attachments": (PDF,),
    }
    fields.update(overrides)
    return ParsedMail(**fields)
