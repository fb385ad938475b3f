"""Values shared by the core and the adapters. Pure data: no I/O, no clock."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum

_PERIOD_RE = re.compile(r"^(\d{4})-(\d{2})$")


@dataclass(frozen=True, order=True)
class Period:
    """A reporting month. ``str(Period(2023, 10)) == "2023-10"``."""

    year: int
    month: int

    def __post_init__(self) -> None:
        if not 1 <= self.month <= 12:
            raise ValueError(f"month must be 1..12, got {self.month}")

    @classmethod
    def parse(cls, text: str) -> Period:
        """``Period.parse("2023-10")``; raises ValueError on anything else."""
        m = _PERIOD_RE.match(text.strip())
        if not m:
            raise ValueError(f"expected a month as YYYY-MM, got {text!r}")
        return cls(int(m.group(1)), int(m.group(2)))

    def next(self) -> Period:
        return Period(self.year + 1, 1) if self.month == 12 else Period(self.year, self.month + 1)

    def previous(self) -> Period:
        return Period(self.year - 1, 12) if self.month == 1 else Period(self.year, self.month - 1)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


class Disposition(StrEnum):
    """What became of a message. PENDING is the claimed-but-not-yet-processed state.

    UNVERIFIED is a unit's submission whose From address the office's server did not
    vouch for (core/authresults): its files are kept; not counted, not acknowledged.
    """

    PENDING = "pending"
    SUBMISSION = "submission"
    UNMATCHED = "unmatched"
    AUTO_REPLY = "auto_reply"
    BOUNCE = "bounce"
    OWN = "own"
    BASELINE = "baseline"
    IGNORED = "ignored"
    UNVERIFIED = "unverified"
    QUARANTINED = "quarantined"


@dataclass(frozen=True)
class Unit:
    """A unit that must submit every month. Emails are lower-case."""

    code: str
    name: str
    emails: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Address:
    """A mailbox: display name (decoded, NFC) and lower-cased address."""

    name: str
    addr: str


@dataclass(frozen=True)
class Attachment:
    """One file found in a message.

    ``filename`` is the decoded, NFC-normalised name as the sender wrote it (may be
    hostile: never use it as a path). ``from_forward`` is True when the file sat
    inside a forwarded message (message/rfc822) or an Outlook winmail.dat.
    """

    filename: str
    content_type: str
    data: bytes = field(repr=False)
    from_forward: bool = False


@dataclass(frozen=True)
class DeliveryReport:
    """What a bounce (RFC 3464 DSN, or a plain mailer-daemon notice) says."""

    failed_recipients: tuple[str, ...]
    diagnostic: str = ""


@dataclass(frozen=True)
class ParsedMail:
    """A message reduced to what mailbot's rules look at.

    Header values are decoded (RFC 2047) and NFC-normalised; message ids are
    bare (no angle brackets) and lower-cased.
    """

    message_id: str | None
    subject: str
    from_: Address | None
    reply_to: tuple[Address, ...] = ()
    sender: Address | None = None
    to: tuple[Address, ...] = ()
    in_reply_to: tuple[str, ...] = ()
    references: tuple[str, ...] = ()
    auto_submitted: str | None = None
    x_autoreply: bool = False
    precedence: str | None = None
    list_id: str | None = None
    text: str = ""
    html: str = ""
    attachments: tuple[Attachment, ...] = ()
    forwarded_from: Address | None = None
    delivery_report: DeliveryReport | None = None
    defects: tuple[str, ...] = ()
    authentication_results: tuple[str, ...] = ()  # raw values, topmost first


@dataclass(frozen=True)
class Verdict:
    """The outcome of classification: a disposition with a human-readable reason."""

    disposition: Disposition
    reason: str
    unit: str | None = None
    period: Period | None = None
    late: bool = False
