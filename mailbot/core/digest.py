"""The monthly package for the Board as data: sections per unit, the files it carries
and how they are split into emails that the mail servers on the way accept."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from mailbot.core.bodytext import exemplar_text
from mailbot.core.digest_model import (
    Digest,
    DigestSubmission,
    PackedFile,
    Part,
    SubmissionRecord,
    UnitSection,
)
from mailbot.core.filenames import MAX_BYTES, MAX_CHARS, display_name
from mailbot.core.model import Period, Unit
from mailbot.core.status import SubmissionFact, period_status

# Content-Type, Content-Disposition, Content-Transfer-Encoding and the boundary line of
# one attachment. The name appears twice, RFC 2231-encoded (up to 3 characters per UTF-8
# byte, folded): Python's email package writes 714 bytes of headers for a 207-byte name.
MIME_HEADERS_PER_FILE = 500
_HEADERS_BASE, _HEADERS_PER_NAME_BYTE = 200, 3
_LINE = 76  # base64 characters per line, each line ending in CRLF


def build_digest(period: Period, *, units: Sequence[Unit], records: Sequence[SubmissionRecord],
                 excused: Mapping[str, str], compiled_at: datetime,
                 supplements: Sequence[SubmissionRecord] = ()) -> Digest:
    """The package for ``period``: one section per unit, numbered in Vietnamese
    alphabetical order of the unit names.

    A section's status is the unit's standing as ``period_status`` gives it (on_time,
    late, excused, missing) from ``records``, the submissions filed under ``period``.
    ``supplements`` are submissions filed under an earlier month that arrived after
    that month's package went out: they join their unit's section, marked with
    ``supplement_of``, and leave its status alone. A section lists its submissions in
    arrival order, each with its text reduced to the exemplars (``exemplar_text``).
    Submissions of units not in ``units`` are left out, as ``period_status`` does.

    >>> from datetime import UTC
    >>> units = [Unit("tan-thanh", "UBND phường Tân Thành"), Unit("da-phuc", "UBND phường Đa Phúc")]
    >>> d = build_digest(Period(2023, 10), units=units, records=[], excused={"da-phuc": "lễ"},
    ...                  compiled_at=datetime(2023, 10, 17, 1, tzinfo=UTC))
    >>> [(s.folder, s.status) for s in d.sections]
    [('01-UBND phường Đa Phúc', 'excused'), ('02-UBND phường Tân Thành', 'missing')]
    """
    for record in records:
        if record.period != period:
            raise ValueError(f"submission {record.message} is filed under {record.period}, "
                             f"not {period}: pass it as a supplement")
    for record in supplements:
        if record.period >= period:
            raise ValueError(f"supplement {record.message} is filed under {record.period}, "
                             f"which is not a month before {period}")
    facts = [SubmissionFact(r.unit, r.received_at, r.late) for r in records]
    statuses = period_status(units, facts, excused)
    by_unit: dict[str, list[DigestSubmission]] = {s.unit.code: [] for s in statuses}
    for record, supplement_of in [*((r, None) for r in records),
                                  *((r, r.period) for r in supplements)]:
        if record.unit in by_unit:
            by_unit[record.unit].append(_submission(record, supplement_of))
    width = max(2, len(str(len(statuses))))
    sections = []
    for number, standing in enumerate(statuses, start=1):
        mine = sorted(by_unit[standing.unit.code], key=lambda s: (s.received_at, s.message))
        folder = f"{number:0{width}d}-{_folder_name(standing.unit)}"
        sections.append(UnitSection(number, standing.unit, standing.status, tuple(mine), folder))
    return Digest(period, compiled_at, tuple(sections))


def _submission(record: SubmissionRecord, supplement_of: Period | None) -> DigestSubmission:
    return DigestSubmission(
        message=record.message, received_at=record.received_at, late=record.late,
        subject=record.subject,
        summary=exemplar_text(record.body_text, subject=record.subject),
        files=record.files, supplement_of=supplement_of)


def _folder_name(unit: Unit) -> str:
    # A unit's name is not a path: "Phòng Lao động/Thương binh" must not lose its head.
    name = unit.name.replace("/", "-").replace("\\", "-")
    return display_name(name, fallback=display_name(unit.code))


def pack_files(digest: Digest) -> list[PackedFile]:
    """Every file of the package, named ``"<section folder>/<file name>"``, in section
    order, then arrival order.

    Withheld files (``DigestFile.withheld``) do not travel: the letter names them.
    The same bytes (sha256) sent again by the same unit travel once. Names that clash
    in a folder, ignoring case as Windows does, get a number: "Báo cáo (2).docx".

    >>> from datetime import UTC
    >>> from mailbot.core.digest_model import DigestFile
    >>> f = DigestFile("Báo cáo.docx", "a" * 64, 10, "application/octet-stream")
    >>> g = DigestFile("báo cáo.DOCX", "b" * 64, 20, "application/octet-stream")
    >>> sub = DigestSubmission(1, datetime(2023, 10, 9, tzinfo=UTC), False, "", "", (f, f, g))
    >>> section = UnitSection(1, Unit("hn", "UBND phường Hòa Nghĩa"), "on_time", (sub,), "01-HN")
    >>> d = Digest(Period(2023, 10), datetime(2023, 10, 17, tzinfo=UTC), (section,))
    >>> [p.archive_name for p in pack_files(d)]
    ['01-HN/Báo cáo.docx', '01-HN/báo cáo (2).DOCX']
    """
    packed: list[PackedFile] = []
    for section in digest.sections:
        seen: set[str] = set()
        taken: set[str] = set()
        for submission in section.submissions:
            for file in submission.files:
                if file.sha256 in seen or file.withheld:
                    continue
                seen.add(file.sha256)
                name = _free_name(file.name, taken)
                taken.add(name.casefold())
                packed.append(PackedFile(f"{section.folder}/{name}", file, section.unit.code))
    return packed


def _free_name(name: str, taken: set[str]) -> str:
    if name.casefold() not in taken:
        return name
    dot = name.rfind(".")
    stem, extension = (name[:dot], name[dot:]) if dot > 0 else (name, "")
    n = 2
    while True:
        suffix = f" ({n}){extension}"
        head = stem[:MAX_CHARS - len(suffix)]
        while len((head + suffix).encode("utf-8")) > MAX_BYTES:
            head = head[:-1]
        candidate = head + suffix
        if candidate.casefold() not in taken:
            return candidate
        n += 1


def encoded_size(n: int) -> int:
    """The size of ``n`` bytes in base64 as an email carries it: 4 characters per 3
    bytes, lines of 76 characters each ending in CRLF.

    >>> encoded_size(0), encoded_size(1), encoded_size(57), encoded_size(58)
    (0, 6, 78, 84)
    """
    if n < 0:
        raise ValueError(f"a size cannot be negative, got {n}")
    chars = 4 * -(-n // 3)
    return chars + 2 * -(-chars // _LINE)


def attachment_size(file: PackedFile) -> int:
    """The estimated share of one attachment in an email: its base64 body plus its
    MIME headers, ``MIME_HEADERS_PER_FILE`` or more for a long (Vietnamese) name.

    >>> from mailbot.core.digest_model import DigestFile
    >>> attachment_size(PackedFile("01-A/a.pdf", DigestFile("a.pdf", "0", 3, ""), "a"))
    506
    """
    name_bytes = len(file.archive_name.encode("utf-8"))
    headers = max(MIME_HEADERS_PER_FILE, _HEADERS_BASE + _HEADERS_PER_NAME_BYTE * name_bytes)
    return encoded_size(file.file.size) + headers


def split_parts(files: Sequence[PackedFile], *, limit: int, overhead: int = 64 * 1024,
                first_overhead: int | None = None) -> tuple[list[Part], list[PackedFile]]:
    """The package as emails ("Phần 1/3"…) that each stay within ``limit`` bytes, and
    the files too big to attach at all.

    An email's estimate is ``overhead`` (its body and headers) plus ``attachment_size``
    of each file; part 1, which carries the letter and the generated documents, has
    ``first_overhead`` instead (default: ``overhead``). Files keep their order, so a
    unit's files stay together: a part takes files until the next one does not fit,
    which then starts the next part. A file that does not fit even alone (``attachment_size`` above
    ``limit - overhead``) is never attached but returned in the second list, to be
    named in the email and reported to the office. There is always at least one
    part, possibly empty: the Board still gets the email.

    >>> from mailbot.core.digest_model import DigestFile
    >>> def pf(size: int) -> PackedFile:
    ...     return PackedFile(f"01-A/{size}.pdf", DigestFile(f"{size}.pdf", "0", size, ""), "a")
    >>> parts, oversized = split_parts([pf(600), pf(600), pf(5000)], limit=2200, overhead=100)
    >>> [[f.file.size for f in p.files] for p in parts], [f.file.size for f in oversized]
    ([[600], [600]], [5000])
    """
    first = overhead if first_overhead is None else first_overhead
    if min(overhead, first) < 0 or limit <= max(overhead, first):
        raise ValueError(f"need 0 <= overhead < limit, got overhead={overhead}, "
                         f"first_overhead={first}, limit={limit}")
    groups: list[list[PackedFile]] = [[]]
    oversized: list[PackedFile] = []
    used = first
    for file in files:
        size = attachment_size(file)
        if size > limit - overhead:
            oversized.append(file)
            continue
        if used + size > limit:
            groups.append([])
            used = overhead
        groups[-1].append(file)
        used += size
    total = len(groups)
    parts = [Part(number, total, tuple(g)) for number, g in enumerate(groups, start=1)]
    return parts, oversized
