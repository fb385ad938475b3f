"""`mailbot init`, `units import` and `units export`: the roster goes from the office's
spreadsheet into the config's [[units]] and back, Vietnamese names intact, and a bad
sheet changes nothing."""

from __future__ import annotations

import csv
import io
import unicodedata
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from mailbot.config import load_config
from mailbot.core import roster_toml
from mailbot.core.model import Unit
from tests.jobs.test_setup_cli_wiring import run_mailbot

ROSTER = [
    ["Mã đơn vị", "Tên đơn vị", "Email", "Ghi chú"],
    ["hoa-nghia", "UBND phường Hòa Nghĩa",
     "ubndhoanghia@example.gov.vn\nvanthu.hoanghia@gmail.com", "Văn thư: chị Lan"],
    ["da-phuc", "UBND phường Đa Phúc", "ubnddaphuc@example.gov.vn", ""],
    ["ldtbxh", "Phòng Lao động - Thương binh và Xã hội", "ldtbxh@example.gov.vn", ""],
    ["kiem-tra", "Ủy ban Kiểm tra Quận ủy", "ubkt@example.gov.vn; UBKT.QU@gmail.com", ""],
]
EXPECTED = (
    Unit("hoa-nghia", "UBND phường Hòa Nghĩa",
         ("ubndhoanghia@example.gov.vn", "vanthu.hoanghia@gmail.com")),
    Unit("da-phuc", "UBND phường Đa Phúc", ("ubnddaphuc@example.gov.vn",)),
    Unit("ldtbxh", "Phòng Lao động - Thương binh và Xã hội", ("ldtbxh@example.gov.vn",)),
    Unit("kiem-tra", "Ủy ban Kiểm tra Quận ủy", ("ubkt@example.gov.vn", "ubkt.qu@gmail.com")),
)
Run = Callable[..., str]
CONFIG = """# The office's own words, kept byte for byte.
timezone = "Asia/Ho_Chi_Minh"   # where the office is
data_dir = "var"

[imap]
host = "imap.example.com"
username = "noivu@example.com"
password_env = "MAILBOT_TEST_NO_SUCH_PASSWORD"   # not set yet: the import must not need it

# The units.
[[units]]
code = "tu-phap"
name = "Phòng Tư pháp"
emails = ["tuphap@example.gov.vn"]
"""


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "mailbot.toml"
    path.write_text(CONFIG, encoding="utf-8")
    return path


def _xlsx(path: Path, rows: list[list[str]]) -> Path:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    book.save(path)
    return path


def _excel_csv(path: Path, rows: list[list[str]], *, encoding: str = "utf-8-sig") -> Path:
    """What Excel on Vietnamese Windows saves: ; between cells, CRLF, a BOM."""
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=";").writerows(rows)
    text = buffer.getvalue()
    data = _cp1258(text) if encoding == "cp1258" else text.encode(encoding)
    path.write_bytes(data)
    return path


def _cp1258(text: str) -> bytes:
    """Windows-1258 spells most Vietnamese letters as a base letter and a tone mark."""
    out = b""
    for c in text:
        try:
            out += c.encode("cp1258")
        except UnicodeEncodeError:
            d = unicodedata.normalize("NFD", c)
            tones = "".join(m for m in d if m in "\u0300\u0301\u0303\u0309\u0323")
            base = unicodedata.normalize("NFC", "".join(m for m in d if m not in tones))
            out += (base + tones).encode("cp1258")
    return out


@pytest.fixture
def mailbot(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
            config: Path) -> Run:
    """`mailbot --config CONFIG ARGV`: stdout, or stderr when ``expect`` is not 0."""
    def run(*argv: str, expect: int = 0) -> str:
        code, out, err = run_mailbot(monkeypatch, capsys, "--config", str(config), *argv)
        assert code == expect, f"mailbot {' '.join(argv)} exited {code}: {err}{out}"
        return out if expect == 0 else err
    return run


def _roster_text(config: Path) -> str:
    """The config but for the line naming the sheet it was imported from."""
    lines = config.read_text(encoding="utf-8").splitlines()
    return "\n".join(line for line in lines if not line.startswith(roster_toml.BANNER))


def _units(config: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Unit, ...]:
    monkeypatch.setenv("MAILBOT_TEST_NO_SUCH_PASSWORD", "secret")
    return load_config(config).units


