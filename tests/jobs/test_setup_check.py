"""`mailbot check` against real servers: one line per step, and for each failure the fix."""

from __future__ import annotations

import socket
import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest

from mailbot.jobs.check_fixes import fix_for as _fix
from tests.jobs.test_setup_cli_wiring import run_mailbot
from tests.servers import free_port
from tests.servers.dovecot import ImapAccount
from tests.servers.smtp import SmtpServer
from tests.support import write_config

SMTP_USER, SMTP_PASSWORD = "noivu", "smtp-secret-1"


@pytest.fixture
def tls_smtp() -> Iterator[SmtpServer]:
    """An SMTP server like a provider's: STARTTLS, then AUTH."""
    with SmtpServer(tls="starttls", users={SMTP_USER: SMTP_PASSWORD},
                    size_limit=25 * 2**20) as server:
        yield server


def _smtp_section(folder: Path, server: SmtpServer, *, security: str = "starttls",
                  password: str = SMTP_PASSWORD, ca_file: bool = True) -> str:
    (folder / "smtp-password").write_text(password + "\n")
    ca = f'ca_file = "{server.ca_file}"' if ca_file and server.ca_file else ""
    return f"""
[smtp]
host = "{server.host}"
port = {server.port}
security = "{security}"
username = "{SMTP_USER}"
password_file = "smtp-password"
from_address = "noivuduongkinh@example.com"
{ca}
[board]
to = ["banthiduakhenthuong@example.gov.vn"]
"""


def _check(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
           config: Path) -> tuple[int, list[str]]:
    code, out, err = run_mailbot(monkeypatch, capsys, "--config", str(config), "check",
                                 "--timeout", "5")
    assert not err.strip() or "WARNING" in err, err
    return code, out.splitlines()


def _line(lines: list[str], step: str) -> str:
    found = [line for line in lines if line[5:].startswith(step + " ")]
    assert found, f"no line for {step!r} in:\n" + "\n".join(lines)
    return found[0]


ALL_STEPS = ("config", "imap connect", "imap login", "imap folder", "imap idle",
             "smtp connect", "smtp auth", "smtp size", "database")


