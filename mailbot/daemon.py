"""`mailbot run`: keep the ledger current and do every dated duty until stopped.

One daemon per database (a lease row); the scheduler (mailbot.scheduler) runs the
dated duties and outbox retries in the background, while the main thread ingests.

One loop: poll, then wait on IMAP IDLE (re-issued well before the server's 30-minute
limit) or, without IDLE, sleep; a poll after every wake-up or `poll_interval` is the
safety net for missed IDLE notices. Connection failures back off exponentially.
SIGTERM/SIGINT stop the daemon between steps, or at once while it is only waiting.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from types import FrameType
from typing import TYPE_CHECKING

from mailbot.adapters.db import lease
from mailbot.adapters.imap import ImapMailbox
from mailbot.app import App
from mailbot.errors import MailbotError
from mailbot.jobs.alerts import mailbox_back, mailbox_down
from mailbot.jobs.duties import run_duties
from mailbot.jobs.exclusive import holding_lease
from mailbot.jobs.ingest import poll
from mailbot.jobs.outgoing import deliver_outbox
from mailbot.scheduler import schedule_table, start

if TYPE_CHECKING:
    from mailbot.web.app import Background

log = logging.getLogger(__name__)
BACKOFF_START, BACKOFF_MAX = 5.0, 300.0


class _Interrupt(Exception):
    pass


class Stopper:
    """Turns SIGTERM/SIGINT into a stop request; interrupts only waits."""

    def __init__(self) -> None:
        self.event = threading.Event()
        self._interruptible = False
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, self._handle)

    def _handle(self, signum: int, _frame: FrameType | None) -> None:
        log.info("received %s, stopping", signal.Signals(signum).name)
        self.event.set()
        if self._interruptible:
            raise _Interrupt

    @property
    def requested(self) -> bool:
        return self.event.is_set()

    def wait(self, wait: Callable[[float], object], seconds: float) -> None:
        """Run ``wait(seconds)`` unless a stop was requested; a signal cuts it short."""
        self._interruptible = True
        try:
            if not self.requested:
                wait(seconds)
        except _Interrupt:
            pass
        finally:
            self._interruptible = False

    def sleep(self, seconds: float) -> None:
        self.event.wait(seconds)


def run(app: App, clock: Callable[[], datetime]) -> int:
    owner = lease.me()
    with holding_lease(app, owner):
        stop = Stopper()
        _catch_up(app, clock())

        def heartbeat() -> None:
            if lease.take(app.engine, owner) is not None:
                log.error("lost the daemon lease to another process: stopping")
                os.kill(os.getpid(), signal.SIGTERM)

        scheduler = start(app, clock, schedule_table(app),
                          extra=[("lease-heartbeat", heartbeat, {"seconds": 20})])
        page = _start_web(app, clock)
        try:
            _ingest_loop(app, clock, stop)
        finally:
            if page is not None:
                page.stop()
            scheduler.shutdown(wait=True)
    log.info("mailbot stopped")
    return 0


def _start_web(app: App, clock: Callable[[], datetime]) -> Background | None:
    """The office's web page beside the daemon, when `[web] listen` is set."""
    if app.config.web.listen is None:
        return None
    from mailbot.web.app import Background

    host, port = app.config.web.listen
    log.info("web page on http://%s:%d/", host, port)
    return Background(app, host, port, clock).start()


def _catch_up(app: App, now: datetime) -> None:
    """Duties whose time passed while mailbot was down are done now."""
    try:
        run_duties(app, now)
        deliver_outbox(app, now)
    except MailbotError as e:
        log.warning("catching up at start failed: %s", e)


def _ingest_loop(app: App, clock: Callable[[], datetime], stop: Stopper) -> None:
    cfg = app.config.imap
    delay = BACKOFF_START
    down_since: datetime | None = None  # when reading the mailbox started failing
    log.info("mailbot running: %s@%s:%d folder %r", cfg.username, cfg.host, cfg.port, cfg.folder)
    while not stop.requested:
        try:
            with ImapMailbox(cfg) as mailbox:
                log.info("connected (IDLE %s)", "on" if mailbox.has_idle else "off: polling")
                delay = BACKOFF_START
                while not stop.requested:
                    log.info("%s", poll(app, mailbox, clock()).line())
                    if down_since is not None:
                        mailbox_back(app, down_since, clock())
                        down_since = None
                    sent = deliver_outbox(app, clock())  # acknowledgements within seconds
                    if sent:
                        log.info("outbox: %s", ", ".join(f"{k} {v}" for k, v in sent.items()))
                    stop.wait(mailbox.wait, cfg.poll_interval)
        except MailbotError as e:
            if stop.requested:
                break
            log.warning("%s; retrying in %.0f s", e, delay)
            down_since = down_since or clock()
            _alert_office(app, down_since, clock(), str(e))
            stop.sleep(delay)
            delay = min(delay * 2, BACKOFF_MAX)


def _alert_office(app: App, since: datetime, now: datetime, error: str) -> None:
    """After ``alert_after_minutes`` of failing, the office hears of it (once)."""
    after = timedelta(minutes=app.config.ingest.alert_after_minutes)
    try:
        if mailbox_down(app, since, now, error, after):
            deliver_outbox(app, now)
    except MailbotError as e:
        log.warning("could not alert the office: %s", e)
