"""A config mistake names the key and what is wrong; mailbot refuses to start."""

from __future__ import annotations

from pathlib import Path

import pytest

from mailbot.cli import main
from mailbot.config import load_config
from mailbot.errors import ConfigError

GOOD = """
timezone = "Asia/Ho_Chi_Minh"
[imap]
host = "imap.example.com"
username = "office@example.com"
password_env = "TEST_IMAP_PASSWORD"
[[units]]
code = "hoa-nghia"
name = "UBND phường Hòa Nghĩa"
emails = ["ubndhoanghia@example.gov.vn"]
"""


@pytest.fixture(autouse=True)
def _password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEST_IMAP_PASSWORD", "secret")


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "mailbot.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_good_config_loads_with_paths_relative_to_its_folder(tmp_path: Path) -> None:
    config = load_config(_write(tmp_path, GOOD))
    assert config.data_dir == tmp_path / "var"
    assert config.database_url == f"sqlite:///{tmp_path / 'var' / 'mailbot.db'}"
    assert config.imap.password == "secret"
    assert (config.imap.port, config.imap.security) == (993, "tls")
    assert config.schedule.deadline_day == 15 and config.schedule.digest_day == 17


@pytest.mark.parametrize(("change", "named"), [
    (("timezone = \"Asia/Ho_Chi_Minh\"", "timezone = \"Asia/Hanoi City\""), "timezone"),
    (("[imap]", "[imap]\nfolde = \"INBOX\""), "imap.folde"),
    (("[imap]", "[imap]\nport = \"993\""), "imap.port"),
    (("[imap]", "[imap]\nsecurity = \"ssl\""), "imap.security"),
    (("[imap]", "[imap]\nsecurity = \"plain\""), "imap.security"),
    (("[imap]", "[imap]\nimport_since = \"01/10/2023\""), "imap.import_since"),
    (("password_env = \"TEST_IMAP_PASSWORD\"", "password_env = \"NOT_SET_ANYWHERE\""),
     "imap.password_env"),
    (("password_env = \"TEST_IMAP_PASSWORD\"", "password_file = \"missing.txt\""),
     "imap.password_file"),
    (("password_env = \"TEST_IMAP_PASSWORD\"", ""), "imap.password_env"),
    (("host = \"imap.example.com\"", ""), "imap.host"),
    (("timezone = \"Asia/Ho_Chi_Minh\"", "timezone = \"UTC\"\n[schedule]\ndeadline_day = 31"),
     "schedule.deadline_day"),
    (("code = \"hoa-nghia\"", "code = \"Hòa Nghĩa\""), "units[0].code"),
    (("emails = [\"ubndhoanghia@example.gov.vn\"]", "emails = [\"not-an-address\"]"),
     "units[0].emails"),
    (("name = \"UBND phường Hòa Nghĩa\"", "name = \"\""), "units[0].name"),
    (("[imap]", "[ingest]\nunauthenticated = \"reject\"\n[imap]"), "ingest.unauthenticated"),
    (("[imap]", "[ingest]\ntrusted_authserv_id = \"mx.google.com; spf\"\n[imap]"),
     "ingest.trusted_authserv_id"),
    (("[imap]", "[web]\nlisen = \"127.0.0.1:8080\"\n[imap]"), "web.lisen"),
    (("[imap]", "[web]\nlisten = \"8080\"\n[imap]"), "web.listen"),
    (("[imap]", "[web]\nlockout_failures = 0\n[imap]"), "web.lockout_failures"),
])
def test_a_mistake_names_the_key(tmp_path: Path, change: tuple[str, str], named: str) -> None:
    old, new = change
    assert old in GOOD
    with pytest.raises(ConfigError, match=named.replace("[", r"\[").replace("]", r"\]")):
        load_config(_write(tmp_path, GOOD.replace(old, new)))


@pytest.mark.parametrize(("lines", "trusted", "unauthenticated"), [
    ("", None, "accept"),
    ('trusted_authserv_id = "MX.Google.com"', "mx.google.com", "accept"),
    ('trusted_authserv_id = ""\nunauthenticated = "unverified"', "", "unverified"),
])
def test_sender_authentication_is_off_unless_a_trusted_server_is_named(
        tmp_path: Path, lines: str, trusted: str | None, unauthenticated: str) -> None:
    config = load_config(_write(tmp_path, GOOD.replace("[imap]", f"[ingest]\n{lines}\n[imap]")))
    assert (config.ingest.trusted_authserv_id, config.ingest.unauthenticated) == (
        trusted, unauthenticated)


def test_an_address_given_to_two_units_is_refused(tmp_path: Path) -> None:
    twice = GOOD + ('[[units]]\ncode = "da-phuc"\nname = "UBND phường Đa Phúc"\n'
                    'emails = ["UBNDhoanghia@example.gov.vn"]\n')
    with pytest.raises(ConfigError, match="already belongs to unit 'hoa-nghia'"):
        load_config(_write(tmp_path, twice))


def test_the_cli_refuses_to_start_on_a_bad_config_with_one_line(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path, GOOD.replace("[imap]", "[imap]\nfolde = 1"))
    assert main(["--config", str(path), "poll"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "imap.folde" in err


def test_a_missing_config_file_says_how_to_name_one(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--config", str(tmp_path / "nope.toml"), "status"]) == 2
    assert "MAILBOT_CONFIG" in capsys.readouterr().err


def test_invalid_toml_is_reported_with_the_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(_write(tmp_path, "timezone = "))


def test_a_command_on_a_database_not_yet_created_says_to_upgrade(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path, GOOD)
    assert main(["--config", str(path), "status"]) == 1
    assert "mailbot db upgrade" in capsys.readouterr().err


def test_the_web_page_listens_only_when_asked_and_on_loopback_by_default(
        tmp_path: Path) -> None:
    assert load_config(_write(tmp_path, GOOD)).web.listen is None
    web = load_config(_write(tmp_path, GOOD.replace(
        "[imap]", "[web]\nlisten = \"127.0.0.1:8081\"\nlockout_minutes = 5\n[imap]"))).web
    assert (web.listen, web.lockout_minutes) == (("127.0.0.1", 8081), 5)
