from __future__ import annotations

from pathlib import Path

import pytest

from tests.servers.dovecot import ImapAccount
from tests.support import Database, Mailbot, write_config


@pytest.fixture
def mailbot(tmp_path: Path, imap_account: ImapAccount, database: Database,
            capsys: pytest.CaptureFixture[str]) -> Mailbot:
    """The real CLI, in-process, on a fresh database and a fresh Dovecot mailbox."""
    bot = Mailbot(write_config(tmp_path, imap_account, database=database), capsys)
    bot("db", "upgrade")
    return bot
