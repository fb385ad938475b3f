"""A cheap look at raw message bytes before any full parse.

The stdlib parser recurses once per nesting level and parses MIME parameters in
quadratic time (``_parseparam`` recounts quotes for every ``;``: a 128 KB
Content-Type with semicolons inside an open quote takes ~4 s). So the bytes are
scanned here with fast literal searches first: header block size, Content-Type
and Content-Disposition headers (their parameter cost, declared boundaries,
message/rfc822 levels), and the boundary lines of declared boundaries, replayed
on a stack to measure nesting depth and count parts. The scan over-approximates
(a quoted "Content-Type:" line in a text body counts too) and never parses.
"""

from __future__ import annotations

import re

# Headers parsed by name: a header line starts the message or follows a line end.
_MIME_HEADER = re.compile(
    rb"content-(type|disposition)[ \t]*:([^\r\n]*(?:(?:\r\n|\r|\n)[ \t][^\r\n]*)*)"
)
_BOUNDARY_PARAM = re.compile(rb"""boundary[ \t]*=[ \t]*(?:"([^"\r\n]*)"|([^\s;"]+))""", re.I)
_HEADER_START = re.compile(rb"(?:From [^\r\n]*(?:\r\n|\r|\n))?[!-9;-~]+[ \t]*:")
_EOL = rb"(?:\r\n|\n|\r(?!\n))"
_BLANK_LINE = re.compile(_EOL + _EOL)

# Sum over MIME headers of (semicolons x length): ~0.05 s of _parseparam at most.
_PARAM_BUDGET = 50_000_000
_MAX_BOUNDARY = 200


class LimitError(Exception):
    """The message is outside a limit; the text is the one-line reason."""


def check(raw: bytes, *, max_bytes: int, max_parts: int, max_depth: int,
          max_header_bytes: int) -> None:
    """Raise LimitError when ``raw`` is too big, headerless, too deep or too wide."""
    if not raw.strip():
        raise LimitError("empty message")
    if len(raw) > max_bytes:
        raise LimitError(f"message is {len(raw)} bytes, over the {max_bytes} byte limit")
    if not _HEADER_START.match(raw):
        raise LimitError("no headers: the message does not start with a header line")
    blank = _BLANK_LINE.search(raw, 0, max_header_bytes + 4)
    header_end = blank.start() if blank else len(raw)
    if header_end > max_header_bytes:
        raise LimitError(f"headers larger than {max_header_bytes} bytes")
    events = _mime_headers(raw, max_parts)
    boundaries = {b for _, kind, b in events if kind == "multipart"}
    if boundaries:
        events += _boundary_lines(raw, boundaries, max_parts)
        events.sort(key=lambda e: e[0])
    _replay(events, max_parts=max_parts, max_depth=max_depth)


def _mime_headers(raw: bytes, max_parts: int) -> list[tuple[int, str, bytes]]:
    """(position, "multipart" | "message" | "other", boundary) per MIME header."""
    lowered = raw.lower()
    found: list[tuple[int, str, bytes]] = []
    cost = 0
    for m in _MIME_HEADER.finditer(lowered):
        start = m.start()
        if start and lowered[start - 1] not in b"\r\n":
            continue
        if len(found) > 2 * max_parts + 2:
            raise LimitError(f"more than {max_parts} MIME parts")
        value = m.group(2)
        cost += value.count(b";") * len(value)
        if cost > _PARAM_BUDGET:
            raise LimitError("MIME header parameters too long to parse safely")
        if m.group(1) == b"disposition":
            continue
        media = value.split(b";", 1)[0].strip()
        if media.startswith(b"multipart/"):
            param = _BOUNDARY_PARAM.search(raw, m.start(2), m.end(2))
            boundary = (param.group(1) or param.group(2)) if param else b""
            if boundary and len(boundary) <= _MAX_BOUNDARY:
                found.append((start, "multipart", boundary))
        elif media in (b"message/rfc822", b"message/global"):
            found.append((start, "message", b""))
    return found


def _boundary_lines(raw: bytes, boundaries: set[bytes],
                    max_parts: int) -> list[tuple[int, str, bytes]]:
    """(position, "open" | "close", boundary) for each line made of a declared boundary."""
    alternatives = b"|".join(re.escape(b) for b in sorted(boundaries, key=len, reverse=True))
    pattern = re.compile(rb"--(" + alternatives + rb")(--)?[ \t]*(?=\r|\n|\Z)")
    found: list[tuple[int, str, bytes]] = []
    for m in pattern.finditer(raw):
        start = m.start()
        if start and raw[start - 1] not in b"\r\n":
            continue
        found.append((start, "close" if m.group(2) else "open", m.group(1)))
        if len(found) > 2 * max_parts + 2:
            raise LimitError(f"more than {max_parts} MIME parts")
    return found


def _replay(events: list[tuple[int, str, bytes]], *, max_parts: int, max_depth: int) -> None:
    stack: list[bytes | None] = []  # open boundaries; None marks a message/rfc822 level
    parts = 1
    for _, kind, boundary in events:
        if kind == "multipart":
            stack.append(boundary)
        elif kind == "message":
            stack.append(None)
        elif kind in ("open", "close"):
            level = _innermost(stack, boundary)
            if level < 0:
                continue
            del stack[level + (kind == "open"):]
            if kind == "open":
                parts += 1
                if parts > max_parts:
                    raise LimitError(f"more than {max_parts} MIME parts")
        if len(stack) > max_depth:
            raise LimitError(f"MIME nesting deeper than {max_depth} levels")


def _innermost(stack: list[bytes | None], boundary: bytes) -> int:
    for level in range(len(stack) - 1, -1, -1):
        if stack[level] == boundary:
            return level
    return -1
