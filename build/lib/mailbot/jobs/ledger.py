"""Use cases for the office's corrections: assign an unmatched message, replay one."""

from __future__ import annotations

from datetime import datetime

from mailbot.adapters.db.store import LedgerEdits
from mailbot.app import App
from mailbot.errors import MailbotError, NotFound
from mailbot.jobs.ingest import process_one


def reprocess(app: App, message: int, now: datetime) -> str:
    """Replay a message from its stored raw bytes; returns the new outcome."""
    pending = LedgerEdits(app.engine).reset(message, now)
    if pending is None:
        raise _missing(app, message)
    return process_one(app, pending, now)


def assign(app: App, message: int, unit: str, now: datetime, *, remember: bool = False) -> str:
    """File ``message`` under ``unit`` (the office's decision); with ``remember``, its
    sender's address is matched to that unit from now on."""
    if app.roster().by_code(unit) is None:
        codes = ", ".join(u.code for u in app.config.units)
        raise NotFound(f"no unit with code {unit!r} (known: {codes})")
    edits = LedgerEdits(app.engine)
    found = edits.sender_of(message)
    if found is None:
        raise NotFound(f"no message #{message} in the ledger (see `mailbot messages`)")
    if remember:
        if not found[1]:
            raise MailbotError(f"message #{message} has no From address to remember")
        edits.remember(found[1], unit, message, now)
    pending = edits.reset(message, now)
    if pending is None:
        raise _missing(app, message)
    return process_one(app, pending, now, assign_to=unit)


def _missing(app: App, message: int) -> MailbotError:
    found = LedgerEdits(app.engine).sender_of(message)
    if found is None:
        return NotFound(f"no message #{message} in the ledger (see `mailbot messages`)")
    return MailbotError(f"message #{message} is baseline mail (before import_since): its "
                        "body was never fetched, so it cannot be processed")
