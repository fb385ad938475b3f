"""The real `mailbot` process: killed mid-pass, and running as a daemon under IDLE."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.builders import JPEG, make_mail
from tests.samples import at
from tests.servers.dovecot import ImapAccount
from tests.servers.smtp import SmtpServer
from tests.support import Database, query, wait_for, write_config

pytestmark = pytest.mark.dovecot


def _mailbot(config: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "mailbot", "--config", str(config), *args]


def _ledger(config: Path) -> list[tuple[int, int, str, str | None]]:
    return query(config, "SELECT id, uid, disposition, raw_sha256 FROM messages")  # type: ignore[return-value]



def _start_daemon(config: Path) -> tuple[subprocess.Popen[bytes], Path]:
    """`mailbot run` on a fresh database, once it is connected and idling."""
    subprocess.run(_mailbot(config, "db", "upgrade"), check=True, capture_output=True)
    log = config.parent / "daemon.log"
    with log.open("w") as err:
        proc = subprocess.Popen(_mailbot(config, "run"), stdout=err, stderr=err,
                                env={**os.environ, "PYTHONUNBUFFERED": "1"})
    if not wait_for(lambda: "IDLE on" in log.read_text(), 20):
        proc.kill()
        proc.wait()
        raise AssertionError(log.read_text())
    return proc, log


def test_a_poll_killed_at_random_points_and_restarted_files_each_message_once(
        tmp_path: Path, imap_account: ImapAccount, database: Database) -> None:
    # A message whose processing was cut short waits retry_base_seconds before its next
    # attempt (and is quarantined after max_attempts: the guard against a message that
    # kills the process); here, retry at once and never give up.
    config = write_config(tmp_path, imap_account, extra_imap="batch_bytes = 300000",
                          extra="[ingest]\nretry_base_seconds = 0\nmax_attempts = 100",
                          database=database)
    subprocess.run(_mailbot(config, "db", "upgrade"), check=True, capture_output=True)
    count = 40
    photo = JPEG * 2000  # ~0.5 MB: enough work per message for kills to land mid-pass
    for i in range(count):
        imap_account.append(make_mail(message_id=f"<kill-{i}@example.gov.vn>",
                                      attachments=[(f"ảnh {i}.jpg", photo + bytes([i]),
                                                    "image/jpeg")]), internaldate=at(10))
    rng = random.Random(20231015)
    kills = 0
    for _ in range(12):
        seen = len(_ledger(config))
        if seen == count and all(d != "pending" for _, _, d, _ in _ledger(config)):
            break
        proc = subprocess.Popen(_mailbot(config, "poll"), stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        # Kill once this pass has visibly started working, at a random moment after.
        wait_for(lambda p=proc, n=seen: p.poll() is not None or len(_ledger(config)) > n, 30)
        time.sleep(rng.uniform(0.0, 0.4))
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            kills += 1
        proc.wait(timeout=30)
    done = subprocess.run(_mailbot(config, "poll"), capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert kills >= 3, "the pass finished too fast for the kills to test anything"

    rows = _ledger(config)
    assert len(rows) == count
    assert sorted(uid for _, uid, _, _ in rows) == list(range(1, count + 1))
    assert {d for _, _, d, _ in rows} == {"submission"}
    store = config.parent / "var" / "mail"
    for _, _, _, sha in rows:
        assert (store / sha[:2] / sha[2:]).is_file()


def test_the_daemon_files_mail_as_it_arrives_and_stops_cleanly_on_sigterm(
        tmp_path: Path, imap_account: ImapAccount) -> None:
    config = write_config(tmp_path, imap_account, poll_interval=600)
    proc, log = _start_daemon(config)
    try:
        time.sleep(0.3)
        started = time.monotonic()
        imap_account.append(make_mail(message_id="<live-1@example.gov.vn>"))
        assert wait_for(lambda: len(_ledger(config)) == 1 and _ledger(config)[0][2] != "pending",
                         20), log.read_text()
        latency = time.monotonic() - started
        assert latency < 20  # bounded wait above; with poll_interval 600 only IDLE explains it
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=15) == 0
        assert "mailbot stopped" in log.read_text()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_the_daemon_acknowledges_within_seconds_and_a_second_daemon_refuses_to_start(
        tmp_path: Path, imap_account: ImapAccount, smtp_server: SmtpServer,
        database: Database) -> None:
    config = write_config(tmp_path, imap_account, poll_interval=600, smtp=smtp_server,
                          database=database)
    proc, _ = _start_daemon(config)
    try:
        second = subprocess.run(_mailbot(config, "run"), capture_output=True, text=True,
                                timeout=30)
        assert second.returncode == 1
        assert "another mailbot is already running" in second.stderr
        tick = subprocess.run(_mailbot(config, "tick"), capture_output=True, text=True,
                              timeout=30)
        assert tick.returncode == 1 and "already running" in tick.stderr

        latencies = []
        for i in range(3):
            started = time.monotonic()
            imap_account.append(make_mail(message_id=f"<live-{i}@example.gov.vn>"))
            smtp_server.wait_for(i + 1, timeout=20)
            latencies.append(time.monotonic() - started)
        assert len(smtp_server.messages) == 3
        assert all(m.rcpt_tos == ("ubndhoanghia@example.gov.vn",) for m in smtp_server.messages)
        print(f"acknowledgement latency under IDLE: {[round(x, 2) for x in latencies]} s")
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=15) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    after = subprocess.run(_mailbot(config, "tick"), capture_output=True, text=True, timeout=60)
    assert after.returncode == 0, after.stderr  # the lease was released on a clean stop
