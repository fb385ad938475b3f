"""The IMAP server restarted or cutting the connection mid-FETCH and during IDLE, a
server without IDLE, and a LOGIN refused: the real daemon, a real private Dovecot."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.builders import JPEG, make_mail
from tests.jobs.test_crash_and_daemon import _ledger, _mailbot
from tests.samples import at
from tests.servers.dovecot import Dovecot
from tests.support import wait_for, write_config

pytestmark = pytest.mark.dovecot
# Dovecot's post-login capabilities without IDLE (as some hosted and old servers).
NO_IDLE = """
protocol imap {
  imap_capability = IMAP4rev1 LITERAL+ SASL-IR LOGIN-REFERRALS ID ENABLE SORT UIDPLUS \
MOVE NAMESPACE UNSELECT CHILDREN ESEARCH
}
"""


@pytest.fixture
def daemon(tmp_path: Path) -> Iterator[list[subprocess.Popen[bytes]]]:
    """Holds the daemons a test starts, and kills any left when it ends."""
    procs: list[subprocess.Popen[bytes]] = []
    yield procs
    for p in procs:
        if p.poll() is None:
            p.kill()
            p.wait()


def _run(config: Path, procs: list[subprocess.Popen[bytes]]) -> Path:
    subprocess.run(_mailbot(config, "db", "upgrade"), check=True, capture_output=True)
    log = config.parent / "daemon.log"
    with log.open("w") as out:
        procs.append(subprocess.Popen(_mailbot(config, "run"), stdout=out, stderr=out,
                                      env={**os.environ, "PYTHONUNBUFFERED": "1"}))
    return log


def _filed(config: Path, count: int) -> bool:
    rows = _ledger(config)
    return len(rows) == count and all(d != "pending" for _, _, d, _ in rows)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=20) == 0


def test_dovecot_restarted_in_the_middle_of_a_large_fetch_the_daemon_reconnects_and_loses_nothing(
        tmp_path: Path, fresh_dovecot: Dovecot,
        daemon: list[subprocess.Popen[bytes]]) -> None:
    account = fresh_dovecot.add_user()
    count = 40
    for i in range(count):  # ~0.7 MB each, fetched in batches of 3
        account.append(make_mail(message_id=f"<big-{i}@example.gov.vn>", attachments=[
            (f"ảnh {i}.jpg", JPEG * 250 + bytes([i]), "image/jpeg")]), internaldate=at(10))
    config = write_config(tmp_path, account, extra_imap="batch_bytes = 2000000")
    log = _run(config, daemon)
    assert wait_for(lambda: 0 < len(_ledger(config)) < count - 6, 30), log.read_text()
    fresh_dovecot.crash_restart()  # the session dies with the FETCH under way
    assert wait_for(lambda: _filed(config, count), 60), log.read_text()
    text = log.read_text()
    assert "cannot fetch messages" in text and "retrying in" in text
    assert text.count("connected (IDLE on)") >= 2
    rows = _ledger(config)
    assert sorted(uid for _, uid, _, _ in rows) == list(range(1, count + 1))
    assert {d for _, _, d, _ in rows} == {"submission"}
    _stop(daemon[0])


def test_the_connection_cut_during_idle_the_daemon_reconnects_and_files_what_came_meanwhile(
        tmp_path: Path, fresh_dovecot: Dovecot,
        daemon: list[subprocess.Popen[bytes]]) -> None:
    account = fresh_dovecot.add_user()
    config = write_config(tmp_path, account, poll_interval=600)
    log = _run(config, daemon)
    assert wait_for(lambda: "IDLE on" in log.read_text(), 20), log.read_text()
    time.sleep(0.3)
    assert fresh_dovecot.cut_connections() == 1  # the IDLE session dies
    account.append(make_mail(message_id="<while-cut@example.gov.vn>"), internaldate=at(10))
    assert wait_for(lambda: _filed(config, 1), 30), log.read_text()
    assert "IMAP IDLE on 'INBOX' failed" in log.read_text()
    assert log.read_text().count("connected (IDLE on)") == 2
    _stop(daemon[0])


def test_a_server_without_idle_is_polled_every_poll_interval(
        tmp_path: Path, daemon: list[subprocess.Popen[bytes]]) -> None:
    with Dovecot(extra_config=NO_IDLE) as server:
        account = server.add_user()
        with account.client() as probe:
            assert b"IDLE" not in probe.capabilities()
        config = write_config(tmp_path, account, poll_interval=1)
        log = _run(config, daemon)
        assert wait_for(lambda: "IDLE off: polling" in log.read_text(), 20), log.read_text()
        for i in range(2):
            account.append(make_mail(message_id=f"<no-idle-{i}@example.gov.vn>"),
                           internaldate=at(10))
            assert wait_for(lambda n=i + 1: _filed(config, n), 10), log.read_text()
        _stop(daemon[0])
