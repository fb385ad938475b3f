"""The roster as a spreadsheet: `mailbot init`, `units import` and `units export`.

The units live in the config file's [[units]] tables. An import rewrites only that
section: the file is written next to the old one, loaded with the real config loader,
and only then swapped in (atomically, the old file kept as ``<name>.bak``). A sheet
with any bad row changes nothing.
"""

from __future__ import annotations

import csv
import io
import os
import re
import shutil
import tomllib
import warnings
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from importlib import resources
from pathlib import Path

from mailbot.adapters.zip_guard import ZipRefused, check_zip
from mailbot.config import Config, default_config_path, load_config, parse_config
from mailbot.core import roster, roster_toml
from mailbot.core.model import Unit
from mailbot.errors import ConfigError, MailbotError, StorageError

CONFIG_NAME = "mailbot.toml"
SHEET_NAME = "don-vi.xlsx"
_BLANK_ROWS_STOP = 1000  # a sheet formatted down to row 1048576 is not read to the end
_EXAMPLE_ROWS = [
    ["hoa-nghia", "UBND phường Hòa Nghĩa",
     "ubndhoanghia@example.gov.vn; vanthu.hoanghia@gmail.com",
     "Dòng ví dụ: xóa hai dòng này và điền các đơn vị của quận", "phường Hòa Nghĩa"],
    ["tu-phap", "Phòng Tư pháp", "tuphap@example.gov.vn", "", ""],
]
_GUIDE = [
    "Danh sách các đơn vị gửi gương người tốt, việc tốt hằng tháng — mỗi đơn vị một dòng.",
    "Mã đơn vị: ngắn, không đổi, chỉ gồm chữ thường không dấu, chữ số và dấu gạch ngang "
    "(ví dụ: hoa-nghia, tu-phap).",
    "Tên đơn vị: tên đầy đủ, có dấu, như trong văn bản (ví dụ: UBND phường Hòa Nghĩa).",
    "Email: mọi địa chỉ đơn vị dùng để gửi thư; nhiều địa chỉ thì cách nhau bằng dấu ; "
    "hoặc dấu phẩy.",
    "Ghi chú: tùy ý. Tên gọi khác: tên đơn vị hay dùng trong tiêu đề thư (không bắt buộc).",
    "Điền xong, chạy: mailbot --config mailbot.toml units import don-vi.xlsx",
]
_INIT_NOTE = f"""\
#
# The roster is kept in the spreadsheet {SHEET_NAME} next to this file (columns
# "Mã đơn vị", "Tên đơn vị", "Email", "Ghi chú", "Tên gọi khác"). Fill it in, then run
#   mailbot --config {CONFIG_NAME} units import {SHEET_NAME}
# which writes the units below as [[units]] tables ({CONFIG_NAME}.bak keeps the file as
# it was). `mailbot units export --out {SHEET_NAME}` gives the sheet back.
"""


@dataclass(frozen=True)
class Loaded:
    """A config that loads, perhaps only once its passwords are set: ``missing_secrets``
    maps "imap" / "smtp" to why its password is not available (the config then holds
    an empty password for it)."""

    config: Config
    warnings: tuple[str, ...] = ()
    missing_secrets: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class SheetData:
    rows: list[list[str]]
    encoding: str | None = None  # CSV only: how the bytes were read


@dataclass(frozen=True)
class ImportResult:
    config_path: Path
    backup: Path | None
    sheet: roster.Sheet
    added: list[str]
    removed: list[str]
    changed: list[str]
    encoding: str | None
    missing_secrets: Mapping[str, str]
    warnings: tuple[str, ...] = field(default=())


# A credential that may simply not be there yet: its environment variable, its file,
# an OAuth2 token file. The config's messages name the key first.
_CREDENTIAL = re.compile(r"^(?:missing key )?(imap|smtp)\.(password|oauth2_client_secret|"
                         r"oauth2_token_file)")


def load_lenient(path: Path | None) -> Loaded:
    """The config at ``path``; a password or token that is not available yet (environment
    variable not set, file missing) is recorded in ``missing_secrets`` and that server
    gets an empty password instead, so the roster can be imported before the passwords
    are set. Any other mistake raises ConfigError."""
    path = (path or default_config_path()).resolve()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            config = load_config(path)
            return Loaded(config, tuple(str(w.message) for w in caught))
        except ConfigError as e:
            error = e
    try:
        raw = dict(tomllib.loads(path.read_text(encoding="utf-8")))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        raise error from None
    missing: dict[str, str] = {}
    while True:
        found = _CREDENTIAL.match(str(error))
        table = raw.get(found.group(1)) if found else None
        if not found or not isinstance(table, Mapping) or "give only one" in str(error) \
                or found.group(1) in missing:
            raise error
        missing[found.group(1)] = str(error)
        raw[found.group(1)] = {k: v for k, v in table.items() if not (
            k == "auth" or k.startswith(("password", "oauth2_")))} | {"password": ""}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the stand-in password warns: not the office's
            try:
                return Loaded(parse_config(raw, path), (), missing)
            except ConfigError as e:
                error = e


