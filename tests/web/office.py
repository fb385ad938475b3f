"""An office with a real month of mail behind the web page: the ledger is filled by the
real CLI polling a private Dovecot (tests/support.py), as in tests/jobs."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import update
from starlette.testclient import TestClient

from mailbot.adapters.db.outbox import Outbox
from mailbot.adapters.db.schema import messages
from mailbot.app import App
from mailbot.config import load_config
from mailbot.demo.samples import malformed
from mailbot.jobs.users import add_user
from mailbot.web.app import create_app
from tests.samples import month_of_mail
from tests.servers.dovecot import ImapAccount
from tests.servers.smtp import SmtpServer
from tests.support import Mailbot, write_config

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
# The web page's clock: the morning after October's deadline, before the package.
NOW = datetime(2023, 10, 16, 9, 0, tzinfo=TZ)
USER, PASSWORD = "lan.nguyen", "mat-khau-dai-1"
_CSRF_RE = re.compile(r'name="csrf" value="([^"]+)"')


@dataclass
class Office:
    app: App
    bot: Mailbot
    account: ImapAccount
    ids: dict[str, int]  # sample key (tests/samples.py) -> ledger id

    def client(self, *, login: bool = True) -> TestClient:
        client = TestClient(create_app(self.app, clock=lambda: NOW, secret="test-secret"),
                            follow_redirects=False)
        if login:
            assert log_in(client).status_code == 303
        return client

    def row(self, key: str) -> dict[str, Any]:
        (row,) = [r for r in self.bot.ledger() if r["id"] == self.ids[key]]
        return row


def csrf_of(client: TestClient, path: str = "/thang") -> str:
    found = _CSRF_RE.search(client.get(path).text)
    assert found, f"no CSRF field on {path}"
    return found.group(1)


def log_in(client: TestClient, name: str = USER, password: str = PASSWORD) -> Any:
    token = csrf_of(client, "/dang-nhap")
    return client.post("/dang-nhap", data={"csrf": token, "name": name,
                                           "password": password, "next": "/thang"})


def post(client: TestClient, path: str, **fields: str) -> Any:
    return client.post(path, data={"csrf": csrf_of(client), **fields})


def build_office(folder: Path, account: ImapAccount, smtp: SmtpServer, bot_capsys: Any,
                 *, extra: str = "") -> Office:
    """October 2023's mail polled into the ledger, plus one message of each kind that
    waits for a person: unmatched (from the samples), quarantined (a malformed one),
    unverified (set directly: that disposition is written by the sender checks), and a
    failed acknowledgement in the outbox."""
    config = write_config(folder, account, smtp=smtp, board='approval = "required"',
                          extra=extra)
    bot = Mailbot(config, bot_capsys)
    bot("db", "upgrade")
    uids = {key: account.append(raw, internaldate=when) for key, raw, when in month_of_mail()}
    uids["malformed"] = account.append(malformed(), internaldate=NOW)
    bot("poll", now="2023-10-16T08:00")
    by_uid = {r["uid"]: r["id"] for r in bot.ledger()}
    ids = {key: by_uid[uid] for key, uid in uids.items()}
    app = App.open(load_config(config))
    with app.engine.begin() as conn:
        conn.execute(update(messages).where(messages.c.id == ids["unrelated"]).values(
            disposition="unverified", unit="da-phuc",
            reason="claims to be UBND phường Đa Phúc from an unknown address"))
    box = Outbox(app.engine)
    first = min(r.id for r in box.rows())
    box.finish(first, "failed", "550 5.1.1 mailbox unavailable", NOW)
    add_user(app, USER, PASSWORD, NOW)
    return Office(app, bot, account, ids)
