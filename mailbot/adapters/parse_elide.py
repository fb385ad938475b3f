"""Long runs of base64 lines are set aside before the stdlib parser sees a message.

The stdlib FeedParser (which mail-parser wraps) pushes every line of every attachment
through a per-line loop and a boundary regex, and holds a str per line: for a 27 MB
message that is ~70% of the parse time and a peak of ~8x the message. A run of
base64 lines can never be a boundary line (those start with "--"), a header (no
colon) or a header continuation (no leading blank), so replacing each long run by
one placeholder line leaves the tree the parser builds unchanged; ``restore`` then
puts the lines back into the payloads of the leaves that held them, exactly as the
parser would have stored them (including the line break a boundary takes from the
last line of a part).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from email.message import Message

# A run of whole lines of base64 characters, each with its line break, starting at a
# line start. Such lines mean nothing to the parser: no boundary ("-"), header (":"),
# continuation (a leading blank) or blank line; one placeholder line can stand in.
# Possessive: no backtracking can help here, and sre's stack for it would take ~2x the run.
_RUN = re.compile(rb"(?<![^\r\n])(?:[A-Za-z0-9+/=]++(?:\r\n|\n|\r))++")
MIN_RUN = 4096


def elide(raw: bytes) -> tuple[bytes, dict[str, str]]:
    """``raw`` with each run of whole base64 lines (4 KB or more) replaced by a
    placeholder line, and the runs by placeholder (without its line break)."""
    nonce = secrets.token_hex(8)
    runs: dict[str, str] = {}
    pieces: list[bytes] = []
    last = 0
    for m in _RUN.finditer(raw):
        start, end = m.span()
        if end - start < MIN_RUN:
            continue
        key = f"=mailbot-elided-{nonce}-{len(runs)}="
        eol = b"\r\n" if raw[end - 2:end] == b"\r\n" else raw[end - 1:end]
        pieces += [raw[last:start], key.encode("ascii"), eol]
        runs[key] = str(memoryview(raw)[start:end], "ascii")
        last = end
    if not runs:
        return raw, runs
    pieces.append(raw[last:])
    return b"".join(pieces), runs


def restore(msg: Message, runs: Mapping[str, str]) -> None:
    """Put the runs set aside by ``elide`` back into the leaves of ``msg``'s tree."""
    if not runs:
        return
    prefix = next(iter(runs))[:33]  # "=mailbot-elided-<nonce>-"
    placeholder = re.compile(re.escape(prefix) + r"\d+=(\r\n|\n|\r)?")

    def run(m: re.Match[str]) -> str:
        text = runs.get(m.group()[:len(m.group()) - len(m.group(1) or "")], m.group())
        # A placeholder that ended its part lost its line break to the boundary.
        return text if m.group(1) else text.rstrip("\r\n")

    for part in msg.walk():
        # The raw payload: get_payload() would apply the part's charset to it.
        payload = getattr(part, "_payload", None)
        if isinstance(payload, str) and prefix in payload:
            part.set_payload(placeholder.sub(run, payload))