def read_sheet(path: Path) -> SheetData:
    """The cells of the first worksheet of an .xlsx, or of a CSV file, as text."""
    suffix = path.suffix.lower()
    if suffix in (".xls", ".ods", ".numbers"):
        raise MailbotError(f"{path.name}: {suffix} files cannot be read: save it as "
                           "\"Excel Workbook (.xlsx)\" or \"CSV UTF-8\"")
    try:
        data = path.read_bytes()
    except OSError as e:
        raise MailbotError(f"cannot read {path}: {e.strerror}") from e
    if suffix in (".xlsx", ".xlsm") or data.startswith(b"PK\x03\x04"):
        return SheetData(_xlsx_rows(path))
    text, encoding = decode_csv(data, path.name)
    return SheetData(csv_rows(text), encoding)


def _xlsx_rows(path: Path) -> list[list[str]]:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        check_zip(path)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl warns about styles it cannot use
            book = load_workbook(path, read_only=True, data_only=True)
    except ZipRefused as e:
        raise MailbotError(f"{path.name} is refused as a zip bomb: {e}") from e
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError) as e:
        raise MailbotError(f"{path.name} is not an .xlsx workbook Excel can open: {e}") from e
    try:
        rows: list[list[str]] = []
        blank = 0
        for values in book.worksheets[0].iter_rows(values_only=True):
            row = [_cell_text(v) for v in values]
            blank = 0 if any(c.strip() for c in row) else blank + 1
            if blank > _BLANK_ROWS_STOP:
                break
            rows.append(row)
        return rows
    finally:
        book.close()


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a code typed as a number: 12, not 12.0
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def decode_csv(data: bytes, name: str) -> tuple[str, str]:
    """The text of a CSV file and how it was read: UTF-8 with or without the BOM Excel
    writes, UTF-16 ("Unicode Text"), or Windows-1258, what Excel's plain "CSV" is on
    Vietnamese Windows. Anything else is refused rather than guessed."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", "strict"), "UTF-8 with BOM"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16"), "UTF-16"
    try:
        return data.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1258"), "Windows-1258"
    except UnicodeDecodeError as e:
        raise MailbotError(f"{name}: the text is neither UTF-8 nor Windows-1258 (byte "
                           f"{e.start}): save it from Excel as \"CSV UTF-8\"") from e


def csv_rows(text: str) -> list[list[str]]:
    """Rows of a CSV text whose delimiter is , or ; (Excel in a Vietnamese locale) or a
    tab: the one that yields a header row mailbot recognises wins."""
    first = next((line for line in text.splitlines() if line.strip()), "")
    candidates = sorted(";,\t", key=lambda d: -first.count(d))
    parsed: list[list[str]] = []
    for delimiter in candidates:
        parsed = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
        if roster.find_header(parsed) is not None:
            return parsed
    return parsed


def write_sheet(rows: Sequence[Sequence[str]], out: Path | None, *,
                delimiter: str = ",") -> str:
    """Write ``rows`` to ``out`` (.xlsx, else CSV in UTF-8 with a BOM, for Excel);
    with no ``out``, return them as CSV text for standard output."""
    if out is None:
        buffer = io.StringIO()
        csv.writer(buffer, delimiter=delimiter, lineterminator="\n").writerows(rows)
        return buffer.getvalue()
    if out.suffix.lower() in (".xlsx", ".xlsm"):
        _write_atomic(out, _xlsx_bytes(rows))
    else:
        buffer = io.StringIO()
        csv.writer(buffer, delimiter=delimiter).writerows(rows)
        _write_atomic(out, buffer.getvalue().encode("utf-8-sig"))
    return ""


def _xlsx_bytes(rows: Sequence[Sequence[str]], guide: Sequence[str] = ()) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    book = Workbook()
    sheet = book.active
    sheet.title = "Đơn vị"
    for row in rows:
        sheet.append(list(row))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for width, letter in zip((16, 44, 44, 36, 28), "ABCDE", strict=True):
        sheet.column_dimensions[letter].width = width
        sheet.column_dimensions[letter].number_format = "@"  # codes stay text ("01")
    for row_cells in sheet.iter_rows(min_row=2):
        for cell in row_cells:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    sheet.freeze_panes = "A2"
    if guide:
        help_sheet = book.create_sheet("Hướng dẫn")
        help_sheet.column_dimensions["A"].width = 110
        for line in guide:
            help_sheet.append([line])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _write_atomic(path: Path, data: bytes, *, mode: int | None = None) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with tmp.open("wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        if mode is not None:
            tmp.chmod(mode)
        os.replace(tmp, path)
        _fsync_dir(path.parent)
    except OSError as e:
        tmp.unlink(missing_ok=True)
        raise StorageError(f"cannot write {path}: {e.strerror}") from e


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def import_units(config_path: Path | None, sheet_path: Path, *,
                 dry_run: bool = False) -> ImportResult:
    """Replace the config's [[units]] with the sheet's rows, or change nothing.

    Raises MailbotError listing every bad row ("row 7, column C (Email): ..."), and
    ConfigError when the rewritten config would not load.
    """
    path = (config_path or default_config_path()).resolve()
    try:
        old_text = path.read_bytes().decode("utf-8")
    except FileNotFoundError as e:
        raise ConfigError(f"config file {path} not found (`mailbot init DIR` writes one)") \
            from e
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(f"{path}: cannot read it as UTF-8 text: {e}") from e
    data = read_sheet(sheet_path)
    try:
        sheet = roster.parse_sheet(data.rows)
        units = [e.unit for e in sheet.entries]
        new_text = roster_toml.replace_units(old_text, sheet.entries, sheet_path.name)
        roster_toml.check_rewrite(old_text, new_text, units)
    except roster.RosterError as e:
        lines = str(e).split("\n")
        raise MailbotError(f"{sheet_path.name}: nothing imported, " + (
            lines[0] if len(lines) == 1 else
            f"{len(lines)} problems:\n" + "\n".join("  " + line for line in lines))) from e
    old_units = _raw_units(old_text)
    added, removed, changed = roster.roster_changes(old_units, units)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.import.tmp")
    try:
        _write_atomic(tmp, new_text.encode("utf-8"), mode=path.stat().st_mode & 0o7777)
        try:
            loaded = load_lenient(tmp)
        except ConfigError as e:
            raise ConfigError(f"with the units of {sheet_path.name}, {path.name} would not "
                              f"load: {e}; nothing changed") from e
        backup = None
        if not dry_run:
            backup = path.with_name(path.name + ".bak")
            _write_atomic(backup, old_text.encode("utf-8"), mode=path.stat().st_mode & 0o7777)
            os.replace(tmp, path)
            _fsync_dir(path.parent)
    finally:
        tmp.unlink(missing_ok=True)
    return ImportResult(path, backup, sheet, added, removed, changed, data.encoding,
                        loaded.missing_secrets, loaded.warnings)


def _raw_units(text: str) -> list[Unit]:
    """The units the file holds now, read loosely: it may be the thing being fixed."""
    try:
        raw = tomllib.loads(text).get("units", [])
    except tomllib.TOMLDecodeError:
        return []
    units = []
    for t in raw if isinstance(raw, list) else []:
        if isinstance(t, dict) and isinstance(t.get("code"), str):
            units.append(Unit(code=t["code"], name=str(t.get("name", "")),
                              emails=tuple(str(e).strip().lower() for e in t.get("emails", [])),
                              aliases=tuple(str(a) for a in t.get("aliases", []))))
    return units


def export_rows(config_path: Path | None) -> list[list[str]]:
    """The header and one row per unit of the config, notes included."""
    loaded = load_lenient(config_path)
    text = loaded.config.path.read_text(encoding="utf-8")
    return roster.sheet_rows(loaded.config.units, roster_toml.notes_from_config(text))


@dataclass(frozen=True)
class InitResult:
    config: Path
    sheet: Path
    backups: tuple[Path, ...]  # files that were there before --force, copied to .bak


def init_folder(folder: Path, *, force: bool = False) -> InitResult:
    """Write ``folder/mailbot.toml`` (the example config, roster cut out) and
    ``folder/don-vi.xlsx`` (the units sheet with two example rows)."""
    folder = folder.expanduser().resolve()
    if folder.exists() and not folder.is_dir():
        raise MailbotError(f"{folder} exists and is not a folder")
    present = sorted(p.name for p in folder.iterdir()) if folder.exists() else []
    if present and not force:
        shown = ", ".join(present[:5]) + (", ..." if len(present) > 5 else "")
        raise MailbotError(f"{folder} is not empty ({shown}): choose a new or empty folder, "
                           f"or add --force to write {CONFIG_NAME} and {SHEET_NAME} there "
                           "(files already there are kept as .bak)")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise StorageError(f"cannot create {folder}: {e.strerror}") from e
    example = resources.files("mailbot.demo").joinpath("config.example.toml").read_text("utf-8")
    config, sheet = folder / CONFIG_NAME, folder / SHEET_NAME
    backups = []
    for path in (config, sheet):
        if path.exists():  # --force: an office's filled-in sheet is never just lost
            backups.append(path.with_name(path.name + ".bak"))
            try:
                shutil.copy2(path, backups[-1])
            except OSError as e:
                raise StorageError(f"cannot keep {path} as {backups[-1]}: {e.strerror}") \
                    from e
    _write_atomic(config, roster_toml.config_without_units(example, _INIT_NOTE).encode("utf-8"))
    header = [roster.HEADERS[f] for f in roster.FIELDS]
    _write_atomic(sheet, _xlsx_bytes([header, *_EXAMPLE_ROWS], _GUIDE))
    return InitResult(config, sheet, tuple(backups))
