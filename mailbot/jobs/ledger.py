"""Use cases for the office's corrections: assign an unmatched message, replay one,
dismiss one, settle an unverified sender, excuse a unit. The CLI and the web page call
these same functions; each records who decided what in the audit log."""

from __future__ import annotations

from datetime import datetime

from mailbot.adapters.db.people import Audit
from mailbot.adapters.db.store import LedgerEdits
from mailbot.app import App
from mailbot.core.model import Disposition, Period
from mailbot.errors import MailbotError, NotFound
from mailbot.jobs.ingest import process_one

CLI_ACTOR = "cli"
UNVERIFIED = "unverified"  # a sender claiming a unit it is not known for (issue 7)
# What the office may dismiss: mail waiting for a person, never a filed submission.
DISMISSABLE = (Disposition.QUARANTINED.value, Disposition.UNMATCHED.value, UNVERIFIED)


def reprocess(app: App, message: int, now: datetime, *, actor: str = CLI_ACTOR) -> str:
    """Replay a message from its stored raw bytes; returns the new outcome."""
    pending = LedgerEdits(app.engine).reset(message, now)
    if pending is None:
        raise _missing(app, message)
    outcome = process_one(app, pending, now)
    _audit(app, actor, "reprocess", message, f"-> {outcome}", now)
    return outcome


def assign(app: App, message: int, unit: str, now: datetime, *, remember: bool = False,
           actor: str = CLI_ACTOR) -> str:
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
    outcome = process_one(app, pending, now, assign_to=unit)
    _audit(app, actor, "assign", message,
           f"to {unit}" + (f", remembering {found[1]}" if remember else "") + f" -> {outcome}",
           now)
    return outcome


def dismiss(app: App, message: int, reason: str, now: datetime, *,
            actor: str = CLI_ACTOR) -> str:
    """Mark a message waiting for a person (quarantined, unmatched, unverified) as
    ignored, with the office's reason."""
    reason = _reason(reason)
    edits = LedgerEdits(app.engine)
    found = edits.sender_of(message)
    if found is None:
        raise NotFound(f"no message #{message} in the ledger (see `mailbot messages`)")
    if not edits.settle(message, Disposition.IGNORED, f"dismissed by {actor}: {reason}", now,
                        only_from=DISMISSABLE):
        raise MailbotError(f"message #{message} is {found[0]}: only "
                           f"{', '.join(DISMISSABLE)} mail can be dismissed")
    _audit(app, actor, "dismiss", message, reason, now)
    return Disposition.IGNORED.value


def accept_unverified(app: App, message: int, now: datetime, *,
                      actor: str = CLI_ACTOR) -> str:
    """File an unverified message under the unit its sender claims, as `assign` would."""
    edits = LedgerEdits(app.engine)
    found = edits.sender_of(message)
    if found is None:
        raise NotFound(f"no message #{message} in the ledger (see `mailbot messages`)")
    if found[0] != UNVERIFIED:
        raise MailbotError(f"message #{message} is {found[0]}, not {UNVERIFIED}")
    unit = edits.claimed_unit(message)
    if unit is None:
        raise MailbotError(f"message #{message} claims no unit: use assign to choose one")
    return assign(app, message, unit, now, actor=actor)


def reject_unverified(app: App, message: int, reason: str, now: datetime, *,
                      actor: str = CLI_ACTOR) -> str:
    """Refuse an unverified sender's claim: the message is ignored, with the reason."""
    reason = _reason(reason)
    edits = LedgerEdits(app.engine)
    found = edits.sender_of(message)
    if found is None:
        raise NotFound(f"no message #{message} in the ledger (see `mailbot messages`)")
    if not edits.settle(message, Disposition.IGNORED,
                        f"sender rejected by {actor}: {reason}", now, only_from=(UNVERIFIED,)):
        raise MailbotError(f"message #{message} is {found[0]}, not {UNVERIFIED}")
    _audit(app, actor, "reject", message, reason, now)
    return Disposition.IGNORED.value


def excuse(app: App, unit: str, period: Period, reason: str, now: datetime, *,
           actor: str = CLI_ACTOR) -> None:
    """Excuse ``unit`` for ``period``: no reminder, shown as excused."""
    if app.roster().by_code(unit) is None:
        raise NotFound(f"no unit with code {unit!r}")
    reason = _reason(reason)
    LedgerEdits(app.engine).excuse(unit, str(period), reason, now)
    Audit(app.engine).record(actor, "excuse", "unit", unit, f"{period}: {reason}", now)


def _reason(reason: str) -> str:
    reason = " ".join(reason.split())
    if not reason:
        raise MailbotError("a reason is needed (it is shown to the office)")
    return reason[:500]


def _audit(app: App, actor: str, action: str, message: int, detail: str,
           now: datetime) -> None:
    Audit(app.engine).record(actor, action, "message", str(message), detail, now)


def _missing(app: App, message: int) -> MailbotError:
    found = LedgerEdits(app.engine).sender_of(message)
    if found is None:
        return NotFound(f"no message #{message} in the ledger (see `mailbot messages`)")
    return MailbotError(f"message #{message} is baseline mail (before import_since): its "
                        "body was never fetched, so it cannot be processed")
