"""The [[units]] section of the config as text: replaced without touching the rest,
escaped so any name survives, notes kept as comments."""

from __future__ import annotations

import tomllib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mailbot.core import roster_toml
from mailbot.core.model import Unit
from mailbot.core.roster import Entry, RosterError


@given(st.text())
def test_any_text_survives_as_a_toml_string(text: str) -> None:
    assert tomllib.loads(f"x = {roster_toml.toml_string(text)}")["x"] == text


PREFIX = """# mailbot configuration\r
timezone = "Asia/Ho_Chi_Minh"   # kept byte for byte, odd line ends and all
[imap]
host = "imap.example.com"

# The units that must submit every month.
"""
OLD_UNITS = """[[units]]
code = "old"
name = "Old unit"
emails = ["old@example.gov.vn"]

# the Board's section, below the roster
[board]
to = ["board@example.gov.vn"]

[[units]]
code = "older"
name = "Older unit"
"""
ENTRIES = [
    Entry(Unit("hoa-nghia", 'UBND phường "Hòa Nghĩa"', ("a@example.gov.vn",),
                      ("phường Hòa Nghĩa",)), "Văn thư: chị Lan\nsố máy lẻ 12", 2),
    Entry(Unit("tu-phap", "Phòng Tư pháp", ()), "", 3),
]


def test_the_units_section_is_replaced_and_the_rest_kept() -> None:
    new = roster_toml.replace_units(PREFIX + OLD_UNITS, ENTRIES, "don-vi.xlsx")
    assert new.startswith(PREFIX)
    assert "# the Board's section, below the roster\n[board]\n" in new
    assert "old" not in new.split(PREFIX, 1)[1].replace("older", "")  # no old unit left
    parsed = tomllib.loads(new)
    assert parsed["units"] == roster_toml.unit_tables([e.unit for e in ENTRIES])
    assert parsed["board"] == {"to": ["board@example.gov.vn"]}
    roster_toml.check_rewrite(PREFIX + OLD_UNITS, new, [e.unit for e in ENTRIES])
    assert roster_toml.notes_from_config(new) == {"hoa-nghia": "Văn thư: chị Lan\nsố máy lẻ 12"}


def test_importing_again_gives_the_same_file() -> None:
    once = roster_toml.replace_units(PREFIX + OLD_UNITS, ENTRIES, "don-vi.xlsx")
    assert roster_toml.replace_units(once, ENTRIES, "don-vi.xlsx") == once


def test_a_config_without_units_gets_them_at_the_end() -> None:
    text = 'timezone = "UTC"\n[imap]\nhost = "h"'
    new = roster_toml.replace_units(text, ENTRIES, "x.csv")
    assert new.startswith(text + "\n\n" + roster_toml.BANNER)
    assert [u["code"] for u in tomllib.loads(new)["units"]] == ["hoa-nghia", "tu-phap"]


def test_a_windows_config_keeps_its_line_ends() -> None:
    text = 'timezone = "UTC"\r\n\r\n[[units]]\r\ncode = "x"\r\nname = "X"\r\n'
    new = roster_toml.replace_units(text, ENTRIES, "x.csv")
    assert "\n" not in new.replace("\r\n", "")


def test_a_rewrite_that_would_change_another_table_is_refused() -> None:
    text = 'units = [{code = "x", name = "X"}]\n[imap]\nhost = "h"\n'
    new = roster_toml.replace_units(text, ENTRIES, "x.csv")
    with pytest.raises(RosterError):
        roster_toml.check_rewrite(text, new, [e.unit for e in ENTRIES])
    moved = '[[units]]\ncode = "x"\nname = "X"\n  [units.extra]\n  y = 1\n'
    with pytest.raises(RosterError):
        roster_toml.check_rewrite(moved, moved + '[imap]\nhost = "h"\n', [])
