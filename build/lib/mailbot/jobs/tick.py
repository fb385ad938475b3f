"""`mailbot tick`: one pass of everything the daemon does, at one instant, then exit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from mailbot.adapters.db import lease
from mailbot.adapters.imap import ImapMailbox
from mailbot.app import App
from mailbot.errors import MailboxError
from mailbot.jobs.duties import run_duties
from mailbot.jobs.exclusive import holding_lease
from mailbot.jobs.ingest import poll
from mailbot.jobs.outgoing import deliver_outbox


@dataclass(frozen=True)
class TickResult:
    line: str
    poll_failed: bool


def tick(app: App, now: datetime) -> TickResult:
    """Poll (a failure is reported, the duties still run), queue due duties, deliver."""
    with holding_lease(app, f"tick, {lease.me()}"):
        try:
            with ImapMailbox(app.config.imap) as mailbox:
                polled, failed = poll(app, mailbox, now).line(), False
        except MailboxError as e:
            polled, failed = f"poll failed: {e}", True
        queued = run_duties(app, now)
        sent = deliver_outbox(app, now)
    parts = [polled, "queued " + (", ".join(f"{k} {v}" for k, v in queued.items()) or "nothing"),
             "outbox " + (", ".join(f"{k} {v}" for k, v in sent.items()) or "idle")]
    return TickResult("; ".join(parts), failed)
