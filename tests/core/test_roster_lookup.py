import pytest

from mailbot.core.matching import Roster
from mailbot.core.model import Unit
from tests.core.samples import DA_PHUC, HOA_NGHIA, TU_PHAP, UNITS

ROSTER = Roster(
    UNITS,
    learned={
        "Clerk.DaPhuc@Gmail.com": "da-phuc",
        "ubndhoanghia@example.gov.vn": "tu-phap",  # stale: the roster says otherwise
        "ghost@example.com": "no-such-unit",
    },
)


@pytest.mark.parametrize(
    ("code", "unit"), [("hoa-nghia", HOA_NGHIA), ("tu-phap", TU_PHAP), ("Hoa-Nghia", None),
                       ("", None)]
)
def test_it_finds_a_unit_by_its_code(code: str, unit: Unit | None) -> None:
    assert ROSTER.by_code(code) == unit


@pytest.mark.parametrize(
    ("address", "unit"),
    [
        ("ubndhoanghia@example.gov.vn", HOA_NGHIA),
        ("VanThu.HoaNghia@Gmail.com", HOA_NGHIA),  # case-insensitive
        (" <vanthu.hoanghia@gmail.com> ", HOA_NGHIA),
        ("clerk.daphuc@gmail.com", DA_PHUC),  # learned by the office
        ("ubndhoanghia@example.gov.vn", HOA_NGHIA),  # roster beats a learned address
        ("ghost@example.com", None),  # learned, but the unit is gone
        ("stranger@example.com", None),
        ("", None),
    ],
)
def test_it_finds_a_unit_by_address(address: str, unit: Unit | None) -> None:
    assert ROSTER.by_address(address) == unit


def test_an_address_shared_by_two_units_identifies_neither() -> None:
    shared = "vanphong.chung@example.gov.vn"
    roster = Roster((
        Unit("ban-to-chuc", "Ban Tổ chức Quận ủy", emails=(shared,)),
        Unit("ban-dan-van", "Ban Dân vận Quận ủy", emails=(shared,)),
    ))
    assert roster.by_address(shared) is None
