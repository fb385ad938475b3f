"""pack_files: every file of the package, named under its unit's folder, each once."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from mailbot.core.digest import build_digest, pack_files
from mailbot.core.digest_model import DigestFile, SubmissionRecord
from mailbot.core.filenames import MAX_BYTES, MAX_CHARS
from mailbot.core.model import Period
from tests.core.digest_samples import COMPILED, OCTOBER, filed, stored
from tests.core.samples import UNITS, at


def packed(records: Sequence[SubmissionRecord],
           supplements: Sequence[SubmissionRecord] = ()) -> list[tuple[str, DigestFile]]:
    d = build_digest(OCTOBER, units=UNITS, records=records, excused={}, compiled_at=COMPILED,
                     supplements=supplements)
    return [(p.archive_name, p.file) for p in pack_files(d)]


def names(records: Sequence[SubmissionRecord]) -> list[str]:
    return [name.split("/", 1)[1] for name, _ in packed(records)]


def test_files_go_in_section_order_then_arrival_order() -> None:
    report, photo, lst = stored("Báo cáo.docx"), stored("IMG_01.jpg"), stored("Danh sách.xlsx")
    result = packed([
        filed("tan-thanh", 1, received_at=at(2023, 10, 2), files=(lst,)),
        filed("hoa-nghia", 3, received_at=at(2023, 10, 12), files=(photo,)),
        filed("hoa-nghia", 2, received_at=at(2023, 10, 5), files=(report,)),
    ])
    d = build_digest(OCTOBER, units=UNITS, records=[], excused={}, compiled_at=COMPILED)
    folders = {s.unit.code: s.folder for s in d.sections}
    assert result == [
        (f"{folders['hoa-nghia']}/Báo cáo.docx", report),
        (f"{folders['hoa-nghia']}/IMG_01.jpg", photo),
        (f"{folders['tan-thanh']}/Danh sách.xlsx", lst),
    ]
    assert folders["hoa-nghia"].endswith("-UBND phường Hòa Nghĩa")


def test_packed_files_name_their_unit() -> None:
    d = build_digest(OCTOBER, units=UNITS, excused={}, compiled_at=COMPILED,
                     records=[filed("da-phuc", 1, files=(stored("a.pdf"),))])
    assert [p.unit for p in pack_files(d)] == ["da-phuc"]


def test_clashing_names_in_a_folder_are_numbered() -> None:
    first = filed("hoa-nghia", 1, received_at=at(2023, 10, 5), files=(
        stored("Báo cáo.docx", b"v1"), stored("IMG_01.jpg", b"p1"), stored("README", b"r1")))
    second = filed("hoa-nghia", 2, received_at=at(2023, 10, 9), files=(
        stored("Báo cáo.docx", b"v2"), stored("img_01.JPG", b"p2"), stored("README", b"r2"),
        stored("Báo cáo.docx", b"v3")))
    assert names([first, second]) == [
        "Báo cáo.docx", "IMG_01.jpg", "README",
        "Báo cáo (2).docx", "img_01 (2).JPG", "README (2)", "Báo cáo (3).docx",
    ]


def test_a_number_skips_a_name_the_unit_already_used() -> None:
    sent = filed("hoa-nghia", 1, files=(stored("a.pdf", b"1"), stored("a (2).pdf", b"2"),
                                        stored("a.pdf", b"3")))
    assert names([sent]) == ["a.pdf", "a (2).pdf", "a (3).pdf"]


def test_the_same_name_in_two_units_needs_no_number() -> None:
    result = packed([filed("hoa-nghia", 1, files=(stored("Báo cáo.docx", b"x"),)),
                     filed("da-phuc", 2, files=(stored("Báo cáo.docx", b"y"),))])
    assert [name.split("/", 1)[1] for name, _ in result] == ["Báo cáo.docx", "Báo cáo.docx"]


def test_the_same_bytes_sent_again_by_a_unit_travel_once() -> None:
    report = stored("Báo cáo.docx", b"same bytes")
    again = stored("Báo cáo (bản gửi lại).docx", b"same bytes")
    result = packed([filed("hoa-nghia", 1, received_at=at(2023, 10, 5), files=(report, report)),
                     filed("hoa-nghia", 2, received_at=at(2023, 10, 9), files=(again,))])
    assert [(name.split("/", 1)[1], f) for name, f in result] == [("Báo cáo.docx", report)]


def test_the_same_bytes_from_two_units_travel_with_each() -> None:
    form = stored("Mẫu báo cáo.docx", b"the office's own template")
    result = packed([filed("hoa-nghia", 1, files=(form,)), filed("da-phuc", 2, files=(form,))])
    assert len(result) == 2


def test_a_supplements_files_travel_in_its_units_folder() -> None:
    late = filed("hoa-nghia", 1, period=Period(2023, 9), late=True,
                 received_at=at(2023, 9, 25), files=(stored("Ảnh tháng 9.jpg"),))
    result = packed([filed("hoa-nghia", 2, files=(stored("Ảnh tháng 9.jpg", b"new"),))], [late])
    assert [name.split("/", 1)[1] for name, _ in result] == [
        "Ảnh tháng 9.jpg", "Ảnh tháng 9 (2).jpg"]


@pytest.mark.parametrize("name", [
    pytest.param("a" * (MAX_CHARS - 5) + ".docx", id="as many characters as allowed"),
    pytest.param("ữ" * 78 + ".docx", id="as many UTF-8 bytes as allowed"),
])
def test_a_numbered_long_name_still_fits_a_file_system(name: str) -> None:
    numbered = names([filed("hoa-nghia", 1, files=(stored(name, b"1"), stored(name, b"2")))])[1]
    assert numbered.endswith(" (2).docx") and numbered[:10] == name[:10]
    assert len(numbered) <= MAX_CHARS and len(numbered.encode("utf-8")) <= MAX_BYTES


def test_an_empty_month_packs_nothing() -> None:
    assert packed([]) == []
