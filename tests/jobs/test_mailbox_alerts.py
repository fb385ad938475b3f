"""The office hears once when the mailbox cannot be read, and once when it can again."""

from __future__ import annotations

import email
import email.policy
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from mailbot.app import App
from mailbot.config import load_config
from mailbot.jobs.alerts import mailbox_back, mailbox_down
from mailbot.jobs.outgoing import deliver_outbox
from tests.servers.dovecot import ImapAccount
from tests.servers.smtp import SmtpServer
from tests.support import OFFICE_BOSS, Mailbot, write_config

pytestmark = pytest.mark.sqlite_only  # its tests write their own SQLite config


def test_one_alert_per_outage_after_the_threshold_then_one_recovery_notice(
        tmp_path: Path, imap_account: ImapAccount, smtp_server: SmtpServer,
        mailbot: Mailbot) -> None:
    app = App.open(load_config(write_config(tmp_path, imap_account, smtp=smtp_server)))
    try:
        since = datetime(2023, 10, 10, 1, 0, tzinfo=UTC)
        after = timedelta(minutes=30)
        assert not mailbox_down(app, since, since + timedelta(minutes=29), "timed out", after)
        assert mailbox_down(app, since, since + timedelta(minutes=31), "timed out", after)
        assert not mailbox_down(app, since, since + timedelta(minutes=45), "timed out", after)
        assert mailbox_back(app, since, since + timedelta(minutes=50))
        assert not mailbox_back(app, since, since + timedelta(minutes=55))
        deliver_outbox(app, since + timedelta(minutes=50))
    finally:
        app.close()
    got = smtp_server.wait_for(2)
    assert [m.rcpt_tos for m in got] == [(OFFICE_BOSS,), (OFFICE_BOSS,)]
    down, back = (email.message_from_bytes(m.raw, policy=email.policy.default) for m in got)
    assert "không đọc được hộp thư" in str(down["Subject"])
    assert "08:00 ngày 10/10/2023" in str(down["Subject"])
    assert "trở lại" in str(back["Subject"])


def test_a_short_outage_that_ends_before_the_threshold_mails_nobody(
        tmp_path: Path, imap_account: ImapAccount, smtp_server: SmtpServer,
        mailbot: Mailbot) -> None:
    app = App.open(load_config(write_config(tmp_path, imap_account, smtp=smtp_server)))
    try:
        since = datetime(2023, 10, 10, 1, 0, tzinfo=UTC)
        assert not mailbox_down(app, since, since + timedelta(minutes=5), "x",
                                timedelta(minutes=30))
        assert not mailbox_back(app, since, since + timedelta(minutes=6))
    finally:
        app.close()
    assert smtp_server.messages == []
