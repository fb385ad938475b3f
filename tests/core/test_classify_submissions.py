"""Mail from people: a unit's submission, a unit's other mail, and strangers."""

import dataclasses
from datetime import date, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mailbot.core.authresults import AuthPolicy
from mailbot.core.classify import Policy, classify
from mailbot.core.matching import Match
from mailbot.core.model import Disposition, Period, Verdict
from mailbot.core.periods import Schedule
from tests.core.samples import HCM, JPG, MAILBOT_DOMAIN, OFFICE, PDF, addr, at, mail

POLICY = Policy(tz=HCM, import_since=date(2023, 10, 1), own_addresses=frozenset({OFFICE}),
                own_domain=MAILBOT_DOMAIN, schedule=Schedule())
HOA_NGHIA = Match("hoa-nghia", "From address ubndhoanghia@example.gov.vn")
REPLY = Match("hoa-nghia", f"reply to mailbot message <reminder.2023-10@{MAILBOT_DOMAIN}>")
STRANGER = addr("nguyenvana1980@gmail.com", "Nguyễn Văn A")
MEETING = {"subject": "Mời họp giao ban tuần", "text": "Kính mời dự họp.", "attachments": ()}
OCT, SEP = Period(2023, 10), Period(2023, 9)


def verdict(fields: dict[str, Any], match: Match | None, arrived: datetime) -> Verdict:
    return classify(mail(**fields), arrived=arrived, match=match, policy=POLICY, compiled_at={})


@pytest.mark.parametrize(
    ("fields", "match", "arrived", "expected", "reason"),
    [
        pytest.param({}, HOA_NGHIA, at(2023, 10, 10),
                     Verdict(Disposition.SUBMISSION, "", "hoa-nghia", OCT, False),
                     "submission from hoa-nghia (From address ubndhoanghia@example.gov.vn) "
                     "for 2023-10: 'nguoi tot' in subject, 'nguoi tot' in body, 1 attachment",
                     id="the usual submission"),
        pytest.param({"attachments": ()}, HOA_NGHIA, at(2023, 10, 10),
                     Verdict(Disposition.SUBMISSION, "", "hoa-nghia", OCT, False),
                     "'nguoi tot' in subject", id="keyword without attachment"),
        pytest.param({"subject": "Gửi tài liệu", "text": "", "attachments": (PDF, JPG)},
                     HOA_NGHIA, at(2023, 10, 10),
                     Verdict(Disposition.SUBMISSION, "", "hoa-nghia", OCT, False),
                     ": 2 attachments", id="attachments without keyword"),
        pytest.param(MEETING | {"text": "Đơn vị gửi danh sách điển hình tiên tiến."},
                     HOA_NGHIA, at(2023, 10, 10),
                     Verdict(Disposition.SUBMISSION, "", "hoa-nghia", OCT, False),
                     "'dien hinh' in body", id="keyword in the body only"),
        pytest.param(MEETING | {"text": "", "html": "<p>Gương <b>người tốt</b></p>"},
                     HOA_NGHIA, at(2023, 10, 10),
                     Verdict(Disposition.SUBMISSION, "", "hoa-nghia", OCT, False),
                     "in body", id="keyword in an HTML-only body"),
        pytest.param(MEETING | {"subject": "Re: Nhắc nhở", "text": "Đơn vị đã gửi ạ."}, REPLY,
                     at(2023, 10, 10),
                     Verdict(Disposition.SUBMISSION, "", "hoa-nghia", OCT, False),
                     ": reply to mailbot", id="a bare reply to mailbot's reminder"),
        pytest.param({}, HOA_NGHIA, at(2023, 10, 16, 9),
                     Verdict(Disposition.SUBMISSION, "", "hoa-nghia", OCT, True),
                     "for 2023-10 (late)", id="late"),
        pytest.param({"subject": "Bổ sung GNTVT tháng 9/2023"}, HOA_NGHIA, at(2023, 10, 5),
                     Verdict(Disposition.SUBMISSION, "", "hoa-nghia", SEP, True),
                     "for 2023-09 (late): 'gntvt' in subject", id="supplement for last month"),
        pytest.param(MEETING, HOA_NGHIA, at(2023, 10, 10),
                     Verdict(Disposition.IGNORED, "", "hoa-nghia"),
                     "from unit hoa-nghia (From address ubndhoanghia@example.gov.vn) but no sign "
                     "of a submission", id="a unit's other mail"),
        pytest.param({"from_": STRANGER, "attachments": ()}, None, at(2023, 10, 16),
                     Verdict(Disposition.UNMATCHED, "", None, OCT, True),
                     "but nguyenvana1980@gmail.com is not on the roster; it would count for "
                     "2023-10 (late)", id="stranger with a keyword in the subject"),
        pytest.param({"from_": STRANGER, "subject": "Gửi anh chị", "attachments": (PDF,)}, None,
                     at(2023, 10, 10), Verdict(Disposition.UNMATCHED, "", None, OCT, False),
                     "'nguoi tot' in body, 1 attachment", id="stranger with keyword and file"),
        pytest.param({"from_": STRANGER, "subject": "Gửi anh chị", "attachments": ()}, None,
                     at(2023, 10, 10), Verdict(Disposition.IGNORED, ""),
                     "unknown sender nguyenvana1980@gmail.com: 'nguoi tot' only in the body",
                     id="stranger with a keyword in the body only"),
        pytest.param({"from_": STRANGER, "subject": "Ảnh đi chơi", "text": "Ảnh đây."}, None,
                     at(2023, 10, 10), Verdict(Disposition.IGNORED, ""),
                     "unknown sender nguyenvana1980@gmail.com and no submission keyword",
                     id="stranger with a photo"),
        pytest.param({"from_": None, "subject": "Khuyến mãi", "text": ""}, None,
                     at(2023, 10, 10), Verdict(Disposition.IGNORED, ""),
                     "a sender with no From address", id="no From at all"),
    ],
)
def test_it_files_submissions_and_explains_everything_else(
    fields: dict[str, Any], match: Match | None, arrived: datetime, expected: Verdict,
    reason: str,
) -> None:
    got = verdict(fields, match, arrived)
    assert (got.disposition, got.unit, got.period, got.late) == (
        expected.disposition, expected.unit, expected.period, expected.late)
    assert reason in got.reason


