"""`mailbot check` with OAuth2 logins (imap.auth / smtp.auth = "oauth2"): the token is
refreshed and used as `mailbot run` would, and its failures get their own fix."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.jobs.test_setup_check import SMTP_PASSWORD, SMTP_USER, _check, _line
from tests.servers import dovecot as dovecot_server
from tests.servers import oauth2 as oauth2_server
from tests.servers.dovecot import Dovecot, ImapAccount
from tests.servers.smtp import SmtpServer
from tests.support import write_config

pytestmark = pytest.mark.dovecot


@pytest.fixture(scope="module")
def provider() -> Iterator[oauth2_server.OAuth2Provider]:
    with oauth2_server.OAuth2Provider(client_secret="client-secret") as server:
        yield server


@pytest.fixture(scope="module")
def oauth2_dovecot(provider: oauth2_server.OAuth2Provider) -> Iterator[Dovecot]:
    reason = dovecot_server.missing()
    if reason and os.environ.get("CI"):
        pytest.fail(f"CI must run the Dovecot tests: {reason}", pytrace=False)
    if reason:
        pytest.skip(reason)
    with Dovecot(oauth2_introspection_url=provider.introspection_url) as server:
        yield server


def _oauth2_keys(folder: Path, provider: oauth2_server.OAuth2Provider) -> str:
    (folder / "oauth2-secret").write_text(provider.client_secret)
    return f"""auth = "oauth2"
oauth2_provider = "custom"
oauth2_token_uri = "{provider.token_uri}"
oauth2_client_id = "{provider.client_id}"
oauth2_client_secret_file = "oauth2-secret"
oauth2_token_file = "token.json"
"""


def _config(folder: Path, account: ImapAccount, provider: oauth2_server.OAuth2Provider,
            extra: str = "") -> Path:
    config = write_config(folder, account, extra=extra)
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace('password_file = "imap-password"\n',
                                   _oauth2_keys(folder, provider)), encoding="utf-8")
    return config


def test_an_oauth2_login_is_checked_with_a_refreshed_token(
        tmp_path: Path, oauth2_dovecot: Dovecot, provider: oauth2_server.OAuth2Provider,
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    account = oauth2_dovecot.add_user()
    oauth2_server.write_token_file(tmp_path / "token.json",
                                   refresh_token=provider.authorise(account.username))
    code, lines = _check(monkeypatch, capsys, _config(tmp_path, account, provider))
    assert code == 0, "\n".join(lines)
    assert "with an OAuth2 token" in _line(lines, "imap login")
    assert _line(lines, "imap folder").startswith("OK")
    assert _line(lines, "imap idle").startswith("OK")


def test_a_revoked_refresh_token_says_to_authorise_again(
        tmp_path: Path, oauth2_dovecot: Dovecot, provider: oauth2_server.OAuth2Provider,
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    account = oauth2_dovecot.add_user()
    oauth2_server.write_token_file(tmp_path / "token.json", refresh_token="not-issued")
    code, lines = _check(monkeypatch, capsys, _config(tmp_path, account, provider))
    assert code == 1
    login = _line(lines, "imap login")
    assert login.startswith("FAIL") and "authorise mailbot again" in login
    assert "not-issued" not in "\n".join(lines)
    assert _line(lines, "imap folder").startswith("SKIP")


def test_a_missing_token_file_fails_the_config_but_the_server_is_reached(
        tmp_path: Path, oauth2_dovecot: Dovecot, provider: oauth2_server.OAuth2Provider,
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    code, lines = _check(monkeypatch, capsys,
                         _config(tmp_path, oauth2_dovecot.add_user(), provider))
    assert code == 1
    assert "imap.oauth2_token_file" in _line(lines, "config")
    assert _line(lines, "imap connect").startswith("OK")
    assert _line(lines, "imap login").startswith("SKIP")


def test_an_smtp_server_without_xoauth2_is_named(
        tmp_path: Path, oauth2_dovecot: Dovecot, provider: oauth2_server.OAuth2Provider,
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    account = oauth2_dovecot.add_user()
    oauth2_server.write_token_file(tmp_path / "token.json",
                                   refresh_token=provider.authorise(account.username))
    with SmtpServer(tls="starttls", users={SMTP_USER: SMTP_PASSWORD}) as smtp:
        extra = f"""
[smtp]
host = "{smtp.host}"
port = {smtp.port}
security = "starttls"
ca_file = "{smtp.ca_file}"
username = "{SMTP_USER}"
from_address = "noivuduongkinh@example.com"
{_oauth2_keys(tmp_path, provider)}"""
        code, lines = _check(monkeypatch, capsys, _config(tmp_path, account, provider, extra))
    assert code == 1
    auth = _line(lines, "smtp auth")
    assert auth.startswith("FAIL") and "does not offer AUTH XOAUTH2" in auth
