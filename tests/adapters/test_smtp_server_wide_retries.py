"""A "retry" says whether the server (down, over quota) or the email caused it: an
outage must never make the outbox give up on an email."""

from __future__ import annotations

from mailbot.adapters.smtp import deliver
from tests.adapters.test_smtp_delivery_outcomes import QUOTA, config, email
from tests.servers.smtp import SmtpServer


def test_a_server_that_is_down_is_a_server_wide_retry_for_every_email() -> None:
    with SmtpServer() as gone:
        pass
    outcomes = deliver(config(gone), [email(1), email(2)])
    assert [(o.status, o.server_wide) for o in outcomes] == [("retry", True)] * 2


def test_a_quota_is_server_wide_and_a_451_for_one_email_is_not(
        smtp_server: SmtpServer) -> None:
    smtp_server.fail_next(1, 451, "RCPT", "4.2.1 Mailbox busy")
    busy, sent = deliver(config(smtp_server), [email(1), email(2)])
    assert (busy.status, busy.server_wide, sent.status) == ("retry", False, "sent")
    smtp_server.fail_next(1, 550, "MAIL", QUOTA)
    quota, untried = deliver(config(smtp_server), [email(3), email(4)])
    assert [(o.status, o.server_wide) for o in (quota, untried)] == [("retry", True)] * 2


def test_a_553_is_failed_for_that_email_not_held_against_the_server(
        smtp_server: SmtpServer) -> None:
    smtp_server.fail_next(1, 553, "MAIL", "5.7.1 Sender address rejected: not owned by user")
    refused, sent = deliver(config(smtp_server), [email(1), email(2)])
    assert (refused.status, refused.server_wide, sent.status) == ("failed", False, "sent")
    assert refused.detail == ("MAIL FROM refused: 553 5.7.1 Sender address rejected: "
                              "not owned by user")
