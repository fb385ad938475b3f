"""Which unit a mail comes from: replies to mailbot, sender addresses, forwards, subject."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field

from mailbot.core.model import Address, ParsedMail, Unit
from mailbot.core.text import fold

REPLY_HOW = "reply to mailbot message"
SUBJECT_HOW = "unit name in subject"


def _bare(addr_or_id: str) -> str:
    return addr_or_id.strip().strip("<>").strip().lower()


@dataclass(frozen=True)
class Roster:
    """The units that must submit, plus addresses the office has taught mailbot.

    ``learned`` maps an address to a unit code (a clerk's new Gmail, say). Roster
    emails win over learned ones.
    """

    units: tuple[Unit, ...]
    learned: Mapping[str, str] = field(default_factory=dict)

    def by_code(self, code: str) -> Unit | None:
        """The unit with this code, or None."""
        return next((u for u in self.units if u.code == code), None)

    def by_address(self, addr: str) -> Unit | None:
        """The unit that writes from ``addr`` (case-insensitive), or None.

        An address listed by two different units says nothing about which one
        wrote, so it gives None and matching moves on to weaker evidence.
        """
        wanted = _bare(addr)
        if not wanted:
            return None
        owners = {u.code: u for u in self.units if wanted in (_bare(e) for e in u.emails)}
        if len(owners) == 1:
            return next(iter(owners.values()))
        if owners:
            return None
        codes = {code for a, code in self.learned.items() if _bare(a) == wanted}
        return self.by_code(codes.pop()) if len(codes) == 1 else None


@dataclass(frozen=True)
class Match:
    """The unit a mail was matched to and how, as a short phrase for the ledger."""

    unit: str
    how: str

    @property
    def is_reply(self) -> bool:
        """True when the mail answers a message mailbot sent to the unit."""
        return self.how.startswith(REPLY_HOW)

    @property
    def by_subject(self) -> bool:
        """True when only the subject named the unit (weakest evidence)."""
        return self.how.startswith(SUBJECT_HOW)


def _replied_ids(mail: ParsedMail) -> Iterator[str]:
    yield from mail.in_reply_to
    yield from reversed(mail.references)


def _addresses(mail: ParsedMail) -> Iterator[tuple[str, Address]]:
    if mail.from_ is not None:
        yield "From address", mail.from_
    for reply_to in mail.reply_to:
        yield "Reply-To address", reply_to
    if mail.sender is not None:
        yield "Sender address", mail.sender
    if mail.forwarded_from is not None:
        yield "original sender of a forward", mail.forwarded_from


def _by_subject(subject: str, units: Iterable[Unit]) -> Match | None:
    padded = f" {fold(subject)} "
    best: dict[str, tuple[int, str]] = {}
    for unit in units:
        for name in (unit.name, *unit.aliases):
            folded = fold(name)
            if folded and f" {folded} " in padded and len(folded) > best.get(unit.code, (0,))[0]:
                best[unit.code] = (len(folded), name)
    if not best:
        return None
    longest = max(length for length, _ in best.values())
    winners = [(code, name) for code, (length, name) in best.items() if length == longest]
    if len(winners) != 1:
        return None
    code, name = winners[0]
    return Match(code, f"{SUBJECT_HOW} ({name!r})")


def match_unit(mail: ParsedMail, roster: Roster, sent_ids: Mapping[str, str]) -> Match | None:
    """The unit a mail comes from, with the evidence, or None.

    Evidence in order of strength: a reply to a message mailbot sent (In-Reply-To,
    then References newest first); the From, Reply-To and Sender addresses; the
    original sender of a forwarded message; finally a unit name or alias in the
    subject (diacritics and case ignored, whole words, the longest name wins, a tie
    between two units matches nothing). ``sent_ids`` maps the bare, lower-case
    Message-ID of each mail mailbot sent to the unit code it went to.

    For example, a clerk's unknown Gmail replying to a reminder is matched by the
    reply; the same clerk writing afresh with "... - Phường Hòa Nghĩa" in the subject
    is matched by name only when "Phường Hòa Nghĩa" is the unit's name or an alias.
    """
    for msg_id in _replied_ids(mail):
        code = sent_ids.get(_bare(msg_id))
        if code is not None and roster.by_code(code) is not None:
            return Match(code, f"{REPLY_HOW} <{_bare(msg_id)}>")
    for how, address in _addresses(mail):
        unit = roster.by_address(address.addr)
        if unit is not None:
            return Match(unit.code, f"{how} {_bare(address.addr)}")
    return _by_subject(mail.subject, roster.units)
