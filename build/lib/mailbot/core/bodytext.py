"""The part of a submission's text that describes the exemplars: what the unit wrote,
without the quoted thread, the forward headers and the clerk's signature."""

from __future__ import annotations

import re

from mailbot.core.text import fold, nfc

_QUOTE = re.compile(r"^\s*>")
# "On Mon, Oct 9, 2023 at 9:15 AM X <x@example.com> wrote:" (Gmail wraps it over two or
# three lines), "Vào Th 2, 9 thg 10, 2023 vào lúc 09:15 X đã viết:".
_ATTRIBUTION_START = re.compile(r"^\s*(On|Vào)\s\S", re.IGNORECASE)
_ATTRIBUTION_END = re.compile(r"(wrote|đã viết)\s*:\s*$", re.IGNORECASE)
_FORWARD_MARK = re.compile(
    r"^\s*-{3,}\s*(forwarded message|(thư|tin nhắn) (đã |được )?chuyển tiếp)\s*-{3,}\s*$",
    re.IGNORECASE)
_ORIGINAL_MARK = re.compile(r"^\s*-{3,}\s*(original message|thư gốc)\s*-{3,}\s*$", re.IGNORECASE)
_FROM = re.compile(r"^\s*\*?(from|từ|người gửi)\s*:", re.IGNORECASE)
_SENT = re.compile(r"^\s*\*?(sent|date|đã gửi|ngày gửi|gửi lúc|ngày|thời gian)\s*:", re.IGNORECASE)
_HEADER = re.compile(
    r"^\s*\*?(from|date|subject|to|cc|bcc|sent|reply-to|từ|ngày|chủ đề|tiêu đề|đến|"
    r"đã gửi|gửi|người gửi|người nhận|thời gian)\s*\*?\s*:", re.IGNORECASE)
_FORWARD_SUBJECT = re.compile(r"^\s*(fwd?|ct|chuyển tiếp)\s*:", re.IGNORECASE)
_RULE = re.compile(r"^[\s_\-=*~.]*$")  # "____", "-----", "***" left above a cut block
_SIG_DASHES = re.compile(r"^--\s*$")
_SENT_FROM = re.compile(r"^(sent from|gửi từ|được gửi từ)\b.{0,60}$", re.IGNORECASE)
_CONTACT = re.compile(
    r"^\s*(đt|sđt|đtdđ|dđ|điện thoại|di động|mobile|tel|phone|fax|hotline|zalo|e-?mail|"
    r"người liên hệ|liên hệ)\b[^:\n]{0,12}:", re.IGNORECASE)
_PHONE = re.compile(r"^\s*\+?[\d\s.()-]{9,20}$")
_CLOSINGS = frozenset(fold(s) for s in (
    "Trân trọng", "Trân trọng cảm ơn", "Trân trọng cám ơn", "Xin trân trọng cảm ơn",
    "Trân trọng kính chào", "Kính chào", "Kính thư", "Thân ái", "Cảm ơn", "Cám ơn",
    "Xin cảm ơn", "Xin chân thành cảm ơn", "Chân thành cảm ơn", "Thanks", "Thank you",
    "Many thanks", "Best regards", "Kind regards", "Regards", "Best", "Thanks & regards",
    "Thanks & best regards", "Thanks and best regards",
))
_TAIL_LINES, _SHORT, _NAME_LINES = 8, 80, 3


def exemplar_text(body: str, *, max_chars: int = 4000, subject: str = "") -> str:
    """What the unit wrote about its exemplars, for the Board to read.

    Quoted lines (``>``) are dropped, and everything from a reply header on ("On …
    wrote:", "Vào … đã viết:", "-----Original Message-----", an Outlook "From: … Sent:
    …" block). A forwarded message ("---------- Forwarded message ---------") is what
    the unit sends, so its text is kept without its header lines; an Outlook block is
    read the same way when ``subject`` says the mail is a forward ("FW:", "Fwd:").
    Signatures are dropped only at the end of each part: the "-- " line and what
    follows, a closing ("Trân trọng", "Thanks"…) followed by a few short lines, a
    trailing name-and-phone block ("ĐT: …"). Runs of blank lines become one, and text
    longer than ``max_chars`` is cut at a word and ends with "…".

    >>> exemplar_text("Anh Nguyễn Văn An cứu người đuối nước.\\n\\nTrân trọng!\\nLan\\n"
    ...               "ĐT: 0912 345 678\\n\\nOn Mon, Oct 9, 2023 X wrote:\\n> Đề nghị gửi")
    'Anh Nguyễn Văn An cứu người đuối nước.'
    """
    if max_chars < 1:
        raise ValueError(f"max_chars must be at least 1, got {max_chars}")
    lines = [line.rstrip() for line in nfc(body).splitlines()]
    parts = _parts(lines, outlook_is_forward=bool(_FORWARD_SUBJECT.match(subject)))
    kept = [_collapse(_strip_signature(part)) for part in parts]
    return _cap("\n\n".join(p for p in kept if p), max_chars)


