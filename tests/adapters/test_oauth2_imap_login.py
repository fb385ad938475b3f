"""IMAP XOAUTH2 against a real Dovecot whose oauth2 passdb asks a loopback provider about
each token (introspection); and IMAP plus SMTP sharing one token file."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from mailbot.adapters.imap import ImapMailbox
from mailbot.adapters.smtp import Outgoing, deliver
from mailbot.config import ImapConfig, SmtpConfig
from mailbot.config_fields import OAuth2Config
from mailbot.errors import MailboxError
from tests.builders import make_mail
from tests.servers import dovecot as dovecot_server
from tests.servers.dovecot import Dovecot, ImapAccount
from tests.servers.oauth2 import OAuth2Provider, write_token_file
from tests.servers.smtp import SmtpServer

pytestmark = pytest.mark.dovecot


@pytest.fixture(scope="module")
def provider() -> Iterator[OAuth2Provider]:
    with OAuth2Provider(client_secret="client-secret") as server:
        yield server


@pytest.fixture(scope="module")
def oauth2_dovecot(provider: OAuth2Provider) -> Iterator[Dovecot]:
    reason = dovecot_server.missing()
    if reason and os.environ.get("CI"):
        pytest.fail(f"CI must run the Dovecot tests: {reason}", pytrace=False)
    if reason:
        pytest.skip(reason)
    with Dovecot(oauth2_introspection_url=provider.introspection_url) as server:
        yield server


@pytest.fixture
def account(oauth2_dovecot: Dovecot) -> ImapAccount:
    return oauth2_dovecot.add_user()


def _oauth2(provider: OAuth2Provider, token_file: Path, section: str = "imap") -> OAuth2Config:
    return OAuth2Config(provider="custom", token_uri=provider.token_uri,
                        client_id=provider.client_id, client_secret=provider.client_secret,
                        token_file=token_file, section=section)


def _imap(account: ImapAccount, oauth2: OAuth2Config) -> ImapConfig:
    return ImapConfig(host=account.host, port=account.port, security="plain",
                      username=account.username, timeout=5, auth="oauth2", oauth2=oauth2)


def _saved(path: Path) -> dict[str, str]:
    data: dict[str, str] = json.loads(path.read_text())
    return data


def test_it_logs_in_with_xoauth2_and_a_refreshed_token_and_reads_the_folder(
        provider: OAuth2Provider, account: ImapAccount, tmp_path: Path) -> None:
    uid = account.append(make_mail(subject="Báo cáo tháng 10/2023"))  # password login: still on
    first = provider.authorise(account.username)
    path = write_token_file(tmp_path / "token.json", refresh_token=first)
    with ImapMailbox(_imap(account, _oauth2(provider, path))) as mailbox:
        assert [e.uid for e in mailbox.list_new(0)] == [uid]
    saved = _saved(path)
    assert provider.user_of(saved["access_token"]) == account.username
    assert saved["refresh_token"] != first  # rotated, and the new one saved


def test_a_second_connection_reuses_the_saved_token(
        provider: OAuth2Provider, account: ImapAccount, tmp_path: Path) -> None:
    path = write_token_file(tmp_path / "token.json",
                            refresh_token=provider.authorise(account.username))
    cfg = _imap(account, _oauth2(provider, path))
    before = len(provider.refreshes)
    for _ in range(2):
        with ImapMailbox(cfg) as mailbox:
            assert mailbox.uidvalidity > 0
    assert len(provider.refreshes) == before + 1


def test_dovecot_refuses_a_token_of_another_user_and_mailbot_drops_it(
        provider: OAuth2Provider, account: ImapAccount, tmp_path: Path) -> None:
    path = write_token_file(tmp_path / "token.json",
                            refresh_token=provider.authorise("someone-else"))
    with pytest.raises(MailboxError) as caught:
        ImapMailbox(_imap(account, _oauth2(provider, path))).connect()
    message = str(caught.value)
    assert message.startswith(f"IMAP XOAUTH2 login to {account.host}:{account.port} as "
                              f"{account.username} refused:")
    assert "AUTHENTICATIONFAILED" in message and "next attempt refreshes" in message
    assert "access_token" not in _saved(path)  # the next attempt refreshes


def test_a_token_revoked_early_fails_once_then_the_next_connect_refreshes(
        provider: OAuth2Provider, account: ImapAccount, tmp_path: Path) -> None:
    path = write_token_file(tmp_path / "token.json",
                            refresh_token=provider.authorise(account.username))
    cfg = _imap(account, _oauth2(provider, path))
    with ImapMailbox(cfg):
        pass
    revoked = _saved(path)["access_token"]
    provider.revoke(revoked)
    with pytest.raises(MailboxError, match="refused"):
        ImapMailbox(cfg).connect()
    with ImapMailbox(cfg):  # as the daemon's reconnect would
        pass
    assert _saved(path)["access_token"] != revoked


def test_a_revoked_refresh_token_stops_the_login_saying_re_authorise(
        provider: OAuth2Provider, account: ImapAccount, tmp_path: Path) -> None:
    revoked = provider.authorise(account.username)
    provider.revoke(revoked)
    path = write_token_file(tmp_path / "token.json", refresh_token=revoked)
    with pytest.raises(MailboxError) as caught:
        ImapMailbox(_imap(account, _oauth2(provider, path))).connect()
    message = str(caught.value)
    assert f"as {account.username}: re-authorise: the refresh token was revoked" in message
    assert revoked not in message


def test_imap_and_smtp_share_one_token_file_and_one_refresh(
        provider: OAuth2Provider, account: ImapAccount, tmp_path: Path) -> None:
    path = write_token_file(tmp_path / "token.json",
                            refresh_token=provider.authorise(account.username))
    with SmtpServer(tls="starttls", xoauth2=lambda user, token: provider.user_of(
            token) == user) as smtp_server:
        smtp = SmtpConfig(host=smtp_server.host, port=smtp_server.port, security="starttls",
                          ca_file=smtp_server.ca_file, username=account.username, password="",
                          from_address="phongnoivu@example.gov.vn", timeout=5,
                          auth="oauth2", oauth2=_oauth2(provider, path, "smtp"))
        before = len(provider.refreshes)
        with ImapMailbox(_imap(account, _oauth2(provider, path))):
            pass
        raw = make_mail(subject="Xác nhận đã nhận báo cáo", sender="phongnoivu@example.gov.vn")
        [outcome] = deliver(smtp, [Outgoing(1, "phongnoivu@example.gov.vn",
                                            ("ubndhoanghia@example.gov.vn",), raw)])
        assert outcome.status == "sent", outcome.detail
        assert [m.raw for m in smtp_server.messages] == [raw]
    assert len(provider.refreshes) == before + 1
