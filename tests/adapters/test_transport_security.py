"""TLS is verified: an untrusted certificate on IMAPS, IMAP STARTTLS or SMTPS fails with
a clear error, a CA bundle named in the config is trusted, and debug logs carry no
password; STARTTLS, when chosen, is required. (SMTP's required STARTTLS and a bad
certificate after SMTP STARTTLS are in test_smtp_connection_failures.py.)"""

from __future__ import annotations

import base64
import logging
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from mailbot.adapters.imap import ImapMailbox
from mailbot.adapters.smtp import deliver
from mailbot.config import ImapConfig, load_config
from mailbot.errors import MailboxError
from tests.adapters.test_smtp_connection_failures import PASSWORD, batch, config, needs_tls
from tests.servers.dovecot import ImapAccount
from tests.servers.smtp import SmtpServer
from tests.servers.tls import ImapsFront, StarttlsImapStub
from tests.support import write_config

pytestmark = needs_tls


@pytest.fixture
def imaps(imap_account: ImapAccount) -> Iterator[ImapsFront]:
    """IMAPS in front of the test Dovecot, with a certificate only its CA file trusts."""
    with ImapsFront(imap_account.port) as front:
        yield front  # type: ignore[misc]


def _imap(account: ImapAccount, port: int, **changes: object) -> ImapConfig:
    cfg = ImapConfig(host="127.0.0.1", port=port, security="tls", username=account.username,
                     password=account.password, timeout=5)
    return replace(cfg, **changes)  # type: ignore[arg-type]


def test_imaps_with_a_certificate_no_trusted_ca_signed_fails_saying_so(
        imap_account: ImapAccount, imaps: ImapsFront) -> None:
    with pytest.raises(MailboxError, match=r"cannot connect to IMAP server .*CERTIFICATE_VERIFY"):
        ImapMailbox(_imap(imap_account, imaps.port)).connect()


def test_imaps_trusts_the_ca_bundle_named_in_the_config(
        tmp_path: Path, imap_account: ImapAccount, imaps: ImapsFront) -> None:
    path = write_config(tmp_path, imap_account, extra_imap=f'ca_file = "{imaps.ca_file}"')
    path.write_text(path.read_text().replace('security = "plain"', 'security = "tls"').replace(
        f"port = {imap_account.port}", f"port = {imaps.port}"))
    cfg = load_config(path).imap
    assert cfg.ca_file == imaps.ca_file and cfg.security == "tls"
    with ImapMailbox(cfg) as mailbox:
        assert mailbox.uidvalidity > 0


def test_imap_starttls_with_an_untrusted_certificate_fails_before_the_login(
        imap_account: ImapAccount) -> None:
    with StarttlsImapStub() as stub, pytest.raises(
            MailboxError, match=r"IMAP starttls setup with .* failed: .*CERTIFICATE_VERIFY"):
        ImapMailbox(_imap(imap_account, stub.port, security="starttls")).connect()


def test_imap_starttls_against_a_server_without_it_fails_instead_of_logging_in_in_clear(
        imap_account: ImapAccount) -> None:
    with pytest.raises(MailboxError, match=r"IMAP starttls setup .* does not support STARTTLS"):
        ImapMailbox(_imap(imap_account, imap_account.port, security="starttls")).connect()


def test_smtps_with_a_certificate_no_trusted_ca_signed_is_retry_saying_so() -> None:
    with SmtpServer(tls="implicit") as server:
        outcomes = deliver(config(server, security="tls"), batch(2))  # system CAs only
        assert [o.status for o in outcomes] == ["retry", "retry"]
        assert "connect failed" in outcomes[0].detail
        assert "CERTIFICATE_VERIFY_FAILED" in outcomes[0].detail
        assert server.messages == []


def test_debug_logs_never_show_a_password(
        imap_account: ImapAccount, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    for name in ("imapclient", "imapclient.imaplib", "aiosmtplib", "asyncio", "mailbot"):
        caplog.set_level(logging.DEBUG, logger=name)
    with ImapMailbox(_imap(imap_account, imap_account.port, security="plain")) as mailbox:
        mailbox.client.noop()
    with SmtpServer(tls="starttls", users={"phongnoivu": PASSWORD}) as server:
        good = config(server, security="starttls", ca_file=server.ca_file,
                      username="phongnoivu", password=PASSWORD)
        assert [o.status for o in deliver(good, batch(1))] == ["sent"]
        deliver(replace(good, password=PASSWORD + "-sai"), batch(1))
    assert caplog.records, "nothing was logged: the test would prove nothing"
    secrets = (imap_account.password, PASSWORD)
    forms = [s for p in secrets for s in (p, base64.b64encode(p.encode()).decode(),
                                           base64.b64encode(f"\0phongnoivu\0{p}".encode()
                                                            ).decode())]
    assert not [f for f in forms if f in caplog.text]
