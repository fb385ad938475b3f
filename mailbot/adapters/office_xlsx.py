"""The month's list (.xlsx): one row per submission, for the Board to sort and filter.

Every text cell is stored as a string, never as a formula: a body that starts with
"=HYPERLINK(...)" stays that text. Cells starting with = + - @ also get Excel's
quote prefix (what typing a leading apostrophe does), so editing the cell in Excel
keeps it text; the stored value is unchanged, so "- Ông Nguyễn Văn An..." reads as sent.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from typing import Any, BinaryIO

from openpyxl import Workbook  # type: ignore[import-untyped, unused-ignore]
from openpyxl.styles import (  # type: ignore[import-untyped, unused-ignore]
    Alignment,
    Border,
    Font,
    PatternFill,
    Side,
)
from openpyxl.utils import get_column_letter  # type: ignore[import-untyped, unused-ignore]

from mailbot.adapters.office_docx import (
    FONT,
    STATUS_TEXT,
    clean,
    clean_lines,
    local_day,
    supplement_text,
)
from mailbot.core.digest_model import Digest
from mailbot.core.notices import vn_period

SHEET = "Danh sách"
HEADERS = ("STT", "Đơn vị", "Người/tập thể điển hình", "Tóm tắt", "Ngày nhận", "Tình trạng",
           "Tệp")
_WIDTHS = (6, 30, 30, 80, 13, 22, 40)
_LINE_HEIGHT, _MAX_HEIGHT = 16.0, 409.0  # points; Excel's tallest row is 409
_DATE_FORMAT = "dd/mm/yyyy"
_FORMULA_START = ("=", "+", "-", "@")
_MAX_CELL = 32_000  # Excel holds 32,767 characters a cell; leave room for UTF-16 pairs

_THIN = Side(style="thin")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_FONT, _BOLD = Font(name=FONT, size=12), Font(name=FONT, size=12, bold=True)
_WRAP = Alignment(wrap_text=True, vertical="top")
_CENTER = Alignment(wrap_text=True, vertical="top", horizontal="center")

# "ông Nguyễn Văn An", "đồng chí Lê Thị Hoa", "đ/c Trần Minh": an honorific, then 2-5
# capitalised words. A capitalised honorific counts only where a sentence starts, so
# place names such as "Bà Rịa" or "phường Anh Dũng" inside a sentence are left alone.
_PERSON = re.compile(
    r"\b(đồng chí|đ/c|cô giáo|thầy giáo|ông|bà|anh|chị|em|cô|thầy|cháu|bác|cụ)"
    r"\s+(?=((?:[^\W\d_]+ ?){1,5}))", re.IGNORECASE)
_ABBREVIATED = {"đ/c": "đồng chí"}
_COLLECTIVE = re.compile(r"\btập thể\s+([^,.;:!?()\n]+)", re.IGNORECASE)
_COLLECTIVE_STOP = re.compile(
    r"\s(?:đã|đang|vừa|luôn|là|được|có|với|tích cực|tham gia|thực hiện)\s", re.IGNORECASE)
_NOT_A_NAME = frozenset({"của", "và", "trong", "là", "được", "đã", "này", "đó", "các", "những"})


def write_list_xlsx(digest: Digest, out: BinaryIO) -> None:
    """Write the list of the month's submissions to ``out``.

    A title row, a frozen header row, then one row per submission in the digest's
    order (a unit that sent nothing: one row, "Chưa gửi" or "Được miễn"). Dates are
    Excel dates shown dd/mm/yyyy, in the office's time zone.
    """
    wb = Workbook()
    ws = wb.active
    ws.title = SHEET
    wb.properties.title = f"Danh sách gương người tốt, việc tốt {vn_period(digest.period)}"
    title = ws.cell(row=1, column=1, value=wb.properties.title.upper())
    title.font, title.alignment = Font(name=FONT, size=14, bold=True), _CENTER
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(HEADERS))
    ws.row_dimensions[1].height = 30
    for col, (text, width) in enumerate(zip(HEADERS, _WIDTHS, strict=True), start=1):
        cell = ws.cell(row=2, column=col, value=text)
        cell.font, cell.alignment, cell.border = _BOLD, _CENTER, _BORDER
        cell.fill = PatternFill("solid", fgColor="D9D9D9")
        ws.column_dimensions[get_column_letter(col)].width = width
    for number, values in enumerate(_rows(digest), start=1):
        row = 2 + number
        ws.row_dimensions[row].height = _height(values)
        for col, value in enumerate((number, *values), start=1):
            cell = ws.cell(row=row, column=col)
            if isinstance(value, str):
                _put_text(cell, value)
            else:
                cell.value = value
            cell.font, cell.border = _FONT, _BORDER
            cell.alignment = _CENTER if col in (1, 5, 6) else _WRAP
            if isinstance(value, date):
                cell.number_format = _DATE_FORMAT
    last = ws.max_row
    ws.freeze_panes = "A3"
    ws.auto_filter.ref = f"A2:{get_column_letter(len(HEADERS))}{last}"
    ws.print_title_rows = "2:2"
    ws.page_setup.orientation, ws.page_setup.paperSize = "landscape", ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    wb.save(out)


def _rows(digest: Digest) -> Iterator[tuple[str | date | None, ...]]:
    for s in digest.sections:
        unit = clean(s.unit.name)
        if all(sub.supplement_of is not None for sub in s.submissions):
            yield unit, "", "", None, STATUS_TEXT[s.status], ""  # nothing for this month
        for sub in s.submissions:
            summary = "\n".join(clean_lines(sub.summary))
            if sub.supplement_of is not None:
                standing = supplement_text(sub.supplement_of)
            else:
                standing = "Muộn" if sub.late else "Đúng hạn"
            yield (unit, exemplar_names(summary), summary,
                   local_day(sub.received_at, digest), standing,
                   "\n".join(clean(f.name) + (f" – {clean(f.withheld)}" if f.withheld else "")
                             for f in sub.files))


def _height(values: tuple[str | date | None, ...]) -> float:
    """A row tall enough for its wrapped text: LibreOffice does not fit rows on opening."""
    lines = max((sum(1 + len(part) // width for part in value.split("\n"))
                 for value, width in zip(values, _WIDTHS[1:], strict=True)
                 if isinstance(value, str)), default=1)
    return min(_MAX_HEIGHT, _LINE_HEIGHT * lines)


def _put_text(cell: Any, text: str) -> None:
    """Store ``text`` as a string: never a formula or an error code ("#N/A")."""
    if len(text) > _MAX_CELL:
        text = text[: _MAX_CELL - 1] + "…"
    cell.value = text
    cell.data_type = "s"
    if text.startswith(_FORMULA_START):
        cell.quotePrefix = True


def exemplar_names(summary: str) -> str:
    """The people and collectives a summary names, "; "-separated, in order of mention.

    >>> exemplar_names("Đồng chí Nguyễn Văn An, công an phường, đã cứu cháu bé. "
    ...                "Tập thể Tổ dân phố số 5 đã giúp bà Lê Thị Hoa sửa nhà.")
    'Đồng chí Nguyễn Văn An; Tập thể Tổ dân phố số 5; Bà Lê Thị Hoa'
    >>> exemplar_names("UBND phường Anh Dũng biểu dương tinh thần tập thể.")
    ''
    """
    found: list[tuple[int, str]] = []
    for m in _PERSON.finditer(summary):
        honorific, words = m.group(1), m.group(2).split()
        if honorific[0].isupper() and not _starts_sentence(summary, m.start(1)):
            continue
        name = []
        for word in words:
            if not word[0].isupper():
                break
            name.append(word)
        if 2 <= len(name) <= 5:
            title = _ABBREVIATED.get(honorific.lower(), honorific.lower())
            found.append((m.start(1), f"{title[0].upper()}{title[1:]} {' '.join(name)}"))
    for m in _COLLECTIVE.finditer(summary):
        phrase = _COLLECTIVE_STOP.split(f" {m.group(1)} ", maxsplit=1)[0].split()[:12]
        while phrase and not (phrase[-1][0].isupper() or any(c.isdigit() for c in phrase[-1])):
            phrase.pop()
        if phrase and phrase[0].lower() not in _NOT_A_NAME:
            found.append((m.start(), "Tập thể " + " ".join(phrase)))
    return "; ".join(dict.fromkeys(name for _, name in sorted(found)))


def _starts_sentence(text: str, at: int) -> bool:
    before = text[:at].rstrip()
    return not before or before[-1] in ".!?:;\n•-–+*("
