"""TokenSource against a loopback OAuth2 token endpoint: refresh, reuse, rotation, the
token file's safety, and errors that say what to do without showing a token."""

from __future__ import annotations

import json
import logging
import os
import stat
import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from mailbot.adapters.oauth2 import OAuth2Error, TokenSource
from mailbot.config_fields import MICROSOFT_SCOPE, OAuth2Config
from tests.servers import free_port
from tests.servers.oauth2 import OAuth2Provider, write_token_file

USER = "noivuduongkinh@example.com"
NOW = datetime(2023, 10, 16, 1, 0, tzinfo=UTC)


@pytest.fixture
def provider() -> Iterator[OAuth2Provider]:
    with OAuth2Provider(client_secret="client-secret") as server:
        yield server


def _config(provider: OAuth2Provider, path: Path, **changes: object) -> OAuth2Config:
    cfg = OAuth2Config(provider="custom", token_uri=provider.token_uri,
                       client_id=provider.client_id, token_file=path,
                       client_secret=provider.client_secret)
    return replace(cfg, **changes)  # type: ignore[arg-type]


def _source(provider: OAuth2Provider, path: Path, **changes: object) -> TokenSource:
    return TokenSource(_config(provider, path, **changes), timeout=5)


def _saved(path: Path) -> dict[str, str]:
    data: dict[str, str] = json.loads(path.read_text())
    return data


def test_it_refreshes_a_missing_access_token_and_saves_the_rotated_refresh_token(
        provider: OAuth2Provider, tmp_path: Path) -> None:
    first = provider.authorise(USER)
    path = write_token_file(tmp_path / "token.json", refresh_token=first)
    token = _source(provider, path).access_token(now=NOW)
    assert provider.user_of(token) == USER
    saved = _saved(path)
    assert saved["access_token"] == token
    assert saved["refresh_token"] != first and provider.refresh_tokens() == {
        saved["refresh_token"]}  # the old one is dead: losing the new one would lock us out
    assert datetime.fromisoformat(saved["expires_at"]) == NOW + timedelta(seconds=3600)
    [form] = provider.refreshes
    assert form == {"grant_type": "refresh_token", "refresh_token": first,
                    "client_id": provider.client_id, "client_secret": "client-secret"}


@pytest.mark.parametrize(("left", "refreshed"), [
    (timedelta(hours=1), False),
    (timedelta(minutes=5, seconds=1), False),
    (timedelta(minutes=5), True),  # expiring within 5 minutes: a login could outlive it
    (timedelta(seconds=30), True),
    (-timedelta(hours=2), True),  # expired
])
def test_a_saved_access_token_is_reused_until_five_minutes_before_it_expires(
        provider: OAuth2Provider, tmp_path: Path, left: timedelta, refreshed: bool) -> None:
    path = write_token_file(tmp_path / "token.json", refresh_token=provider.authorise(USER),
                            access_token="at-saved", expires_at=(NOW + left).isoformat())
    token = _source(provider, path).access_token(now=NOW)
    assert (token != "at-saved") is refreshed
    assert len(provider.refreshes) == int(refreshed)


def test_an_expiry_in_seconds_since_the_epoch_is_understood(
        provider: OAuth2Provider, tmp_path: Path) -> None:
    expires_at = (NOW + timedelta(hours=1)).timestamp()
    path = write_token_file(tmp_path / "token.json", refresh_token=provider.authorise(USER),
                            access_token="at-saved", expires_at=expires_at)
    assert _source(provider, path).access_token(now=NOW) == "at-saved"


def test_a_provider_that_does_not_rotate_keeps_the_refresh_token(tmp_path: Path) -> None:
    with OAuth2Provider(rotate=False) as provider:
        first = provider.authorise(USER)
        path = write_token_file(tmp_path / "token.json", refresh_token=first)
        _source(provider, path).access_token(now=NOW)
    assert _saved(path)["refresh_token"] == first


def test_the_saved_file_stays_owner_only_and_keeps_other_keys(
        provider: OAuth2Provider, tmp_path: Path) -> None:
    path = write_token_file(tmp_path / "token.json", refresh_token=provider.authorise(USER),
                            note="authorised by the office on 2023-10-01")
    old_umask = os.umask(0)  # a careless umask must not open the new file
    try:
        _source(provider, path).access_token(now=NOW)
    finally:
        os.umask(old_umask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert _saved(path)["note"] == "authorised by the office on 2023-10-01"
    leftovers = sorted(p.name for p in tmp_path.iterdir())
    assert leftovers == ["token.json", "token.json.lock"]  # no temporary file left behind


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o620, 0o660, 0o644])
def test_a_token_file_open_to_group_or_others_is_refused_with_the_chmod_fix(
        provider: OAuth2Provider, tmp_path: Path, mode: int) -> None:
    path = write_token_file(tmp_path / "token.json", mode=mode,
                            refresh_token=provider.authorise(USER))
    with pytest.raises(OAuth2Error) as caught:
        _source(provider, path).access_token(now=NOW)
    assert str(caught.value) == (f"imap.oauth2_token_file = {path} is open to group or others "
                                 f"(mode {mode:04o}): run chmod 600 {path}")
    assert provider.refreshes == []


