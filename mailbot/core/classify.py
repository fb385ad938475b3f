"""What a mail is: a submission, an auto-reply, a bounce, mailbot's own, or noise."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo

from mailbot.core.authresults import AuthPolicy, check_sender
from mailbot.core.matching import Match
from mailbot.core.model import Disposition, ParsedMail, Period, Verdict
from mailbot.core.periods import Schedule, assign_period
from mailbot.core.text import fold

# Folded, matched as whole words. "gntvt" is the usual abbreviation of the subject line.
SUBMISSION_WORDS = (
    "nguoi tot", "viec tot", "gntvt", "guong", "dien hinh", "tien tien", "thi dua",
    "thanh tich",
)
BOUNCE_SUBJECTS = (
    "undelivered mail", "undeliverable", "delivery status notification", "mail delivery failed",
    "delivery failure", "delivery has failed", "returned mail", "failure notice",
    "mail delivery system", "khong the gui thu", "khong gui duoc thu",
)
BOUNCE_SENDERS = frozenset({"mailer-daemon", "postmaster"})
AUTO_REPLY_SUBJECTS = (
    "auto", "automatic reply", "autoreply", "auto reply", "out of office", "out of the office",
    "tra loi tu dong", "tu dong tra loi", "phan hoi tu dong", "thu tra loi tu dong", "vang mat",
)
AUTO_PRECEDENCE = frozenset({"auto_reply", "bulk", "junk", "list"})


@dataclass(frozen=True)
class Policy:
    """What classification needs to know about this installation."""

    tz: tzinfo
    import_since: date
    own_addresses: frozenset[str]
    own_domain: str
    schedule: Schedule
    auth: AuthPolicy = field(default_factory=AuthPolicy)


def _word_in(words: tuple[str, ...], text: str) -> str | None:
    padded = f" {fold(text)} "
    return next((w for w in words if f" {w} " in padded), None)


def _starts_with(prefixes: tuple[str, ...], text: str) -> str | None:
    folded = fold(text)
    return next((p for p in prefixes if folded == p or folded.startswith(p + " ")), None)


def _noise(mail: ParsedMail, match: Match | None, policy: Policy) -> Verdict | None:
    """Steps 2-4: mailbot's own mail, bounces, auto-replies and mailing lists."""
    sender = mail.from_.addr.lower() if mail.from_ else ""
    if sender and sender in {a.lower() for a in policy.own_addresses}:
        return Verdict(Disposition.OWN, f"From address {sender} is mailbot's own")
    msg_domain = (mail.message_id or "").rpartition("@")[2].strip("<> ").lower()
    if msg_domain and msg_domain == policy.own_domain.lower():
        return Verdict(Disposition.OWN, f"Message-ID domain {msg_domain} is mailbot's own")

    if mail.delivery_report is not None:
        failed = ", ".join(mail.delivery_report.failed_recipients) or "an unnamed recipient"
        return Verdict(Disposition.BOUNCE, f"DSN: delivery to {failed} failed")
    bounce = _word_in(BOUNCE_SUBJECTS, mail.subject)
    if sender.partition("@")[0] in BOUNCE_SENDERS and bounce:
        return Verdict(Disposition.BOUNCE, f"bounce from {sender}: subject says {bounce!r}")

    auto = (mail.auto_submitted or "").partition(";")[0].strip().lower()
    precedence = (mail.precedence or "").strip().lower()
    if auto and auto != "no":
        return Verdict(Disposition.AUTO_REPLY, f"Auto-Submitted: {auto}")
    if mail.x_autoreply:
        return Verdict(Disposition.AUTO_REPLY, "X-Autoreply header is set")
    if precedence == "auto_reply":
        return Verdict(Disposition.AUTO_REPLY, "Precedence: auto_reply")
    prefix = _starts_with(AUTO_REPLY_SUBJECTS, mail.subject)
    if prefix:
        return Verdict(Disposition.AUTO_REPLY, f"subject starts like an auto-reply ({prefix!r})")
    if mail.list_id:
        if match is None or match.by_subject:
            return Verdict(Disposition.IGNORED, f"mailing list (List-Id: {mail.list_id})")
        return None  # a unit writing through a list is still the unit
    if precedence in AUTO_PRECEDENCE:
        return Verdict(Disposition.AUTO_REPLY, f"Precedence: {precedence}")
    return None


