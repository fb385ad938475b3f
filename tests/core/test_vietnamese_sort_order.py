import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mailbot.core.text import vietnamese_sort_key


@pytest.mark.parametrize(
    ("earlier", "later"),
    [
        ("Dương Kinh", "Đa Phúc"),  # đ is its own letter after d
        ("Đa Phúc", "Ea Súp"),  # ... and before e
        ("Uông Bí", "Ưng Hòa"),  # ư after u
        ("Ưng Hòa", "Vĩnh Bảo"),  # ... and before v
        ("Anh Dũng", "Ăn Uống"),
        ("Ăn Uống", "Âu Cơ"),
        ("Ô Môn", "Ơn Nghĩa"),
        ("Hải Thành", "Hòa Nghĩa"),
        ("Hòa Nghĩa", "Hoàng Mai"),  # syllable by syllable: "hoa" is a prefix of "hoang"
        ("Hưng Đạo", "Kiến An"),
        ("Tân Thành", "Thanh Xuân"),
        ("Phòng 2", "Phòng Tư pháp"),  # digits before letters
        ("Ma", "Mà"),  # tone is only a tie-breaker: none, huyền, hỏi, ngã, sắc, nặng
        ("Mà", "Mả"),
        ("Mả", "Mã"),
        ("Mã", "Má"),
        ("Má", "Mạ"),
        ("Mạ", "Mac"),  # letters outrank tones
    ],
)
def test_it_orders_names_as_a_vietnamese_reader_expects(earlier: str, later: str) -> None:
    assert vietnamese_sort_key(earlier) < vietnamese_sort_key(later)


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("UBND phường Hoà Nghĩa", "UBND phường Hòa Nghĩa"),  # old and new tone placement
        ("Ủy ban MTTQ", "Uỷ ban MTTQ"),
        ("UBND PHƯỜNG ĐA PHÚC", "ubnd phường đa phúc"),
        ("Hội  Nông dân - quận", "Hội Nông dân quận"),
    ],
)
def test_it_gives_equivalent_spellings_the_same_key(one: str, other: str) -> None:
    assert vietnamese_sort_key(one) == vietnamese_sort_key(other)


def test_it_sorts_the_six_wards_with_da_phuc_after_the_d_names() -> None:
    wards = ["Tân Thành", "Đa Phúc", "Hưng Đạo", "Anh Dũng", "Hòa Nghĩa", "Hải Thành",
             "Dương Kinh"]
    assert sorted(wards, key=vietnamese_sort_key) == [
        "Anh Dũng", "Dương Kinh", "Đa Phúc", "Hải Thành", "Hòa Nghĩa", "Hưng Đạo", "Tân Thành",
    ]


vietnamese_text = st.text(
    alphabet="aăâbcdđeêghiklmnoôơpqrstuưvxyAĂÂĐÊÔƠƯàảãáạằẳẵắặầẩẫấậèẻẽéẹềểễếệìỉĩíịòỏõóọ"
    "ồổỗốộờởỡớợùủũúụừửữứựỳỷỹýỵ ",
    max_size=30,
)


@given(vietnamese_text)
def test_nfc_and_nfd_spellings_sort_alike(name: str) -> None:
    assert vietnamese_sort_key(unicodedata.normalize("NFD", name)) == vietnamese_sort_key(name)


@given(vietnamese_text, vietnamese_text)
def test_the_order_ignores_case(one: str, other: str) -> None:
    same = vietnamese_sort_key(one) < vietnamese_sort_key(other)
    assert (vietnamese_sort_key(one.upper()) < vietnamese_sort_key(other.upper())) == same
