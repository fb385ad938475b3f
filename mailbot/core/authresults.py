"""Is the From address genuine? Read from the office's own server's Authentication-Results.

Anyone can write "From: vanphong@phuong-hoa-nghia.gov.vn". The office's mail server
(Gmail, Microsoft 365, most hosted mail) checks SPF, DKIM and DMARC on arrival and
stamps the outcome in an ``Authentication-Results`` header (RFC 8601) on top of the
message. A sender can add such headers too, lower down, so only the topmost header
carrying the server's authserv-id (``[ingest] trusted_authserv_id``) is read.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

ACCEPT = "accept"
UNVERIFIED = "unverified"
NO_AUTHSERV_ID = ""  # Microsoft 365 stamps its results without an authserv-id

_PAIR = re.compile(r'([A-Za-z0-9_.-]+(?:/[0-9]+)?)\s*=\s*("(?:[^"\\]|\\.)*"|[^\s;"]+)')
# Second-level labels under a country code that registries hand out below
# (gov.vn, com.vn, co.uk): a small stand-in for the Public Suffix List.
_SECOND_LEVEL = frozenset({"ac", "co", "com", "edu", "gov", "info", "int", "name", "net",
                           "org", "biz", "health", "pro"})


@dataclass(frozen=True)
class AuthPolicy:
    """``trusted_authserv_id``: None when not configured. ``unauthenticated``: what a
    mail gets when the trusted server stamped nothing, ``"accept"`` or ``"unverified"``."""

    trusted_authserv_id: str | None = None
    unauthenticated: str = ACCEPT


@dataclass(frozen=True)
class Method:
    """One result in a header: ``dkim=pass header.d=example.com``."""

    method: str
    result: str
    props: tuple[tuple[str, str], ...] = ()

    def prop(self, *names: str) -> str:
        return next((v for k, v in self.props if k in names), "")


@dataclass(frozen=True)
class SenderCheck:
    """``verified`` is False when the sender must not be trusted; ``reason`` says why."""

    verified: bool
    reason: str


def strip_comments(value: str) -> str:
    """Remove RFC 5322 comments (nested, outside quoted strings); unfold.

    >>> strip_comments('spf=pass (google.com: domain of (x) ok) smtp.mailfrom=a.vn')
    'spf=pass  smtp.mailfrom=a.vn'
    """
    out: list[str] = []
    depth, quoted = 0, False
    chars = iter(value.replace("\r", " ").replace("\n", " "))
    for c in chars:
        if quoted:
            out.append(c)
            if c == "\\":
                out.append(next(chars, ""))
            quoted = c != '"'
        elif depth:
            if c == "\\":
                next(chars, None)
            depth += {"(": 1, ")": -1}.get(c, 0)
        elif c == "(":
            depth = 1
        else:
            out.append(c)
            quoted = c == '"'
    return "".join(out)


def parse_header(value: str) -> tuple[str, tuple[Method, ...]]:
    """(authserv-id lower-cased, results). A header that starts with a result
    (Microsoft 365) has the authserv-id ``""``.

    >>> parse_header("mx.google.com; dmarc=pass header.from=a.vn")[0]
    'mx.google.com'
    """
    segments = [s.strip() for s in strip_comments(value).split(";")]
    first = segments[0] if segments else ""
    if _PAIR.match(first):
        authserv_id, rest = NO_AUTHSERV_ID, segments
    else:
        authserv_id, rest = (first.split() or [""])[0].lower(), segments[1:]
    methods = []
    for segment in rest:
        pairs = [(k.lower(), v.strip('"')) for k, v in _PAIR.findall(segment)]
        if pairs:
            (method, result), props = pairs[0], tuple((k, v.lower()) for k, v in pairs[1:])
            methods.append(Method(method.split("/")[0], result.lower(), props))
    return authserv_id, tuple(methods)


def organisational_domain(domain: str) -> str:
    """The registered domain, as relaxed DMARC alignment compares them.

    >>> organisational_domain("mail.phuonghoanghia.duongkinh.gov.vn")
    'duongkinh.gov.vn'
    >>> organisational_domain("em.gmail.com")
    'gmail.com'
    """
    labels = domain.strip(".").lower().split(".")
    keep = 3 if len(labels) >= 3 and len(labels[-1]) == 2 and labels[-2] in _SECOND_LEVEL else 2
    return ".".join(labels[-keep:])


def _domain_of(value: str) -> str:
    return value.rpartition("@")[2].strip().strip("<>").strip(".").lower()


def _aligned(domain: str, from_domain: str) -> bool:
    return bool(domain) and organisational_domain(domain) == organisational_domain(from_domain)


def _summary(methods: Sequence[Method]) -> str:
    return ", ".join(f"{m.method}={m.result}" for m in methods) or "no results"


def check_sender(headers: Sequence[str], from_domain: str, policy: AuthPolicy) -> SenderCheck:
    """Decide whether the From domain is vouched for by the trusted server.

    ``headers`` are the message's Authentication-Results values, top first. Only the
    topmost one whose authserv-id is trusted counts: dmarc=pass is verified,
    dmarc=fail is not; otherwise an spf=pass whose smtp.mailfrom, or a dkim=pass
    whose header.d (or header.i), is aligned with the From domain (same
    organisational domain) is verified. No trusted header: ``policy.unauthenticated``.
    """
    trusted = policy.trusted_authserv_id
    found = None
    if trusted is not None:
        found = next((methods for authserv_id, methods in map(parse_header, headers)
                      if authserv_id == trusted.lower()), None)
    if found is None:
        why = ("sender authentication is not configured" if trusted is None
               else f"no Authentication-Results from {trusted or 'the server'}")
        return SenderCheck(policy.unauthenticated != UNVERIFIED, why)
    from_domain = from_domain.lower().strip(".")
    if not from_domain:
        return SenderCheck(False, f"no From domain to authenticate ({_summary(found)})")
    for m in found:
        if m.method == "dmarc" and m.result == "fail":
            return SenderCheck(False, f"DMARC fails for {from_domain} ({_summary(found)})")
    for m in found:
        if m.method == "dmarc" and m.result == "pass" and (
                _domain_of(m.prop("header.from")) in ("", from_domain)):
            return SenderCheck(True, f"DMARC passes for {from_domain}")
    for m in found:
        if m.result != "pass":
            continue
        if m.method == "spf":
            domain = _domain_of(m.prop("smtp.mailfrom"))
        elif m.method == "dkim":
            domain = _domain_of(m.prop("header.d") or m.prop("header.i"))
        else:
            continue
        if _aligned(domain, from_domain):
            return SenderCheck(True, f"{m.method.upper()} passes for {domain}, "
                                     f"aligned with {from_domain}")
    return SenderCheck(False, f"no DMARC pass and no SPF or DKIM pass aligned with "
                              f"{from_domain} ({_summary(found)})")
