from typing import Any

import pytest

from mailbot.core.matching import Match, Roster, match_unit
from tests.core.samples import UNITS, addr, mail

ROSTER = Roster(UNITS, learned={"clerk.daphuc@gmail.com": "da-phuc"})
REMINDER = "reminder.2023-10.hoa-nghia@mailbot.noivu.example.gov.vn"
ACK = "ack.2023-09.tan-thanh@mailbot.noivu.example.gov.vn"
SENT = {REMINDER: "hoa-nghia", ACK: "tan-thanh", "gone@mailbot.example": "merged-unit"}
STRANGER = addr("nguyenvana1980@gmail.com", "Nguyễn Văn A")
NEUTRAL = "Gương người tốt việc tốt tháng 10/2023"


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        pytest.param({}, Match("hoa-nghia", "From address ubndhoanghia@example.gov.vn"),
                     id="From address"),
        pytest.param({"from_": addr("VanThu.HoaNghia@gmail.com")},
                     Match("hoa-nghia", "From address vanthu.hoanghia@gmail.com"),
                     id="clerk's Gmail, any case"),
        pytest.param({"from_": addr("clerk.daphuc@gmail.com")},
                     Match("da-phuc", "From address clerk.daphuc@gmail.com"),
                     id="address the office taught"),
        pytest.param({"from_": STRANGER, "in_reply_to": (REMINDER,)},
                     Match("hoa-nghia", f"reply to mailbot message <{REMINDER}>"),
                     id="reply to a reminder from an unknown address"),
        pytest.param({"from_": addr("ubnddaphuc@example.gov.vn"), "in_reply_to": (REMINDER,)},
                     Match("hoa-nghia", f"reply to mailbot message <{REMINDER}>"),
                     id="the reply beats the From address"),
        pytest.param({"from_": STRANGER, "in_reply_to": ("someone@else",),
                      "references": (REMINDER, ACK, "someone@else")},
                     Match("tan-thanh", f"reply to mailbot message <{ACK}>"),
                     id="newest mailbot reference wins"),
        pytest.param({"from_": STRANGER, "subject": NEUTRAL,
                      "in_reply_to": ("gone@mailbot.example",)}, None,
                     id="reply to mail for a unit no longer on the roster"),
        pytest.param({"from_": STRANGER, "reply_to": (addr("ubndtanthanh@example.gov.vn"),)},
                     Match("tan-thanh", "Reply-To address ubndtanthanh@example.gov.vn"),
                     id="Reply-To"),
        pytest.param({"from_": STRANGER, "sender": addr("hoinongdan@example.gov.vn")},
                     Match("nong-dan", "Sender address hoinongdan@example.gov.vn"),
                     id="Sender"),
        pytest.param({"from_": addr("noivuduongkinh@example.com"),
                      "forwarded_from": addr("ttyt@example.gov.vn")},
                     Match("ttyt", "original sender of a forward ttyt@example.gov.vn"),
                     id="forward by the office of a unit's mail"),
        pytest.param({"from_": STRANGER, "subject": "GNTVT tháng 10/2023 - phuong Hoa Nghia"},
                     Match("hoa-nghia", "unit name in subject ('phường Hòa Nghĩa')"),
                     id="alias in the subject, without diacritics"),
        pytest.param({"from_": STRANGER, "subject": "Gửi Phòng Nội vụ GNTVT của Hội Nông dân quận"},
                     Match("nong-dan", "unit name in subject ('Hội Nông dân quận')"),
                     id="longest name in the subject wins"),
        pytest.param({"from_": STRANGER,
                      "subject": "GNTVT UBND phường Tân Thành, UBND phường Hải Thành"}, None,
                     id="two units named equally"),
        pytest.param({"from_": STRANGER, "subject": "Ông Nguyễn Văn An phường Hòa Nghĩabc"}, None,
                     id="names match whole words only"),
        pytest.param({"from_": STRANGER, "subject": NEUTRAL}, None, id="nothing to go on"),
        pytest.param({"from_": None, "subject": "Không tiêu đề"}, None, id="no From at all"),
    ],
)
def test_it_matches_a_mail_to_the_unit_it_comes_from(
    fields: dict[str, Any], expected: Match | None
) -> None:
    assert match_unit(mail(**fields), ROSTER, SENT) == expected


@pytest.mark.parametrize(
    ("match", "is_reply", "by_subject"),
    [
        (Match("hoa-nghia", f"reply to mailbot message <{REMINDER}>"), True, False),
        (Match("hoa-nghia", "From address ubndhoanghia@example.gov.vn"), False, False),
        (Match("hoa-nghia", "unit name in subject ('phuong hoa nghia')"), False, True),
    ],
)
def test_a_match_tells_replies_and_subject_guesses_apart(
    match: Match, is_reply: bool, by_subject: bool
) -> None:
    assert (match.is_reply, match.by_subject) == (is_reply, by_subject)
