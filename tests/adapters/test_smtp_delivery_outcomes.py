"""What deliver() says became of each email, against a real SMTP server on loopback."""

from __future__ import annotations

import time
from typing import Any

from mailbot.adapters.smtp import Outgoing, deliver
from mailbot.config import SmtpConfig
from tests.builders import make_mail
from tests.servers.smtp import SmtpServer

OFFICE = "phongnoivu@example.gov.vn"
UNIT = "ubndhoanghia@example.gov.vn"
QUOTA = "5.4.5 Daily user sending quota exceeded. https://support.google.com/a/answer/166852"


def config(server: SmtpServer, **changes: Any) -> SmtpConfig:
    values: dict[str, Any] = {
        "host": server.host, "port": server.port, "security": "plain", "username": "",
        "password": "", "from_address": OFFICE, "timeout": 5.0}
    return SmtpConfig(**(values | changes))


def email(key: int, *rcpt_to: str) -> Outgoing:
    raw = make_mail(subject=f"Nhắc nộp báo cáo số {key}", sender=OFFICE, to=UNIT,
                    message_id=f"<reminder-{key}@example.gov.vn>")
    return Outgoing(key=key, mail_from=OFFICE, rcpt_to=rcpt_to or (UNIT,), raw=raw)


def statuses(outcomes: list[Any]) -> list[tuple[int, str]]:
    return [(o.key, o.status) for o in outcomes]


def test_it_sends_a_batch_over_one_connection_and_the_bytes_arrive_unchanged(
    smtp_server: SmtpServer,
) -> None:
    batch = [email(1), email(2, UNIT, "vanphong@example.gov.vn"), email(3)]
    outcomes = deliver(config(smtp_server), batch)
    assert statuses(outcomes) == [(1, "sent"), (2, "sent"), (3, "sent")]
    assert all(o.detail == "250 OK queued" and not o.refused for o in outcomes)
    assert smtp_server.connections == 1
    received = smtp_server.wait_for(3)
    assert [r.raw for r in received] == [e.raw for e in batch]
    assert received[1].rcpt_tos == (UNIT, "vanphong@example.gov.vn")
    assert received[0].mail_from == OFFICE


def test_it_opens_a_new_connection_after_max_per_connection_emails(
    smtp_server: SmtpServer,
) -> None:
    outcomes = deliver(config(smtp_server, max_per_connection=2), [email(k) for k in (1, 2, 3)])
    assert [o.status for o in outcomes] == ["sent"] * 3
    assert smtp_server.connections == 2


def test_a_421_is_tried_once_more_on_a_new_connection_in_the_same_call(
    smtp_server: SmtpServer,
) -> None:
    smtp_server.fail_next(1, 421, "MAIL", "4.7.0 Try again later, closing connection")
    outcomes = deliver(config(smtp_server), [email(1), email(2)])
    assert statuses(outcomes) == [(1, "sent"), (2, "sent")]
    assert smtp_server.connections == 2


def test_a_second_421_for_the_same_email_is_retry_and_stops_the_batch(
    smtp_server: SmtpServer,
) -> None:
    smtp_server.fail_next(2, 421, "MAIL", "4.7.0 Try again later, closing connection")
    first, second = deliver(config(smtp_server), [email(1), email(2)])
    assert (first.status, second.status) == ("retry", "retry")
    assert "421 4.7.0 Try again later" in first.detail
    assert second.detail.startswith("not tried:")
    assert smtp_server.messages == []


def test_a_451_at_rcpt_is_retry_and_the_batch_goes_on(smtp_server: SmtpServer) -> None:
    smtp_server.fail_next(1, 451, "RCPT", "4.3.0 Mailbox temporarily unavailable")
    first, second = deliver(config(smtp_server), [email(1), email(2)])
    assert (first.status, second.status) == ("retry", "sent")
    assert first.detail.endswith(f"{UNIT}: 451 4.3.0 Mailbox temporarily unavailable")
    assert smtp_server.connections == 1


def test_a_550_for_every_recipient_is_failed(smtp_server: SmtpServer) -> None:
    smtp_server.fail_next(1, 550, "RCPT", "5.1.1 The email account does not exist")
    (outcome,) = deliver(config(smtp_server), [email(1, UNIT, "vanphong@example.gov.vn")])
    assert outcome.status == "failed"
    assert outcome.detail.startswith("all recipients refused: ")
    assert f"{UNIT}: 550 5.1.1 The email account does not exist" in outcome.detail


