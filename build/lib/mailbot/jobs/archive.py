"""`mailbot archive --year Y --out FILE.zip`: every submission of a year, by unit and
month, for the 11 June anniversary of the patriotic emulation call.

Built streaming: each stored file is copied into the zip in chunks, so a year of
photos never sits in memory; the zip is written under a temporary name and renamed
when complete, so a half-written archive never looks finished.
"""

from __future__ import annotations

import io
import os
import shutil
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from openpyxl import Workbook

from mailbot.adapters.db.queries import submission_records
from mailbot.app import App
from mailbot.core.filenames import display_name
from mailbot.core.text import vietnamese_sort_key
from mailbot.errors import NotFound, StorageError

# Already compressed: deflating them again costs time for nothing.
_STORED = ("image/", "video/", "application/pdf", "application/zip",
           "application/vnd.openxmlformats")


@dataclass(frozen=True)
class ArchiveResult:
    path: Path
    submissions: int
    files: int
    bytes: int


def build_archive(app: App, year: int, out: Path,
                  progress: Callable[[int, int], None] | None = None) -> ArchiveResult:
    records = submission_records(app.engine, periods=[f"{year}-{m:02d}" for m in range(1, 13)])
    if not records:
        raise NotFound(f"no submission was filed for {year}")
    units = sorted(app.config.units, key=lambda u: vietnamese_sort_key(u.name))
    width = max(2, len(str(len(units))))
    folder = {u.code: f"{i:0{width}d}-{display_name(u.name)}" for i, u in enumerate(units, 1)}
    names = {u.code: u.name for u in units}
    total = sum(len(r.files) for r in records)
    tmp = out.with_name(out.name + ".part")
    done = size = 0
    index: list[tuple[str, ...]] = [
        ("Đơn vị", "Tháng", "Ngày nhận", "Đúng hạn", "Tiêu đề thư", "Tệp")]
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(tmp, "w", allowZip64=True) as zf:
            used: set[str] = set()
            for r in records:
                base = f"{folder.get(r.unit, display_name(r.unit))}/{r.period}"
                stamp = r.received_at.astimezone(app.config.timezone)
                text = f"Tiêu đề: {r.subject}\nNgày nhận: {stamp:%d/%m/%Y %H:%M}\n\n{r.body_text}"
                zf.writestr(_unique(f"{base}/thu-{r.message}.txt", used), text,
                            compress_type=zipfile.ZIP_DEFLATED)
                for f in r.files:
                    name = _unique(f"{base}/{f.name}", used)
                    info = zipfile.ZipInfo(name, date_time=stamp.timetuple()[:6])
                    info.compress_type = zipfile.ZIP_STORED \
                        if f.content_type.startswith(_STORED) else zipfile.ZIP_DEFLATED
                    with app.files.path_for(f.sha256).open("rb") as src, \
                            zf.open(info, "w", force_zip64=True) as dst:
                        shutil.copyfileobj(src, dst, 1024 * 1024)
                    done += 1
                    size += f.size
                    if progress:
                        progress(done, total)
                index.append((names.get(r.unit, r.unit), str(r.period), f"{stamp:%d/%m/%Y %H:%M}",
                              "Muộn" if r.late else "Đúng hạn", r.subject,
                              ", ".join(f.name for f in r.files)))
            zf.writestr("Muc-luc.xlsx", _index_xlsx(index))
        os.replace(tmp, out)
    except OSError as e:
        tmp.unlink(missing_ok=True)
        raise StorageError(f"cannot write the archive {out}: {e.strerror or e}") from e
    return ArchiveResult(out, len(records), done, size)


def _unique(name: str, used: set[str]) -> str:
    stem, dot, ext = name.rpartition(".")
    candidate, n = name, 2
    while candidate.casefold() in used:
        candidate = f"{stem} ({n}).{ext}" if dot else f"{name} ({n})"
        n += 1
    used.add(candidate.casefold())
    return candidate


def _index_xlsx(rows: list[tuple[str, ...]]) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "Mục lục"
    for row in rows:
        ws.append(list(row))
        for cell in ws[ws.max_row]:
            cell.data_type = "s"  # never a formula, whatever the subject says
    ws.freeze_panes = "A2"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
