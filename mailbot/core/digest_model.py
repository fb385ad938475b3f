"""The monthly package for the Board, as data: what each unit sent, in the order the
Board reads it. Built by core/digest.py, rendered by the templates, the .docx and the
.xlsx writers; split into emails by core/digest.py."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from mailbot.core.model import Period, Unit


@dataclass(frozen=True)
class SubmissionRecord:
    """One filed submission as the ledger holds it (the input of build_digest)."""

    message: int  # ledger id
    unit: str  # unit code
    period: Period  # the month it was filed under
    received_at: datetime  # aware
    late: bool
    subject: str
    body_text: str
    files: tuple[DigestFile, ...] = ()


@dataclass(frozen=True)
class DigestFile:
    """A stored attachment: ``name`` is the sanitised display name, bytes are in the
    file store under ``sha256``. ``withheld`` says, in Vietnamese, why the file does
    not travel with the package (a program, a macro document: core/risky_files)."""

    name: str
    sha256: str
    size: int
    content_type: str
    withheld: str = ""


@dataclass(frozen=True)
class DigestSubmission:
    """One submission as the Board reads it."""

    message: int
    received_at: datetime
    late: bool
    subject: str
    summary: str  # the exemplars as the unit described them: quotes and signature removed
    files: tuple[DigestFile, ...]
    supplement_of: Period | None = None  # late mail for a month already sent to the Board


@dataclass(frozen=True)
class UnitSection:
    """A unit's part of the package: its status and what it sent."""

    number: int  # STT: 1-based, in Vietnamese alphabetical order of unit names
    unit: Unit
    status: str  # on_time, late, missing, excused
    submissions: tuple[DigestSubmission, ...]
    folder: str  # "03-UBND phường Hòa Nghĩa": attachments are named under it


@dataclass(frozen=True)
class Digest:
    """The whole package of a month, one section per unit."""

    period: Period
    compiled_at: datetime
    sections: tuple[UnitSection, ...]

    @property
    def sent_count(self) -> int:
        """Units that sent something for this month (a supplement alone does not count)."""
        return sum(1 for s in self.sections
                   if any(x.supplement_of is None for x in s.submissions))

    @property
    def total(self) -> int:
        return len(self.sections)

    def withheld(self) -> list[tuple[Unit, DigestFile]]:
        """Files that stay out of the package, with their unit, in section order."""
        return [(s.unit, f) for s in self.sections for m in s.submissions for f in m.files
                if f.withheld]


@dataclass(frozen=True)
class PackedFile:
    """A file as it travels: its name inside the package and where its bytes are."""

    archive_name: str  # "03-UBND phường Hòa Nghĩa/Báo cáo thành tích.docx"
    file: DigestFile
    unit: str


@dataclass(frozen=True)
class Part:
    """One email of a (possibly split) package: "Phần 2/3"."""

    number: int
    total: int
    files: tuple[PackedFile, ...]
