"""Every message of a corpus of odd, broken and hostile mail, through one real pass:
nothing raises out of mailbot, and each message ends with exactly one ledger row
that says what became of it and why."""

from __future__ import annotations

import email
import email.policy
from collections import Counter
from pathlib import Path

import pytest

from tests.samples import at
from tests.servers.dovecot import ImapAccount
from tests.servers.smtp import SmtpServer
from tests.support import Mailbot, write_config

pytestmark = pytest.mark.dovecot

DATA = Path(__file__).parents[1] / "data"
CORPUS = sorted([*DATA.glob("*.eml"), *(DATA / "corpus").glob("*/*.txt"),
                 *(DATA / "corpus").glob("*/*.eml")])
FINAL = {"submission", "unmatched", "unverified", "auto_reply", "bounce", "own", "ignored",
         "quarantined"}
# What the limits must refuse, and what must be filed whatever its charset.
QUARANTINED = {"broken-nested-60-multiparts.eml", "broken-nested-60-rfc822.eml",
               "broken-header-300kb.eml"}
FILED_VIETNAMESE = {p.name for p in CORPUS if p.name.startswith("vi-")} - {
    "vi-bad-encoded-word.eml"}


def test_the_corpus_is_big_enough_to_mean_something() -> None:
    assert len(CORPUS) >= 80
    assert len([p for p in CORPUS if p.parent.name == "stdlib"]) == 48


def test_every_corpus_message_is_accounted_for_and_nothing_raises(
        tmp_path: Path, imap_account: ImapAccount, smtp_server: SmtpServer,
        capsys: pytest.CaptureFixture[str]) -> None:
    bot = Mailbot(write_config(tmp_path, imap_account, smtp=smtp_server), capsys)
    bot("db", "upgrade")
    names = {imap_account.append(p.read_bytes(), internaldate=at(6, 9)): p.name
             for p in CORPUS}

    bot("tick", now="2023-10-06T09:01")  # poll, acknowledge, deliver: one pass
    bot("tick", now="2023-10-06T09:30")  # a second pass finds nothing new to do

    rows = bot.ledger()
    assert sorted(r["uid"] for r in rows) == sorted(names)  # one row each, none lost
    by_name = {names[r["uid"]]: r for r in rows}
    for name, row in by_name.items():
        assert row["disposition"] in FINAL, (name, row)
        assert row["reason"].strip(), name
    outcome = {name: row["disposition"] for name, row in by_name.items()}
    assert {n for n in QUARANTINED if outcome[n] != "quarantined"} == set()
    assert {n: outcome[n] for n in FILED_VIETNAMESE if outcome[n] != "submission"} == {}
    stored = by_name["hostile-attachment-names.eml"]["attachments"]
    assert len(stored) == 11  # duplicates included; stored under generated names only
    for f in stored:
        assert (tmp_path / "var" / "files" / f["sha256"][:2] / f["sha256"][2:]).is_file()
    escaped = {"x.pdf", "passwd", "boot.ini", "CON.pdf", "x.pdf.exe"}
    assert [p for p in tmp_path.parent.rglob("*") if p.name in escaped] == []
    for sent in smtp_server.messages:  # the acknowledgements
        ack = email.message_from_bytes(sent.raw, policy=email.policy.default)
        assert ack["Bcc"] is None and "evil@example.com" not in sent.rcpt_tos
        assert b"<script>" not in sent.raw
    print("corpus outcome:", dict(Counter(outcome.values())))
