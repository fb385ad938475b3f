"""Use case: tell the office when mailbot cannot read the mailbox, and when it can again.

One outage, one alert and one recovery notice: the outbox keys carry the instant the
outage began, so a daemon that keeps failing does not mail the office every minute.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from mailbot.adapters.db.outbox import Outbox
from mailbot.app import App
from mailbot.core.notices import vn_datetime
from mailbot.jobs.outgoing import compose

log = logging.getLogger(__name__)


def _key(kind: str, since: datetime) -> str:
    return f"office_status:mailbox-{kind}:{since.astimezone(UTC):%Y%m%d%H%M%S}"


def mailbox_down(app: App, since: datetime, now: datetime, error: str,
                 after: timedelta) -> bool:
    """Queue the alert once the mailbox has been unreadable for ``after``; True if queued."""
    cfg = app.config
    if cfg.smtp is None or not cfg.office_emails or now - since < after:
        return False
    context = {"office_name": cfg.smtp.from_name, "since_text": vn_datetime(
        since.astimezone(cfg.timezone)), "minutes": int((now - since).total_seconds() // 60),
        "error": error, "mailbox": f"{cfg.imap.username} ({cfg.imap.host})"}
    added = Outbox(app.engine).add([compose(
        app, kind="office_status", template="mailbox_down", key=_key("down", since),
        to=list(cfg.office_emails), context=context, now=now)], now)
    if added:
        log.warning("the mailbox has been unreadable since %s: the office was alerted", since)
    return bool(added)


def mailbox_back(app: App, since: datetime, now: datetime) -> bool:
    """After an outage the office was alerted about, say that reading works again."""
    cfg = app.config
    box = Outbox(app.engine)
    if cfg.smtp is None or _key("down", since) not in box.keys_like("office_status:mailbox-"):
        return False
    context = {"office_name": cfg.smtp.from_name,
               "since_text": vn_datetime(since.astimezone(cfg.timezone)),
               "back_text": vn_datetime(now.astimezone(cfg.timezone)),
               "mailbox": f"{cfg.imap.username} ({cfg.imap.host})"}
    return bool(box.add([compose(
        app, kind="office_status", template="mailbox_back", key=_key("back", since),
        to=list(cfg.office_emails), context=context, now=now)], now))