def _signs(mail: ParsedMail, match: Match | None) -> tuple[str | None, str | None, list[str]]:
    """(keyword in subject, keyword in body, every sign of a submission as a phrase)."""
    in_subject = _word_in(SUBMISSION_WORDS, mail.subject)
    in_body = _word_in(SUBMISSION_WORDS, mail.text or mail.html)
    signs = []
    if in_subject:
        signs.append(f"{in_subject!r} in subject")
    if in_body:
        signs.append(f"{in_body!r} in body")
    if mail.attachments:
        n = len(mail.attachments)
        signs.append(f"{n} attachment{'s' if n > 1 else ''}")
    if match is not None and match.is_reply:
        signs.append("reply to mailbot")
    return in_subject, in_body, signs


def _for_period(period: Period, late: bool) -> str:
    return f"for {period}{' (late)' if late else ''}"


def classify(
    mail: ParsedMail,
    *,
    arrived: datetime,
    match: Match | None,
    policy: Policy,
    compiled_at: Mapping[Period, datetime],
) -> Verdict:
    """Decide what a mail is, with a reason a person can check against the mail.

    In order: BASELINE (arrived before ``import_since``), OWN, BOUNCE, AUTO_REPLY (or
    IGNORED for a mailing list not from a unit), SUBMISSION (matched and a sign:
    keyword, attachment, or a reply to mailbot), IGNORED (matched, no sign),
    UNMATCHED (unknown sender, but a keyword in the subject, or in the body with an
    attachment), IGNORED. SUBMISSION and UNMATCHED carry the period and lateness.
    A would-be SUBMISSION whose From domain the trusted server did not vouch for
    (``policy.auth``, core/authresults) is UNVERIFIED, with the unit and period.

    A List-Id is judged before Precedence: a unit posting through a Google Group
    ("Precedence: list") is still filed; a newsletter that merely names a unit in
    its subject is not.
    """
    if arrived.utcoffset() is None:
        raise ValueError(f"arrived must be timezone-aware, got {arrived.isoformat()}")
    local_day = arrived.astimezone(policy.tz).date()
    if local_day < policy.import_since:
        return Verdict(
            Disposition.BASELINE,
            f"arrived {local_day.isoformat()}, before import_since "
            f"{policy.import_since.isoformat()}",
        )
    noise = _noise(mail, match, policy)
    if noise is not None:
        return noise

    in_subject, in_body, signs = _signs(mail, match)
    if match is not None:
        if not signs:
            return Verdict(
                Disposition.IGNORED,
                f"from unit {match.unit} ({match.how}) but no sign of a submission: "
                "no keyword in subject or body, no attachment, not a reply to mailbot",
                unit=match.unit,
            )
        period, late = assign_period(
            arrived, subject=mail.subject, schedule=policy.schedule, tz=policy.tz,
            compiled_at=compiled_at,
        )
        what = f"from {match.unit} ({match.how}) {_for_period(period, late)}: " + ", ".join(
            signs)
        sender = check_sender(mail.authentication_results,
                              (mail.from_.addr if mail.from_ else "").rpartition("@")[2],
                              policy.auth)
        if not sender.verified:
            return Verdict(Disposition.UNVERIFIED, f"sender not verified: {sender.reason}; "
                           f"would be a submission {what}", unit=match.unit, period=period,
                           late=late)
        return Verdict(Disposition.SUBMISSION, f"submission {what}", unit=match.unit,
                       period=period, late=late)

    who = mail.from_.addr if mail.from_ else "a sender with no From address"
    if in_subject or (in_body and mail.attachments):
        period, late = assign_period(
            arrived, subject=mail.subject, schedule=policy.schedule, tz=policy.tz,
            compiled_at=compiled_at,
        )
        return Verdict(
            Disposition.UNMATCHED,
            f"looks like a submission ({', '.join(signs)}) but {who} is not on the roster; "
            f"it would count {_for_period(period, late)}",
            period=period, late=late,
        )
    if in_body:
        return Verdict(
            Disposition.IGNORED,
            f"unknown sender {who}: {in_body!r} only in the body and no attachment",
        )
    return Verdict(Disposition.IGNORED, f"unknown sender {who} and no submission keyword")
