"""The text of each unit's mail as the Board's email shows it: a summary as paragraphs,
clipped so that the letter of a large package stays a few MB, and one-line subjects."""

from __future__ import annotations

import re
import unicodedata

from mailbot.core.text import nfc

MAX_SUMMARY = 6000  # characters of one unit's text in the email; the files carry the rest
# All summaries of one package's body together: a city of 1,000 units sending 3,000 mails
# still gets a part 1 of a few MB; each summary keeps at least MIN_SUMMARY characters.
SUMMARY_BUDGET = 480_000
MIN_SUMMARY = 160
CLIPPED = "(Nội dung dài, đã được rút gọn trong thư này; toàn văn có trong tệp báo cáo .docx.)"
_MAX_SUBJECT = 200
_CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f]")  # Unicode's Cc, bar the line feed


def summary_paragraphs(text: str, limit: int = MAX_SUMMARY) -> tuple[tuple[str, ...], ...]:
    """A unit's summary as paragraphs of lines, ready for either body.

    NFC; CR LF, CR and Unicode line separators become line breaks; tabs become spaces;
    other control characters go; lines are stripped and runs of blank lines split
    paragraphs. Text beyond ``limit`` characters is cut, ending with "…" and CLIPPED.

    >>> summary_paragraphs("Ông A\\r\\ncứu người.\\n\\n\\n  Bà B:\\thiến đất.  \\n")
    (('Ông A', 'cứu người.'), ('Bà B: hiến đất.',))
    >>> summary_paragraphs("Gương tốt " * 3, limit=12)[-1] == (CLIPPED,)
    True
    """
    text = nfc(text).replace("\r\n", "\n").translate(
        {0x0D: "\n", 0x2028: "\n", 0x2029: "\n\n", 0x09: " "})
    text = _CONTROL.sub("", text).strip()
    clipped = len(text) > limit
    if clipped:
        text = text[:limit].rstrip() + "…"
    blocks = re.split(r"\n{2,}", "\n".join(line.strip() for line in text.split("\n")))
    result = [tuple(block.split("\n")) for block in blocks if block]
    return tuple([*result, (CLIPPED,)] if clipped else result)


def summary_limit(submissions: int) -> int:
    """Characters of each summary in the email when it lists ``submissions`` mails.

    >>> summary_limit(40), summary_limit(3000)
    (6000, 160)
    """
    return max(MIN_SUMMARY, min(MAX_SUMMARY, SUMMARY_BUDGET // max(1, submissions)))


def one_line(text: str) -> str:
    """A mail's subject on one line: control and separator characters become spaces,
    runs of spaces one, at most 200 characters.

    >>> one_line("Gương\\r\\nngười  tốt\\x00")
    'Gương người tốt'
    """
    shown = nfc(" ".join("".join(
        " " if unicodedata.category(c)[0] in "CZ" else c for c in text).split()))
    return shown if len(shown) <= _MAX_SUBJECT else shown[: _MAX_SUBJECT - 1] + "…"
