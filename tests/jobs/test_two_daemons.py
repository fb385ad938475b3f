"""Two mailbots pointed at one database: one works, and nothing is sent twice.

The lease keeps a second daemon out; and should two workers ever run at once anyway
(a lease lost during a long pause), the outbox's unique keys and its pending -> sending
claim still send each email once. Each test runs on SQLite and on PostgreSQL, with
separate processes (or separate engines) and a real SMTP server counting deliveries.
"""

from __future__ import annotations

import email
import multiprocessing
import signal
import subprocess
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine

from mailbot.adapters.db import lease
from mailbot.adapters.db.engine import make_engine
from mailbot.app import App
from mailbot.config import load_config
from tests.builders import make_mail
from tests.jobs.test_crash_and_daemon import _mailbot
from tests.servers.dovecot import ImapAccount
from tests.servers.smtp import SmtpServer
from tests.support import Database, query, wait_for, write_config

pytestmark = [pytest.mark.dovecot, pytest.mark.both_databases]
RACERS = 8
WORKERS = 4
SENDERS = ("ubndhoanghia@example.gov.vn", "vanthu.hoanghia@gmail.com",
           "ubnddaphuc@example.gov.vn", "hoiphunu@example.gov.vn", "tuphap@example.gov.vn")
HANOI = ZoneInfo("Asia/Ho_Chi_Minh")


def _message_ids(smtp: SmtpServer) -> Counter[str]:
    return Counter(str(email.message_from_bytes(m.raw)["Message-ID"]) for m in smtp.messages)


def _race(engine: Engine, owner: str, start: threading.Barrier, won: list[str]) -> None:
    start.wait()
    if lease.take(engine, owner) is None:
        won.append(owner)


def test_of_many_racing_for_the_lease_exactly_one_wins(
        tmp_path: Path, imap_account: ImapAccount, database: Database) -> None:
    config = write_config(tmp_path, imap_account, database=database)
    subprocess.run(_mailbot(config, "db", "upgrade"), check=True, capture_output=True)
    engines = [make_engine(database.engine_url(config)) for _ in range(RACERS)]
    try:
        for round_ in range(5):
            if round_ % 2:  # an expired lease of a daemon on another host: up for grabs
                past = datetime.now(UTC) - lease.TTL - timedelta(seconds=5)
                assert lease.take(engines[0], "pid 1 on elsewhere", now=past) is None
            start = threading.Barrier(RACERS)
            won: list[str] = []
            threads = [threading.Thread(target=_race, args=(engines[i], f"racer {i}", start, won))
                       for i in range(RACERS)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(timeout=60)
            assert len(won) == 1, f"round {round_}: {won}"
            holder = lease.holder(engines[0])
            assert holder is not None and holder.owner == won[0]
            lease.release(engines[0], won[0])
    finally:
        for e in engines:
            e.dispose()


def test_two_daemons_started_at_once_one_works_and_each_acknowledgement_goes_once(
        tmp_path: Path, imap_account: ImapAccount, smtp_server: SmtpServer,
        database: Database) -> None:
    config = write_config(tmp_path, imap_account, poll_interval=600, smtp=smtp_server,
                          database=database)
    subprocess.run(_mailbot(config, "db", "upgrade"), check=True, capture_output=True)
    for i, sender in enumerate(SENDERS):  # one each: acknowledgements are capped per address
        imap_account.append(make_mail(message_id=f"<before-{i}@example.gov.vn>", sender=sender))
    logs = [tmp_path / f"daemon-{n}.log" for n in (1, 2)]
    procs = []
    for log in logs:
        with log.open("w") as out:
            procs.append(subprocess.Popen(_mailbot(config, "run"), stdout=out, stderr=out))
    try:
        assert wait_for(lambda: any(p.poll() is not None for p in procs), 30)
        (loser,) = [p for p in procs if p.poll() is not None]
        (winner,) = [p for p in procs if p.poll() is None]
        loser_log = logs[procs.index(loser)].read_text()
        assert loser.returncode == 1 and "another mailbot is already running" in loser_log
        smtp_server.wait_for(5, timeout=30)
        for i, sender in enumerate(SENDERS):
            imap_account.append(make_mail(message_id=f"<after-{i}@example.gov.vn>",
                                          sender=sender))
        smtp_server.wait_for(10, timeout=30)
        time.sleep(1)  # anything sent twice would arrive by now
        winner.send_signal(signal.SIGTERM)
        assert winner.wait(timeout=15) == 0
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
    sent = _message_ids(smtp_server)
    assert len(sent) == 10 and set(sent.values()) == {1}
    assert query(config, "SELECT kind, status, count(*) FROM outbox GROUP BY kind, status") == [
        ("ack", "sent", 10)]


def _work_without_lease(config: Path, days: list[datetime], start: Barrier,
                        results: Queue[tuple[int, int]]) -> None:
    """One worker of a split brain: on each day, queue the duties due and deliver, with
    no lease (as two daemons would if one paused past its lease and came back). Reports
    (emails it queued, emails it sent)."""
    from mailbot.jobs.duties import run_duties
    from mailbot.jobs.outgoing import deliver_outbox

    app = App.open(load_config(config))
    queued = sent = 0
    try:
        for now in days:
            start.wait(timeout=60)
            queued += sum(run_duties(app, now).values())
            sent += deliver_outbox(app, now)["sent"]
    finally:
        app.close()
        results.put((queued, sent))


def test_workers_running_at_once_without_the_lease_still_send_each_email_once(
        tmp_path: Path, imap_account: ImapAccount, smtp_server: SmtpServer,
        database: Database) -> None:
    config = write_config(tmp_path, imap_account, smtp=smtp_server, database=database)
    subprocess.run(_mailbot(config, "db", "upgrade"), check=True, capture_output=True)
    spawn = multiprocessing.get_context("spawn")  # separate processes, separate engines
    # The reminders of the 10th and the 14th (4 units each), the office status of the 16th.
    days = [datetime(2023, 10, day, 8, 5, tzinfo=HANOI) for day in (10, 14, 16)]
    start, results = spawn.Barrier(WORKERS), spawn.Queue()
    workers = [spawn.Process(target=_work_without_lease, args=(config, days, start, results))
               for _ in range(WORKERS)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=120)
        assert w.exitcode == 0
    done = [results.get(timeout=5) for _ in workers]
    print(f"(queued, sent) per worker: {done}")
    assert sum(q for q, _ in done) == 9 and sum(s for _, s in done) == 9
    rows = query(config, "SELECT message_id, status FROM outbox")
    assert len(rows) == 9 and {status for _, status in rows} == {"sent"}
    sent = _message_ids(smtp_server)
    assert sorted(sent) == sorted(mid if mid.startswith("<") else f"<{mid}>" for mid, _ in rows)
    assert set(sent.values()) == {1}, "an email was delivered twice"
