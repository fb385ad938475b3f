"""Use case: read new mail from the folder and file every message.

Claim before work: each message's raw bytes are written durably and its ledger row
committed (advancing the folder's last UID in the same transaction) before it is
parsed. A crash at any point leaves each message either unclaimed (it is fetched
again) or claimed and pending (it is processed on the next pass): never lost, never
filed twice.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.parser import BytesHeaderParser
from email.policy import compat32
from typing import Protocol

from mailbot.adapters.db.store import Claim, Pending
from mailbot.adapters.imap import Envelope, Fetched, batches
from mailbot.adapters.parse import ParseLimits, parse_mail
from mailbot.adapters.parse_headers import first_address, first_headers, header_text, message_ids
from mailbot.app import App
from mailbot.core.model import Address, Disposition
from mailbot.errors import DiskFullError, ParseError
from mailbot.jobs.acks import with_ack
from mailbot.jobs.filing import file_mail

log = logging.getLogger(__name__)
MAX_BATCH_COUNT = 500
MAX_HEADER_SCAN = 256 * 1024  # the parser refuses bigger header blocks anyway


class Mailbox(Protocol):
    """What ingestion needs from an IMAP folder (ImapMailbox, or a test double)."""

    uidvalidity: int

    def list_new(self, after_uid: int) -> list[Envelope]: ...
    def fetch(self, batch: Sequence[Envelope]) -> list[Fetched]: ...
    def headers(self, batch: Sequence[Envelope]) -> dict[int, bytes]: ...


@dataclass
class PollSummary:
    new: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)

    def line(self) -> str:
        parts = ", ".join(f"{k} {v}" for k, v in sorted(self.outcomes.items()))
        return f"polled {self.new} new, processed {self.outcomes.total()}" + (
            f": {parts}" if parts else "")


Progress = Callable[[int, int], None]


def poll(app: App, mailbox: Mailbox, now: datetime, progress: Progress | None = None
         ) -> PollSummary:
    """One ingestion pass: claim every new message, then process what is due."""
    cfg = app.config
    state = app.store.start_pass(cfg.imap.folder, mailbox.uidvalidity, now)
    envelopes = mailbox.list_new(state.last_uid)
    summary = PollSummary(new=len(envelopes))
    done = 0
    for batch in batches(envelopes, cfg.imap.batch_bytes, max_count=MAX_BATCH_COUNT,
                         weight=lambda e: 0 if _is_baseline(app, e) else e.size):
        _claim_batch(app, mailbox, batch, now, summary)
        summary.outcomes.update(process_due(app, now))
        done += len(batch)
        if progress:
            progress(done, len(envelopes))
    summary.outcomes.update(process_due(app, now))  # retries that have come due
    app.store.finish_pass(cfg.imap.folder, now)
    return summary


def _is_baseline(app: App, env: Envelope) -> bool:
    return env.internaldate.astimezone(app.config.timezone).date() < app.config.imap.import_since


def _claim_batch(app: App, mailbox: Mailbox, batch: list[Envelope], now: datetime,
                 summary: PollSummary) -> None:
    old = [e for e in batch if _is_baseline(app, e)]
    new = [e for e in batch if not _is_baseline(app, e)]
    heads = mailbox.headers(old) if old else {}
    bodies = {f.uid: f for f in mailbox.fetch(new)} if new else {}
    # One message at a time in UID order, its bytes stored just before its claim: when
    # storing fails (disk full) every earlier message is claimed, this one and the
    # rest are not, and last_uid stops right before it; no file is left unclaimed.
    for env in sorted(batch, key=lambda e: e.uid):
        if env.uid in heads:
            c = _baseline_claim(app, mailbox.uidvalidity, env, heads[env.uid])
        elif env.uid in bodies:
            f = bodies.pop(env.uid)
            c = Claim(folder=app.config.imap.folder, uidvalidity=mailbox.uidvalidity,
                      uid=f.uid, message_id=_identity(f.raw)[0],
                      raw_sha256=app.raw_mail.put(f.raw), raw_size=len(f.raw),
                      received_at=f.internaldate)
        else:
            continue  # expunged before it could be fetched
        _, needs_work = app.store.claim(c, now)
        if c.baseline_reason:
            summary.outcomes[Disposition.BASELINE.value] += 1
        elif not needs_work:
            summary.outcomes["already known"] += 1


def _baseline_claim(app: App, uidvalidity: int, env: Envelope, head: bytes) -> Claim:
    message_id, sender, subject = _identity(head)
    arrived = env.internaldate.astimezone(app.config.timezone).date()
    return Claim(
        folder=app.config.imap.folder, uidvalidity=uidvalidity, uid=env.uid,
        message_id=message_id, raw_sha256=None, raw_size=env.size,
        received_at=env.internaldate,
        baseline_reason=f"arrived {arrived}, before import_since {app.config.imap.import_since}",
        from_addr=sender.addr if sender else None, from_name=sender.name if sender else None,
        subject=subject)


def _identity(raw: bytes) -> tuple[str | None, Address | None, str]:
    """Message-ID, From and Subject from the header block only (the body is not parsed)."""
    ends = [i for i in (raw.find(b"\r\n\r\n", 0, MAX_HEADER_SCAN),
                        raw.find(b"\n\n", 0, MAX_HEADER_SCAN)) if i >= 0]
    block = raw[:min(ends, default=MAX_HEADER_SCAN)][:MAX_HEADER_SCAN]
    head = first_headers(BytesHeaderParser(policy=compat32).parsebytes(block))
    ids = message_ids(head.get("message-id"))
    return (ids[0] if ids else None, first_address(head.get("from")),
            header_text(head.get("subject")))


def process_due(app: App, now: datetime) -> Counter[str]:
    """Process every claimed message whose attempt is due; one failure never stops the rest."""
    outcomes: Counter[str] = Counter()
    tried: set[int] = set()
    while True:
        due = [p for p in app.store.due(now) if p.id not in tried]
        if not due:
            return outcomes
        for p in due:
            tried.add(p.id)
            outcomes[process_one(app, p, now)] += 1


def process_one(app: App, p: Pending, now: datetime, *, assign_to: str | None = None) -> str:
    """Parse, match, classify and file one claimed message. Returns its outcome word."""
    ing = app.config.ingest
    attempt = app.store.begin_attempt(
        p.id, now + timedelta(seconds=ing.retry_base_seconds * 2 ** p.attempts))
    try:
        raw = app.raw_mail.get(p.raw_sha256)
        mail = parse_mail(raw, limits=ParseLimits(max_bytes=ing.max_message_bytes))
        filing = file_mail(app, mail, p.received_at, assign_to=assign_to)
        filing = with_ack(app, mail, filing, p.id, p.received_at, now)
        app.store.file(p.id, filing, now)
        return filing.verdict.disposition.value
    except DiskFullError:
        # Not this message's fault: leave it pending (not quarantined) and stop the pass.
        app.store.fail(p.id, "data_dir is full", quarantine=False, now=now)
        raise
    except ParseError as e:
        # Same bytes, same parser, same error: retrying cannot help; the office can
        # replay it with `mailbot reprocess` after an upgrade.
        log.warning("message #%d quarantined: %s", p.id, e)
        app.store.fail(p.id, str(e), quarantine=True, now=now)
        return Disposition.QUARANTINED.value
    except Exception as e:  # isolate failures per message; the pass goes on
        final = attempt >= ing.max_attempts
        log.exception("message #%d failed (attempt %d of %d)", p.id, attempt, ing.max_attempts)
        app.store.fail(p.id, f"{type(e).__name__}: {e}", quarantine=final, now=now)
        return Disposition.QUARANTINED.value if final else "retry later"
