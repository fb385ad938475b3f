"""The Board's monthly package as email: the template context of one part ("Phần 2/3").

Part 1 carries the letter proper (summary table, what each unit sent, oversized files);
later parts name the units whose files they hold and refer to part 1. The office's
preview is the same email, marked. Times are shown in the zone of ``send_at``, else of
``digest.compiled_at``, both of which the caller builds in the office's zone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from mailbot.core.digest_model import Digest, DigestFile, DigestSubmission, PackedFile, Part
from mailbot.core.digest_text import one_line, summary_limit, summary_paragraphs
from mailbot.core.notices import vn_date, vn_datetime, vn_long_date, vn_period, vn_size
from mailbot.core.status import EXCUSED, LATE, MISSING, ON_TIME

STATUS_TEXT = {ON_TIME: "Đúng hạn", LATE: "Muộn", MISSING: "Chưa gửi", EXCUSED: "Được miễn"}
NO_SUMMARY = "(Thư không có nội dung mô tả, đề nghị xem các tệp đính kèm.)"
TOO_BIG = "quá lớn, không gửi kèm"
_PLACE_PREFIXES = ("Quận ", "Huyện ", "Thị xã ", "Thành phố ")


@dataclass(frozen=True)
class FileDetail:
    """A unit's file. ``where`` is "" when it travels with this email (or the package is
    one email), else a short note such as "quá lớn, không gửi kèm"; ``unit_name`` is
    set where files of several units are listed together (the oversized ones)."""

    name: str
    size: int
    where: str = ""
    unit_name: str = ""


@dataclass(frozen=True)
class SubmissionDetail:
    """One mail of a unit. ``paragraphs`` is its summary as paragraphs of lines;
    ``supplement_text`` is "Bổ sung tháng 9/2023" for late mail of an earlier month."""

    received_text: str
    late: bool
    supplement_text: str | None
    subject: str
    paragraphs: tuple[tuple[str, ...], ...]
    files: tuple[FileDetail, ...]


@dataclass(frozen=True)
class UnitDetail:
    """What one unit sent, under its STT and the folder its files are named under."""

    number: int
    name: str
    status_text: str
    folder: str
    submissions: tuple[SubmissionDetail, ...]


@dataclass(frozen=True)
class SummaryRow:
    """A line of the summary table; texts are "" where there is nothing to say."""

    number: int
    name: str
    status: str
    status_text: str
    submissions: int  # this month's mails, supplements left out
    sent_text: str  # "05/10/2023", or several dates separated by commas
    files_text: str  # "3 tệp (2,1 MB)"
    supplement_text: str  # "Bổ sung tháng 9/2023"


@dataclass(frozen=True)
class PartUnit:
    """A unit whose files travel in this part, with those files."""

    name: str
    files: tuple[FileDetail, ...]


def _in_zone(moment: datetime, reference: datetime) -> datetime:
    return moment.astimezone(reference.tzinfo) if moment.tzinfo and reference.tzinfo else moment


def _files_text(files: Sequence[DigestFile], form: str = "{n} tệp ({size})") -> str:
    return form.format(n=len(files), size=vn_size(sum(f.size for f in files))) if files else ""


def _supplements(submissions: Sequence[DigestSubmission]) -> str:
    return "; ".join(dict.fromkeys(f"Bổ sung {vn_period(m.supplement_of)}"
                                   for m in submissions if m.supplement_of))


def _rows(digest: Digest, local: datetime) -> list[SummaryRow]:
    rows = []
    for s in digest.sections:
        if s.status not in STATUS_TEXT:
            raise ValueError(f"unknown status {s.status!r} for unit {s.unit.code}")
        own = sorted([m for m in s.submissions if not m.supplement_of], key=lambda m: m.received_at)
        days = dict.fromkeys(vn_date(_in_zone(m.received_at, local)) for m in own)
        rows.append(SummaryRow(
            s.number, s.unit.name, s.status, STATUS_TEXT[s.status], len(own), ", ".join(days),
            _files_text([f for m in own for f in m.files]), _supplements(s.submissions)))
    return rows


def _details(digest: Digest, part: Part, oversized: Sequence[PackedFile],
             local: datetime) -> list[UnitDetail]:
    notes = {(p.unit, p.file): "kèm thư này" for p in part.files} if part.total > 1 else {}
    notes |= {(p.unit, p.file): TOO_BIG for p in oversized}
    notes |= {(unit.code, f): f.withheld for unit, f in digest.withheld()}
    elsewhere = "kèm phần khác của gói" if part.total > 1 else ""
    limit = summary_limit(sum(len(s.submissions) for s in digest.sections))

    def detail(code: str, m: DigestSubmission) -> SubmissionDetail:
        return SubmissionDetail(
            vn_datetime(_in_zone(m.received_at, local)), m.late, _supplements([m]) or None,
            one_line(m.subject), summary_paragraphs(m.summary, limit) or ((NO_SUMMARY,),),
            tuple(FileDetail(f.name, f.size, notes.get((code, f), elsewhere)) for f in m.files))

    return [UnitDetail(s.number, s.unit.name, STATUS_TEXT[s.status], s.folder,
                       tuple(detail(s.unit.code, m) for m in s.submissions))
            for s in digest.sections if s.submissions]


def _part_units(part: Part, names: dict[str, str]) -> list[PartUnit]:
    order = {code: i for i, code in enumerate(names)}
    grouped: dict[str, list[FileDetail]] = {}
    for p in part.files:
        grouped.setdefault(p.unit, []).append(FileDetail(p.file.name, p.file.size))
    return [PartUnit(names.get(code, code), tuple(files)) for code, files in
            sorted(grouped.items(), key=lambda kv: (order.get(kv[0], len(order)), kv[0]))]


def _holds_text(part: Part, extra_files: Sequence[str], units: Sequence[PartUnit]) -> str:
    files, names = [p.file for p in part.files], ", ".join(u.name for u in units)
    split = part.total > 1
    what = " và ".join(x for x in (
        f"bản tổng hợp ({', '.join(extra_files)})" if extra_files else "",
        (f"tệp của các đơn vị: {names} {_files_text(files, '({n} tệp, {size})')}" if split
         else f"{_files_text(files)} của các đơn vị") if files else "") if x)
    if split:
        head = f"Phần {part.number}/{part.total}"
        return f"{head} gồm {what}." if what else f"{head} không có tệp đính kèm."
    return f"Kèm theo thư này: {what}." if what else "Thư này không có tệp đính kèm."


def _intro(committee: str, via: str, area: str, period_text: str,
           counts: dict[str, int], supplements: int) -> str:
    sent, total = counts[ON_TIME] + counts[LATE], sum(counts.values())
    clauses = [f"Đã có {sent}/{total} đơn vị gửi, trong đó {counts[ON_TIME]} đơn vị gửi đúng "
               f"hạn, {counts[LATE]} đơn vị gửi muộn" if sent
               else f"Chưa có đơn vị nào gửi (0/{total} đơn vị)"]
    clauses += [f"{counts[MISSING]} đơn vị chưa gửi"] if counts[MISSING] and sent else []
    clauses += [f"{counts[EXCUSED]} đơn vị được miễn"] if counts[EXCUSED] else []
    more = f" Gói còn gồm {supplements} thư gửi bổ sung cho các tháng trước." if supplements else ""
    return (f"{committee} (qua {via}) xin gửi tổng hợp gương người tốt, việc tốt {period_text} "
            f"của các cơ quan, đơn vị trên địa bàn {area}. {'; '.join(clauses)}.{more}")


def digest_notice(
    digest: Digest, part: Part, *, preview: bool, oversized: Sequence[PackedFile] = (),
    district: str = "Quận Dương Kinh",
    board: str = "Ban Thi đua - Khen thưởng Sở Nội vụ thành phố",
    office_name: str = "Phòng Nội vụ quận Dương Kinh", date_of: date | None = None,
    extra_files: Sequence[str] = (), send_at: datetime | None = None,
) -> dict[str, object]:
    """The context of one email (``part``) of ``digest``'s package for the Board.

    ``extra_files``: the generated .docx/.xlsx attached to part 1. Oversized and
    withheld files travel in no email; part 1 lists them. ``date_of`` (default: the
    day of ``send_at``, else of ``compiled_at``) dates the letter. The subject counts
    units by this month's status (a supplement alone is not "sent"); an unknown
    status raises ValueError.
    """
    local = send_at or digest.compiled_at
    rows = _rows(digest, local)
    counts = {k: sum(1 for r in rows if r.status == k) for k in STATUS_TEXT}
    names = {s.unit.code: s.unit.name for s in digest.sections}
    area = district[:1].lower() + district[1:]  # "quận Dương Kinh"
    committee = f"Ủy ban nhân dân {area}"
    place = next((district.removeprefix(p) for p in _PLACE_PREFIXES
                  if district.startswith(p)), district)
    day = date_of or local.date()
    send_at_text = vn_datetime(send_at) if send_at else None
    part_units, period_text = _part_units(part, names), vn_period(digest.period)
    supplements = sum(1 for s in digest.sections for m in s.submissions if m.supplement_of)
    via = office_name.removesuffix(f" {area}")  # "Phòng Nội vụ"
    return {
        "office_name": office_name, "district": district, "board": board,
        "committee": committee, "place_date_text": f"{place}, {vn_long_date(day)}",
        "date_of": day, "period": digest.period, "period_text": period_text,
        "preview": preview, "send_at": send_at, "send_at_text": send_at_text,
        "preview_text": (
            f"BẢN XEM TRƯỚC — thư này chưa được gửi tới {board}. Gói sẽ được gửi tới Ban "
            f"{'lúc ' + send_at_text if send_at_text else 'vào ngày gửi theo lịch'} nếu "
            f"không bị tạm dừng. Đề nghị {office_name} kiểm tra nội dung và tệp đính kèm; "
            "nếu cần điều chỉnh, đề nghị tạm dừng việc gửi trước thời điểm trên."
        ) if preview else "",
        "part_number": part.number, "part_total": part.total, "split": part.total > 1,
        "first_part": part.number == 1,
        "part_text": f"Phần {part.number}/{part.total}" if part.total > 1 else "",
        "holds_text": _holds_text(part, extra_files, part_units), "part_units": part_units,
        "intro_text": _intro(committee, via, area, period_text, counts, supplements),
        "total": digest.total, "sent_count": counts[ON_TIME] + counts[LATE],
        **{f"{k}_count": n for k, n in counts.items()}, "supplement_count": supplements,
        "rows": rows,
        # Only part 1 lists what each unit sent; the others name the files they carry.
        "units": _details(digest, part, oversized, local) if part.number == 1 else [],
        "missing_names": [r.name for r in rows if r.status == MISSING],
        "excused_names": [r.name for r in rows if r.status == EXCUSED],
        "oversized": [FileDetail(p.file.name, p.file.size, TOO_BIG, names.get(p.unit, p.unit))
                      for p in oversized],
        "withheld": [FileDetail(f.name, f.size, f.withheld, u.name) for u, f in digest.withheld()],
        "extra_files": list(extra_files),
    }
