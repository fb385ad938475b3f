"""The roster's place in the config file: the [[units]] tables a sheet becomes, written
as TOML text so the rest of the file stays exactly as the office wrote it, and the
notes ("Ghi chú") kept as comments above each unit so an export gives them back.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Sequence
from typing import Any

from mailbot.core.model import Unit
from mailbot.core.roster import Entry, RosterError

BANNER = "# --- units: written by `mailbot units import`"
NOTE_MARK = "# Ghi chú: "
_UNITS_HEADER = re.compile(r"^[ \t]*\[\[[ \t]*units[ \t]*\]\][ \t]*(#.*)?$")
_TABLE_HEADER = re.compile(r"^[ \t]*\[")


def toml_string(text: str) -> str:
    """A TOML basic string: quotes, backslashes and control characters escaped,
    everything else (Vietnamese included) kept as it is.

    >>> print(toml_string('Phòng "Tư pháp"'))
    "Phòng \\"Tư pháp\\""
    """
    out = []
    for c in text:
        if c in '"\\':
            out.append("\\" + c)
        elif c in "\b\t\n\f\r":
            out.append({"\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}[c])
        elif ord(c) < 0x20 or ord(c) == 0x7F:
            out.append(f"\\u{ord(c):04X}")
        else:
            out.append(c)
    return '"' + "".join(out) + '"'


def _toml_list(items: Sequence[str]) -> str:
    return "[" + ", ".join(toml_string(i) for i in items) + "]"


def units_toml(entries: Sequence[Entry], source: str) -> str:
    """The [[units]] section for ``entries``; notes become "# Ghi chú:" comments."""
    clean = re.compile(r"[\x00-\x08\x0A-\x1F\x7F]")
    lines = [f"{BANNER} from {clean.sub(' ', source)}.",
             "# Edit the sheet and import it again rather than editing these lines;",
             "# `mailbot units export` gives the sheet back. The file before the import",
             "# is kept as <this file>.bak.", ""]
    for e in entries:
        u = e.unit
        lines += [NOTE_MARK + clean.sub(" ", line) for line in e.note.split("\n") if line]
        lines += ["[[units]]", f"code = {toml_string(u.code)}", f"name = {toml_string(u.name)}",
                  f"emails = {_toml_list(u.emails)}"]
        if u.aliases:
            lines.append(f"aliases = {_toml_list(u.aliases)}")
        lines.append("")
    return "\n".join(lines)


def _units_start(lines: Sequence[str]) -> int | None:
    for i, line in enumerate(lines):
        if line.startswith(BANNER) or _UNITS_HEADER.match(line):
            return i
    return None


def split_config(text: str) -> tuple[str, str]:
    """(everything before the units section, byte for byte; the tables that follow it
    and are not [[units]], verbatim). The section starts at the import's banner or at
    the first [[units]]; comments just above a later table stay with that table."""
    lines = text.splitlines(keepends=True)
    start = _units_start(lines)
    if start is None:
        return text, ""
    chunks: list[list[str]] = [[]]
    for line in lines[start:]:
        if _TABLE_HEADER.match(line) and chunks[-1]:
            carried: list[str] = []
            while chunks[-1] and chunks[-1][-1].strip()[:1] in ("", "#"):
                carried.insert(0, chunks[-1].pop())
            chunks.append(carried)
        chunks[-1].append(line)
    kept = [c for c in chunks if not any(_UNITS_HEADER.match(line) for line in c)
            and any(_TABLE_HEADER.match(line) for line in c)]
    return "".join(lines[:start]), "".join("".join(c) for c in kept)


def replace_units(text: str, entries: Sequence[Entry], source: str) -> str:
    """The config ``text`` with its units section replaced by ``entries``. Line ends
    follow the file's own (CRLF for a file last saved on Windows)."""
    prefix, tail = split_config(text)
    newline = "\r\n" if text.count("\r\n") * 2 > text.count("\n") else "\n"
    if prefix and not prefix.endswith("\n"):
        prefix += newline
    section = units_toml(entries, source).replace("\n", newline)
    if tail and not tail.startswith(("\n", "\r\n")):
        tail = newline + tail
    lines = prefix.splitlines()
    gap = newline if lines and lines[-1].strip() else ""
    return prefix + gap + section + tail


def unit_tables(units: Sequence[Unit]) -> list[dict[str, Any]]:
    """Units as the TOML tables they are written as (for comparing a rewrite)."""
    return [{"code": u.code, "name": u.name, "emails": list(u.emails),
             **({"aliases": list(u.aliases)} if u.aliases else {})} for u in units]


def check_rewrite(old_text: str, new_text: str, units: Sequence[Unit]) -> None:
    """Raise RosterError unless ``new_text`` parses, holds exactly ``units`` and says
    the same as ``old_text`` about everything else."""
    try:
        old, new = tomllib.loads(old_text), tomllib.loads(new_text)
    except tomllib.TOMLDecodeError as e:
        raise RosterError(f"the rewritten config is not valid TOML ({e}): nothing changed") \
            from e
    if new.get("units") != unit_tables(units):
        raise RosterError("the rewritten [[units]] do not read back as imported: "
                          "nothing changed")
    rest = ({k: v for k, v in old.items() if k != "units"},
            {k: v for k, v in new.items() if k != "units"})
    if rest[0] != rest[1]:
        changed = sorted(k for k in set(rest[0]) | set(rest[1])
                         if rest[0].get(k) != rest[1].get(k))
        raise RosterError(f"rewriting the units would change {', '.join(changed)} in the "
                          "config (is [[units]] mixed with other tables?): nothing changed; "
                          "move the [[units]] to the end of the file")


def config_without_units(text: str, note: str) -> str:
    """A config text with its roster cut off and ``note`` (comment lines) in its place."""
    prefix, tail = split_config(text)
    return prefix.rstrip("\n") + "\n" + note + ("\n" + tail if tail else "")


def notes_from_config(text: str) -> dict[str, str]:
    """unit code -> the "# Ghi chú:" lines written above its [[units]] by an import."""
    notes: dict[str, str] = {}
    pending: list[str] = []
    current: list[str] | None = None
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith(NOTE_MARK.strip()):
            pending.append(line[len(NOTE_MARK.strip()):].strip())
        elif _UNITS_HEADER.match(line):
            current, pending = pending, []
        elif _TABLE_HEADER.match(line):
            current, pending = None, []
        elif current is not None and line.startswith("code"):
            try:
                code = tomllib.loads(line).get("code")
            except tomllib.TOMLDecodeError:
                code = None
            if isinstance(code, str) and current:
                notes[code] = "\n".join(current)
            current = None
        elif line and not line.startswith("#"):
            pending = []
    return notes
