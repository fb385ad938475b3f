"""Raw message bytes -> ParsedMail. Every message is hostile input.

``parse_mail`` raises ParseError only for what it refuses outright (too big, too
deep, too many parts, headers too big or missing); anything else parses, and what
could not be read is listed in ``ParsedMail.defects``.
"""

from __future__ import annotations

import email
from dataclasses import dataclass
from email.message import Message
from pathlib import Path

import mailparser
from mailparser.exceptions import MailParserRecursionError

from mailbot.adapters import parse_elide, parse_scan
from mailbot.adapters.parse_headers import (
    addresses,
    first_address,
    first_headers,
    header_text,
    is_yes,
    message_ids,
    token,
    unfold,
)
from mailbot.adapters.parse_parts import Found, walk
from mailbot.adapters.parse_text import dsn_report, inline_forward_sender, plain_bounce
from mailbot.core.model import Address, DeliveryReport, ParsedMail
from mailbot.errors import ParseError, StorageError


@dataclass(frozen=True)
class ParseLimits:
    max_bytes: int = 50 * 2**20
    max_parts: int = 2000
    max_depth: int = 50
    max_header_bytes: int = 256 * 1024


def parse_mail(raw: bytes, *, limits: ParseLimits = ParseLimits()) -> ParsedMail:
    """Parse one RFC 5322 message. Raises ParseError with a one-line reason."""
    return parse_taken([raw], limits=limits)


def parse_stored(path: str, max_bytes: int) -> ParsedMail:
    """``parse_mail`` of the message stored at ``path`` (for a worker process)."""
    try:
        box = [Path(path).read_bytes()]  # parse_taken holds the only reference
    except OSError as e:
        raise StorageError(f"stored message {path} cannot be read: {e.strerror}") from e
    return parse_taken(box, limits=ParseLimits(max_bytes=max_bytes))


def parse_taken(box: list[bytes], *, limits: ParseLimits = ParseLimits()) -> ParsedMail:
    """``parse_mail`` of the one message in ``box``, which it takes out: once its long
    base64 runs are set aside the bytes are freed, so a large message is not held twice
    while its files are decoded (the caller must hold no other reference)."""
    raw = box.pop()
    try:
        parse_scan.check(raw, max_bytes=limits.max_bytes, max_parts=limits.max_parts,
                         max_depth=limits.max_depth, max_header_bytes=limits.max_header_bytes)
    except parse_scan.LimitError as e:
        raise ParseError(str(e)) from e
    defects: list[str] = []
    elided, runs = parse_elide.elide(raw)
    del raw
    try:
        msg = _tree(elided, defects)
        parse_elide.restore(msg, runs)
        del elided, runs
        found = walk(msg, max_depth=limits.max_depth)
    except RecursionError as e:  # the scan over-approximates, but be sure
        raise ParseError(f"MIME nesting deeper than {limits.max_depth} levels") from e
    return _assemble(msg, found, defects)


def _tree(raw: bytes, defects: list[str]) -> Message:
    """The stdlib tree, built by mail-parser (whose flattened results are not used:
    see parse_parts) from the message with its long base64 runs set aside. If
    mail-parser's own post-processing fails on some input, the tree is rebuilt by the
    stdlib parser it wraps and the failure noted."""
    tree: object = None
    try:
        tree = mailparser.parse_from_bytes(raw).message
    except MailParserRecursionError as e:
        raise ParseError(str(e).splitlines()[0] if str(e) else "message nested too deep") from e
    except Exception as e:  # a bug in mail-parser's extras must not lose the message
        defects.append(f"mail-parser failed ({type(e).__name__}): parsed with the stdlib")
    if not isinstance(tree, Message):
        tree = email.message_from_bytes(raw)
    return tree


def _assemble(msg: Message, found: Found, defects: list[str]) -> ParsedMail:
    fields = first_headers(msg)
    from_ = first_address(fields.get("from"), defects)
    subject = header_text(fields.get("subject"), defects)
    own_text = found.body()
    text = "\n\n".join(t.strip() for t in [own_text, *found.forwarded_text] if t.strip())
    return ParsedMail(
        message_id=next(iter(message_ids(fields.get("message-id"))), None),
        subject=subject,
        from_=from_,
        reply_to=addresses(fields.get("reply-to"), defects),
        sender=first_address(fields.get("sender"), defects),
        to=addresses(fields.get("to"), defects),
        in_reply_to=message_ids(fields.get("in-reply-to")),
        references=message_ids(fields.get("references")),
        auto_submitted=token(fields.get("auto-submitted")),
        x_autoreply=is_yes(fields.get("x-autoreply")) or is_yes(fields.get("x-autorespond")),
        precedence=token(fields.get("precedence")),
        list_id=header_text(fields.get("list-id")) or None,
        text=text,
        html="\n".join(found.html),
        attachments=tuple(found.attachments),
        forwarded_from=_forwarded_from(found, own_text),
        delivery_report=_delivery_report(msg, found, from_, subject, own_text),
        defects=tuple(dict.fromkeys([*defects, *found.defects])),
        authentication_results=tuple(
            unfold(str(v)) for k, v in msg.raw_items()
            if str(k).strip().lower() == "authentication-results"),
    )


def _forwarded_from(found: Found, own_text: str) -> Address | None:
    if found.forwards:
        sender = first_address(first_headers(found.forwards[0]).get("from"))
        if sender is not None:
            return sender
    return inline_forward_sender(own_text)


def _delivery_report(msg: Message, found: Found, from_: Address | None, subject: str,
                     own_text: str) -> DeliveryReport | None:
    bounce = plain_bounce(from_, subject, own_text)
    report_type = msg.get_param("report-type")
    if (msg.get_content_type() == "multipart/report" and isinstance(report_type, str)
            and report_type.lower() == "delivery-status"):
        if found.dsn_blocks:
            return dsn_report(found.dsn_blocks)
        return bounce or DeliveryReport(failed_recipients=())  # a DSN without its fields
    return bounce
