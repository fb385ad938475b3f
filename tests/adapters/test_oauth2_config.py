"""auth = "oauth2" in [imap] and [smtp]: provider defaults, and every mistake names the key
(an unsafe or missing token file included); mailbot refuses to start on any of them."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from mailbot.cli import main
from mailbot.config import load_config
from mailbot.errors import ConfigError
from tests.servers.oauth2 import write_token_file

ROOT = Path(__file__).resolve().parent.parent.parent
BASE = """
timezone = "Asia/Ho_Chi_Minh"
[imap]
host = "imap.gmail.com"
username = "noivuduongkinh@gmail.com"
{imap}
[[units]]
code = "hoa-nghia"
name = "UBND phường Hòa Nghĩa"
emails = ["ubndhoanghia@example.gov.vn"]
{smtp}
"""
GOOGLE = """auth = "oauth2"
oauth2_provider = "google"
oauth2_client_id = "123-abc.apps.googleusercontent.com"
oauth2_client_secret_env = "TEST_OAUTH2_SECRET"
oauth2_token_file = "secret/token.json"
"""
MICROSOFT = """auth = "oauth2"
oauth2_provider = "microsoft"
oauth2_tenant = "duongkinh.onmicrosoft.com"
oauth2_client_id = "00000000-1111-2222-3333-444444444444"
oauth2_token_file = "secret/token.json"
"""
SMTP = """
[smtp]
host = "smtp.gmail.com"
username = "noivuduongkinh@gmail.com"
from_address = "noivuduongkinh@gmail.com"
{keys}"""


@pytest.fixture(autouse=True)
def _env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEST_OAUTH2_SECRET", "client-secret")
    monkeypatch.setenv("TEST_PASSWORD", "app-password")


def _write(folder: Path, imap: str, smtp: str = "", *, token_mode: int | None = 0o600) -> Path:
    if token_mode is not None:
        (folder / "secret").mkdir(exist_ok=True)
        write_token_file(folder / "secret" / "token.json", mode=token_mode, refresh_token="rt-1")
    path = folder / "mailbot.toml"
    path.write_text(BASE.format(imap=imap, smtp=smtp), encoding="utf-8")
    return path


def test_google_gets_its_token_endpoint_and_the_secret_from_the_environment(
        tmp_path: Path) -> None:
    config = load_config(_write(tmp_path, GOOGLE))
    assert (config.imap.auth, config.imap.password) == ("oauth2", "")
    oauth2 = config.imap.oauth2
    assert oauth2 is not None
    assert oauth2.token_uri == "https://oauth2.googleapis.com/token"
    assert (oauth2.client_secret, oauth2.scope) == ("client-secret", "")
    assert oauth2.token_file == tmp_path / "secret" / "token.json"
    assert "client-secret" not in repr(config)


def test_microsoft_gets_its_tenant_endpoint_and_the_imap_and_smtp_scope(tmp_path: Path) -> None:
    oauth2 = load_config(_write(tmp_path, MICROSOFT)).imap.oauth2
    assert oauth2 is not None
    assert oauth2.token_uri == (
        "https://login.microsoftonline.com/duongkinh.onmicrosoft.com/oauth2/v2.0/token")
    assert oauth2.client_secret == ""  # a public client
    assert oauth2.scope.split() == ["https://outlook.office.com/IMAP.AccessAsUser.All",
                                    "https://outlook.office.com/SMTP.Send", "offline_access"]


def test_imap_and_smtp_may_share_one_token_file(tmp_path: Path) -> None:
    config = load_config(_write(tmp_path, GOOGLE, SMTP.format(keys=GOOGLE)))
    assert config.smtp is not None and config.smtp.oauth2 is not None
    assert config.smtp.auth == "oauth2" and config.smtp.password == ""
    assert config.smtp.oauth2.token_file == config.imap.oauth2.token_file  # type: ignore[union-attr]
    assert config.smtp.oauth2.section == "smtp"


def test_password_keys_still_work_and_auth_defaults_to_password(tmp_path: Path) -> None:
    config = load_config(_write(tmp_path, 'password_env = "TEST_PASSWORD"', token_mode=None))
    assert (config.imap.auth, config.imap.password, config.imap.oauth2) == (
        "password", "app-password", None)


def test_a_missing_token_file_may_be_accepted_when_asked_to_create_it(tmp_path: Path) -> None:
    path = _write(tmp_path, GOOGLE, token_mode=None)
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(path)
    assert load_config(path, check_token_files=False).imap.oauth2 is not None


@pytest.mark.parametrize(("imap", "smtp", "named"), [
    (GOOGLE.replace('"oauth2"', '"oauth"'), "", "imap.auth"),
    (GOOGLE + 'password_env = "TEST_PASSWORD"\n', "", "imap.password_env is not used"),
    ('password_env = "TEST_PASSWORD"\noauth2_client_id = "x"\n', "",
     'imap.oauth2_client_id needs imap.auth = "oauth2"'),
    (GOOGLE.replace('oauth2_provider = "google"\n', ""), "", "missing key imap.oauth2_provider"),
    (GOOGLE.replace('"google"', '"yahoo"'), "", "imap.oauth2_provider"),
    (GOOGLE.replace('"google"', '"custom"'), "", "missing key imap.oauth2_token_uri"),
    (GOOGLE + 'oauth2_token_uri = "http://id.example.com/token"\n', "",
     "imap.oauth2_token_uri must be an https:// URL"),
    (GOOGLE + 'oauth2_tenant = "common"\n', "", "imap.oauth2_tenant is only for"),
    (MICROSOFT.replace('"duongkinh.onmicrosoft.com"', '"a/b"'), "", "imap.oauth2_tenant"),
    (GOOGLE.replace('oauth2_client_secret_env = "TEST_OAUTH2_SECRET"\n', ""), "",
     "missing key imap.oauth2_client_secret_env"),
    (GOOGLE.replace("TEST_OAUTH2_SECRET", "NOT_SET_ANYWHERE"), "",
     "imap.oauth2_client_secret_env: environment variable NOT_SET_ANYWHERE is not set"),
    (GOOGLE.replace('"123-abc.apps.googleusercontent.com"', '" "'), "",
     "imap.oauth2_client_id must not be empty"),
    (GOOGLE.replace('oauth2_token_file = "secret/token.json"\n', ""), "",
     "missing key imap.oauth2_token_file"),
    (GOOGLE.replace("secret/token.json", "secret/other.json"), "",
     "imap.oauth2_token_file = .*other.json does not exist"),
    ('password_env = "TEST_PASSWORD"', SMTP.format(keys=GOOGLE).replace(
        'username = "noivuduongkinh@gmail.com"\n', ""), "missing key smtp.username"),
    (GOOGLE, SMTP.format(keys=GOOGLE.replace("123-abc", "456-def")),
     "smtp.oauth2_token_file is also imap.oauth2_token_file"),
    (GOOGLE + "oauth2 = 1\n", "", "unknown key imap.oauth2;"),
])
def test_an_oauth2_mistake_names_the_key(tmp_path: Path, imap: str, smtp: str,
                                         named: str) -> None:
    with pytest.raises(ConfigError, match=named.replace(".", r"\.").replace(r"\.*", ".*")):
        load_config(_write(tmp_path, imap, smtp))


def test_a_token_file_others_can_read_is_refused_with_the_chmod_fix(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(_write(tmp_path, GOOGLE, token_mode=0o644))
    token_file = tmp_path / "secret" / "token.json"
    assert str(caught.value) == (f"imap.oauth2_token_file = {token_file} is open to group or "
                                 f"others (mode 0644): run chmod 600 {token_file}")


def test_the_cli_refuses_to_start_on_an_unsafe_token_file_with_one_line(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path, GOOGLE, token_mode=0o640)
    assert main(["--config", str(path), "poll"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "imap.oauth2_token_file" in err and "chmod 600" in err


def test_the_commented_oauth2_example_loads_once_uncommented(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """config.example.toml shows the keys; uncommenting them for Gmail must just work."""
    monkeypatch.setenv("MAILBOT_SMTP_PASSWORD", "app-password")
    monkeypatch.setenv("MAILBOT_OAUTH2_CLIENT_SECRET", "client-secret")
    text = (ROOT / "config.example.toml").read_text(encoding="utf-8")
    imap, rest = text.split("\n[smtp]", 1)
    wanted = re.compile(r"^# ((auth|oauth2_(provider|client_id|client_secret_env|token_file))"
                        r" = .*)$", re.MULTILINE)
    assert len(wanted.findall(imap)) == 5
    imap = wanted.sub(r"\1", imap).replace('password_env = "MAILBOT_IMAP_PASSWORD"', "#")
    (tmp_path / "config.toml").write_text(imap + "\n[smtp]" + rest, encoding="utf-8")
    (tmp_path / "secret").mkdir()
    write_token_file(tmp_path / "secret" / "oauth2-token.json", refresh_token="rt-1")
    config = load_config(tmp_path / "config.toml")
    assert config.imap.oauth2 is not None and config.imap.oauth2.provider == "google"
    assert json.loads(config.imap.oauth2.token_file.read_text()) == {"refresh_token": "rt-1"}
