"""`mailbot health`: one line per check, exit 1 when mailbot is not doing its job."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text, update

from mailbot import cli
from mailbot.adapters.db import lease
from mailbot.adapters.db.outbox import NewEmail, Outbox
from mailbot.adapters.db.schema import outbox
from mailbot.app import App
from mailbot.config import load_config
from mailbot.jobs.health import FAIL, OK, WARN, ago, check_lease, check_outbox, check_poll
from tests.builders import make_mail
from tests.samples import at
from tests.servers.dovecot import ImapAccount
from tests.support import Mailbot, write_config

pytestmark = pytest.mark.both_databases

T0 = datetime(2023, 10, 16, 1, 0, tzinfo=UTC)
MAX = timedelta(minutes=30)
EVERY = timedelta(minutes=5)


@pytest.fixture
def app(mailbot: Mailbot) -> Iterator[App]:
    """The same database as the `mailbot` fixture's, for setting up states directly."""
    app = App.open(load_config(mailbot.config))
    yield app
    app.close()


def _lines(out: str) -> dict[str, str]:
    """check name -> its whole line."""
    return {line.split()[1]: line for line in out.splitlines()}


@pytest.mark.parametrize(("last_poll", "status"), [
    (None, FAIL),
    (T0 - timedelta(minutes=29), OK),
    (T0 - MAX, OK),
    (T0 - MAX - timedelta(seconds=1), FAIL),
    (T0 + timedelta(minutes=5), OK),  # --now earlier than the last poll: not stale
])
def test_the_poll_check_fails_when_the_folder_was_not_polled_within_the_limit(
        last_poll: datetime | None, status: str) -> None:
    assert check_poll(last_poll, T0, MAX, folder="INBOX", poll_interval=EVERY).status == status


def test_a_failed_poll_check_says_how_old_and_points_at_a_too_long_poll_interval() -> None:
    check = check_poll(T0 - timedelta(hours=2), T0, MAX, folder="INBOX",
                       poll_interval=timedelta(hours=1))
    assert check.detail.startswith("folder 'INBOX' last polled 2 h ago, more than 30 min")
    assert "imap.poll_interval is 1 h" in check.detail
    assert check_poll(None, T0, MAX, folder="INBOX", poll_interval=EVERY).detail \
        == "folder 'INBOX' has never been polled"


def test_passes_that_start_but_never_complete_fail_the_poll_check_and_say_so() -> None:
    check = check_poll(T0 - timedelta(hours=2), T0, MAX, folder="INBOX", poll_interval=EVERY,
                       started=T0 - timedelta(minutes=1))
    assert check.status == FAIL
    assert "a pass started 60 s ago but did not complete" in check.detail
    assert check_poll(T0 - timedelta(minutes=2), T0, MAX, folder="INBOX", poll_interval=EVERY,
                      started=T0 - timedelta(minutes=1)).status == OK


def test_the_outbox_check_fails_on_failed_or_unknown_mail_naming_them() -> None:
    assert check_outbox([], []).status == OK
    check = check_outbox([3, 7], [9])
    assert check.status == FAIL
    assert check.detail == "2 failed (#3, #7), 1 unknown (#9): see `mailbot outbox`"
    many = check_outbox(list(range(1, 16)), [])
    assert "#10 and 5 more" in many.detail and many.data["failed"] == list(range(1, 16))


@pytest.mark.parametrize(("heartbeat", "status", "words"), [
    (None, WARN, "daemon not running"),
    (T0 - timedelta(seconds=20), OK, "heartbeat 20 s ago"),
    (T0 - lease.TTL, OK, "held by"),
    (T0 - lease.TTL - timedelta(seconds=1), FAIL, "stale"),
])
def test_the_lease_check_warns_without_a_daemon_and_fails_on_a_stale_lease(
        heartbeat: datetime | None, status: str, words: str) -> None:
    holder = heartbeat and lease.Holder("pid 7 on office-pc", heartbeat, heartbeat + lease.TTL)
    check = check_lease(holder, T0, lease.TTL)
    assert check.status == status and words in check.detail


@pytest.mark.parametrize(("seconds", "text"), [
    (0, "0 s"), (119, "119 s"), (120, "2 min"), (3600, "1 h"), (5400, "1 h 30 min"),
    (86400, "1 d"), (180000, "2 d 2 h")])
def test_durations_read_naturally(seconds: int, text: str) -> None:
    assert ago(timedelta(seconds=seconds)) == text


@pytest.mark.dovecot
def test_a_freshly_polled_mailbox_is_healthy_with_a_warning_when_no_daemon_runs(
        imap_account: ImapAccount, mailbot: Mailbot) -> None:
    imap_account.append(make_mail(), internaldate=at(10))
    mailbot("poll", now="2023-10-16T08:00")
    lines = _lines(mailbot("health", now="2023-10-16T08:20"))
    assert list(lines) == ["database", "poll", "outbox", "lease"]
    assert lines["database"].startswith("OK   database  at revision ")
    assert lines["poll"] == "OK   poll      folder 'INBOX' polled 20 min ago"
    assert lines["outbox"] == "OK   outbox    no failed or unknown email"
    assert lines["lease"] == "WARN lease     daemon not running (nobody holds the lease)"


@pytest.mark.dovecot
def test_it_is_unhealthy_when_the_last_poll_is_older_than_the_limit(mailbot: Mailbot) -> None:
    mailbot("poll", now="2023-10-16T08:00")
    out = _run(mailbot, "health", now="2023-10-16T08:31")
    assert "FAIL poll      folder 'INBOX' last polled 31 min ago, more than 30 min: is the " \
           "daemon running, and can it reach the IMAP server?" in out
    _run(mailbot, "health", "--max-poll-age", "45", now="2023-10-16T08:31", code=0)


