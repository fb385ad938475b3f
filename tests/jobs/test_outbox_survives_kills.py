"""A `mailbot` process killed around an SMTP send: nothing lost, nothing sent twice."""

from __future__ import annotations

import signal
import socket
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.builders import make_mail
from tests.jobs.test_crash_and_daemon import _mailbot
from tests.samples import at
from tests.servers.dovecot import ImapAccount
from tests.servers.smtp import SmtpServer
from tests.support import Database, query, wait_for, write_config

pytestmark = [pytest.mark.dovecot, pytest.mark.both_databases]
NOW = "2023-10-06T09:01"


def _outbox(config: Path) -> list[tuple[str, str]]:
    return query(config, "SELECT kind, status FROM outbox ORDER BY id")  # type: ignore[return-value]


@pytest.fixture
def silent_smtp() -> Iterator[SmtpServer]:
    """Something on a loopback port that accepts SMTP connections and never answers."""
    with socket.create_server(("127.0.0.1", 0)) as srv:
        held: list[socket.socket] = []

        def accept() -> None:
            try:
                while True:
                    held.append(srv.accept()[0])
            except OSError:
                pass

        threading.Thread(target=accept, daemon=True).start()
        fake = SmtpServer.__new__(SmtpServer)
        fake.host, fake.port = "127.0.0.1", srv.getsockname()[1]  # type: ignore[misc]
        yield fake
        for s in held:
            s.close()


def _tick(config: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(_mailbot(config, "--now", NOW, "tick"), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)


def test_killed_after_the_outbox_commit_but_before_sending_it_is_sent_once_after_restart(
        tmp_path: Path, imap_account: ImapAccount, smtp_server: SmtpServer,
        silent_smtp: SmtpServer, database: Database) -> None:
    imap_account.append(make_mail(), internaldate=at(6, 9))
    config = write_config(tmp_path, imap_account, smtp=silent_smtp, database=database)
    subprocess.run(_mailbot(config, "db", "upgrade"), check=True, capture_output=True)
    proc = _tick(config)
    assert wait_for(lambda: _outbox(config) == [("ack", "pending")], 20)
    proc.send_signal(signal.SIGKILL)  # stuck waiting for the SMTP greeting
    proc.wait(timeout=10)
    assert _outbox(config) == [("ack", "pending")]

    config = write_config(tmp_path, imap_account, smtp=smtp_server, database=database)
    for _ in range(2):
        subprocess.run(_mailbot(config, "--now", NOW, "tick"), check=True, capture_output=True,
                       timeout=60)
    assert len(smtp_server.wait_for(1)) == 1
    assert _outbox(config) == [("ack", "sent")]


def test_killed_after_data_was_sent_it_becomes_unknown_and_is_never_resent(
        tmp_path: Path, imap_account: ImapAccount, smtp_server: SmtpServer,
        database: Database) -> None:
    imap_account.append(make_mail(), internaldate=at(6, 9))
    config = write_config(tmp_path, imap_account, smtp=smtp_server, database=database)
    subprocess.run(_mailbot(config, "db", "upgrade"), check=True, capture_output=True)
    smtp_server.hang_next(1)  # reads the message, never answers the final dot
    proc = _tick(config)
    assert wait_for(lambda: _outbox(config) == [("ack", "sending")], 20)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)

    for _ in range(2):
        done = subprocess.run(_mailbot(config, "--now", NOW, "tick"), capture_output=True,
                              text=True, timeout=60)
        assert done.returncode == 0, done.stderr
    assert _outbox(config) == [("ack", "unknown")]
    assert smtp_server.messages == []
    listing = subprocess.run(_mailbot(config, "outbox"), capture_output=True, text=True,
                             check=True).stdout
    assert "check with the recipient" in listing
