"""The test servers are real: a private Dovecot and a recording SMTP server."""

from __future__ import annotations

import smtplib
import time
from datetime import UTC, datetime, timedelta, timezone

import pytest

from tests.servers.dovecot import Dovecot, DovecotError, ImapAccount
from tests.servers.smtp import SmtpServer

HANOI = timezone(timedelta(hours=7))
RAW = (
    "From: =?utf-8?q?UBND_ph=C6=B0=E1=BB=9Dng?= <ubnd@example.gov.vn>\r\n"
    "To: office@example.com\r\n"
    "Subject: =?utf-8?b?R8awxqFuZyBuZ8aw4budaSB04buRdA==?=\r\n"
    "Message-ID: <one@example.gov.vn>\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n"
    "Content-Transfer-Encoding: 8bit\r\n"
    "\r\n"
    "Kính gửi Phòng Nội vụ,\r\n"
    ".a line that starts with a dot\r\n"
    "trailing spaces   \r\n"
).encode()
OTHER = RAW.replace(b"<one@", b"<two@")


def test_it_returns_appended_bytes_unchanged(imap_account: ImapAccount) -> None:
    uid = imap_account.append(RAW)
    assert imap_account.messages() == {uid: RAW}
    with imap_account.client() as client:
        client.select_folder("INBOX", readonly=True)
        assert client.fetch([uid], ["RFC822.SIZE"])[uid][b"RFC822.SIZE"] == len(RAW)


def test_it_reads_back_flags_and_internaldate_and_changes_nothing(
    imap_account: ImapAccount,
) -> None:
    when = datetime(2023, 10, 10, 9, 30, tzinfo=HANOI)
    seen = imap_account.append(RAW, flags=[b"\\Seen", b"$Filed"], internaldate=when)
    unseen = imap_account.append(OTHER, folder="Archive")
    assert imap_account.flags() == {seen: (b"\\Seen", b"$Filed")}
    assert imap_account.messages("Archive") == {unseen: OTHER}
    assert imap_account.flags("Archive") == {unseen: ()}  # read with EXAMINE: still unseen
    with imap_account.client(normalise_times=False) as client:
        client.select_folder("INBOX", readonly=True)
        assert client.fetch([seen], ["INTERNALDATE"])[seen][b"INTERNALDATE"] == when


def test_it_sends_exists_to_an_idle_client_when_another_connection_appends(
    imap_account: ImapAccount,
) -> None:
    with imap_account.client() as watcher:
        watcher.select_folder("INBOX")
        watcher.idle()
        try:
            imap_account.append(RAW)
            responses: list[object] = []
            deadline = time.monotonic() + 5
            while (1, b"EXISTS") not in responses and time.monotonic() < deadline:
                responses += watcher.idle_check(timeout=1)
        finally:
            watcher.idle_done()
    assert (1, b"EXISTS") in responses


def test_it_gives_each_user_an_empty_mailbox_and_a_password_of_its_own(
    dovecot: Dovecot, imap_account: ImapAccount
) -> None:
    other = dovecot.add_user()
    imap_account.append(RAW)
    assert other.messages() == {}
    assert len(imap_account.messages()) == 1
    with pytest.raises(Exception, match="AUTHENTICATIONFAILED"):
        ImapAccount(other.host, other.port, other.username, imap_account.password).client()
    with pytest.raises(ValueError, match="duplicate"):
        dovecot.add_user(other.username)


@pytest.mark.parametrize("folder", ["INBOX", "Hồ sơ tháng 10"])
def test_it_recreates_a_folder_with_a_new_uidvalidity_and_the_same_messages(
    imap_account: ImapAccount, folder: str
) -> None:
    when = datetime(2023, 10, 31, 23, 59, 59, tzinfo=HANOI)
    imap_account.append(RAW, folder=folder, flags=[b"\\Seen"], internaldate=when)
    imap_account.append(OTHER, folder=folder)
    validity, before = imap_account.uidvalidity(folder), imap_account.messages(folder)

    new_validity = imap_account.recreate_folder(folder)

    after = imap_account.messages(folder)
    assert new_validity != validity
    assert imap_account.uidvalidity(folder) == new_validity
    assert list(after.values()) == list(before.values())  # same bytes, same order
    assert set(after).isdisjoint(before)  # and new UIDs
    assert list(imap_account.flags(folder).values()) == [(b"\\Seen",), ()]
    with imap_account.client(normalise_times=False) as client:
        client.select_folder(folder, readonly=True)
        assert client.fetch(min(after), ["INTERNALDATE"])[min(after)][b"INTERNALDATE"] == when


