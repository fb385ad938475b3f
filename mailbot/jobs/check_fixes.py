"""What to tell a person when `mailbot check` fails: the error in one line, and its fix."""

from __future__ import annotations

import re
import socket
import ssl

_GMAIL = ("gmail.com", "googlemail.com")
_MICROSOFT = ("office365.com", "outlook.com", "hotmail.com", "live.com")
_MS_BASIC_OFF = re.compile(r"BasicAuthBlocked|basic auth\w* (is )?(disabled|blocked)|5\.7\.139"
                           r"|SmtpClientAuthentication is disabled", re.IGNORECASE)


def describe(error: BaseException) -> str:
    """The error and its causes, without repeating itself: what a person needs to see."""
    parts: list[str] = []
    seen: BaseException | None = error
    while seen is not None and len(parts) < 3:
        text = str(seen) or type(seen).__name__
        code, message = getattr(seen, "code", None), getattr(seen, "message", None)
        if isinstance(code, int) and isinstance(message, str):  # an SMTP reply
            text = f"{code} {message}"
        if isinstance(seen, socket.timeout | TimeoutError) and not str(seen):
            text = "timed out"
        if not any(text in p for p in parts):
            parts.append(text)
        seen = seen.__cause__ or seen.__context__
    return ": ".join(parts)


def clean(text: str, secret: str = "") -> str:
    text = re.sub(r"\bb'(.*?)'", r"\1", text)  # imaplib's bytes reprs: b'[AUTH...] ...'
    if len(secret) >= 4:  # a server should never echo a password back: do not trust that
        text = text.replace(secret, "***")
    return one_line(text)


def one_line(text: str) -> str:
    return " ".join(text.split())[:300]


def fix_for(service: str, host: str, port: int, timeout: float, error: BaseException | str, *,
         login: bool = False, oauth: bool = False) -> str:
    """The fix for a failure talking to ``host``: what a person should change."""
    text = error if isinstance(error, str) else describe(error)
    chain: list[BaseException] = []
    seen = None if isinstance(error, str) else error
    while seen is not None and len(chain) < 5:
        chain.append(seen)
        seen = seen.__cause__ or seen.__context__
    host_l = host.lower().rstrip(".")
    tls_port = {"imap": 993, "smtp": 465}[service]

    def is_(kind: type[BaseException] | tuple[type[BaseException], ...]) -> bool:
        return any(isinstance(e, kind) for e in chain)

    if oauth and login:
        return (f"the OAuth2 login failed: check {service}.oauth2_client_id and "
                f"{service}.oauth2_provider; if the token was revoked or expired, authorise "
                f"mailbot again and save the new refresh token in {service}.oauth2_token_file")
    if login or re.search(r"AUTHENTICATIONFAILED|authentication failed|AUTHENTICATE failed|"
                          r"Application-specific password|Invalid credentials|"
                          r"Username and Password not accepted|\b535\b", text, re.IGNORECASE):
        if host_l.endswith(_GMAIL) or "Application-specific password" in text:
            return ("Gmail refuses the account's normal password here: turn on 2-Step "
                    "Verification, create an app password (Google Account > Security > "
                    f"App passwords) and use those 16 letters as the {service} password"
                    f' (or {service}.auth = "oauth2" with oauth2_provider = "google")')
        if host_l.endswith(_MICROSOFT) or _MS_BASIC_OFF.search(text):
            return ("Microsoft 365 has basic authentication (password login) turned off "
                    f"for {service.upper()}: it needs OAuth2; "
                    f'set {service}.auth = "oauth2" with oauth2_provider = "microsoft" '
                    "(see config.example.toml)")
        return (f"check {service}.username and the password ({service}.password_env or "
                f"{service}.password_file)")
    if is_(ssl.SSLCertVerificationError) or "CERTIFICATE_VERIFY_FAILED" in text:
        return (f"the certificate of {host} is not trusted: for a private server set "
                f"{service}.ca_file to its CA certificate (PEM); otherwise check that "
                f"{service}.host is the name on the certificate")
    if re.search(r"WRONG_VERSION_NUMBER|wrong version number|record layer failure|"
                 r"unknown protocol|packet length too long", text, re.IGNORECASE):
        return (f"port {port} does not start with TLS: use {service}.security = "
                f"\"starttls\" for this port, or port {tls_port} with \"tls\"")
    if is_(socket.gaierror) or re.search(r"Name or service not known|nodename nor servname|"
                                         r"name resolution", text, re.IGNORECASE):
        return f"the name {host!r} cannot be resolved: check {service}.host and this machine's DNS"
    if is_(ConnectionRefusedError) or "Connection refused" in text:
        usual = {"imap": "993 with tls, 143 with starttls",
                 "smtp": "465 with tls, 587 with starttls"}[service]
        return (f"nothing accepts connections on {host}:{port}: check {service}.host and "
                f"{service}.port (usually {usual})")
    if is_((TimeoutError, socket.timeout)) or re.search(r"timed out|timeout", text,
                                                        re.IGNORECASE):
        return (f"no answer from {host}:{port} within {timeout:g} s: check {service}.host "
                f"and {service}.port; a firewall may block outgoing port {port}")
    if re.search(r"Network is unreachable|No route to host", text, re.IGNORECASE):
        return "this machine cannot reach the network: check its connection and proxy"
    if re.search(r"NONEXISTENT|doesn't exist|not exist|no such mailbox", text, re.IGNORECASE):
        return f"check {service}.folder"
    return f"check {service}.host, {service}.port and {service}.security"