def test_init_writes_a_config_that_loads_and_a_sheet_to_fill_in(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "office"
    code, out, _ = run_mailbot(monkeypatch, capsys, "init", str(folder))
    assert code == 0
    assert sorted(p.name for p in folder.iterdir()) == ["don-vi.xlsx", "mailbot.toml"]
    monkeypatch.setenv("MAILBOT_IMAP_PASSWORD", "x")
    monkeypatch.setenv("MAILBOT_SMTP_PASSWORD", "x")
    config = load_config(folder / "mailbot.toml")
    assert config.units == () and config.imap.host == "imap.gmail.com"
    assert "don-vi.xlsx" in (folder / "mailbot.toml").read_text(encoding="utf-8")
    sheet = load_workbook(folder / "don-vi.xlsx").worksheets[0]
    rows = [[c or "" for c in row] for row in sheet.iter_rows(values_only=True)]
    assert rows[0] == ["Mã đơn vị", "Tên đơn vị", "Email", "Ghi chú", "Tên gọi khác"]
    assert len(rows) == 3 and rows[1][1] == "UBND phường Hòa Nghĩa"
    steps = [f"units import {folder / 'don-vi.xlsx'}", "check", "db upgrade", "run"]
    positions = [out.index(s) for s in steps]
    assert positions == sorted(positions), out
    assert f"mailbot --config {folder / 'mailbot.toml'}" in out

    # the example rows import as they are: the sheet is ready to fill
    code, out, err = run_mailbot(monkeypatch, capsys, "--config", str(folder / "mailbot.toml"),
                                 "units", "import", str(folder / "don-vi.xlsx"))
    assert code == 0, err
    assert [u.code for u in load_config(folder / "mailbot.toml").units] == ["hoa-nghia",
                                                                            "tu-phap"]


def test_init_refuses_a_folder_that_is_not_empty_unless_forced(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "mailbot.toml").write_text("# mine\n", encoding="utf-8")
    code, _, err = run_mailbot(monkeypatch, capsys, "init", str(tmp_path))
    assert code == 1 and "not empty" in err and "--force" in err
    assert (tmp_path / "mailbot.toml").read_text(encoding="utf-8") == "# mine\n"
    code, _, _ = run_mailbot(monkeypatch, capsys, "init", "--force", str(tmp_path))
    assert code == 0
    assert (tmp_path / "mailbot.toml.bak").read_text(encoding="utf-8") == "# mine\n"
    assert (tmp_path / "don-vi.xlsx").exists()
    (tmp_path / "don-vi.xlsx").write_bytes(b"filled in")
    assert run_mailbot(monkeypatch, capsys, "init", "--force", str(tmp_path))[0] == 0
    assert (tmp_path / "don-vi.xlsx.bak").read_bytes() == b"filled in"


def test_an_xlsx_roster_replaces_the_units_and_keeps_the_rest_of_the_file(
        tmp_path: Path, config: Path, mailbot: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    out = mailbot("units", "import", str(_xlsx(tmp_path / "don-vi.xlsx", ROSTER)))
    assert "imported 4 unit(s)" in out and "1 removed (tu-phap)" in out
    assert "set the password before `mailbot check`" in out  # not needed to import
    text = config.read_text(encoding="utf-8")
    assert text.startswith(CONFIG[:CONFIG.index("[[units]]")])
    assert (tmp_path / "mailbot.toml.bak").read_text(encoding="utf-8") == CONFIG
    assert _units(config, monkeypatch) == EXPECTED


def test_an_xlsx_roster_round_trips_through_export(
        tmp_path: Path, config: Path, mailbot: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    mailbot("units", "import", str(_xlsx(tmp_path / "in.xlsx", ROSTER)))
    mailbot("units", "export", "--out", str(tmp_path / "out.xlsx"))
    rows = [[c or "" for c in row] for row in
            load_workbook(tmp_path / "out.xlsx").worksheets[0].iter_rows(values_only=True)]
    assert rows[1] == ["hoa-nghia", "UBND phường Hòa Nghĩa",
                       "ubndhoanghia@example.gov.vn; vanthu.hoanghia@gmail.com",
                       "Văn thư: chị Lan", ""]
    assert [r[1] for r in rows[1:]] == [r[1] for r in ROSTER[1:]]
    before = _roster_text(config)
    mailbot("units", "import", str(tmp_path / "out.xlsx"))
    assert _roster_text(config) == before  # the exported sheet is the same roster


def test_a_windows_excel_csv_round_trips_through_export(
        tmp_path: Path, config: Path, mailbot: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    mailbot("units", "import", str(_excel_csv(tmp_path / "don-vi.csv", ROSTER)))
    assert _units(config, monkeypatch) == EXPECTED
    exported = mailbot("units", "export")
    rows = list(csv.reader(io.StringIO(exported)))
    assert rows[0] == ["Mã đơn vị", "Tên đơn vị", "Email", "Ghi chú", "Tên gọi khác"]
    assert [(r[0], r[1], r[3]) for r in rows[1:]] == [(r[0], r[1], r[3]) for r in ROSTER[1:]]
    mailbot("units", "export", "--out", str(tmp_path / "again.csv"), "--delimiter", ";")
    assert (tmp_path / "again.csv").read_bytes().startswith(b"\xef\xbb\xbfM\xc3\xa3 \xc4")
    before = _roster_text(config)
    mailbot("units", "import", str(tmp_path / "again.csv"))
    assert _roster_text(config) == before


def test_a_windows_1258_csv_is_read_with_its_tone_marks(
        tmp_path: Path, config: Path, mailbot: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    out = mailbot("units", "import",
                  str(_excel_csv(tmp_path / "don-vi.csv", ROSTER, encoding="cp1258")))
    assert "read as Windows-1258" in out
    assert _units(config, monkeypatch) == EXPECTED


@pytest.mark.parametrize(("row", "named"), [
    (["", "Phòng Tư pháp", "tuphap@example.gov.vn", ""], "row 6, column A (Mã đơn vị)"),
    (["tu-phap", "", "tuphap@example.gov.vn", ""], "row 6, column B (Tên đơn vị)"),
    (["Tư pháp", "Phòng Tư pháp", "tuphap@example.gov.vn", ""], "row 6, column A (Mã đơn vị)"),
    (["tu-phap", "Phòng Tư pháp", "tuphap@example", ""], "row 6, column C (Email)"),
    (["tu-phap", "Phòng Tư pháp", "ubnddaphuc@example.gov.vn", ""], "row 6, column C (Email)"),
    (["da-phuc", "Phòng Tư pháp", "tuphap@example.gov.vn", ""], "row 6, column A (Mã đơn vị)"),
])
def test_a_bad_row_is_named_and_the_config_is_left_untouched(
        tmp_path: Path, config: Path, mailbot: Run, row: list[str], named: str) -> None:
    err = mailbot("units", "import", str(_xlsx(tmp_path / "don-vi.xlsx", [*ROSTER, row])),
                  expect=1)
    assert f"don-vi.xlsx: nothing imported, {named}:" in err
    assert config.read_text(encoding="utf-8") == CONFIG
    assert sorted(p.name for p in tmp_path.iterdir()) == ["don-vi.xlsx", "mailbot.toml"]


def test_every_bad_row_is_listed(tmp_path: Path, config: Path, mailbot: Run) -> None:
    sheet = _excel_csv(tmp_path / "don-vi.csv", [
        *ROSTER, ["x y", "X", "", ""], ["", "", "a@b", ""]])
    err = mailbot("units", "import", str(sheet), expect=1)
    assert "4 problems:" in err
    for where in ("row 6, column A", "row 7, column A", "row 7, column B", "row 7, column C"):
        assert where in err
    assert config.read_text(encoding="utf-8") == CONFIG


def test_a_roster_that_would_break_the_config_changes_nothing(
        tmp_path: Path, config: Path, mailbot: Run) -> None:
    broken = CONFIG.replace('data_dir = "var"', 'data_dir = "var"\nfolde = 1')
    config.write_text(broken, encoding="utf-8")
    err = mailbot("units", "import", str(_xlsx(tmp_path / "don-vi.xlsx", ROSTER)), expect=2)
    assert "would not load" in err and "folde" in err
    assert config.read_text(encoding="utf-8") == broken
    assert not (tmp_path / "mailbot.toml.bak").exists()


def test_a_dry_run_writes_nothing(tmp_path: Path, config: Path, mailbot: Run) -> None:
    out = mailbot("units", "import", "--dry-run", str(_xlsx(tmp_path / "s.xlsx", ROSTER)))
    assert "4 unit(s)" in out and "dry run" in out
    assert config.read_text(encoding="utf-8") == CONFIG
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mailbot.toml", "s.xlsx"]


def test_an_old_excel_file_is_refused_with_what_to_save_instead(
        tmp_path: Path, config: Path, mailbot: Run) -> None:
    (tmp_path / "don-vi.xls").write_bytes(b"\xd0\xcf\x11\xe0")
    err = mailbot("units", "import", str(tmp_path / "don-vi.xls"), expect=1)
    assert ".xlsx" in err and "CSV UTF-8" in err


def test_the_example_config_roster_exports_and_imports_unchanged(
        tmp_path: Path, mailbot: Run, config: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    example = Path(__file__).resolve().parents[2] / "config.example.toml"
    config.write_bytes(example.read_bytes())
    monkeypatch.setenv("MAILBOT_IMAP_PASSWORD", "x")
    monkeypatch.setenv("MAILBOT_SMTP_PASSWORD", "x")
    units = load_config(config).units
    mailbot("units", "export", "--out", str(tmp_path / "roster.xlsx"))
    mailbot("units", "import", str(tmp_path / "roster.xlsx"))
    assert load_config(config).units == units
    text = config.read_text(encoding="utf-8")
    assert text.startswith(example.read_text(encoding="utf-8").split("[[units]]")[0])


def test_a_zip_bomb_named_xlsx_is_refused_before_it_is_opened(
        tmp_path: Path, config: Path, mailbot: Run) -> None:
    bomb = tmp_path / "don-vi.xlsx"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("xl/worksheets/sheet1.xml", b"\0" * (50 * 2**20))
    err = mailbot("units", "import", str(bomb), expect=1)
    assert "don-vi.xlsx is refused as a zip bomb: unpacks" in err
    assert config.read_text(encoding="utf-8") == CONFIG
