"""The units sheet as data: which column is which and what makes a row valid
(mailbot/core/roster_toml.py turns the rows into the config's [[units]] and back).

The rules for codes and addresses are the config's (mailbot/config.py), so an import
the sheet accepts also loads; a test keeps the two patterns equal.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from mailbot.core.model import Unit
from mailbot.core.text import fold, nfc

CODE_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
EMAIL_RE = re.compile(r"^[^@\s<>\"',;]+@[^@\s<>\"',;]+\.[^@\s<>\"',;]+$")

FIELDS = ("code", "name", "emails", "notes", "aliases")
HEADERS = {"code": "Mã đơn vị", "name": "Tên đơn vị", "emails": "Email",
           "notes": "Ghi chú", "aliases": "Tên gọi khác"}
# Folded spellings an office may use for each column; "Email 2" counts as "Email".
_HEADER_NAMES = {
    "code": {"ma don vi", "ma dv", "ma", "ma so", "code", "unit code"},
    "name": {"ten don vi", "ten dv", "ten", "don vi", "name", "unit", "unit name"},
    "emails": {"email", "emails", "e mail", "mail", "dia chi email", "dia chi e mail",
               "thu dien tu", "dia chi thu dien tu", "hop thu"},
    "notes": {"ghi chu", "note", "notes", "comment", "comments"},
    "aliases": {"ten goi khac", "ten khac", "alias", "aliases", "other names"},
}
_MULTI = {"emails", "aliases"}  # several columns of these are merged
HEADER_SEARCH_ROWS = 10
_EMAIL_SPLIT = re.compile(r"[,;\n]+")
_ALIAS_SPLIT = re.compile(r"[;\n]+")
_SPACES = re.compile(r"\s+")


class RosterError(ValueError):
    """The sheet (or the config text) cannot become a roster; one problem per line."""


@dataclass(frozen=True)
class Entry:
    """One unit read from the sheet, with its note and the sheet row it came from."""

    unit: Unit
    note: str
    row: int


@dataclass(frozen=True)
class Sheet:
    """A sheet that passed: its units, where its header was, what was left aside."""

    entries: tuple[Entry, ...]
    header_row: int
    ignored_columns: tuple[str, ...]
    warnings: tuple[str, ...]


def column_letter(index: int) -> str:
    """Spreadsheet letters of a 0-based column: 0 -> "A", 27 -> "AB"."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def header_field(text: str) -> str | None:
    """The field a header cell names, or None.

    >>> header_field("Mã đơn vị"), header_field("MA DON VI"), header_field("E-mail 2")
    ('code', 'code', 'emails')
    """
    key = fold(text)
    for field, names in _HEADER_NAMES.items():
        if key in names or (field in _MULTI and re.sub(r" ?\d+$", "", key) in names):
            return field
    return None


def find_header(rows: Sequence[Sequence[str]]) -> tuple[int, dict[str, list[int]]] | None:
    """(0-based row index, field -> column indexes) of the first row among the first few
    that names both the code and the name column; None when there is none."""
    for i, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        columns: dict[str, list[int]] = {}
        for j, cell in enumerate(row):
            field = header_field(cell) if cell.strip() else None
            if field:
                columns.setdefault(field, []).append(j)
        if "code" in columns and "name" in columns:
            return i, columns
    return None


