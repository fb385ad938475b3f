"""Mail whose headers overflow every column (and carry NUL) is still filed, on SQLite and
on PostgreSQL: PostgreSQL enforces String lengths and refuses NUL, where SQLite does not."""

from __future__ import annotations

import pytest

from tests.samples import at
from tests.servers.dovecot import ImapAccount
from tests.support import Mailbot, query

pytestmark = [pytest.mark.dovecot, pytest.mark.both_databases]

LONG_ID = "<" + "x" * 3000 + "@example.gov.vn>"
LONG_ADDRESS = "a" * 400 + "@example.gov.vn"
LONG_NAME = "Ủy ban phường Hòa Nghĩa " * 60
CONTENT_TYPE = "application/x-" + "y" * 300


def _oversized(message_id: str = LONG_ID) -> bytes:
    return (
        f"Message-ID: {message_id}\r\n"
        f"From: {LONG_NAME} <{LONG_ADDRESS}>\r\n"
        "To: noivuduongkinh@example.com\r\n"
        "Subject: =?utf-8?b?R8awxqFuZyBuZ8aw4budaSB04buRdCB2aeG7h2MgdOG7kXQAIHRow6FuZyAx"
        "MC8yMDIz?=\r\n"  # "Gương người tốt việc tốt\x00 tháng 10/2023"
        "Date: Tue, 10 Oct 2023 09:00:00 +0700\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/mixed; boundary="b"\r\n\r\n'
        "--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nK\xednh g\u1eedi\x00 ph\u00f2ng\r\n"
        f'--b\r\nContent-Type: {CONTENT_TYPE}\r\nContent-Disposition: attachment; '
        f'filename="{"t" * 300}.pdf"\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0=\r\n'
        "--b--\r\n"
    ).encode()


def test_a_message_that_overflows_every_column_is_filed_and_found_again(
        imap_account: ImapAccount, mailbot: Mailbot) -> None:
    imap_account.append(_oversized(), internaldate=at(10))
    imap_account.append(_oversized(), internaldate=at(10))  # the same message again
    assert mailbot("poll", now="2023-10-18T09:00").startswith("polled 2 new")
    first, second = mailbot.ledger()
    assert first["disposition"] in ("unmatched", "ignored", "submission"), first
    assert len(first["message_id"]) == 998 and first["message_id"] == second["message_id"]
    assert "\x00" not in first["subject"] and first["subject"].startswith("Gương người tốt")
    assert second["disposition"] == "ignored" and "duplicate" in second["reason"]
    assert len(first["attachments"]) == 1
    assert query(mailbot.config, "SELECT content_type FROM attachments") == [
        (CONTENT_TYPE[:255],)]
