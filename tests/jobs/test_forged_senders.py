"""A mail claiming a unit's address that the office's server did not vouch for, end to end."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.builders import PDF, make_mail
from tests.samples import at
from tests.servers.dovecot import ImapAccount
from tests.servers.smtp import SmtpServer
from tests.support import Mailbot, write_config

pytestmark = pytest.mark.dovecot

TRUSTED = '[ingest]\ntrusted_authserv_id = "mx.google.com"\n'


def _stamped(raw: bytes, results: str) -> bytes:
    """``raw`` as the office's server delivers it: its own header on top."""
    return f"Authentication-Results: mx.google.com;\r\n       {results}\r\n".encode() + raw


def _genuine(**kw: object) -> bytes:
    return _stamped(make_mail(**kw),  # type: ignore[arg-type]
                    "dkim=pass header.i=@example.gov.vn header.s=s1 header.b=abc;\r\n"
                    "       spf=pass (google.com: ok) smtp.mailfrom=ubndhoanghia@example.gov.vn;"
                    "\r\n       dmarc=pass (p=REJECT) header.from=example.gov.vn")


def _forged() -> bytes:
    raw = make_mail(
        sender="UBND phường Đa Phúc <ubnddaphuc@example.gov.vn>",
        subject="Gương người tốt việc tốt tháng 10/2023", message_id="<forged-1@evil.example>",
        attachments=[("Báo cáo.pdf", PDF, "application/pdf")],
        # the forger's own claim, below the server's: must not count
        headers={"Authentication-Results": "mx.google.com; dmarc=pass "
                                           "header.from=example.gov.vn; spf=pass "
                                           "smtp.mailfrom=example.gov.vn"})
    return _stamped(raw, "spf=fail (google.com: 45.77.12.9 is not permitted) "
                         "smtp.mailfrom=ubnddaphuc@example.gov.vn;\r\n"
                         "       dmarc=fail (p=NONE sp=NONE dis=NONE) header.from=example.gov.vn")


@pytest.fixture
def bot(tmp_path: Path, imap_account: ImapAccount, smtp_server: SmtpServer,
        capsys: pytest.CaptureFixture[str]) -> Mailbot:
    b = Mailbot(write_config(tmp_path, imap_account, smtp=smtp_server, extra=TRUSTED), capsys)
    b("db", "upgrade")
    return b


def _row(bot: Mailbot, message_id: str) -> dict[str, object]:
    (row,) = [r for r in bot.ledger() if r["message_id"] == message_id]
    return row


def _status(bot: Mailbot, unit: str) -> str:
    (row,) = [s for s in bot.json("status", "--period", "2023-10") if s["unit"] == unit]
    return str(row["status"])


def test_a_forged_unit_address_is_filed_unverified_kept_and_not_acknowledged(
        imap_account: ImapAccount, smtp_server: SmtpServer, bot: Mailbot) -> None:
    imap_account.append(_forged(), internaldate=at(6, 9))
    imap_account.append(_genuine(message_id="<hn-1@example.gov.vn>"), internaldate=at(6, 9))

    bot("tick", now="2023-10-06T09:01")

    forged = _row(bot, "forged-1@evil.example")
    assert (forged["disposition"], forged["unit"], forged["period"]) == (
        "unverified", "da-phuc", "2023-10")
    assert "DMARC fails for example.gov.vn" in str(forged["reason"])
    assert [f["filename"] for f in forged["attachments"]] == ["Báo cáo.pdf"]  # type: ignore
    assert _row(bot, "hn-1@example.gov.vn")["disposition"] == "submission"
    acks = [r for r in bot.json("outbox") if r["kind"] == "ack"]
    assert [r["unit"] for r in acks] == ["hoa-nghia"]
    assert all("ubnddaphuc@example.gov.vn" not in m.rcpt_tos for m in smtp_server.messages)
    assert _status(bot, "da-phuc") == "missing"
    assert "1 unverified message(s)" in bot("status", "--period", "2023-10")
    assert [r["id"] for r in bot.json("messages", "--disposition", "unverified")] == [
        forged["id"]]


def test_the_office_can_still_file_an_unverified_message_by_assigning_it(
        imap_account: ImapAccount, bot: Mailbot) -> None:
    imap_account.append(_forged(), internaldate=at(6, 9))
    bot("poll", now="2023-10-06T09:01")
    forged = _row(bot, "forged-1@evil.example")

    bot("assign", str(forged["id"]), "da-phuc", now="2023-10-06T10:00")

    assert _row(bot, "forged-1@evil.example")["disposition"] == "submission"
    assert _status(bot, "da-phuc") == "on_time"


def test_by_default_mail_the_server_did_not_stamp_is_accepted(
        tmp_path: Path, imap_account: ImapAccount, capsys: pytest.CaptureFixture[str]) -> None:
    bot = Mailbot(write_config(tmp_path, imap_account), capsys)
    bot("db", "upgrade")
    imap_account.append(make_mail(message_id="<plain@example.gov.vn>"), internaldate=at(6, 9))

    bot("poll", now="2023-10-06T09:01")

    assert _row(bot, "plain@example.gov.vn")["disposition"] == "submission"


def test_with_unauthenticated_unverified_unstamped_mail_waits_for_the_office(
        tmp_path: Path, imap_account: ImapAccount, capsys: pytest.CaptureFixture[str]) -> None:
    extra = TRUSTED + 'unauthenticated = "unverified"\n'
    bot = Mailbot(write_config(tmp_path, imap_account, extra=extra), capsys)
    bot("db", "upgrade")
    imap_account.append(make_mail(message_id="<plain@example.gov.vn>"), internaldate=at(6, 9))

    bot("poll", now="2023-10-06T09:01")

    row = _row(bot, "plain@example.gov.vn")
    assert row["disposition"] == "unverified"
    assert "no Authentication-Results from mx.google.com" in str(row["reason"])