@pytest.mark.dovecot
def test_it_is_unhealthy_before_the_first_poll(mailbot: Mailbot) -> None:
    out = _run(mailbot, "health")
    assert "FAIL poll      folder 'INBOX' has never been polled" in out


@pytest.mark.dovecot
def test_failed_and_unknown_emails_make_it_unhealthy_and_are_listed(
        mailbot: Mailbot, app: App) -> None:
    mailbot("poll", now="2023-10-16T08:00")
    box = Outbox(app.engine)
    box.add([NewEmail(key=f"reminder:2023-10:u{i}:d5", kind="reminder",
                      to=(f"u{i}@example.gov.vn",), subject="Nhắc", message_id=f"<r{i}@x>",
                      raw=b"Subject: x\r\n\r\nx\r\n") for i in range(4)], T0)
    with app.engine.begin() as conn:
        conn.execute(update(outbox).where(outbox.c.id.in_([1, 3])).values(status="failed"))
        conn.execute(update(outbox).where(outbox.c.id == 4).values(status="unknown"))
    out = _run(mailbot, "health", now="2023-10-16T08:05")
    assert "FAIL outbox    2 failed (#1, #3), 1 unknown (#4): see `mailbot outbox`" in out
    data = _json(mailbot, "health", now="2023-10-16T08:05")
    assert data["healthy"] is False
    by_name = {c["check"]: c for c in data["checks"]}
    assert by_name["outbox"]["failed"] == [1, 3] and by_name["outbox"]["unknown"] == [4]
    assert by_name["poll"]["status"] == "OK" and by_name["poll"]["age_seconds"] == 300


@pytest.mark.dovecot
def test_a_lease_nobody_renews_is_stale_and_a_renewed_one_is_fine(
        mailbot: Mailbot, app: App) -> None:
    mailbot("poll")  # real time: the lease is judged by the real clock
    lease.take(app.engine, "pid 4242 on another-host",
               now=datetime.now(UTC) - timedelta(minutes=10))
    out = _run(mailbot, "health")
    assert "FAIL lease     stale: held by pid 4242 on another-host, whose last heartbeat " \
           "was 10 min ago" in out
    lease.take(app.engine, "pid 4242 on another-host")
    out = _run(mailbot, "health", code=0)
    assert "OK   lease     held by pid 4242 on another-host, heartbeat " in out


@pytest.mark.dovecot
def test_an_outdated_database_fails_and_the_other_checks_are_skipped(
        mailbot: Mailbot, app: App) -> None:
    with app.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0002'"))
    lines = _lines(_run(mailbot, "health"))
    assert lines["database"].startswith("FAIL database  at revision 0002, this mailbot needs ")
    assert lines["database"].endswith(": run `mailbot db upgrade`")
    assert [line.split()[0] for line in lines.values()] == ["FAIL", "SKIP", "SKIP", "SKIP"]


@pytest.mark.dovecot
def test_a_missing_database_is_named_and_not_created(
        tmp_path: Path, imap_account: ImapAccount, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "fresh"
    folder.mkdir()
    bot = Mailbot(write_config(folder, imap_account), capsys)
    out = _run(bot, "health")
    assert f"FAIL database  no database at {folder / 'var' / 'mailbot.db'}" in out
    assert not (folder / "var" / "mailbot.db").exists()


@pytest.mark.dovecot
def test_health_is_ok_while_the_real_daemon_runs(
        tmp_path: Path, imap_account: ImapAccount, capsys: pytest.CaptureFixture[str]) -> None:
    config = write_config(tmp_path, imap_account)
    bot = Mailbot(config, capsys)
    bot("db", "upgrade")
    log = tmp_path / "daemon.log"
    with log.open("w") as err:
        daemon = subprocess.Popen([sys.executable, "-m", "mailbot", "--config", str(config),
                                   "run"], stdout=err, stderr=err,
                                  env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        deadline = time.monotonic() + 20
        while "IDLE on" not in log.read_text() and time.monotonic() < deadline:
            time.sleep(0.05)
        out = _run(bot, "health", code=0)
        assert [line.split()[0] for line in out.splitlines()] == ["OK", "OK", "OK", "OK"], out
        assert f"held by pid {daemon.pid} on " in out
    finally:
        daemon.send_signal(signal.SIGTERM)
        daemon.wait(timeout=30)
    assert daemon.returncode == 0, log.read_text()
    assert "WARN lease     daemon not running" in _run(bot, "health", code=0)


def _run(bot: Mailbot, *args: str, now: str | None = None, code: int = 1) -> str:
    """stdout of `mailbot ARGS` (the Mailbot helper returns stderr for non-zero exits)."""
    argv = ["--config", str(bot.config)] + (["--now", now] if now else []) + list(args)
    bot.capsys.readouterr()
    result = cli.main(argv)
    out, err = bot.capsys.readouterr()
    assert result == code, f"mailbot {' '.join(args)} exited {result}: {out}{err}"
    return out


def _json(bot: Mailbot, *args: str, now: str | None = None) -> Any:
    return json.loads(_run(bot, *args, "--json", now=now))


@pytest.mark.parametrize("minutes", ["0", "-5", "soon", "inf"])
def test_a_poll_age_that_is_not_a_positive_number_is_a_usage_error(
        minutes: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        cli.main(["health", "--max-poll-age", minutes])
    assert exit_.value.code == 2
    assert f"{minutes!r} is not a number of minutes" in capsys.readouterr().err
