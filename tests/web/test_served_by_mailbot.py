"""The page is served by `mailbot web`, and by `mailbot run` when `[web] listen` is set."""

from __future__ import annotations

import os
import signal
import subprocess
import urllib.request
from pathlib import Path

import pytest

from tests.jobs.test_crash_and_daemon import _mailbot, _start_daemon
from tests.servers import free_port
from tests.servers.dovecot import ImapAccount
from tests.support import wait_for, write_config


def _login_page(port: int) -> str | None:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/dang-nhap", timeout=2) as r:
            return str(r.read().decode())
    except OSError:
        return None


def test_the_daemon_serves_the_page_when_web_listen_is_set(
        tmp_path: Path, imap_account: ImapAccount) -> None:
    port = free_port()
    config = write_config(tmp_path, imap_account, poll_interval=600,
                          extra=f'[web]\nlisten = "127.0.0.1:{port}"\n')
    proc, log = _start_daemon(config)
    try:
        assert wait_for(lambda: _login_page(port) is not None, 10), log.read_text()
        assert "Đăng nhập" in (_login_page(port) or "")
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0
        assert _login_page(port) is None
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


@pytest.mark.parametrize("listen_from", ["option", "config"])
def test_mailbot_web_serves_the_page_until_stopped(
        tmp_path: Path, imap_account: ImapAccount, listen_from: str) -> None:
    port = free_port()
    extra = f'[web]\nlisten = "127.0.0.1:{port}"\n' if listen_from == "config" else ""
    config = write_config(tmp_path, imap_account, extra=extra)
    subprocess.run(_mailbot(config, "db", "upgrade"), check=True, capture_output=True)
    args = ["web"] + (["--listen", f"127.0.0.1:{port}"] if listen_from == "option" else [])
    proc = subprocess.Popen(_mailbot(config, *args), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        assert wait_for(lambda: _login_page(port) is not None, 15)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=15) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert (tmp_path / "var" / "web-session.key").stat().st_mode & 0o777 == 0o600
