"""Property: random MIME trees (tests/adapters/test_parse_property.py's strategy), sent by a
unit or a stranger, go through the real ingestion pass into the ledger: nothing raises,
each message gets exactly one final row with a reason, and a kept message keeps every
file byte for byte. The mailbox is an in-memory stand-in at mailbot's own Mailbox
protocol (Dovecot has its own tests); everything behind it is real."""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mailbot.adapters.db.queries import ledger
from mailbot.adapters.imap import Envelope, Fetched
from mailbot.app import App
from mailbot.cli import main
from mailbot.config import load_config
from mailbot.jobs.ingest import poll
from tests.adapters.test_parse_property import Built, messages
from tests.servers.dovecot import ImapAccount
from tests.support import write_config

pytestmark = pytest.mark.filterwarnings(
    "ignore:mypy_extensions.TypedDict is deprecated:DeprecationWarning")

NOW = datetime(2023, 10, 6, 2, tzinfo=UTC)
STRANGER = b"From: UBND <ubnd@example.gov.vn>"
UNIT = b"From: ubndhoanghia@example.gov.vn"
SUBJECT = b"Subject: x"
KEYWORD = b"Subject: =?utf-8?q?G=C6=B0=C6=A1ng_ng=C6=B0=E1=BB=9Di_t=E1=BB=91t?="
KEEPS_FILES = {"submission", "unmatched", "unverified"}
FINAL = KEEPS_FILES | {"auto_reply", "bounce", "own", "ignored", "quarantined"}


class MemoryMailbox:
    """A folder held in memory, answering as ImapMailbox does."""

    uidvalidity = 7

    def __init__(self) -> None:
        self.mail: dict[int, bytes] = {}

    def add(self, raw: bytes) -> int:
        uid = len(self.mail) + 1
        self.mail[uid] = raw
        return uid

    def list_new(self, after_uid: int) -> list[Envelope]:
        return [Envelope(uid, len(raw), NOW) for uid, raw in self.mail.items() if uid > after_uid]

    def fetch(self, batch: Sequence[Envelope]) -> list[Fetched]:
        return [Fetched(e.uid, self.mail[e.uid], e.internaldate) for e in batch]

    def headers(self, batch: Sequence[Envelope]) -> dict[int, bytes]:
        return {e.uid: self.mail[e.uid].partition(b"\r\n\r\n")[0] for e in batch}


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> App:
    folder = tmp_path_factory.mktemp("ledger-property")
    config = write_config(folder, ImapAccount("127.0.0.1", 9, "office@example.com", "x"))
    assert main(["--config", str(config), "db", "upgrade"]) == 0
    return App.open(load_config(config))


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.lists(st.tuples(messages(), st.booleans(), st.booleans()), min_size=1, max_size=3))
def test_random_mime_trees_each_end_in_one_final_ledger_row_with_their_files(
        app: App, batch: list[tuple[Built, bool, bool]]) -> None:
    mailbox = MemoryMailbox()
    mailbox.mail = {r.uid: b"" for r in ledger(app.engine)}  # UIDs already used
    sent: dict[int, Built] = {}
    for built, from_unit, keyword in batch:
        raw = built.raw.replace(STRANGER, UNIT) if from_unit else built.raw
        sent[mailbox.add(raw.replace(SUBJECT, KEYWORD, 1) if keyword else raw)] = built

    poll(app, mailbox, NOW)

    rows = {r.uid: r for r in ledger(app.engine) if r.uid in sent}
    assert sorted(rows) == sorted(sent)
    for uid, row in rows.items():
        assert row.disposition in FINAL and row.reason.strip()
        if row.disposition in KEEPS_FILES:
            wanted = Counter(hashlib.sha256(f).hexdigest() for f in sent[uid].files)
            assert not wanted - Counter(a.sha256 for a in row.attachments)