def _parts(lines: list[str], *, outlook_is_forward: bool) -> list[list[str]]:
    """The unit's own text, split where a forwarded message starts; quotes cut off."""
    parts: list[list[str]] = [[]]
    i = 0
    while i < len(lines):
        line = lines[i]
        if _QUOTE.match(line):
            i += 1
        elif _FORWARD_MARK.match(line):
            parts.append([])
            i = _skip_headers(lines, i + 1)
        elif _attribution_at(lines, i) or _outlook_block_at(lines, i):
            if not outlook_is_forward or _attribution_at(lines, i):
                break
            outlook_is_forward = False  # the forwarded mail's own thread is still cut
            parts.append([])
            i = _skip_headers(lines, i if _FROM.match(line) else i + 1)
        else:
            parts[-1].append(line)
            i += 1
    return parts


def _attribution_at(lines: list[str], i: int) -> bool:
    if not _ATTRIBUTION_START.match(lines[i]):
        return False
    for line in lines[i:i + 3]:
        if not line.strip():
            return False
        if _ATTRIBUTION_END.search(line):
            return True
    return False


def _outlook_block_at(lines: list[str], i: int) -> bool:
    if _ORIGINAL_MARK.match(lines[i]):
        return True
    if not _FROM.match(lines[i]):
        return False
    return any(_SENT.match(line) for line in lines[i + 1:i + 4])


def _skip_headers(lines: list[str], i: int) -> int:
    """The index after a forward's header lines ("From:", "Date:", … up to a blank line)."""
    while i < len(lines) and not lines[i].strip():
        i += 1
    if i >= len(lines) or not _HEADER.match(lines[i]):
        return i
    while i < len(lines) and lines[i].strip():
        i += 1
    return i


def _strip_signature(lines: list[str]) -> list[str]:
    for i, line in enumerate(lines):
        if _SIG_DASHES.match(line):
            lines = lines[:i]
            break
    while True:
        before = len(lines)
        while lines and (_RULE.match(lines[-1]) or _SENT_FROM.match(lines[-1].strip())):
            lines = lines[:-1]
        lines = _strip_contact_block(_strip_closing(lines))
        if len(lines) == before:
            return lines


def _strip_closing(lines: list[str]) -> list[str]:
    """Cut at the first closing among the last few lines if only short lines follow it."""
    nonblank = [i for i, line in enumerate(lines) if line.strip()][-_TAIL_LINES:]
    for i in nonblank:
        if fold(lines[i]) in _CLOSINGS and all(len(s) <= _SHORT for s in lines[i + 1:]):
            return lines[:i]
    return lines


def _strip_contact_block(lines: list[str]) -> list[str]:
    """Drop trailing contact lines and the name/title lines just above them."""
    end = len(lines)
    while end and _is_contact(lines[end - 1]):
        end -= 1
    if end == len(lines):
        return lines
    start = end
    while (start and end - start < _NAME_LINES and lines[start - 1].strip()
           and _is_name_line(lines[start - 1])):
        start -= 1
    if start and lines[start - 1].strip():
        return lines  # the block ends a paragraph (an exemplar's own phone?): keep it
    return lines[:start]


def _is_contact(line: str) -> bool:
    return len(line) <= _SHORT and bool(_CONTACT.match(line) or _PHONE.match(line))


def _is_name_line(line: str) -> bool:
    text = line.strip()
    return (len(text) <= 60 and not any(c.isdigit() for c in text)
            and not text.endswith((".", ";", ":", "!", "?")))


def _collapse(lines: list[str]) -> str:
    out: list[str] = []
    for line in lines:
        if line.strip() or (out and out[-1]):
            out.append(line if line.strip() else "")
    return "\n".join(out).strip()


def _cap(text: str, max_chars: int) -> str:
    if len(text) <= max_chars:
        return text
    cut = text[:max_chars - 1]
    space = max(cut.rfind(" "), cut.rfind("\n"))
    if space > max_chars // 2:
        cut = cut[:space]
    return cut.rstrip() + "…"
