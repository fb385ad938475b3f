"""Turn one parsed message into a Filing: match, classify, store the files it keeps."""

from __future__ import annotations

from datetime import datetime

from mailbot.adapters.db.digests import Digests
from mailbot.adapters.db.outbox import Outbox
from mailbot.adapters.db.store import Filing, StoredFile
from mailbot.app import App
from mailbot.core.classify import classify
from mailbot.core.filenames import display_name
from mailbot.core.matching import match_unit
from mailbot.core.model import Disposition, ParsedMail, Verdict
from mailbot.core.periods import assign_period

MAX_BODY_CHARS = 200_000
# Only mail that is or may become a submission has its files kept; the raw message
# is kept for everything, so `mailbot assign` or `reprocess` can always recover them.
_KEEPS_FILES = {Disposition.SUBMISSION, Disposition.UNMATCHED, Disposition.UNVERIFIED}


def file_mail(app: App, mail: ParsedMail, received_at: datetime, *,
              assign_to: str | None = None, durable: bool = True) -> Filing:
    """Decide what ``mail`` is and store its files. ``assign_to`` is the office's
    decision (`mailbot assign`): it files the message under that unit, whatever it looks like.
    With ``durable`` false the files are not fsynced: the caller syncs them (BlobStore.sync)
    before committing the filing."""
    if assign_to is not None:
        period, late = assign_period(received_at, subject=mail.subject,
                                     schedule=app.config.schedule, tz=app.config.timezone,
                                     compiled_at=Digests(app.engine).compiled_at())
        verdict = Verdict(Disposition.SUBMISSION, f"assigned to unit {assign_to} by the office",
                          unit=assign_to, period=period, late=late)
    else:
        sent = Outbox(app.engine).units_of([*mail.in_reply_to, *mail.references])
        match = match_unit(mail, app.roster(), sent_ids=sent)
        verdict = classify(mail, arrived=received_at, match=match, policy=app.policy,
                           compiled_at=Digests(app.engine).compiled_at())
    files = []
    if verdict.disposition in _KEEPS_FILES:
        shas = app.files.put_many([a.data for a in mail.attachments], durable=durable)
        files = [StoredFile(filename=a.filename, display_name=display_name(a.filename),
                            content_type=a.content_type, size=len(a.data),
                            sha256=sha, from_forward=a.from_forward)
                 for a, sha in zip(mail.attachments, shas, strict=True)]
    report = mail.delivery_report
    bounced = report.failed_recipients if (
        report and verdict.disposition == Disposition.BOUNCE) else ()
    return Filing(
        from_addr=mail.from_.addr if mail.from_ else None,
        from_name=mail.from_.name if mail.from_ else None,
        subject=mail.subject, body_text=mail.text[:MAX_BODY_CHARS], verdict=verdict,
        files=files, bounced=bounced, diagnostic=report.diagnostic if report else "")
