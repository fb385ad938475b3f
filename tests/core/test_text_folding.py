import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mailbot.core.text import fold, nfc


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("UBND phường Hoà Nghĩa", "ubnd phuong hoa nghia"),
        ("ubnd Phuong HÒA nghĩa", "ubnd phuong hoa nghia"),
        ("UBND phường Đa Phúc", "ubnd phuong da phuc"),
        ("ĐIỂN HÌNH TIÊN TIẾN", "dien hinh tien tien"),
        ("Gương người tốt, việc tốt!!", "guong nguoi tot viec tot"),
        ("  Phòng Tài chính - Kế hoạch  ", "phong tai chinh ke hoach"),
        ("T.10/2023__GNTVT", "t 10 2023 gntvt"),
        ("Ủy ban MTTQ Việt Nam quận", "uy ban mttq viet nam quan"),
        ("", ""),
        ("---", ""),
    ],
)
def test_it_folds_case_diacritics_and_punctuation_away(text: str, folded: str) -> None:
    assert fold(text) == folded


@pytest.mark.parametrize(
    "text", ["UBND phường Hòa Nghĩa", "Ủy ban MTTQ Việt Nam quận", "Hội Liên hiệp Phụ nữ"]
)
def test_it_folds_nfd_input_like_nfc_input(text: str) -> None:
    assert fold(unicodedata.normalize("NFD", text)) == fold(text)


def test_it_composes_decomposed_text_with_nfc() -> None:
    decomposed = unicodedata.normalize("NFD", "Hưng Đạo")
    assert decomposed != "Hưng Đạo"
    assert nfc(decomposed) == "Hưng Đạo"


@given(st.text())
def test_folding_is_idempotent(text: str) -> None:
    assert fold(fold(text)) == fold(text)


@given(st.text())
def test_folded_text_has_single_spaces_and_no_edges(text: str) -> None:
    folded = fold(text)
    assert "  " not in folded
    assert folded == folded.strip()
