from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.servers.dovecot import ImapAccount
from tests.servers.smtp import SmtpServer
from tests.web.office import Office, build_office


@pytest.fixture
def office(tmp_path: Path, imap_account: ImapAccount, smtp_server: SmtpServer,
           capsys: pytest.CaptureFixture[str]) -> Iterator[Office]:
    office = build_office(tmp_path, imap_account, smtp_server, capsys)
    yield office
    office.app.close()
