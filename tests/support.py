"""Helpers shared by the tests that run mailbot against real servers."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError, ProgrammingError

from mailbot.adapters.db.engine import make_engine
from mailbot.cli import main
from mailbot.config import load_config
from tests.servers.dovecot import ImapAccount
from tests.servers.smtp import SmtpServer

UNITS = """
[[units]]
code = "hoa-nghia"
name = "UBND phường Hòa Nghĩa"
emails = ["ubndhoanghia@example.gov.vn", "vanthu.hoanghia@gmail.com"]
aliases = ["phường Hòa Nghĩa"]

[[units]]
code = "da-phuc"
name = "UBND phường Đa Phúc"
emails = ["ubnddaphuc@example.gov.vn"]

[[units]]
code = "phu-nu"
name = "Hội Liên hiệp Phụ nữ quận"
emails = ["hoiphunu@example.gov.vn"]

[[units]]
code = "tu-phap"
name = "Phòng Tư pháp"
emails = ["tuphap@example.gov.vn"]
"""


@dataclass(frozen=True)
class Database:
    """The ledger's database for one test: a URL as written in the config, and the
    password (given to mailbot through ``password_file``)."""

    url: str
    password: str = field(default="", repr=False)

    @property
    def backend(self) -> str:
        return self.url.partition(":")[0].partition("+")[0]

    def engine_url(self, config: Path) -> str:
        """The URL a test opens itself, with the password; SQLite's path made absolute."""
        if self.backend == "sqlite":
            return self.url.replace("sqlite:///", f"sqlite:///{config.parent}/", 1)
        return self.url.replace("://mailbot@", f"://mailbot:{self.password}@", 1)


SQLITE = Database("sqlite:///var/mailbot.db")
OFFICE_ADDRESS = "noivuduongkinh@example.com"
OFFICE_BOSS = "truongphong.noivu@example.gov.vn"
BOARD = "banthiduakhenthuong@example.gov.vn"


def write_config(folder: Path, account: ImapAccount, *, extra_imap: str = "",
                 import_since: str = "2023-09-01", extra: str = "",
                 poll_interval: float = 2, smtp: SmtpServer | None = None,
                 board: str | None = None, database: Database = SQLITE) -> Path:
    """A config for ``account`` on the test Dovecot, data under ``folder``; with ``smtp``,
    mailbot sends through that loopback server as the office."""
    if smtp is not None:
        extra += f"""
[smtp]
host = "{smtp.host}"
port = {smtp.port}
security = "plain"
from_address = "{OFFICE_ADDRESS}"
from_name = "Phòng Nội vụ quận Dương Kinh"
timeout = 5
[office]
emails = ["{OFFICE_BOSS}"]
"""
    if board is not None:
        extra += f"""
[board]
to = ["{BOARD}"]
{board}
"""
    (folder / "imap-password").write_text(account.password + "\n")
    db_password = ""
    if database.password:
        (folder / "db-password").write_text(database.password + "\n")
        db_password = 'password_file = "db-password"'

    path = folder / "mailbot.toml"
    path.write_text(f"""
timezone = "Asia/Ho_Chi_Minh"
data_dir = "var"
[database]
url = "{database.url}"
{db_password}
[imap]
host = "{account.host}"
port = {account.port}
security = "plain"
username = "{account.username}"
password_file = "imap-password"
import_since = "{import_since}"
timeout = 10
poll_interval = {poll_interval}
{extra_imap}
{extra}
{UNITS}
""", encoding="utf-8")
    return path


def query(config: Path, sql: str) -> list[tuple[Any, ...]]:
    """The rows of ``sql`` in the database that ``config`` names, whatever its backend;
    [] while the database or its tables do not exist yet."""
    cfg = load_config(config)
    url = make_url(cfg.database_url)
    if url.get_backend_name() == "sqlite" and not Path(str(url.database)).exists():
        return []
    engine = make_engine(cfg.database_url, cfg.database_password)
    try:
        with engine.connect() as conn:
            return [tuple(row) for row in conn.execute(text(sql))]
    except (OperationalError, ProgrammingError):  # no tables yet
        return []
    finally:
        engine.dispose()


class Mailbot:
    """Runs the real CLI in-process against one config."""

    def __init__(self, config: Path, capsys: pytest.CaptureFixture[str]) -> None:
        self.config = config
        self.capsys = capsys

    def __call__(self, *args: str, now: str | None = None, expect: int = 0) -> str:
        argv = ["--config", str(self.config)] + (["--now", now] if now else []) + list(args)
        self.capsys.readouterr()
        code = main(argv)
        out, err = self.capsys.readouterr()
        assert code == expect, f"mailbot {' '.join(args)} exited {code}: {err}"
        return out if expect == 0 else err

    def json(self, *args: str, now: str | None = None) -> Any:
        return json.loads(self(*args, "--json", now=now))

    def ledger(self) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = self.json("messages")
        return rows



def wait_for(check: Callable[[], bool], timeout: float) -> bool:
    """Poll ``check`` every 50 ms until it is true (True) or ``timeout`` seconds pass."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.05)
    return False
