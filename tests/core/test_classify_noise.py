"""Mail that is not a submission whoever sent it: old, mailbot's own, bounces, auto-replies."""

from datetime import UTC, date, datetime
from typing import Any

import pytest

from mailbot.core.classify import Policy, classify
from mailbot.core.matching import Match
from mailbot.core.model import DeliveryReport, Disposition
from mailbot.core.periods import Schedule
from tests.core.samples import HCM, MAILBOT_DOMAIN, OFFICE, addr, at, mail

POLICY = Policy(tz=HCM, import_since=date(2023, 10, 1), own_addresses=frozenset({OFFICE}),
                own_domain=MAILBOT_DOMAIN, schedule=Schedule())
BY_ADDRESS = Match("hoa-nghia", "From address ubndhoanghia@example.gov.vn")
BY_SUBJECT = Match("hoa-nghia", "unit name in subject ('ubnd phuong hoa nghia')")
DAEMON = addr("MAILER-DAEMON@example.gov.vn", "Mail Delivery System")
POSTMASTER = addr("postmaster@outlook.com")
ON_TIME = at(2023, 10, 10, 9, 30)
NEWSLETTER = {"from_": addr("bantin@thiduakhenthuong.example.vn"),
              "list_id": "Bản tin thi đua <bantin.thiduakhenthuong.example.vn>"}


@pytest.mark.parametrize(
    ("fields", "match", "arrived", "disposition", "reason"),
    [
        pytest.param({}, BY_ADDRESS, at(2023, 9, 30, 23, 59), Disposition.BASELINE,
                     "arrived 2023-09-30, before import_since 2023-10-01", id="before import"),
        pytest.param({"from_": addr(OFFICE)}, None, at(2023, 9, 20), Disposition.BASELINE,
                     "before import_since", id="old mail of mailbot's own is baseline too"),
        pytest.param({}, BY_ADDRESS, datetime(2023, 9, 30, 17, 30, tzinfo=UTC),
                     Disposition.SUBMISSION, "submission",
                     id="UTC 30 September is 1 October in Ho Chi Minh City"),
        pytest.param({"from_": addr("NoiVuDuongKinh@example.com")}, None, ON_TIME,
                     Disposition.OWN, f"From address {OFFICE} is mailbot's own", id="own From"),
        pytest.param({"message_id": f"ack.2023-10.hoa-nghia@{MAILBOT_DOMAIN}"}, BY_ADDRESS,
                     ON_TIME, Disposition.OWN, f"Message-ID domain {MAILBOT_DOMAIN}",
                     id="own Message-ID"),
        pytest.param({"from_": DAEMON, "subject": "Undelivered Mail Returned to Sender",
                      "auto_submitted": "auto-replied",
                      "delivery_report": DeliveryReport(("ubndhoanghia@example.gov.vn",))},
                     None, ON_TIME, Disposition.BOUNCE,
                     "DSN: delivery to ubndhoanghia@example.gov.vn failed", id="DSN"),
        pytest.param({"from_": DAEMON, "subject": "Mail delivery failed: returning message"},
                     None, ON_TIME, Disposition.BOUNCE, "'mail delivery failed'",
                     id="plain mailer-daemon notice"),
        pytest.param({"from_": POSTMASTER, "subject": "Undeliverable: Gương người tốt T10/2023"},
                     None, ON_TIME, Disposition.BOUNCE, "bounce from postmaster@outlook.com",
                     id="Outlook bounce"),
        pytest.param({"from_": addr("mailer-daemon@googlemail.com"),
                      "subject": "Delivery Status Notification (Failure)"},
                     None, ON_TIME, Disposition.BOUNCE, "delivery status notification",
                     id="Gmail bounce"),
        pytest.param({"from_": DAEMON, "subject": "Returned mail: see transcript for details"},
                     None, ON_TIME, Disposition.BOUNCE, "returned mail", id="sendmail bounce"),
        pytest.param({"from_": DAEMON, "subject": "Báo cáo tuần", "attachments": ()}, None,
                     ON_TIME, Disposition.IGNORED, "unknown sender",
                     id="mailer-daemon without a bounce subject is not a bounce"),
        pytest.param({"auto_submitted": "auto-replied; owner-email=ubndhoanghia@example.gov.vn"},
                     BY_ADDRESS, ON_TIME, Disposition.AUTO_REPLY, "Auto-Submitted: auto-replied",
                     id="Auto-Submitted"),
        pytest.param({"auto_submitted": "No"}, BY_ADDRESS, ON_TIME, Disposition.SUBMISSION,
                     "submission", id="Auto-Submitted: no is a person"),
        pytest.param({"x_autoreply": True}, BY_ADDRESS, ON_TIME, Disposition.AUTO_REPLY,
                     "X-Autoreply", id="X-Autoreply"),
        pytest.param({"precedence": "Bulk"}, BY_ADDRESS, ON_TIME, Disposition.AUTO_REPLY,
                     "Precedence: bulk", id="Precedence bulk"),
        pytest.param({"precedence": "auto_reply"}, BY_ADDRESS, ON_TIME, Disposition.AUTO_REPLY,
                     "Precedence: auto_reply", id="Precedence auto_reply"),
        pytest.param({"subject": "Automatic reply: Gương người tốt việc tốt tháng 10/2023"},
                     BY_ADDRESS, ON_TIME, Disposition.AUTO_REPLY, "'automatic reply'",
                     id="Outlook automatic reply"),
        pytest.param({"subject": "Auto: Nhắc nhở gửi gương người tốt"}, BY_ADDRESS, ON_TIME,
                     Disposition.AUTO_REPLY, "'auto'", id="Lotus Auto:"),
        pytest.param({"subject": "Out of Office: GNTVT"}, BY_ADDRESS, ON_TIME,
                     Disposition.AUTO_REPLY, "'out of office'", id="Out of Office"),
        pytest.param({"subject": "Trả lời tự động: Nhắc nhở"}, BY_ADDRESS, ON_TIME,
                     Disposition.AUTO_REPLY, "'tra loi tu dong'", id="Trả lời tự động"),
        pytest.param({"subject": "Vắng mặt đến ngày 20/10"}, BY_ADDRESS, ON_TIME,
                     Disposition.AUTO_REPLY, "'vang mat'", id="Vắng mặt"),
        pytest.param({"subject": "Automobile club: gương người tốt"}, BY_ADDRESS, ON_TIME,
                     Disposition.SUBMISSION, "submission", id="prefixes match whole words"),
        pytest.param(NEWSLETTER | {"subject": "Bản tin thi đua số 10"}, None, ON_TIME,
                     Disposition.IGNORED, "mailing list (List-Id: Bản tin thi đua",
                     id="newsletter"),
        pytest.param(NEWSLETTER | {"precedence": "bulk"}, BY_SUBJECT, ON_TIME,
                     Disposition.IGNORED, "mailing list",
                     id="newsletter naming a unit in its subject"),
        pytest.param({"list_id": "<vanthu-hoanghia.googlegroups.com>", "precedence": "list"},
                     BY_ADDRESS, ON_TIME, Disposition.SUBMISSION, "submission",
                     id="a unit writing through a Google Group is still the unit"),
    ],
)
def test_it_recognises_mail_that_is_not_a_submission(
    fields: dict[str, Any], match: Match | None, arrived: datetime,
    disposition: Disposition, reason: str,
) -> None:
    verdict = classify(mail(**fields), arrived=arrived, match=match, policy=POLICY,
                       compiled_at={})
    assert (verdict.disposition, verdict.reason) == (disposition, verdict.reason)
    assert reason in verdict.reason