def test_every_step_is_ok_against_dovecot_and_a_starttls_smtp_server(
        tmp_path: Path, imap_account: ImapAccount, tls_smtp: SmtpServer,
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    config = write_config(tmp_path, imap_account, extra=_smtp_section(tmp_path, tls_smtp))
    assert run_mailbot(monkeypatch, capsys, "--config", str(config), "db", "upgrade")[0] == 0
    code, lines = _check(monkeypatch, capsys, config)
    assert code == 0, "\n".join(lines)
    assert [line[:4].strip() for line in lines[:-1]] == ["OK"] * len(ALL_STEPS)
    assert [line[5:18].strip() for line in lines[:-1]] == list(ALL_STEPS)
    assert "4 unit(s)" in _line(lines, "config")
    assert f"logged in as {imap_account.username}" in _line(lines, "imap login")
    assert "'INBOX' opened read-only (EXAMINE)" in _line(lines, "imap folder")
    assert "IDLE" in _line(lines, "imap idle")
    assert "STARTTLS" in _line(lines, "smtp connect")
    assert f"logged in as {SMTP_USER}" in _line(lines, "smtp auth")
    assert "SIZE 26214400 (25.0 MB); packages are split at 20 MB" in _line(lines, "smtp size")
    assert lines[-1] == "check: 9 OK"
    assert tls_smtp.messages == []  # nothing was sent


def test_a_database_not_created_yet_is_a_warning_with_the_command(
        tmp_path: Path, imap_account: ImapAccount, smtp_server: SmtpServer,
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    config = write_config(tmp_path, imap_account, smtp=smtp_server)
    code, lines = _check(monkeypatch, capsys, config)
    assert code == 0
    line = _line(lines, "database")
    assert line.startswith("WARN") and f"fix: mailbot --config {config} db upgrade" in line
    assert _line(lines, "smtp auth").startswith("OK   smtp auth     no smtp.username")
    assert not (tmp_path / "var").exists()  # checking created nothing


def test_a_wrong_imap_password_fails_the_login_with_the_fix(
        tmp_path: Path, imap_account: ImapAccount, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    config = write_config(tmp_path, imap_account)
    (tmp_path / "imap-password").write_text("wrong-password-123\n")
    code, lines = _check(monkeypatch, capsys, config)
    assert code == 1
    assert _line(lines, "imap connect").startswith("OK")
    login = _line(lines, "imap login")
    assert login.startswith("FAIL imap login    ") and "AUTHENTICATIONFAILED" in login
    assert "fix: check imap.username and the password" in login
    assert "wrong-password-123" not in "\n".join(lines)
    assert _line(lines, "imap folder") == "SKIP imap folder   not tried: imap login failed"
    assert _line(lines, "smtp").startswith("WARN smtp          no [smtp] section")


def test_a_wrong_smtp_password_fails_the_auth_step_with_the_fix(
        tmp_path: Path, imap_account: ImapAccount, tls_smtp: SmtpServer,
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    extra = _smtp_section(tmp_path, tls_smtp, password="not-the-password")
    code, lines = _check(monkeypatch, capsys, write_config(tmp_path, imap_account, extra=extra))
    assert code == 1
    auth = _line(lines, "smtp auth")
    assert auth.startswith("FAIL") and "535" in auth
    assert "fix: check smtp.username and the password" in auth
    assert _line(lines, "smtp size").startswith("SKIP")


def test_closed_ports_fail_the_connect_steps_with_the_fix(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    imap_port, smtp_port = free_port(), free_port()
    account = ImapAccount("127.0.0.1", imap_port, "noivu", "secret")
    (tmp_path / "smtp-password").write_text("x")
    extra = (f'[smtp]\nhost = "127.0.0.1"\nport = {smtp_port}\nsecurity = "plain"\n'
             'from_address = "noivu@example.com"\n')
    code, lines = _check(monkeypatch, capsys, write_config(tmp_path, account, extra=extra))
    assert code == 1
    for step, port in (("imap connect", imap_port), ("smtp connect", smtp_port)):
        line = _line(lines, step)
        assert line.startswith("FAIL")
        assert f"fix: nothing accepts connections on 127.0.0.1:{port}" in line
    assert [line[:4] for line in lines if line[5:9] in ("imap", "smtp")] == [
        "FAIL", "SKIP", "SKIP", "SKIP", "FAIL", "SKIP", "SKIP"]
    assert lines[-1] == "check: 1 OK, 1 WARN, 2 FAIL, 5 SKIP"


def test_an_untrusted_certificate_points_to_ca_file(
        tmp_path: Path, imap_account: ImapAccount, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    with SmtpServer(tls="implicit", users={SMTP_USER: SMTP_PASSWORD}) as server:
        extra = _smtp_section(tmp_path, server, security="tls", ca_file=False)
        code, lines = _check(monkeypatch, capsys,
                             write_config(tmp_path, imap_account, extra=extra))
    assert code == 1
    line = _line(lines, "smtp connect")
    assert "CERTIFICATE_VERIFY_FAILED" in line and "set smtp.ca_file" in line


def test_tls_on_a_plain_port_says_to_use_starttls(
        tmp_path: Path, imap_account: ImapAccount, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    config = write_config(tmp_path, imap_account)
    config.write_text(config.read_text().replace('security = "plain"', 'security = "tls"'))
    code, lines = _check(monkeypatch, capsys, config)
    assert code == 1
    assert f'port {imap_account.port} does not start with TLS: use imap.security = ' \
           '"starttls"' in _line(lines, "imap connect")


def test_a_missing_folder_lists_the_folders_there_are(
        tmp_path: Path, imap_account: ImapAccount, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    config = write_config(tmp_path, imap_account, extra_imap='folder = "Hộp thư đến"')
    code, lines = _check(monkeypatch, capsys, config)
    assert code == 1
    line = _line(lines, "imap folder")
    assert line.startswith("FAIL") and "set imap.folder to one of 'INBOX'" in line


def test_an_unset_password_fails_the_config_but_the_servers_are_still_reached(
        tmp_path: Path, imap_account: ImapAccount, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("MAILBOT_TEST_UNSET", raising=False)
    config = write_config(tmp_path, imap_account)
    config.write_text(config.read_text().replace('password_file = "imap-password"',
                                                 'password_env = "MAILBOT_TEST_UNSET"'))
    code, lines = _check(monkeypatch, capsys, config)
    assert code == 1
    assert "fix: export MAILBOT_TEST_UNSET=..." in _line(lines, "config")
    assert _line(lines, "imap connect").startswith("OK")
    assert _line(lines, "imap login") == "SKIP imap login    not tried: no password (see config)"


def test_an_unset_smtp_password_still_lets_imap_log_in(
        tmp_path: Path, imap_account: ImapAccount, tls_smtp: SmtpServer,
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("MAILBOT_TEST_UNSET", raising=False)
    extra = _smtp_section(tmp_path, tls_smtp).replace('password_file = "smtp-password"',
                                                       'password_env = "MAILBOT_TEST_UNSET"')
    code, lines = _check(monkeypatch, capsys, write_config(tmp_path, imap_account, extra=extra))
    assert code == 1
    assert "smtp.password_env" in _line(lines, "config")
    assert _line(lines, "imap login").startswith("OK")
    assert _line(lines, "smtp connect").startswith("OK")
    assert _line(lines, "smtp auth") == "SKIP smtp auth     not tried: no password (see config)"


def test_no_config_fails_with_how_to_write_one(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    code, lines = _check(monkeypatch, capsys, tmp_path / "nope.toml")
    assert code == 1
    assert "fix: `mailbot init DIR` writes one" in _line(lines, "config")
    assert lines[-1] == "check: 1 FAIL, 8 SKIP"


@pytest.mark.parametrize(("service", "host", "error", "login", "fix"), [
    ("imap", "imap.gmail.com", "b'[AUTHENTICATIONFAILED] Invalid credentials (Failure)'",
     True, "create an app password"),
    ("imap", "imap.example.com", "Application-specific password required", False,
     "create an app password"),
    ("smtp", "smtp.gmail.com", "(535, '5.7.8 Username and Password not accepted')", True,
     "create an app password"),
    ("imap", "outlook.office365.com", "b'BasicAuthBlocked'", True,
     "Microsoft 365 has basic authentication (password login) turned off for IMAP"),
    ("imap", "outlook.office365.com", "b'AUTHENTICATE failed.'", True,
     'set imap.auth = "oauth2" with oauth2_provider = "microsoft"'),
    ("smtp", "smtp.office365.com", "535 5.7.139 Authentication unsuccessful, basic "
     "authentication is disabled", True, "turned off for SMTP"),
    ("imap", "mail.example.gov.vn", "b'[AUTHENTICATIONFAILED] Authentication failed.'", True,
     "check imap.username and the password"),
    ("imap", "mail.example.gov.vn", ssl.SSLCertVerificationError(
        1, "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed"), False,
     "set imap.ca_file"),
    ("smtp", "mail.example.gov.vn", "[SSL: WRONG_VERSION_NUMBER] wrong version number",
     False, "port 587 does not start with TLS: use smtp.security = \"starttls\""),
    ("imap", "mail.example.gov.vn", ConnectionRefusedError(111, "Connection refused"), False,
     "nothing accepts connections on mail.example.gov.vn:587"),
    ("smtp", "mail.example.gov.vn", TimeoutError("timed out"), False,
     "no answer from mail.example.gov.vn:587 within 20 s"),
    ("imap", "imap.gmial.com", socket.gaierror(-2, "Name or service not known"), False,
     "the name 'imap.gmial.com' cannot be resolved"),
])
def test_known_failures_get_their_fix(service: str, host: str, error: str | BaseException,
                                      login: bool, fix: str) -> None:
    assert fix in _fix(service, host, 587, 20, error, login=login)