def test_a_missing_token_file_is_refused_naming_the_key(
        provider: OAuth2Provider, tmp_path: Path) -> None:
    source = _source(provider, tmp_path / "nope.json", section="smtp")
    with pytest.raises(OAuth2Error, match=r"^smtp\.oauth2_token_file = .*nope\.json does not "
                                          "exist"):
        source.access_token(now=NOW)


@pytest.mark.parametrize("content", ["", "{", "[]", '{"access_token": "at-x"}',
                                     '{"refresh_token": ""}'])
def test_a_token_file_without_a_refresh_token_is_refused(
        provider: OAuth2Provider, tmp_path: Path, content: str) -> None:
    path = tmp_path / "token.json"
    path.write_text(content)
    path.chmod(0o600)
    with pytest.raises(OAuth2Error, match=r"^imap\.oauth2_token_file = "):
        _source(provider, path).access_token(now=NOW)


def test_a_revoked_refresh_token_says_to_re_authorise_and_changes_nothing(
        provider: OAuth2Provider, tmp_path: Path) -> None:
    revoked = provider.authorise(USER)
    provider.revoke(revoked)
    path = write_token_file(tmp_path / "token.json", refresh_token=revoked)
    before = path.read_bytes()
    with pytest.raises(OAuth2Error) as caught:
        _source(provider, path).access_token(now=NOW)
    message = str(caught.value)
    assert message.startswith("re-authorise: the refresh token was revoked or expired")
    assert "imap.oauth2_token_file" in message and "Token has been expired or revoked" in message
    assert revoked not in message and "\n" not in message
    assert path.read_bytes() == before


def test_a_wrong_client_secret_names_the_client_keys(
        provider: OAuth2Provider, tmp_path: Path) -> None:
    path = write_token_file(tmp_path / "token.json", refresh_token=provider.authorise(USER))
    with pytest.raises(OAuth2Error) as caught:
        _source(provider, path, client_secret="wrong-secret").access_token(now=NOW)
    assert "imap.oauth2_client_id and imap.oauth2_client_secret_env" in str(caught.value)
    assert "wrong-secret" not in str(caught.value)


def test_an_unreachable_token_endpoint_is_one_line(
        provider: OAuth2Provider, tmp_path: Path) -> None:
    path = write_token_file(tmp_path / "token.json", refresh_token=provider.authorise(USER))
    dead = f"http://127.0.0.1:{free_port()}/token"
    with pytest.raises(OAuth2Error) as caught:
        _source(provider, path, token_uri=dead).access_token(now=NOW)
    assert str(caught.value).startswith(f"cannot reach the OAuth2 token endpoint {dead}")
    assert "\n" not in str(caught.value)


def test_the_scope_is_sent_with_each_refresh_and_a_public_client_sends_no_secret(
        tmp_path: Path) -> None:
    with OAuth2Provider() as provider:  # a Microsoft public client: no secret
        path = write_token_file(tmp_path / "token.json", refresh_token=provider.authorise(USER))
        _source(provider, path, scope=MICROSOFT_SCOPE).access_token(now=NOW)
        [form] = provider.refreshes
    assert form["scope"] == ("https://outlook.office.com/IMAP.AccessAsUser.All "
                             "https://outlook.office.com/SMTP.Send offline_access")
    assert "client_secret" not in form


def test_imap_and_smtp_refreshing_at_once_make_one_request_and_agree(tmp_path: Path) -> None:
    with OAuth2Provider(delay=0.3) as provider:
        path = write_token_file(tmp_path / "token.json", refresh_token=provider.authorise(USER))
        sources = [_source(provider, path, section=s) for s in ("imap", "smtp")]
        tokens: list[str] = []
        threads = [threading.Thread(target=lambda s=s: tokens.append(s.access_token()))
                   for s in sources]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=10)
        assert len(tokens) == 2 and tokens[0] == tokens[1]
        assert len(provider.refreshes) == 1  # a second refresh would use a rotated-out token
        assert provider.refresh_tokens() == {_saved(path)["refresh_token"]}


def test_forget_drops_the_refused_token_so_the_next_call_refreshes(
        provider: OAuth2Provider, tmp_path: Path) -> None:
    path = write_token_file(tmp_path / "token.json", refresh_token=provider.authorise(USER))
    source = _source(provider, path)
    token = source.access_token(now=NOW)
    source.forget("at-some-older-token")  # already replaced: nothing to drop
    assert source.access_token(now=NOW) == token
    source.forget(token)
    assert "access_token" not in _saved(path)
    assert source.access_token(now=NOW) != token
    assert len(provider.refreshes) == 2


def test_no_token_is_ever_logged(provider: OAuth2Provider, tmp_path: Path,
                                 caplog: pytest.LogCaptureFixture) -> None:
    first = provider.authorise(USER)
    path = write_token_file(tmp_path / "token.json", refresh_token=first)
    with caplog.at_level(logging.DEBUG):
        token = _source(provider, path).access_token(now=NOW)
    assert "new access token for imap" in caplog.text
    for secret in (first, token, _saved(path)["refresh_token"], "client-secret"):
        assert secret not in caplog.text