def parse_sheet(rows: Sequence[Sequence[str]]) -> Sheet:
    """Units from the rows of a sheet (cells as text, row 1 first), or RosterError
    listing every problem as "row 7, column C (Email): ...".

    Blank rows are skipped; columns the sheet has but mailbot does not know ("STT")
    are ignored and reported; several addresses in one cell are split at , ; or a
    line break.
    """
    found = find_header(rows)
    if found is None:
        raise RosterError(f"no header row with the columns \"{HEADERS['code']}\" and "
                          f"\"{HEADERS['name']}\" in the first {HEADER_SEARCH_ROWS} rows")
    head, columns = found
    header = rows[head]
    problems = [f"row {head + 1}: two columns are \"{HEADERS[f]}\": "
                + ", ".join(column_letter(j) for j in cols)
                for f, cols in columns.items() if len(cols) > 1 and f not in _MULTI]
    if problems:
        raise RosterError("\n".join(problems))
    known = {j for cols in columns.values() for j in cols}
    ignored = tuple(f"{column_letter(j)} ({cell.strip()})" for j, cell in enumerate(header)
                    if j not in known and cell.strip())
    entries: list[Entry] = []
    warnings: list[str] = []
    codes: dict[str, int] = {}
    owners: dict[str, tuple[str, int]] = {}
    for i in range(head + 1, len(rows)):
        number, row = i + 1, rows[i]

        def cells(field: str, row: Sequence[str] = row) -> list[tuple[int, str]]:
            return [(j, nfc(row[j]) if j < len(row) else "") for j in columns.get(field, [])]

        def where(field: str, j: int | None = None, number: int = number) -> str:
            j = columns[field][0] if j is None else j
            return f"row {number}, column {column_letter(j)} ({header[j].strip()})"

        if not any(text.strip() for f in FIELDS for _, text in cells(f)):
            continue
        before = len(problems)
        code = cells("code")[0][1].strip()
        name = _SPACES.sub(" ", cells("name")[0][1]).strip()
        if not code:
            problems.append(f"{where('code')}: the code is empty")
        elif not CODE_RE.match(code):
            problems.append(f"{where('code')}: {code!r} is not a valid code: use lower-case "
                            f"letters, digits and dashes{_suggest(code)}")
        elif code in codes:
            problems.append(f"{where('code')}: code {code!r} is already used on row "
                            f"{codes[code]}")
        if not name:
            problems.append(f"{where('name')}: the name is empty")
        emails: list[str] = []
        for j, text in cells("emails"):
            for part in _EMAIL_SPLIT.split(text.replace("\r", "\n")):
                addr = _address(part)
                if not addr or addr in emails:
                    continue
                if not EMAIL_RE.match(addr):
                    problems.append(f"{where('emails', j)}: {part.strip()!r} is not an "
                                    "email address")
                elif addr in owners and owners[addr][0] != code:
                    other, other_row = owners[addr]
                    problems.append(f"{where('emails', j)}: {addr} is already the address "
                                    f"of {other!r} (row {other_row})")
                else:
                    emails.append(addr)
        aliases: list[str] = []
        for _, text in cells("aliases"):
            for part in _ALIAS_SPLIT.split(text.replace("\r", "\n")):
                alias = _SPACES.sub(" ", part).strip()
                if alias and alias not in aliases:
                    aliases.append(alias)
        note = "\n".join(line.strip() for line in " ".join(
            t for _, t in cells("notes")).replace("\r", "\n").split("\n") if line.strip())
        if len(problems) > before:
            continue
        codes[code] = number
        for addr in emails:
            owners[addr] = (code, number)
        if not emails:
            warnings.append(f"row {number}: {code!r} has no email address: it gets no "
                            "reminders and is recognised only by its name in subjects")
        entries.append(Entry(Unit(code=code, name=name, emails=tuple(emails),
                                  aliases=tuple(aliases)), note, number))
    if problems:
        raise RosterError("\n".join(problems))
    if not entries:
        raise RosterError(f"no units below the header row (row {head + 1})")
    return Sheet(tuple(entries), head + 1, ignored, tuple(warnings))


def _address(part: str) -> str:
    addr = part.strip()
    if "<" in addr and addr.endswith(">"):
        addr = addr[addr.rindex("<") + 1:-1].strip()
    if addr.lower().startswith("mailto:"):
        addr = addr[len("mailto:"):]
    return addr.lower()


def _suggest(code: str) -> str:
    slug = "-".join(fold(code).split())[:64]
    return f", such as {slug!r}" if CODE_RE.match(slug) else ""


def sheet_rows(units: Sequence[Unit], notes: Mapping[str, str]) -> list[list[str]]:
    """The header and one row per unit, in the columns of ``HEADERS``."""
    rows = [[HEADERS[f] for f in FIELDS]]
    for u in units:
        rows.append([u.code, u.name, "; ".join(u.emails), notes.get(u.code, ""),
                     "; ".join(u.aliases)])
    return rows


def roster_changes(old: Sequence[Unit], new: Sequence[Unit]) -> tuple[list[str], list[str],
                                                                        list[str]]:
    """(codes added, codes removed, codes whose name, addresses or aliases changed)."""
    before, after = {u.code: u for u in old}, {u.code: u for u in new}
    return ([c for c in after if c not in before], [c for c in before if c not in after],
            [c for c in after if c in before and before[c] != after[c]])