addresses = st.sampled_from(["ubndhoanghia@example.gov.vn", OFFICE, "mailer-daemon@x.vn",
                             "nguyenvana1980@gmail.com"])


@given(
    subject=st.text(max_size=40), text=st.text(max_size=40),
    sender=st.none() | addresses.map(addr),
    auto=st.sampled_from([None, "no", "auto-replied"]),
    list_id=st.sampled_from([None, "<list.example>"]),
    attachments=st.sampled_from([(), (PDF,)]),
    match=st.sampled_from([None, HOA_NGHIA, REPLY]),
    day=st.integers(min_value=1, max_value=28),
)
def test_every_verdict_is_final_and_has_a_reason(
    subject: str, text: str, sender: Any, auto: str | None, list_id: str | None,
    attachments: Any, match: Match | None, day: int,
) -> None:
    fields = {"subject": subject, "text": text, "from_": sender, "auto_submitted": auto,
              "list_id": list_id, "attachments": attachments}
    got = verdict(fields, match, at(2023, 10, day))
    assert got.disposition not in (Disposition.PENDING, Disposition.QUARANTINED)
    assert got.reason
    assert (got.period is not None) == (
        got.disposition in (Disposition.SUBMISSION, Disposition.UNMATCHED))


def test_it_refuses_a_naive_arrival_time() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        verdict({}, HOA_NGHIA, datetime(2023, 10, 10, 9, 30))


GMAIL = AuthPolicy(trusted_authserv_id="mx.google.com")
FAILS = "mx.google.com; spf=fail smtp.mailfrom=a.gov.vn; dmarc=fail header.from=example.gov.vn"
PASSES = "mx.google.com; dmarc=pass header.from=example.gov.vn"


@pytest.mark.parametrize(("headers", "match", "expected"), [
    ((FAILS,), HOA_NGHIA, Disposition.UNVERIFIED),
    ((FAILS,), REPLY, Disposition.UNVERIFIED),  # a reply's From is checked as well
    ((PASSES,), HOA_NGHIA, Disposition.SUBMISSION),
    ((PASSES, FAILS), HOA_NGHIA, Disposition.SUBMISSION),
    ((FAILS,), None, Disposition.UNMATCHED),  # strangers wait for the office anyway
    ((), HOA_NGHIA, Disposition.SUBMISSION),  # unstamped: "accept" by default
])
def test_a_units_mail_the_trusted_server_does_not_vouch_for_is_unverified(
        headers: tuple[str, ...], match: Match | None, expected: Disposition) -> None:
    policy = dataclasses.replace(POLICY, auth=GMAIL)

    v = classify(mail(authentication_results=headers), arrived=at(2023, 10, 10), match=match,
                 policy=policy, compiled_at={})

    assert v.disposition == expected
    if expected == Disposition.UNVERIFIED:
        assert (v.unit, v.period) == ("hoa-nghia", OCT)
        assert v.reason.startswith("sender not verified: DMARC fails for example.gov.vn")
