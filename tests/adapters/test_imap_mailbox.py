"""The IMAP adapter against a real Dovecot: read-only, bounded, errors translated."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from mailbot.adapters.imap import Envelope, ImapMailbox, batches
from mailbot.config import ImapConfig
from mailbot.errors import MailboxError
from tests.builders import make_mail
from tests.samples import at
from tests.servers.dovecot import ImapAccount


def _config(account: ImapAccount, **changes: object) -> ImapConfig:
    cfg = ImapConfig(host=account.host, port=account.port, security="plain",
                     username=account.username, password=account.password, timeout=5)
    return replace(cfg, **changes)  # type: ignore[arg-type]


def _env(uid: int, size: int) -> Envelope:
    return Envelope(uid, size, datetime(2023, 10, 1, tzinfo=UTC))


@pytest.mark.parametrize(("sizes", "limit", "count", "expected"), [
    ([10, 10, 10], 25, 100, [[1, 2], [3]]),
    ([100], 10, 100, [[1]]),  # a message bigger than the limit still goes, alone
    ([1, 1, 1, 1, 1], 1000, 2, [[1, 2], [3, 4], [5]]),
    ([], 10, 10, []),
])
def test_batches_hold_at_most_the_byte_and_count_limits(
        sizes: list[int], limit: int, count: int, expected: list[list[int]]) -> None:
    envs = [_env(i + 1, s) for i, s in enumerate(sizes)]
    assert [[e.uid for e in b] for b in batches(envs, limit, max_count=count)] == expected


@pytest.mark.dovecot
def test_it_lists_only_mail_after_the_last_uid_and_fetches_it_byte_exact(
        imap_account: ImapAccount) -> None:
    raws = [make_mail(message_id=f"<m{i}@example.gov.vn>") for i in range(3)]
    uids = [imap_account.append(r, internaldate=at(10 + i)) for i, r in enumerate(raws)]
    with ImapMailbox(_config(imap_account)) as mb:
        assert mb.client._imap.debug == 0  # the imaplib trace costs ~12x: must stay off
        new = mb.list_new(uids[0])
        assert [e.uid for e in new] == uids[1:]
        assert new[0].internaldate == at(11)
        assert mb.list_new(uids[-1]) == []
        fetched = mb.fetch(new)
    assert [f.raw for f in fetched] == raws[1:]


@pytest.mark.dovecot
def test_fetching_changes_no_flag(imap_account: ImapAccount) -> None:
    imap_account.append(make_mail(), flags=())
    imap_account.append(make_mail(), flags=(b"\\Flagged",))
    before = imap_account.flags()
    with ImapMailbox(_config(imap_account)) as mb:
        mb.fetch(mb.list_new(0))
        mb.headers(mb.list_new(0))
    assert imap_account.flags() == before
    assert all(b"\\Seen" not in f for f in before.values())


@pytest.mark.dovecot
def test_a_message_expunged_after_listing_is_skipped(imap_account: ImapAccount) -> None:
    keep = imap_account.append(make_mail(message_id="<keep@x>"))
    gone = imap_account.append(make_mail(message_id="<gone@x>"))
    with ImapMailbox(_config(imap_account)) as mb:
        listed = mb.list_new(0)
        with imap_account.client() as other:
            other.select_folder("INBOX")
            other.delete_messages([gone])
            other.expunge()
        assert [f.uid for f in mb.fetch(listed)] == [keep]


@pytest.mark.dovecot
def test_idle_wakes_up_when_mail_arrives(imap_account: ImapAccount) -> None:
    with ImapMailbox(_config(imap_account)) as mb:
        assert mb.has_idle
        timer = threading.Timer(0.5, lambda: imap_account.append(make_mail()))
        timer.start()
        started = time.monotonic()
        try:
            assert mb.wait(10) is True
        finally:
            timer.join()
        assert time.monotonic() - started < 9


def test_mail_that_arrived_during_a_pass_ends_the_wait_at_once(
        imap_account: ImapAccount) -> None:
    # Dovecot announces it in reply to the pass's own commands, never again under IDLE.
    imap_account.append(make_mail(message_id="<first@x>"))
    with ImapMailbox(_config(imap_account)) as mb:
        listed = mb.list_new(0)
        imap_account.append(make_mail(message_id="<during@x>"))
        mb.fetch(listed)  # the pass goes on; its reply carries the EXISTS
        started = time.monotonic()
        assert mb.wait(20) is True
        assert time.monotonic() - started < 5
        assert [e.uid for e in mb.list_new(listed[-1].uid)] == [listed[-1].uid + 1]


@pytest.mark.dovecot
@pytest.mark.parametrize(("changes", "words"), [
    ({"password": "wrong"}, "login"),
    ({"folder": "Không có"}, "folder"),
    ({"security": "starttls"}, "starttls"),
    ({"security": "tls"}, "connect"),
])
def test_setup_failures_become_one_clear_mailbox_error(
        imap_account: ImapAccount, changes: dict[str, object], words: str) -> None:
    with pytest.raises(MailboxError, match=f"(?i){words}"):
        ImapMailbox(_config(imap_account, **changes)).connect()


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A TCP server on loopback that accepts and never says a word."""
    with socket.create_server(("127.0.0.1", 0)) as srv:
        accepted: list[socket.socket] = []
        t = threading.Thread(target=lambda: accepted.append(srv.accept()[0]), daemon=True)
        t.start()
        yield srv.getsockname()[1]
        for conn in accepted:
            conn.close()


def test_a_server_that_never_answers_times_out_instead_of_hanging(silent_server: int) -> None:
    cfg = ImapConfig(host="127.0.0.1", port=silent_server, security="plain", username="u",
                     password="p", timeout=1)
    started = time.monotonic()
    with pytest.raises(MailboxError):
        ImapMailbox(cfg).connect()
    assert time.monotonic() - started < 10


def test_a_closed_port_is_a_mailbox_error() -> None:
    with socket.create_server(("127.0.0.1", 0)) as srv:
        port = srv.getsockname()[1]
    cfg = ImapConfig(host="127.0.0.1", port=port, security="plain", username="u", password="p",
                     timeout=2)
    with pytest.raises(MailboxError, match="cannot connect"):
        ImapMailbox(cfg).connect()
