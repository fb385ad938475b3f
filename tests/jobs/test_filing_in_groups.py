"""process_due files fresh messages in groups: parsed in a second thread, files flushed
together, one commit. A message that kills the process while it is parsed must still be
quarantined after max_attempts, and its neighbours, whose filing the crash cut short,
must not be; the rules that count earlier mail (acknowledgements per address per day)
must count the group's own mail too."""

from __future__ import annotations

import os
import signal
import sqlite3
from concurrent.futures import Future
from pathlib import Path

import pytest

import mailbot.jobs.ingest as ingest
from mailbot.adapters.db.queries import ledger
from mailbot.adapters.db.store import Pending
from mailbot.adapters.parse import parse_taken
from mailbot.app import App
from mailbot.cli import main
from mailbot.config import load_config
from mailbot.core.model import ParsedMail
from mailbot.jobs import parsing
from tests.builders import make_mail
from tests.jobs.test_random_mime_through_the_ledger import NOW, MemoryMailbox
from tests.servers.dovecot import ImapAccount
from tests.servers.smtp import SmtpServer
from tests.support import write_config


def _app(folder: Path, extra: str = "[ingest]\nretry_base_seconds = 0\nmax_attempts = 3",
         **options: object) -> App:
    # A message cut short is due again at once; it gives up after 3 attempts.
    config = write_config(folder, ImapAccount("127.0.0.1", 9, "office@example.com", "x"),
                          extra=extra, **options)  # type: ignore[arg-type]
    assert main(["--config", str(config), "db", "upgrade"]) == 0
    return App.open(load_config(config))


class ProcessDied(BaseException):
    """Stands for a parser that takes the process down (a segfault, the OOM killer)."""


def test_a_message_that_kills_the_parser_is_quarantined_and_its_neighbours_are_filed(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app = _app(tmp_path)
    mailbox = MemoryMailbox()
    for i in range(6):
        mailbox.add(make_mail(message_id=f"<m{i}@example.gov.vn>",
                              subject=f"Gương người tốt {'POISON' if i == 3 else i}"))

    def parse(box: list[bytes], **kw: object) -> ParsedMail:
        if b"POISON" in box[0]:
            raise ProcessDied
        return parse_taken(box, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(ingest, "parse_taken", parse)
    deaths = 0
    for _ in range(10):  # the daemon restarts after each death
        try:
            ingest.poll(app, mailbox, NOW)
            break
        except ProcessDied:
            deaths += 1

    rows = {r.message_id: r for r in ledger(app.engine)}
    assert deaths == 3
    assert rows["m3@example.gov.vn"].disposition == "quarantined"
    assert {rows[f"m{i}@example.gov.vn"].disposition for i in (0, 1, 2, 4, 5)} == {"submission"}
    assert all(rows[f"m{i}@example.gov.vn"].attempts <= 2 for i in (0, 1, 2, 4, 5))


def test_the_daily_acknowledgement_limit_counts_the_group_s_own_acknowledgements(
        tmp_path: Path, smtp_server: SmtpServer) -> None:
    app = _app(tmp_path, "[outbox]\nacks_per_address_per_day = 3", smtp=smtp_server)
    mailbox = MemoryMailbox()
    for i in range(8):  # one group: 8 small submissions from one unit's clerk
        mailbox.add(make_mail(message_id=f"<s{i}@example.gov.vn>", subject=f"Gương tốt {i}"))

    summary = ingest.poll(app, mailbox, NOW)

    assert summary.outcomes["submission"] == 8
    with sqlite3.connect(tmp_path / "var" / "mailbot.db") as db:
        assert db.execute("SELECT count(*) FROM outbox WHERE kind = 'ack'").fetchone() == (3,)


def test_a_large_pass_parses_in_a_worker_process_that_may_die_without_losing_a_message(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app = _app(tmp_path)
    mailbox = MemoryMailbox()
    count = parsing.PROCESS_FROM_COUNT + 6  # enough for the worker process
    for i in range(count):
        mailbox.add(make_mail(message_id=f"<w{i}@example.gov.vn>", subject=f"Gương tốt {i}"))
    submit = parsing.Parsers.submit
    workers: set[int] = set()
    killed: list[int] = []

    def submit_and_kill_once(self: parsing.Parsers, p: Pending, *, in_process: bool
                             ) -> Future[ParsedMail]:
        future = submit(self, p, in_process=in_process)
        if not in_process:  # the second pass: two messages are too few for a worker
            return future
        assert self._process is not None
        workers.update(self._process._processes)  # type: ignore[attr-defined]
        if len(workers) == 1 and p.id == 10 and not killed:  # the OOM killer, say
            killed.append(p.id)
            for pid in list(self._process._processes):  # type: ignore[attr-defined]
                os.kill(pid, signal.SIGKILL)
        return future

    monkeypatch.setattr(parsing.Parsers, "submit", submit_and_kill_once)
    first = ingest.poll(app, mailbox, NOW)
    second = ingest.poll(app, mailbox, NOW)  # what the death cut short, now due again

    rows = ledger(app.engine)
    assert killed == [10] and len(workers) == 2  # a new worker took over
    assert 1 <= first.outcomes["retry later"] <= 3  # the messages in flight with it
    assert first.outcomes["submission"] + second.outcomes["submission"] == count
    assert len(rows) == count and {r.disposition for r in rows} == {"submission"}
