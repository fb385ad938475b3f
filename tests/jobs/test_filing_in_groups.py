"""process_due files fresh messages in groups: parsed in a second thread, files flushed
together, one commit. A message that kills the process while it is parsed must still be
quarantined after max_attempts, and its neighbours, whose filing the crash cut short,
must not be; the rules that count earlier mail (acknowledgements per address per day)
must count the group's own mail too."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

import mailbot.jobs.ingest as ingest
from mailbot.adapters.db.queries import ledger
from mailbot.adapters.parse import parse_taken
from mailbot.app import App
from mailbot.cli import main
from mailbot.config import load_config
from mailbot.core.model import ParsedMail
from tests.builders import make_mail
from tests.jobs.test_random_mime_through_the_ledger import NOW, MemoryMailbox
from tests.servers.dovecot import ImapAccount
from tests.servers.smtp import SmtpServer
from tests.support import write_config


class ProcessDied(BaseException):
    """Stands for a parser that takes the process down (a segfault, the OOM killer)."""


def test_a_message_that_kills_the_parser_is_quarantined_and_its_neighbours_are_filed(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = write_config(tmp_path, ImapAccount("127.0.0.1", 9, "office@example.com", "x"),
                          extra="[ingest]\nretry_base_seconds = 0\nmax_attempts = 3")
    assert main(["--config", str(config), "db", "upgrade"]) == 0
    app = App.open(load_config(config))
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
    config = write_config(tmp_path, ImapAccount("127.0.0.1", 9, "office@example.com", "x"),
                          smtp=smtp_server, extra="[outbox]\nacks_per_address_per_day = 3")
    assert main(["--config", str(config), "db", "upgrade"]) == 0
    app = App.open(load_config(config))
    mailbox = MemoryMailbox()
    for i in range(8):  # one group: 8 small submissions from one unit's clerk
        mailbox.add(make_mail(message_id=f"<s{i}@example.gov.vn>", subject=f"Gương tốt {i}"))

    summary = ingest.poll(app, mailbox, NOW)

    assert summary.outcomes["submission"] == 8
    with sqlite3.connect(tmp_path / "var" / "mailbot.db") as db:
        assert db.execute("SELECT count(*) FROM outbox WHERE kind = 'ack'").fetchone() == (3,)
