"""The two documents of the monthly package for the Board: the compiled report (.docx,
office_docx) and the list of submissions (.xlsx, office_xlsx), and their file names."""

from __future__ import annotations

import io
from datetime import date

from mailbot.adapters.office_docx import write_report_docx
from mailbot.adapters.office_xlsx import write_list_xlsx
from mailbot.core.digest_model import Digest
from mailbot.core.model import Period

__all__ = ["build_documents", "list_filename", "report_filename", "write_list_xlsx",
           "write_report_docx"]
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def build_documents(digest: Digest, *, issuer: str, date_of: date
                    ) -> list[tuple[str, str, bytes]]:
    """The report and the list as (file name, MIME type, bytes)."""
    report, sheet = io.BytesIO(), io.BytesIO()
    write_report_docx(digest, report, issuer=issuer, date_of=date_of)
    write_list_xlsx(digest, sheet)
    return [(report_filename(digest.period), DOCX, report.getvalue()),
            (list_filename(digest.period), XLSX, sheet.getvalue())]


def report_filename(period: Period) -> str:
    """``report_filename(Period(2023, 10)) == "Tong-hop-thang-10-2023.docx"``: ASCII, so
    every mail client and the Board's systems keep it intact."""
    return f"Tong-hop-thang-{period.month:02d}-{period.year:04d}.docx"


def list_filename(period: Period) -> str:
    """``list_filename(Period(2023, 10)) == "Danh-sach-thang-10-2023.xlsx"``."""
    return f"Danh-sach-thang-{period.month:02d}-{period.year:04d}.xlsx"