def test_it_keeps_the_mail_across_a_restart_on_the_same_port(fresh_dovecot: Dovecot) -> None:
    account = fresh_dovecot.add_user()
    uid = account.append(RAW)
    port = fresh_dovecot.port
    fresh_dovecot.restart()
    assert fresh_dovecot.port == port
    assert account.messages() == {uid: RAW}


def test_it_reports_an_invalid_config_with_dovecots_own_words(dovecot: Dovecot) -> None:
    broken = Dovecot()
    broken.config.write_text(broken.config.read_text() + "no_such_setting = 1\n")
    with pytest.raises(DovecotError, match="no_such_setting"), broken:
        pass
    assert not broken.root.exists()


def test_it_records_a_message_sent_with_smtplib(smtp_server: SmtpServer) -> None:
    with smtplib.SMTP(smtp_server.host, smtp_server.port, timeout=5) as client:
        client.sendmail("bot@example.com", ["a@example.gov.vn", "b@example.gov.vn"], RAW)
    [received] = smtp_server.wait_for(1)
    assert received.mail_from == "bot@example.com"
    assert received.rcpt_tos == ("a@example.gov.vn", "b@example.gov.vn")
    assert received.raw == RAW  # dot-stuffing undone, CRLF kept
    assert abs(received.received_at - datetime.now(UTC)) < timedelta(seconds=5)


def test_it_answers_451_to_the_next_transaction_and_then_accepts(
    smtp_server: SmtpServer,
) -> None:
    smtp_server.fail_next(1, 451, "DATA")
    with smtplib.SMTP(smtp_server.host, smtp_server.port, timeout=5) as client:
        with pytest.raises(smtplib.SMTPDataError) as refused:
            client.sendmail("bot@example.com", ["a@example.gov.vn"], RAW)
        assert refused.value.smtp_code == 451
        assert smtp_server.messages == []
        client.sendmail("bot@example.com", ["a@example.gov.vn"], RAW)
    assert [m.raw for m in smtp_server.wait_for(1)] == [RAW]


def test_it_rejects_every_recipient_of_one_transaction_at_rcpt(smtp_server: SmtpServer) -> None:
    smtp_server.fail_next(1, 550, "RCPT")
    with smtplib.SMTP(smtp_server.host, smtp_server.port, timeout=5) as client:
        with pytest.raises(smtplib.SMTPRecipientsRefused):
            client.sendmail("bot@example.com", ["a@example.gov.vn", "b@example.gov.vn"], RAW)
        client.sendmail("bot@example.com", ["a@example.gov.vn", "b@example.gov.vn"], RAW)
    assert smtp_server.wait_for(1)[0].rcpt_tos == ("a@example.gov.vn", "b@example.gov.vn")


def test_it_closes_the_connection_after_a_421(smtp_server: SmtpServer) -> None:
    smtp_server.fail_next(1, 421, "MAIL")
    with smtplib.SMTP(smtp_server.host, smtp_server.port, timeout=5) as client:
        with pytest.raises(smtplib.SMTPSenderRefused):
            client.sendmail("bot@example.com", ["a@example.gov.vn"], RAW)
        with pytest.raises(smtplib.SMTPServerDisconnected):
            client.noop()


def test_it_drops_the_connection_after_data_without_replying(smtp_server: SmtpServer) -> None:
    smtp_server.drop_next()
    with (
        pytest.raises(smtplib.SMTPServerDisconnected),
        smtplib.SMTP(smtp_server.host, smtp_server.port, timeout=5) as client,
    ):
        client.sendmail("bot@example.com", ["a@example.gov.vn"], RAW)
    assert smtp_server.messages == []
    assert [m.raw for m in smtp_server.dropped] == [RAW]
