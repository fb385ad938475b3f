"""build_digest: one section per unit, in the order and with the standing the Board reads."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mailbot.core.digest import build_digest
from mailbot.core.digest_model import Digest, SubmissionRecord, UnitSection
from mailbot.core.model import Period, Unit
from tests.core.digest_samples import COMPILED, OCTOBER, ROSTER, filed, stored
from tests.core.samples import (
    ANH_DUNG,
    DA_PHUC,
    HAI_THANH,
    MTTQ,
    NONG_DAN,
    TAN_THANH,
    UNITS,
    at,
)

SEPTEMBER = Period(2023, 9)


def digest(records: Sequence[SubmissionRecord] = (), *, units: Sequence[Unit] = UNITS,
           excused: Mapping[str, str] | None = None,
           supplements: Sequence[SubmissionRecord] = ()) -> Digest:
    return build_digest(OCTOBER, units=units, records=records, excused=excused or {},
                        compiled_at=COMPILED, supplements=supplements)


def section(d: Digest, code: str) -> UnitSection:
    return next(s for s in d.sections if s.unit.code == code)


def test_the_sections_follow_vietnamese_alphabetical_order_of_40_units() -> None:
    d = digest(units=list(reversed(ROSTER)))
    assert [s.unit.name for s in d.sections] == [
        "Ban Dân vận Quận ủy", "Ban Quản lý dự án đầu tư xây dựng quận", "Ban Tổ chức Quận ủy",
        "Ban Tuyên giáo Quận ủy", "Hội Cựu chiến binh quận", "Hội Liên hiệp Phụ nữ quận",
        "Hội Nông dân quận", "Liên đoàn Lao động quận", "Phòng Giáo dục và Đào tạo",
        "Phòng Kinh tế", "Phòng Lao động - Thương binh và Xã hội", "Phòng Nội vụ",
        "Phòng Quản lý đô thị", "Phòng Tài chính - Kế hoạch", "Phòng Tài nguyên và Môi trường",
        "Phòng Tư pháp", "Phòng Văn hóa và Thông tin", "Phòng Y tế", "Quận đoàn",
        "Thanh tra quận", "Trung tâm Phát triển quỹ đất quận",
        "Trung tâm Văn hóa - Thông tin và Thể thao quận", "Trung tâm Y tế quận",
        "Trường Mầm non Đa Phúc", "Trường Mầm non Tân Thành", "Trường THCS Anh Dũng",
        "Trường THCS Đa Phúc", "Trường THCS Hải Thành", "Trường Tiểu học Hòa Nghĩa",
        "Trường Tiểu học Hưng Đạo", "UBND phường Anh Dũng", "UBND phường Đa Phúc",
        "UBND phường Hải Thành", "UBND phường Hòa Nghĩa", "UBND phường Hưng Đạo",
        "UBND phường Tân Thành", "Ủy ban Kiểm tra Quận ủy", "Ủy ban MTTQ Việt Nam quận",
        "Văn phòng HĐND và UBND quận", "Văn phòng Quận ủy",
    ]
    assert [s.number for s in d.sections] == list(range(1, 41))
    assert d.sections[0].folder == "01-Ban Dân vận Quận ủy"
    assert d.sections[-1].folder == "40-Văn phòng Quận ủy"


def test_da_phuc_sorts_after_anh_dung_and_uy_ban_after_ubnd() -> None:
    names = [s.unit.name for s in digest(units=[MTTQ, HAI_THANH, DA_PHUC, ANH_DUNG]).sections]
    assert names == ["UBND phường Anh Dũng", "UBND phường Đa Phúc", "UBND phường Hải Thành",
                     "Ủy ban MTTQ Việt Nam quận"]


@pytest.mark.parametrize(("count", "first", "last"), [
    (1, "01-", "01-"), (9, "01-", "09-"), (99, "01-", "99-"), (100, "001-", "100-"),
    (120, "001-", "120-"),
])
def test_folder_numbers_are_padded_to_the_width_of_the_unit_count(
    count: int, first: str, last: str
) -> None:
    units = [Unit(f"u{i}", f"Tổ dân phố {i:03d}") for i in range(count)]
    folders = [s.folder for s in digest(units=units).sections]
    assert folders[0].startswith(first) and folders[-1].startswith(last)
    assert folders[-1] == f"{last}Tổ dân phố {count - 1:03d}"


def test_a_folder_keeps_a_unit_name_that_holds_a_slash() -> None:
    unit = Unit("ldtbxh", "Phòng Lao động/Thương binh và Xã hội")
    assert digest(units=[unit]).sections[0].folder == "01-Phòng Lao động-Thương binh và Xã hội"


@pytest.mark.parametrize(("records", "excused", "status"), [
    pytest.param([filed("hoa-nghia", 1)], {}, "on_time", id="on time"),
    pytest.param([filed("hoa-nghia", 1, late=True, received_at=at(2023, 10, 16, 9))], {},
                 "late", id="only late"),
    pytest.param([filed("hoa-nghia", 1),
                  filed("hoa-nghia", 2, late=True, received_at=at(2023, 10, 16, 9))], {},
                 "on_time", id="a late addition does not spoil an on-time submission"),
    pytest.param([], {}, "missing", id="nothing sent"),
    pytest.param([], {"hoa-nghia": "sáp nhập"}, "excused", id="excused"),
    pytest.param([filed("hoa-nghia", 1)], {"hoa-nghia": "sáp nhập"}, "on_time",
                 id="a submission beats an excuse"),
    pytest.param([filed("da-phuc", 1)], {}, "missing", id="another unit's mail does not count"),
])
def test_a_section_tells_where_the_unit_stands(
    records: list[SubmissionRecord], excused: dict[str, str], status: str
) -> None:
    assert section(digest(records, excused=excused), "hoa-nghia").status == status


def test_an_empty_month_lists_every_unit_as_missing() -> None:
    d = digest(units=ROSTER)
    assert d.total == 40 and d.sent_count == 0
    assert {s.status for s in d.sections} == {"missing"}
    assert all(s.submissions == () for s in d.sections)
    assert (d.period, d.compiled_at) == (OCTOBER, COMPILED)


def test_a_section_lists_submissions_in_arrival_order_with_their_exemplars() -> None:
    photo, report = stored("IMG_2041.jpg"), stored("Báo cáo thành tích.docx")
    second = filed("hoa-nghia", 7, received_at=at(2023, 10, 14, 16), files=(photo,),
                   body="Bổ sung ảnh.\n\nTrân trọng!\nLan\nĐT: 0912 345 678")
    first = filed("hoa-nghia", 9, received_at=at(2023, 10, 9, 8), files=(report,),
                  body="Gương ông Nguyễn Văn An.\n\nVào Th 2, 9 thg 10, 2023 X đã viết:\n> Nhắc")
    subs = section(digest([second, first]), "hoa-nghia").submissions
    assert [(s.message, s.summary, s.files) for s in subs] == [
        (9, "Gương ông Nguyễn Văn An.", (report,)), (7, "Bổ sung ảnh.", (photo,)),
    ]
    assert all(s.supplement_of is None for s in subs)


def test_submissions_that_arrive_at_the_same_instant_keep_ledger_order() -> None:
    same = at(2023, 10, 10, 9)
    subs = section(digest([filed("hoa-nghia", 5, received_at=same),
                           filed("hoa-nghia", 3, received_at=same)]), "hoa-nghia").submissions
    assert [s.message for s in subs] == [3, 5]


def test_a_supplement_joins_its_units_section_without_changing_its_status() -> None:
    september_late = filed("hoa-nghia", 4, period=SEPTEMBER, late=True,
                           received_at=at(2023, 9, 20, 10), files=(stored("Ảnh.jpg"),))
    october = filed("hoa-nghia", 11, received_at=at(2023, 10, 3, 9))
    d = digest([october], supplements=[september_late,
                                       filed("da-phuc", 5, period=SEPTEMBER, late=True)])
    hoa_nghia, da_phuc = section(d, "hoa-nghia"), section(d, "da-phuc")
    assert [(s.message, s.supplement_of) for s in hoa_nghia.submissions] == [
        (4, SEPTEMBER), (11, None)]
    assert hoa_nghia.status == "on_time"
    assert da_phuc.status == "missing"
    assert [(s.message, s.late, s.supplement_of) for s in da_phuc.submissions] == [
        (5, True, SEPTEMBER)]


def test_an_excused_unit_still_shows_its_supplement() -> None:
    d = digest(excused={"nong-dan": "đại hội"},
               supplements=[filed("nong-dan", 2, period=Period(2023, 8), late=True)])
    assert section(d, "nong-dan").status == "excused"
    assert [s.supplement_of for s in section(d, "nong-dan").submissions] == [Period(2023, 8)]


def test_submissions_of_units_off_the_roster_are_left_out() -> None:
    d = digest([filed("giai-the", 1), filed("tan-thanh", 2)], units=[TAN_THANH, NONG_DAN])
    assert [(s.unit.code, len(s.submissions)) for s in d.sections] == [
        ("nong-dan", 0), ("tan-thanh", 1)]


def test_a_record_of_another_month_must_come_as_a_supplement() -> None:
    with pytest.raises(ValueError, match="filed under 2023-09, not 2023-10"):
        digest([filed("hoa-nghia", 1, period=SEPTEMBER)])


@pytest.mark.parametrize("period", [OCTOBER, Period(2023, 11)])
def test_a_supplement_must_belong_to_an_earlier_month(period: Period) -> None:
    with pytest.raises(ValueError, match="not a month before 2023-10"):
        digest(supplements=[filed("hoa-nghia", 1, period=period)])


@given(st.lists(st.tuples(st.sampled_from([u.code for u in UNITS] + ["giai-the"]),
                          st.booleans(), st.integers(min_value=1, max_value=28)), max_size=30))
def test_every_submission_of_a_roster_unit_appears_once(
    mail: list[tuple[str, bool, int]]
) -> None:
    records = [filed(code, i, late=late, received_at=at(2023, 10, day))
               for i, (code, late, day) in enumerate(mail)]
    d = digest(records, units=UNITS)
    listed = sorted(s.message for sec in d.sections for s in sec.submissions)
    assert listed == [r.message for r in records if r.unit != "giai-the"]
    assert d.sent_count == len({r.unit for r in records if r.unit != "giai-the"})
