"""The context of the package for the Board: counts, the table, each unit, parts, preview.

The builders below (a 40-unit October, its parts) are shared with
tests/adapters/test_render_digest.py.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from datetime import UTC, date

import pytest

from mailbot.core.digest_model import (
    Digest,
    DigestFile,
    DigestSubmission,
    PackedFile,
    Part,
    UnitSection,
)
from mailbot.core.digest_notice import (
    NO_SUMMARY,
    TOO_BIG,
    FileDetail,
    SummaryRow,
    digest_notice,
)
from mailbot.core.digest_text import CLIPPED, MIN_SUMMARY, summary_limit, summary_paragraphs
from mailbot.core.model import Period, Unit
from mailbot.core.text import vietnamese_sort_key
from tests.core.samples import at

OCTOBER = Period(2023, 10)
SEPTEMBER = Period(2023, 9)
SEND_AT = at(2023, 10, 17, 8)
COMPILED_AT = at(2023, 10, 16, 8)
ROSTER = (
    "UBND phường Anh Dũng", "UBND phường Đa Phúc", "UBND phường Hải Thành",
    "UBND phường Hòa Nghĩa", "UBND phường Hưng Đạo", "UBND phường Tân Thành",
    "Văn phòng HĐND và UBND quận", "Phòng Nội vụ", "Phòng Tư pháp",
    "Phòng Tài chính - Kế hoạch", "Phòng Tài nguyên và Môi trường",
    "Phòng Lao động - Thương binh và Xã hội", "Phòng Văn hóa và Thông tin",
    "Phòng Giáo dục và Đào tạo", "Phòng Y tế", "Phòng Quản lý đô thị", "Phòng Kinh tế",
    "Thanh tra quận", "Văn phòng Quận ủy", "Ban Tổ chức Quận ủy", "Ban Tuyên giáo Quận ủy",
    "Ban Dân vận Quận ủy", "Ủy ban Kiểm tra Quận ủy", "Ủy ban MTTQ Việt Nam quận", "Quận đoàn",
    "Hội Liên hiệp Phụ nữ quận", "Hội Nông dân quận", "Hội Cựu chiến binh quận",
    "Liên đoàn Lao động quận", "Trung tâm Văn hóa - Thông tin và Thể thao quận",
    "Trung tâm Y tế quận", "Ban Quản lý dự án đầu tư xây dựng quận",
    "Trung tâm Phát triển quỹ đất quận", "Công an quận", "Ban Chỉ huy Quân sự quận",
    "Hội Chữ thập đỏ quận", "Hội Người cao tuổi quận", "Hội Khuyến học quận",
    "Bảo hiểm xã hội quận", "Chi cục Thuế khu vực Kiến Thụy - Dương Kinh",
)
MISSING = ("Hội Nông dân quận", "Phòng Kinh tế", "Thanh tra quận", "Hội Khuyến học quận")
EXCUSED = ("Trung tâm Y tế quận", "Công an quận")
LATE = ("UBND phường Đa Phúc", "Quận đoàn", "Phòng Y tế")
HOA_NGHIA = "UBND phường Hòa Nghĩa"
TU_PHAP = "Phòng Tư pháp"  # also sends a supplement for September
SUMMARY = ("Ông Nguyễn Văn An, tổ dân phố số 3, đã dũng cảm cứu hai cháu nhỏ bị đuối nước "
           "tại hồ điều hòa.\n\nBà Trần Thị Bình trả lại 15 triệu đồng nhặt được cho người "
           "đánh rơi.\nĐề nghị biểu dương.")
MB = 2**20
DOCUMENTS = ("Tong-hop-thang-10-2023.docx", "Danh-sach-thang-10-2023.xlsx")


def code(name: str) -> str:
    return hashlib.sha1(name.encode()).hexdigest()[:8]


def file(name: str, size: int = 358_400) -> DigestFile:
    kind = "image/jpeg" if name.endswith(".jpg") else "application/octet-stream"
    return DigestFile(name, hashlib.sha256(name.encode()).hexdigest(), size, kind)


def submission(name: str, *, late: bool = False, day: int = 10, summary: str = "",
               files: Sequence[DigestFile] | None = None, subject: str | None = None,
               supplement_of: Period | None = None) -> DigestSubmission:
    month = supplement_of or OCTOBER
    return DigestSubmission(
        message=int(hashlib.sha1(f'{name}{day}{supplement_of}'.encode()).hexdigest()[:6], 16),
        received_at=at(month.year, month.month, day, 9, 30) if not supplement_of
        else at(2023, 9, 20, 14),
        late=late or supplement_of is not None,
        subject=subject if subject is not None
        else f"Gương người tốt việc tốt {f'tháng {month.month}/{month.year}'} - {name}",
        summary=summary or f"Gương người tốt, việc tốt của {name}: đồng chí Lê Văn Cường "
                           "tích cực giúp đỡ hộ nghèo.",
        files=tuple(files) if files is not None else (
            file(f"Báo cáo thành tích - {name}.docx"), file("Ảnh trao thưởng.jpg", 1_258_291)),
        supplement_of=supplement_of)


def month(*, nobody: bool = False, summaries: dict[str, str] | None = None,
          extra: dict[str, Sequence[DigestSubmission]] | None = None) -> Digest:
    """October 2023 for 40 units: 34 sent (3 late), 4 missing, 2 excused; Phòng Tư pháp
    also sends a September supplement. ``nobody``: every unit that must send is missing."""
    sections = []
    for number, name in enumerate(sorted(ROSTER, key=vietnamese_sort_key), start=1):
        subs: list[DigestSubmission]
        if name in EXCUSED:
            status, subs = "excused", []
        elif nobody or name in MISSING:
            status, subs = "missing", []
        else:
            late = name in LATE
            status = "late" if late else "on_time"
            subs = [submission(name, late=late, day=16 if late else 5 + number % 9,
                               summary=(summaries or {}).get(name, ""))]
            if name == TU_PHAP:
                subs.insert(0, submission(name, supplement_of=SEPTEMBER,
                                          files=(file("Bổ sung tháng 9.pdf", 90_000),)))
        subs += list((extra or {}).get(name, ()))
        sections.append(UnitSection(number, Unit(code(name), name), status, tuple(subs),
                                    f"{number:02d}-{name}"))
    return Digest(OCTOBER, COMPILED_AT, tuple(sections))


def packed(digest: Digest) -> list[PackedFile]:
    return [PackedFile(f"{s.folder}/{f.name}", f, s.unit.code)
            for s in digest.sections for m in s.submissions for f in m.files]


def parts(digest: Digest, total: int = 1) -> list[Part]:
    files = packed(digest)
    per = -(-len(files) // total)
    return [Part(n + 1, total, tuple(files[n * per:(n + 1) * per])) for n in range(total)]


def section(digest: Digest, name: str) -> UnitSection:
    (found,) = [s for s in digest.sections if s.unit.name == name]
    return found


def notice(digest: Digest | None = None, part: Part | None = None, *, preview: bool = False,
           oversized: Iterable[PackedFile] = (), **kwargs: object) -> dict[str, object]:
    digest = digest or month()
    part = part or parts(digest)[0]
    return digest_notice(digest, part, preview=preview, oversized=tuple(oversized),
                         send_at=SEND_AT, extra_files=DOCUMENTS if part.number == 1 else (),
                         **kwargs)  # type: ignore[arg-type]


def rows(ctx: dict[str, object]) -> dict[str, SummaryRow]:
    assert isinstance(ctx["rows"], list)
    return {r.name: r for r in ctx["rows"]}


def test_a_month_counts_the_units_that_sent_for_it() -> None:
    ctx = notice()

    assert (ctx["sent_count"], ctx["total"]) == (34, 40)
    assert (ctx["on_time_count"], ctx["late_count"]) == (31, 3)
    assert (ctx["missing_count"], ctx["excused_count"], ctx["supplement_count"]) == (4, 2, 1)
    assert ctx["intro_text"] == (
        "Ủy ban nhân dân quận Dương Kinh (qua Phòng Nội vụ) xin gửi tổng hợp gương người tốt, "
        "việc tốt tháng 10/2023 của các cơ quan, đơn vị trên địa bàn quận Dương Kinh. Đã có "
        "34/40 đơn vị gửi, trong đó 31 đơn vị gửi đúng hạn, 3 đơn vị gửi muộn; 4 đơn vị chưa "
        "gửi; 2 đơn vị được miễn. Gói còn gồm 1 thư gửi bổ sung cho các tháng trước.")


def test_the_table_has_every_unit_in_the_digests_order_with_its_standing() -> None:
    digest = month()
    table = rows(notice(digest))

    assert [r.name for r in table.values()] == [s.unit.name for s in digest.sections]
    assert [r.number for r in table.values()] == list(range(1, 41))
    assert table[HOA_NGHIA].status_text == "Đúng hạn"
    assert table[HOA_NGHIA].files_text == "2 tệp (1,5 MB)"
    assert table["UBND phường Đa Phúc"] == SummaryRow(
        section(digest, "UBND phường Đa Phúc").number, "UBND phường Đa Phúc", "late", "Muộn", 1,
        "16/10/2023", "2 tệp (1,5 MB)", "")
    assert table["Hội Nông dân quận"].status_text == "Chưa gửi"
    assert (table["Hội Nông dân quận"].sent_text, table["Hội Nông dân quận"].files_text) == ("", "")
    assert table["Công an quận"].status_text == "Được miễn"


def test_a_supplement_is_marked_and_kept_out_of_the_months_counts() -> None:
    ctx = notice()
    row = rows(ctx)[TU_PHAP]

    assert (row.submissions, row.files_text, row.supplement_text) == (
        1, "2 tệp (1,5 MB)", "Bổ sung tháng 9/2023")
    units = {u.name: u for u in ctx["units"]}  # type: ignore[attr-defined]
    first, second = units[TU_PHAP].submissions
    assert (first.supplement_text, first.late, second.supplement_text) == (
        "Bổ sung tháng 9/2023", True, None)
    assert first.received_text == "14:00 ngày 20/09/2023"


def test_a_unit_that_only_sent_a_supplement_has_not_sent_this_month() -> None:
    late_september = submission("Hội Nông dân quận", supplement_of=SEPTEMBER)
    ctx = notice(month(extra={"Hội Nông dân quận": [late_september]}))

    assert ctx["sent_count"] == 34
    assert rows(ctx)["Hội Nông dân quận"].status_text == "Chưa gửi"
    assert "Hội Nông dân quận" in ctx["missing_names"]  # type: ignore[operator]
    assert "Hội Nông dân quận" in [u.name for u in ctx["units"]]  # type: ignore[attr-defined]


def test_only_units_that_sent_something_get_a_section_and_the_rest_are_named() -> None:
    ctx = notice()

    assert len(ctx["units"]) == 34  # type: ignore[arg-type]
    assert ctx["missing_names"] == sorted(MISSING, key=vietnamese_sort_key)
    assert ctx["excused_names"] == ["Công an quận", "Trung tâm Y tế quận"]


def test_an_empty_month_says_nobody_sent() -> None:
    ctx = notice(month(nobody=True))

    assert (ctx["sent_count"], ctx["total"], ctx["units"]) == (0, 40, [])
    assert "Chưa có đơn vị nào gửi (0/40 đơn vị); 2 đơn vị được miễn." in str(ctx["intro_text"])
    assert ctx["holds_text"] == ("Kèm theo thư này: bản tổng hợp (Tong-hop-thang-10-2023.docx, "
                                 "Danh-sach-thang-10-2023.xlsx).")


def test_the_letter_is_dated_like_a_document_on_the_day_it_goes_out() -> None:
    ctx = notice()

    assert ctx["place_date_text"] == "Dương Kinh, ngày 17 tháng 10 năm 2023"
    assert notice(date_of=date(2023, 10, 18))["place_date_text"] == (
        "Dương Kinh, ngày 18 tháng 10 năm 2023")


def test_times_are_shown_on_the_clock_of_the_send_time() -> None:
    digest = month()
    utc = Digest(digest.period, digest.compiled_at.astimezone(UTC), digest.sections)

    office = digest_notice(utc, parts(utc)[0], preview=False, send_at=SEND_AT)
    bare = digest_notice(utc, parts(utc)[0], preview=False)

    for ctx, shown, day in ((office, "09:30", "17"), (bare, "02:30", "16")):
        units = {u.name: u for u in ctx["units"]}  # type: ignore[attr-defined]
        assert units["UBND phường Đa Phúc"].submissions[0].received_text == (
            f"{shown} ngày 16/10/2023")
        assert ctx["place_date_text"] == f"Dương Kinh, ngày {day} tháng 10 năm 2023"
        assert rows(ctx)["UBND phường Đa Phúc"].sent_text == "16/10/2023"


def test_a_preview_says_it_was_not_sent_and_when_it_will_be() -> None:
    ctx = notice(preview=True)

    assert ctx["preview"] is True
    assert ctx["send_at_text"] == "08:00 ngày 17/10/2023"
    assert str(ctx["preview_text"]).startswith(
        "BẢN XEM TRƯỚC — thư này chưa được gửi tới Ban Thi đua - Khen thưởng Sở Nội vụ thành "
        "phố. Gói sẽ được gửi tới Ban lúc 08:00 ngày 17/10/2023 nếu không bị tạm dừng.")
    assert notice()["preview_text"] == ""


def test_a_preview_without_a_send_time_still_reads_well() -> None:
    digest = month()
    ctx = digest_notice(digest, parts(digest)[0], preview=True)

    assert ctx["send_at_text"] is None
    assert "vào ngày gửi theo lịch nếu không bị tạm dừng" in str(ctx["preview_text"])


def test_each_part_of_a_split_package_says_what_it_holds() -> None:
    digest = month()
    first, second, _ = parts(digest, 3)

    one, two = notice(digest, first), notice(digest, second)

    assert (one["part_text"], one["first_part"], two["first_part"]) == ("Phần 1/3", True, False)
    assert str(one["holds_text"]).startswith(
        "Phần 1/3 gồm bản tổng hợp (Tong-hop-thang-10-2023.docx, Danh-sach-thang-10-2023.xlsx) "
        "và tệp của các đơn vị: ")
    names = [u.name for u in two["part_units"]]  # type: ignore[attr-defined]
    assert names == list(dict.fromkeys(
        next(s.unit.name for s in digest.sections if s.unit.code == p.unit)
        for p in second.files))
    assert two["holds_text"] == (f"Phần 2/3 gồm tệp của các đơn vị: {', '.join(names)} "
                                 f"({len(second.files)} tệp, "
                                 f"{vn_size_of(f.file.size for f in second.files)}).")


def vn_size_of(sizes: Iterable[int]) -> str:
    from mailbot.core.notices import vn_size
    return vn_size(sum(sizes))


def test_in_a_split_package_each_file_says_where_it_travels() -> None:
    digest = month()
    first, second, _ = parts(digest, 3)
    here, elsewhere = first.files[0], second.files[0]

    ctx = notice(digest, first)

    where = {(u.name, f.name): f.where for u in ctx["units"]  # type: ignore[attr-defined]
             for s in u.submissions for f in s.files}
    names = {s.unit.code: s.unit.name for s in digest.sections}
    assert where[names[here.unit], here.file.name] == "kèm thư này"
    assert where[names[elsewhere.unit], elsewhere.file.name] == "kèm phần khác của gói"


def test_oversized_files_are_listed_with_their_unit_and_marked_in_the_units_list() -> None:
    digest = month()
    video = file("Video lễ tuyên dương.mp4", 48 * MB)
    hoa_nghia = section(digest, HOA_NGHIA)
    big = PackedFile(f"{hoa_nghia.folder}/{video.name}", video, hoa_nghia.unit.code)
    extra = submission(HOA_NGHIA, day=12, files=(video,))
    digest = month(extra={HOA_NGHIA: [extra]})

    ctx = notice(digest, parts(digest)[0], oversized=[big])

    assert ctx["oversized"] == [FileDetail("Video lễ tuyên dương.mp4", 48 * MB, TOO_BIG, HOA_NGHIA)]
    units = {u.name: u for u in ctx["units"]}  # type: ignore[attr-defined]
    assert units[HOA_NGHIA].submissions[1].files == (
        FileDetail("Video lễ tuyên dương.mp4", 48 * MB, TOO_BIG),)
    assert units[HOA_NGHIA].submissions[0].files[0].where == ""


def test_a_single_email_says_what_it_carries() -> None:
    digest = month()
    ctx = notice(digest)

    count = len(parts(digest)[0].files)
    assert ctx["holds_text"] == (
        "Kèm theo thư này: bản tổng hợp (Tong-hop-thang-10-2023.docx, "
        f"Danh-sach-thang-10-2023.xlsx) và {count} tệp "
        f"({vn_size_of(p.file.size for p in parts(digest)[0].files)}) của các đơn vị.")
    assert digest_notice(digest, Part(1, 1, ()), preview=False)["holds_text"] == (
        "Thư này không có tệp đính kèm.")


def test_the_district_and_office_can_be_named_otherwise() -> None:
    ctx = notice(district="Huyện Kiến Thụy", office_name="Phòng Nội vụ huyện Kiến Thụy")

    assert str(ctx["intro_text"]).startswith(
        "Ủy ban nhân dân huyện Kiến Thụy (qua Phòng Nội vụ) xin gửi")
    assert str(ctx["place_date_text"]).startswith("Kiến Thụy, ngày 17")


def test_an_unknown_status_is_refused() -> None:
    digest = month()
    odd = UnitSection(1, digest.sections[0].unit, "lost", (), "01-x")

    with pytest.raises(ValueError, match="unknown status 'lost'"):
        notice(Digest(OCTOBER, COMPILED_AT, (odd,)))


@pytest.mark.parametrize(("text", "expected"), [
    ("", ()),
    ("  \n\n ", ()),
    ("Một dòng", (("Một dòng",),)),
    ("a\r\nb\rc", (("a", "b", "c"),)),
    ("a\n\n\n\nb", (("a",), ("b",))),
    ("a\u2029b\u2028c", (("a",), ("b", "c"))),
    ("a\x00b\x1b[31m\tc", (("ab[31m c",),)),
    ("Hoa\u0300", (("Hoà",),)),
    ("<script>alert(1)</script>", (("<script>alert(1)</script>",),)),
])
def test_a_summary_keeps_its_paragraphs_and_line_breaks(
        text: str, expected: tuple[tuple[str, ...], ...]) -> None:
    assert summary_paragraphs(text) == expected


def test_a_very_long_summary_is_clipped_and_says_so() -> None:
    paragraphs = summary_paragraphs("Gương tốt. " * 2000)

    assert paragraphs[-1] == (CLIPPED,)
    assert paragraphs[0][0].endswith("…") and len(paragraphs[0][0]) <= 6001


def test_a_mail_without_a_summary_points_to_its_files() -> None:
    blank = submission(HOA_NGHIA, day=11, summary=" ")
    digest = month(extra={HOA_NGHIA: [DigestSubmission(**{**blank.__dict__, "summary": ""})]})

    units = {u.name: u for u in notice(digest)["units"]}  # type: ignore[attr-defined]
    assert units[HOA_NGHIA].submissions[1].paragraphs == ((NO_SUMMARY,),)


def test_a_units_subject_is_shown_on_one_line() -> None:
    odd = submission(HOA_NGHIA, day=11, subject="Gương\r\nngười tốt\x00 " + "x" * 300)
    digest = month(extra={HOA_NGHIA: [odd]})

    units = {u.name: u for u in notice(digest)["units"]}  # type: ignore[attr-defined]
    shown = units[HOA_NGHIA].submissions[1].subject
    assert shown.startswith("Gương người tốt x") and "\n" not in shown and len(shown) == 200



@pytest.mark.parametrize(("submissions", "limit"), [
    (0, 6000), (1, 6000), (80, 6000), (100, 4800), (3000, MIN_SUMMARY), (10**6, MIN_SUMMARY)])
def test_the_more_mails_a_package_lists_the_shorter_each_summary(
        submissions: int, limit: int) -> None:
    assert summary_limit(submissions) == limit


def test_a_large_package_clips_each_summary_in_the_letter() -> None:
    long_text = "Đồng chí Lê Văn Cường cứu người đuối nước. " * 200  # ~8,600 characters
    digest = month(extra={HOA_NGHIA: [submission(HOA_NGHIA, day=d % 28 + 1, summary=long_text)
                                      for d in range(400)]})
    shown = summary_limit(sum(len(s.submissions) for s in digest.sections))

    units = {u.name: u for u in notice(digest)["units"]}  # type: ignore[attr-defined]
    clipped = [s.paragraphs for s in units[HOA_NGHIA].submissions
               if s.paragraphs[-1] == (CLIPPED,)]
    assert shown < 6000 and len(clipped) == 400
    assert all(len(p[0][0]) <= shown + 1 for p in clipped)


def test_only_part_one_lists_what_each_unit_sent() -> None:
    digest = month()
    first, second = parts(digest, total=2)

    assert notice(digest, first)["units"]
    assert notice(digest, second)["units"] == []