def test_one_refused_recipient_of_two_is_sent_with_the_refusal_named(
    smtp_server: SmtpServer,
) -> None:
    smtp_server.refuse("gone@example.gov.vn", 550, "5.1.1 No such user")
    (outcome,) = deliver(config(smtp_server), [email(1, UNIT, "gone@example.gov.vn")])
    assert outcome.status == "sent"
    assert outcome.refused == {"gone@example.gov.vn": "550 5.1.1 No such user"}
    assert smtp_server.wait_for(1)[0].rcpt_tos == (UNIT,)


def test_a_552_at_data_is_failed_and_a_451_at_data_is_retry(smtp_server: SmtpServer) -> None:
    smtp_server.fail_next(1, 552, "DATA", "5.3.4 Message too big")
    smtp_server.fail_next(1, 451, "DATA", "4.3.0 Local error")
    outcomes = deliver(config(smtp_server), [email(1), email(2), email(3)])
    assert statuses(outcomes) == [(1, "failed"), (2, "retry"), (3, "sent")]
    assert outcomes[0].detail == "DATA refused: 552 5.3.4 Message too big"


def test_gmails_daily_quota_550_is_retry_and_the_rest_is_not_tried(
    smtp_server: SmtpServer,
) -> None:
    smtp_server.fail_next(1, 550, "MAIL", QUOTA)
    first, second = deliver(config(smtp_server), [email(1), email(2)])
    assert first.status == "retry"
    assert first.detail == f"MAIL FROM refused: 550 {QUOTA}"
    assert (second.status, second.detail) == ("retry", f"not tried: {first.detail}")
    assert smtp_server.messages == []


def test_a_connection_dropped_after_data_is_unknown_and_the_next_email_still_goes(
    smtp_server: SmtpServer,
) -> None:
    smtp_server.drop_next(1)
    first, second = deliver(config(smtp_server), [email(1), email(2)])
    assert first.status == "unknown"
    assert "may have it" in first.detail
    assert second.status == "sent"
    assert [r.raw for r in smtp_server.dropped] == [email(1).raw]
    assert [r.raw for r in smtp_server.wait_for(1)] == [email(2).raw]


def test_a_server_silent_after_data_is_unknown_within_the_timeout_and_stops_the_batch(
    smtp_server: SmtpServer,
) -> None:
    smtp_server.hang_next(1)
    started = time.monotonic()
    first, second = deliver(config(smtp_server, timeout=0.5), [email(1), email(2)])
    assert time.monotonic() - started < 0.95
    assert first.status == "unknown"
    assert "Timed out" in first.detail
    assert (second.status, second.detail.startswith("not tried:")) == ("retry", True)


def test_before_data_can_keep_an_email_from_being_sent(smtp_server: SmtpServer) -> None:
    asked: list[int] = []

    def claim(key: int) -> bool:
        asked.append(key)
        return key != 1

    outcomes = deliver(config(smtp_server), [email(1), email(2)], before_data=claim)
    assert statuses(outcomes) == [(1, "skipped"), (2, "sent")]
    assert asked == [1, 2]
    assert [r.raw for r in smtp_server.wait_for(1)] == [email(2).raw]


def test_a_421_after_data_is_retry_without_a_second_try_and_the_batch_goes_on(
    smtp_server: SmtpServer,
) -> None:
    smtp_server.fail_next(1, 421, "DATA", "4.7.0 Too many messages, closing connection")
    first, second = deliver(config(smtp_server), [email(1), email(2)])
    assert (first.status, second.status) == ("retry", "sent")
    assert first.detail == "DATA refused: 421 4.7.0 Too many messages, closing connection"
    assert [r.raw for r in smtp_server.wait_for(1)] == [email(2).raw]


def test_an_address_smtp_cannot_carry_is_failed_and_the_batch_goes_on(
    smtp_server: SmtpServer,
) -> None:
    first, second = deliver(config(smtp_server), [email(1, "người@example.gov.vn"), email(2)])
    assert (first.status, second.status) == ("failed", "sent")
    assert first.detail.startswith("RCPT TO: invalid address")
    assert smtp_server.connections == 1
