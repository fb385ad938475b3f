import unicodedata

import pytest

from mailbot.core.model import Period
from mailbot.core.periods import subject_period


@pytest.mark.parametrize(
    ("subject", "period"),
    [
        ("Gương người tốt việc tốt tháng 10/2023 - UBND phường Hòa Nghĩa", Period(2023, 10)),
        ("GƯƠNG NGƯỜI TỐT VIỆC TỐT THÁNG 10/2023", Period(2023, 10)),
        ("Tháng 10-2023: báo cáo gương điển hình", Period(2023, 10)),
        ("Guong nguoi tot viec tot thang 10/2023", Period(2023, 10)),
        ("GNTVT T10/2023 Hội Nông dân quận", Period(2023, 10)),
        ("GNTVT T.10/2023", Period(2023, 10)),
        ("Gương người tốt tháng 10 năm 2023", Period(2023, 10)),
        ("Gương người tốt tháng 01/2024", Period(2024, 1)),
        ("Gương người tốt tháng 1/2024", Period(2024, 1)),
        ("gương người tốt tháng 12.2023", Period(2023, 12)),
        ("Re: Fwd: bổ sung tháng 9/2023 (gửi lại tháng 9/2023)", Period(2023, 9)),
        ("Báo cáo GNTVT_T11/2023", Period(2023, 11)),
        ("Gương người tốt việc tốt", None),
        ("Công văn số 10/2023/CV-UBND", None),  # a bare 10/2023 is a document number
        ("Gương người tốt tháng 10", None),  # no year: not explicit enough
        ("Gương người tốt tháng 13/2023", None),
        ("Gương người tốt tháng 0/2023", None),
        ("Bổ sung tháng 9/2023 và tháng 10/2023", None),
        ("Chiến thắng 10/2023", None),  # thắng (to win) is not tháng (month)
        ("Đạt 10/2023", None),  # ...nor is a T ending another word
    ],
)
def test_it_reads_an_explicit_month_from_the_subject(subject: str, period: Period | None) -> None:
    assert subject_period(subject) == period


@pytest.mark.parametrize(
    "subject", ["Gương người tốt việc tốt tháng 10/2023", "Tháng 10 năm 2023"]
)
def test_it_reads_decomposed_subjects_too(subject: str) -> None:
    assert subject_period(unicodedata.normalize("NFD", subject)) == Period(2023, 10)
