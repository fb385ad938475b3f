"""SMTP XOAUTH2 through aiosmtplib to a real aiosmtpd server that checks each token with
a loopback provider; every failure is "retry" with a detail that shows no token."""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from mailbot.adapters.smtp import Outgoing, SmtpError, deliver, size_limit
from mailbot.config import SmtpConfig
from mailbot.config_fields import OAuth2Config
from tests.builders import make_mail
from tests.servers.oauth2 import OAuth2Provider, write_token_file
from tests.servers.smtp import SmtpServer

OFFICE = "noivuduongkinh@gmail.com"
UNIT = "ubndhoanghia@example.gov.vn"
pytestmark = pytest.mark.skipif(importlib.util.find_spec("cryptography") is None,
                                reason="the TLS test server needs the cryptography package")


@pytest.fixture
def provider() -> Iterator[OAuth2Provider]:
    with OAuth2Provider() as server:  # a public client, as Microsoft's can be
        yield server


@pytest.fixture
def server(provider: OAuth2Provider) -> Iterator[SmtpServer]:
    def check(user: str, token: str) -> bool:
        return provider.user_of(token) == user

    with SmtpServer(tls="starttls", xoauth2=check) as smtp:
        yield smtp


def _config(server: SmtpServer, provider: OAuth2Provider, token_file: Path) -> SmtpConfig:
    oauth2 = OAuth2Config(provider="custom", token_uri=provider.token_uri,
                          client_id=provider.client_id, token_file=token_file, section="smtp")
    return SmtpConfig(host=server.host, port=server.port, security="starttls",
                      ca_file=server.ca_file, username=OFFICE, password="",
                      from_address=OFFICE, timeout=5, auth="oauth2", oauth2=oauth2)


def _batch(count: int = 2) -> list[Outgoing]:
    return [Outgoing(k, OFFICE, (UNIT,), make_mail(subject=f"Nhắc nộp báo cáo {k}",
                                                    sender=OFFICE, to=UNIT))
            for k in range(1, count + 1)]


def _saved(path: Path) -> dict[str, str]:
    data: dict[str, str] = json.loads(path.read_text())
    return data


def test_it_sends_after_an_xoauth2_login_with_a_refreshed_token(
        server: SmtpServer, provider: OAuth2Provider, tmp_path: Path) -> None:
    path = write_token_file(tmp_path / "token.json", refresh_token=provider.authorise(OFFICE))
    batch = _batch()
    outcomes = deliver(_config(server, provider, path), batch)
    assert [o.status for o in outcomes] == ["sent", "sent"], outcomes
    assert [m.raw for m in server.messages] == [item.raw for item in batch]
    assert provider.user_of(_saved(path)["access_token"]) == OFFICE


def test_a_refused_token_is_retry_without_the_token_and_is_dropped_for_the_next_try(
        server: SmtpServer, provider: OAuth2Provider, tmp_path: Path) -> None:
    path = write_token_file(tmp_path / "token.json",
                            refresh_token=provider.authorise("someone-else@gmail.com"))
    outcomes = deliver(_config(server, provider, path), _batch())
    assert [o.status for o in outcomes] == ["retry", "retry"]
    detail = outcomes[0].detail
    assert f"the server refused the OAuth2 access token for smtp.username = {OFFICE}" in detail
    assert "535" in detail and "at-" not in detail
    assert "access_token" not in _saved(path) and server.messages == []


def test_a_revoked_refresh_token_is_retry_saying_re_authorise(
        server: SmtpServer, provider: OAuth2Provider, tmp_path: Path) -> None:
    revoked = provider.authorise(OFFICE)
    provider.revoke(revoked)
    path = write_token_file(tmp_path / "token.json", refresh_token=revoked)
    cfg = _config(server, provider, path)
    outcomes = deliver(cfg, _batch())
    assert [o.status for o in outcomes] == ["retry", "retry"]
    assert "re-authorise: the refresh token was revoked or expired" in outcomes[0].detail
    assert server.connections == 0  # no connection is opened without a token
    with pytest.raises(SmtpError, match="re-authorise"):
        size_limit(cfg)


def test_a_server_that_does_not_offer_xoauth2_is_refused_saying_so(
        provider: OAuth2Provider, tmp_path: Path) -> None:
    path = write_token_file(tmp_path / "token.json", refresh_token=provider.authorise(OFFICE))
    with SmtpServer(tls="starttls", users={OFFICE: "app-password"}) as password_only:
        outcomes = deliver(_config(password_only, provider, path), _batch(1))
    assert outcomes[0].status == "retry"
    assert "does not offer AUTH XOAUTH2" in outcomes[0].detail
