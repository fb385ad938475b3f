"""Reading meaning out of decoded text: HTML to plain text, inline forward blocks,
delivery-status fields and plain mailer-daemon bounces."""

from __future__ import annotations

import re
import unicodedata
from email.message import Message
from html.parser import HTMLParser

from mailbot.adapters.parse_headers import first_address, header_text
from mailbot.core.model import Address, DeliveryReport

_BLOCK_TAGS = frozenset(
    {"br", "p", "div", "tr", "li", "ul", "ol", "table", "h1", "h2", "h3", "h4", "h5",
     "h6", "blockquote", "pre", "hr", "section", "article", "header", "footer"}
)
_HIDDEN_TAGS = frozenset({"script", "style", "head", "title", "template"})


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.chunks: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _HIDDEN_TAGS:
            self.hidden += 1
        elif tag in _BLOCK_TAGS:
            self.chunks.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN_TAGS:
            self.hidden = max(0, self.hidden - 1)
        elif tag in _BLOCK_TAGS:
            self.chunks.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.chunks.append(data)


def html_to_text(html: str) -> str:
    """Tags stripped, entities unescaped, one line per block, NFC."""
    parser = _TextExtractor()
    try:
        parser.feed(html)
        parser.close()
    except (AssertionError, ValueError):  # HTMLParser gives up on some garbage
        pass
    raw_lines = "".join(parser.chunks).split("\n")
    lines = (re.sub(r"[ \t\u00a0]+", " ", line).strip() for line in raw_lines)
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
    return unicodedata.normalize("NFC", text)


# Outlook's "-----Original Message-----" (no spaces) heads replies as often as
# forwards, so it is not a forward marker; Thunderbird's spaced form is.
_FORWARD_MARKERS = re.compile(
    r"^[ \t>]*(?:-{2,}[ \t]+(?:Forwarded message|Original Message"
    r"|Tin nhắn đã chuyển tiếp|Thư được chuyển tiếp)[ \t]+-{2,}"
    r"|Begin forwarded message:)[ \t]*$",
    re.I | re.M,
)
_FROM_LINE = re.compile(r"^[ \t>*]*(?:From|Từ)[ \t*]*:[ \t*]*(.+)$", re.I | re.M)
_MAILTO = re.compile(r"\[mailto:([^\]\s]+)\]", re.I)


def inline_forward_sender(text: str) -> Address | None:
    """The sender named in the first inline forward block ("---------- Forwarded
    message ---------" and friends, then a "From:"/"Từ:" line within 12 lines)."""
    for marker in _FORWARD_MARKERS.finditer(text):
        window = "\n".join(text[marker.end(): marker.end() + 4000].split("\n", 13)[:13])
        line = _FROM_LINE.search(window)
        if line is None:
            continue
        value = _MAILTO.sub(r"<\1>", line.group(1)).replace("*", "").strip()
        found = first_address(value)
        if found is not None:
            return found
    return None


def dsn_report(blocks: list[Message]) -> DeliveryReport:
    """RFC 3464 per-recipient blocks -> the recipients whose Action is failed."""
    failed: list[str] = []
    diagnostics: list[str] = []
    for block in blocks:
        fields = {k.lower(): header_text(str(v)) for k, v in block.raw_items()}
        if fields.get("action", "").split(";")[0].strip().lower() != "failed":
            continue
        recipient = fields.get("final-recipient") or fields.get("original-recipient") or ""
        addr = recipient.split(";", 1)[-1].strip().strip("<>").lower()
        if addr and addr not in failed:
            failed.append(addr)
        diagnostic = " ".join(fields.get("diagnostic-code", "").split(";", 1)[-1].split())
        if diagnostic:
            diagnostics.append(diagnostic)
    return DeliveryReport(failed_recipients=tuple(failed), diagnostic="; ".join(diagnostics))


_DAEMONS = frozenset({"mailer-daemon", "postmaster", "mail-daemon", "mailerdaemon"})
_BOUNCE_SUBJECT = re.compile(
    r"undeliver|returned mail|returned to sender|delivery (?:status notification|failure"
    r"|has failed)|mail delivery (?:failed|failure|system)|failure notice|could not be delivered"
    r"|không gửi được|không thể gửi",
    re.I,
)
_BOUNCE_PHRASES = re.compile(
    r"following (?:address(?:es)?|recipients?)(?: \S+)? failed"
    r"|could not be delivered to|delivery to the following recipients? failed"
    r"|(?:was|wasn't|was not) delivered to|undeliverable to|permanent(?:ly)? (?:error|fatal)"
    r"|address not found|không tìm thấy địa chỉ|chưa được gửi tới|not delivered to"
    r"|delivery has failed to these recipients|message could not be delivered",
    re.I,
)
_ADDRESS = re.compile(r"<?([A-Za-z0-9._%+'=-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,})>?")
_SMTP_STATUS = re.compile(r"^.*\b[45]\d\d(?:[ -][245]\.\d{1,3}\.\d{1,3})?\b.*$", re.M)


def plain_bounce(sender: Address | None, subject: str, text: str) -> DeliveryReport | None:
    """A mailer-daemon notice without RFC 3464 structure: the addresses after the
    usual "could not be delivered" phrases, and the first SMTP status line."""
    local = sender.addr.split("@", 1)[0] if sender else ""
    if local not in _DAEMONS and not _BOUNCE_SUBJECT.search(subject):
        return None
    if local not in _DAEMONS and not _BOUNCE_PHRASES.search(text):
        return None
    failed: list[str] = []
    for phrase in _BOUNCE_PHRASES.finditer(text):
        window = text[phrase.start(): phrase.end() + 600]
        for addr in _ADDRESS.findall(window):
            addr = addr.lower()
            if addr not in failed and addr != (sender.addr if sender else ""):
                failed.append(addr)
        if failed:
            break
    status = _SMTP_STATUS.search(text)
    if not failed and status is None and local not in _DAEMONS:
        return None
    return DeliveryReport(
        failed_recipients=tuple(failed),
        diagnostic=status.group(0).strip()[:500] if status else "",
    )
