"""LOGIN refused (wrong password, too many connections): the daemon's loop backs off,
alerts the office once, and recovers by itself when the cause is gone."""

from __future__ import annotations

import dataclasses
import email
import email.policy
import itertools
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from mailbot import daemon
from mailbot.app import App
from mailbot.cli import main
from mailbot.config import load_config
from tests.builders import make_mail
from tests.samples import at
from tests.servers.dovecot import Dovecot, ImapAccount
from tests.servers.smtp import SmtpServer
from tests.support import OFFICE_BOSS, wait_for, write_config

pytestmark = pytest.mark.dovecot
ONE_CONNECTION = "mail_max_userip_connections = 1\n"
WINDOW = 4.0  # seconds of refused logins watched


def _clock() -> Callable[[], datetime]:
    """mailbot's clock runs 30 minutes per reading (one per failed attempt), so the
    30-minute alert threshold is crossed at the second (the backoff itself is real time)."""
    ticks = itertools.count()
    start = datetime(2023, 10, 10, 2, 0, tzinfo=UTC)
    return lambda: start + timedelta(minutes=30 * next(ticks))


@contextmanager
def _ingest_loop(app: App) -> Iterator[None]:
    """daemon._ingest_loop in a thread; stopped (and signal handlers restored) at the end."""
    handlers = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGINT)}
    stop = daemon.Stopper()
    thread = threading.Thread(target=daemon._ingest_loop, args=(app, _clock(), stop))
    thread.start()
    try:
        yield
    finally:
        stop.event.set()
        thread.join(timeout=15)
        for sig, handler in handlers.items():
            signal.signal(sig, handler)
    assert not thread.is_alive()


def _office_mail(smtp: SmtpServer) -> list[str]:
    return [str(email.message_from_bytes(m.raw, policy=email.policy.default)["Subject"])
            for m in smtp.messages if OFFICE_BOSS in m.rcpt_tos]



@pytest.mark.parametrize("cause", ["wrong password", "too many connections"])
def test_a_refused_login_backs_off_alerts_the_office_once_and_recovers_by_itself(
        cause: str, tmp_path: Path, smtp_server: SmtpServer, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setattr(daemon, "BACKOFF_START", 0.2)
    monkeypatch.setattr(daemon, "BACKOFF_MAX", 1.0)
    with Dovecot(extra_config=ONE_CONNECTION if "many" in cause else "") as server:
        account = server.add_user()
        config = write_config(tmp_path, account, smtp=smtp_server, poll_interval=1)
        assert main(["--config", str(config), "db", "upgrade"]) == 0
        app = App.open(load_config(config))
        held, append = _break(server, account, cause)
        account_mail = make_mail(message_id="<during-outage@example.gov.vn>")
        try:
            with _ingest_loop(app):
                time.sleep(WINDOW)
                attempts = sum("retrying in" in r.getMessage() for r in caplog.records)
                print(f"{cause}: {attempts} LOGIN attempts in {WINDOW} s")
                # 0.2 + 0.4 + 0.8 + 1 + 1 s: about 5 attempts; a tight loop makes hundreds
                assert 2 <= attempts <= 8, attempts
                assert _office_mail(smtp_server) == [_subject_down(smtp_server)]
                append(account_mail)
                _fix(server, account, cause, held)
                assert wait_for(lambda: len(_office_mail(smtp_server)) == 2, 15), \
                    caplog.text[-2000:]
                assert wait_for(lambda: app.store.due(datetime.now(UTC)) == [], 10)
        finally:
            app.close()
    down, back = _office_mail(smtp_server)
    assert "không đọc được hộp thư" in down and "trở lại" in back
    why = {"wrong password": "AUTHENTICATIONFAILED",
           "too many connections": "Maximum number of connections"}[cause]
    assert why in caplog.text
    body = email.message_from_bytes(smtp_server.messages[0].raw, policy=email.policy.default)
    assert why in str(body.get_body(preferencelist=("plain",)).get_content())  # type: ignore[union-attr]


def _subject_down(smtp: SmtpServer) -> str:
    return next(s for s in _office_mail(smtp) if "không đọc được" in s)


def _break(server: Dovecot, account: ImapAccount, cause: str
           ) -> tuple[object, Callable[[bytes], object]]:
    """Make mailbot's LOGIN fail; returns what holds the fault and a way to add mail."""
    if cause == "wrong password":
        server.set_password(account.username, "not-the-one-in-the-config")
        changed = dataclasses.replace(account, password="not-the-one-in-the-config")
        return None, lambda raw: changed.append(raw, internaldate=at(10, 9))
    held = account.client()  # the one connection this user+IP may have
    return held, lambda raw: held.append("INBOX", raw, (), at(10, 9))


def _fix(server: Dovecot, account: ImapAccount, cause: str, held: object) -> None:
    if cause == "wrong password":
        time.sleep(1.1)  # Dovecot re-reads a passwd file whose mtime changed, by the second
        server.set_password(account.username, account.password)
    else:
        held.logout()  # type: ignore[attr-defined]
