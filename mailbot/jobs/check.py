"""`mailbot check`: load the config, then talk to the IMAP and SMTP servers and the
database with it, one step at a time, and say for each step OK, WARN, FAIL (with the
fix) or SKIP (not tried because an earlier step failed).

The IMAP folder step goes through ImapMailbox and the SMTP size step through
adapters.smtp.size_limit, exactly as `mailbot run` will; connecting and logging in are
done here step by step, so a failure names its step and gets its own fix.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import socket
import ssl
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from mailbot.config import Config, ImapConfig, SmtpConfig
from mailbot.errors import ConfigError, MailbotError

OK, WARN, FAIL, SKIP = "OK", "WARN", "FAIL", "SKIP"
_GMAIL = ("gmail.com", "googlemail.com")
_MICROSOFT = ("office365.com", "outlook.com", "hotmail.com", "live.com")
_MS_BASIC_OFF = re.compile(r"BasicAuthBlocked|basic auth\w* (is )?(disabled|blocked)|5\.7\.139"
                           r"|SmtpClientAuthentication is disabled", re.IGNORECASE)


@dataclass(frozen=True)
class Step:
    status: str  # OK | WARN | FAIL | SKIP
    name: str
    detail: str
    fix: str = ""

    def line(self) -> str:
        text = f"{self.status:<4} {self.name:<12}  {self.detail}"
        return text + (f"  fix: {self.fix}" if self.fix else "")


Report = Callable[[Step], None]
# Whether this mailbot can log in with OAuth2 (imap.auth = "oauth2"): the fixes say so.
OAUTH2_READY = "auth" in ImapConfig.__dataclass_fields__
IMAP_STEPS = ("imap connect", "imap login", "imap folder", "imap idle")
SMTP_STEPS = ("smtp connect", "smtp auth", "smtp size")


def run_check(config_path: Path | None, *, timeout: float, command: str,
              report: Report) -> list[Step]:
    """Every step in order, each passed to ``report`` as soon as it is known.
    ``command`` is how to call mailbot with this config, for the fixes."""
    from mailbot.jobs.units_sheet import load_lenient

    steps: list[Step] = []

    def say(step: Step) -> Step:
        steps.append(step)
        report(step)
        return step

    try:
        loaded = load_lenient(config_path)
    except ConfigError as e:
        fix = ("`mailbot init DIR` writes one, or give --config PATH" if "not found" in str(e)
               else "correct the key named in the config file")
        say(Step(FAIL, "config", _one_line(str(e)), fix))
        for name in (*IMAP_STEPS, *SMTP_STEPS, "database"):
            say(Step(SKIP, name, "not tried: the config does not load"))
        return steps
    cfg = loaded.config
    for why in loaded.missing_secrets.values():
        say(Step(FAIL, "config", _one_line(why), _secret_fix(why)))
    if not loaded.missing_secrets:
        smtp = f", SMTP {cfg.smtp.host}:{cfg.smtp.port}" if cfg.smtp else ""
        say(Step(OK, "config", f"{cfg.path}: {len(cfg.units)} unit(s), IMAP "
                               f"{cfg.imap.host}:{cfg.imap.port}{smtp}"))
    for message in loaded.warnings:
        say(Step(WARN, "config", _one_line(message), "see the key named"))
    if not cfg.units:
        say(Step(WARN, "config", "no [[units]]: no submission can be filed",
                 f"{command} units import don-vi.xlsx"))
    imap = replace(cfg.imap, timeout=min(cfg.imap.timeout, timeout))
    for step in imap_steps(imap, can_login="imap" not in loaded.missing_secrets):
        say(step)
    if cfg.smtp is None:
        say(Step(WARN, "smtp", "no [smtp] section: mailbot files mail but sends nothing "
                               "(no acknowledgements, reminders or package)",
                 "add [smtp] as in config.example.toml"))
    else:
        smtp_cfg = replace(cfg.smtp, timeout=min(cfg.smtp.timeout, timeout))
        for step in smtp_steps(smtp_cfg, cfg, can_login="smtp" not in loaded.missing_secrets):
            say(step)
    say(database_step(cfg, command))
    return steps


def imap_steps(cfg: ImapConfig, *, can_login: bool) -> Iterator[Step]:
    """Connect and secure, log in, EXAMINE the folder (through ImapMailbox), IDLE."""
    from imapclient import IMAPClient, SocketTimeout
    from imapclient.exceptions import LoginError

    from mailbot.adapters.imap import ImapMailbox

    oauth = getattr(cfg, "auth", "password") == "oauth2"  # the token comes via ImapMailbox
    where, mode = f"{cfg.host}:{cfg.port}", _mode(cfg.security, "STARTTLS")
    context = ssl.create_default_context(cafile=str(cfg.ca_file) if cfg.ca_file else None)
    client: Any = None
    folders: list[str] = []
    try:
        try:
            client = IMAPClient(cfg.host, port=cfg.port, ssl=cfg.security == "tls",
                                ssl_context=context if cfg.security == "tls" else None,
                                timeout=SocketTimeout(cfg.timeout, cfg.timeout))
            client._imap.debug = 0
            if cfg.security == "starttls":
                client.starttls(context)
            offered = set(client.capabilities())
        except Exception as e:  # any failure here is this step's FAIL
            yield from _stop(_fail("imap connect", "imap", cfg, e), IMAP_STEPS)
            return
        yield Step(OK, "imap connect", f"{where} ({mode})")
        if not can_login:
            yield from _skip(IMAP_STEPS[1:], "config", "no password (see config)")
            return
        if oauth and b"AUTH=XOAUTH2" not in offered:
            yield from _stop(Step(FAIL, "imap login", f"{where} does not offer AUTH=XOAUTH2",
                                  "check imap.host, or log in with a password "
                                  '(imap.auth = "password")'), IMAP_STEPS)
            return
        if not oauth:
            try:
                client.login(cfg.username, cfg.password)
                folders = [name for _, _, name in client.list_folders()]
            except Exception as e:
                yield from _stop(_fail("imap login", "imap", cfg, e,
                                       login=isinstance(e, LoginError)), IMAP_STEPS)
                return
            yield Step(OK, "imap login", f"logged in as {cfg.username}")
    finally:
        if client is not None:
            with contextlib.suppress(Exception):
                client.logout()
            with contextlib.suppress(Exception):
                client.shutdown()
    oauth_ok = Step(OK, "imap login", f"logged in as {cfg.username} with an OAuth2 token")
    try:
        with ImapMailbox(cfg) as mailbox:
            uidvalidity, has_idle = mailbox.uidvalidity, mailbox.has_idle
    except MailbotError as e:
        if oauth and "cannot open IMAP folder" not in str(e):
            yield from _stop(Step(FAIL, "imap login", _clean(str(e)), _fix(
                "imap", cfg.host, cfg.port, cfg.timeout, e, login=True, oauth=True)), IMAP_STEPS)
            return
        if oauth:
            yield oauth_ok
        fix = (f"there is no folder {cfg.folder!r}: set imap.folder to one of "
               + ", ".join(repr(f) for f in folders[:8]) if folders and cfg.folder not in folders
               else _fix("imap", cfg.host, cfg.port, cfg.timeout, e))
        yield from _stop(Step(FAIL, "imap folder", _clean(str(e), cfg.password), fix),
                         IMAP_STEPS)
        return
    if oauth:
        yield oauth_ok
    yield Step(OK, "imap folder", f"{cfg.folder!r} opened read-only (EXAMINE), "
                                  f"UIDVALIDITY {uidvalidity}")
    if has_idle:
        yield Step(OK, "imap idle", "the server offers IDLE: new mail is seen within seconds")
    elif not cfg.idle:
        yield Step(WARN, "imap idle", f"imap.idle = false: mailbot polls every "
                                      f"{cfg.poll_interval:g} s",
                   "remove imap.idle = false to use IDLE when the server offers it")
    else:
        yield Step(WARN, "imap idle", f"the server does not offer IDLE: mailbot polls every "
                                      f"{cfg.poll_interval:g} s (imap.poll_interval)",
                   "nothing needed; a smaller imap.poll_interval answers units sooner")


def smtp_steps(cfg: SmtpConfig, config: Config, *, can_login: bool) -> Iterator[Step]:
    """Connect and secure, AUTH offered and login, then the SIZE the package will see
    (through adapters.smtp.size_limit, which logs in as delivery does)."""
    from mailbot.adapters.smtp import size_limit

    oauth = getattr(cfg, "auth", "password") == "oauth2" and bool(cfg.username)
    first = asyncio.run(_smtp_session(cfg, can_login=can_login, oauth=oauth))
    yield from first
    if first[-1].status in (FAIL, SKIP):
        yield from _skip(SMTP_STEPS[len(first):], first[-1].name)
        return
    try:
        size = size_limit(cfg)
    except MailbotError as e:
        yield from _stop(Step(FAIL, "smtp auth" if oauth else "smtp size",
                              _clean(str(e), cfg.password),
                              _fix("smtp", cfg.host, cfg.port, cfg.timeout, e, login=oauth,
                                   oauth=oauth)), SMTP_STEPS)
        return
    if oauth:
        yield Step(OK, "smtp auth", f"logged in as {cfg.username} with an OAuth2 token")
    board = config.board.size_limit if config.board else None
    mb = 2**20
    if size is None:
        split = f"; packages are split at {board / mb:g} MB ([board] size_limit_mb)" \
            if board else ""
        yield Step(OK, "smtp size", f"the server advertises no SIZE limit{split}")
        return
    split = ""
    if board:
        split = (f"; packages are split at {size / mb:.1f} MB, the server's limit"
                 if size < board else
                 f"; packages are split at {board / mb:g} MB ([board] size_limit_mb)")
    yield Step(OK, "smtp size", f"SIZE {size} ({size / mb:.1f} MB){split}")


async def _smtp_session(cfg: SmtpConfig, *, can_login: bool, oauth: bool) -> list[Step]:
    """The connect and auth steps on one connection; with OAuth2 the auth step is left
    to size_limit (the adapter holds the token), only XOAUTH2 being offered is checked."""
    from aiosmtplib import SMTP, SMTPAuthenticationError

    smtp = SMTP(hostname=cfg.host, port=cfg.port, timeout=cfg.timeout,
                use_tls=cfg.security == "tls", start_tls=False)
    if cfg.security != "plain":
        smtp.tls_context = ssl.create_default_context(
            cafile=str(cfg.ca_file) if cfg.ca_file else None)
    transports: list[asyncio.BaseTransport | None] = []
    where = f"{cfg.host}:{cfg.port}"
    try:
        try:
            await smtp.connect()
            transports.append(smtp.transport)
            await smtp.ehlo()
            if cfg.security == "starttls":
                if not smtp.supports_extension("starttls"):
                    return [Step(FAIL, "smtp connect", f"{where} does not offer STARTTLS",
                                 'use smtp.security = "tls" with port 465, or the port '
                                 "that offers STARTTLS (587)")]
                await smtp.starttls()
                transports.append(smtp.transport)
                await smtp.ehlo()
        except Exception as e:  # any failure here is this step's FAIL
            return [_fail("smtp connect", "smtp", cfg, e)]
        steps = [Step(OK, "smtp connect", f"{where} ({_mode(cfg.security, 'STARTTLS')})")]
        methods = " ".join(sorted(smtp.server_auth_methods)).upper()
        if not cfg.username:
            steps.append(Step(OK, "smtp auth", "no smtp.username: mail is sent without "
                                               "logging in"))
        elif not smtp.supports_extension("auth"):
            if cfg.security == "plain":
                steps.append(Step(WARN, "smtp auth", "the server offers no AUTH: mailbot "
                                                     "sends without logging in (loopback)",
                                  "remove smtp.username if this relay needs no login"))
            else:
                steps.append(Step(FAIL, "smtp auth", f"{where} offers no AUTH on this "
                                                     "connection",
                                  "check smtp.host, smtp.port and smtp.security (465: tls, "
                                  "587: starttls)"))
        elif not can_login:
            steps.append(Step(SKIP, "smtp auth", "not tried: no password (see config)"))
        elif oauth:
            if "xoauth2" not in smtp.server_auth_methods:
                steps.append(Step(FAIL, "smtp auth", f"{where} does not offer AUTH XOAUTH2 "
                                                     f"(it offers {methods or 'none'})",
                                  'check smtp.host, or log in with a password '
                                  '(smtp.auth = "password")'))
        else:
            try:
                await smtp.login(cfg.username, cfg.password)
            except SMTPAuthenticationError as e:
                steps.append(_fail("smtp auth", "smtp", cfg, e, login=True))
            except Exception as e:
                steps.append(_fail("smtp auth", "smtp", cfg, e))
            else:
                steps.append(Step(OK, "smtp auth", f"logged in as {cfg.username} "
                                                   f"(AUTH {methods})"))
        return steps
    finally:
        with contextlib.suppress(Exception):
            if smtp.is_connected:
                await smtp.quit(timeout=min(cfg.timeout, 5.0))
        smtp.close()
        for transport in transports:  # see adapters.smtp: no TLS socket outlives the loop
            if isinstance(transport, asyncio.WriteTransport):
                transport.abort()


def database_step(cfg: Config, command: str) -> Step:
    from sqlalchemy.engine import make_url

    from mailbot.adapters.db.engine import current_revision, head_revision, make_engine

    fix = f"{command} db upgrade"
    try:
        url = make_url(cfg.database_url)
        if (url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:")
                and not Path(str(url.database)).exists()):
            return Step(WARN, "database", f"{url.database} does not exist yet", fix)
        engine = make_engine(cfg.database_url)
        try:
            current, head = current_revision(engine), head_revision(engine)
        finally:
            engine.dispose()
    except Exception as e:
        return Step(FAIL, "database", _one_line(str(e)),
                    "check database.url and that mailbot may read and write there")
    if current is None:
        return Step(WARN, "database", "reachable, but no tables yet", fix)
    if current != head:
        return Step(WARN, "database", f"at revision {current}; this mailbot needs {head}", fix)
    return Step(OK, "database", f"at revision {head} (up to date)")


def _secret_fix(error: str) -> str:
    env = re.search(r"environment variable (\S+) is not set", error)
    if env:
        return (f"export {env.group(1)}=... (the password; for Gmail an app password) "
                "where mailbot runs")
    if "oauth2" in error:
        return ("authorise mailbot for this account and save its refresh token in the file "
                "named (chmod 600), as config.example.toml shows")
    return "write the password into the file the config names, or fix the key"


def _mode(security: str, starttls: str) -> str:
    return {"tls": "TLS", "starttls": starttls, "plain": "plain text, loopback only"}[security]


def _skip(names: tuple[str, ...], after: str, why: str = "") -> Iterator[Step]:
    for name in names:
        yield Step(SKIP, name, f"not tried: {why or after + ' failed'}")


def _stop(failed: Step, steps: tuple[str, ...]) -> Iterator[Step]:
    """``failed``, then a SKIP for each step after it."""
    yield failed
    yield from _skip(steps[steps.index(failed.name) + 1:], failed.name)


def _fail(name: str, service: str, cfg: ImapConfig | SmtpConfig, error: BaseException, *,
          login: bool = False) -> Step:
    return Step(FAIL, name, _clean(_describe(error), cfg.password),
                _fix(service, cfg.host, cfg.port, cfg.timeout, error, login=login))


def _describe(error: BaseException) -> str:
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


def _clean(text: str, secret: str = "") -> str:
    text = re.sub(r"\bb'(.*?)'", r"\1", text)  # imaplib's bytes reprs: b'[AUTH...] ...'
    if len(secret) >= 4:  # a server should never echo a password back: do not trust that
        text = text.replace(secret, "***")
    return _one_line(text)


def _one_line(text: str) -> str:
    return " ".join(text.split())[:300]


def _fix(service: str, host: str, port: int, timeout: float, error: BaseException | str, *,
         login: bool = False, oauth: bool = False) -> str:
    """The fix for a failure talking to ``host``: what a person should change."""
    text = error if isinstance(error, str) else _describe(error)
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
                    + (f' (or {service}.auth = "oauth2" with oauth2_provider = "google")'
                       if OAUTH2_READY else ""))
        if host_l.endswith(_MICROSOFT) or _MS_BASIC_OFF.search(text):
            return ("Microsoft 365 has basic authentication (password login) turned off "
                    f"for {service.upper()}: it needs OAuth2; "
                    + (f'set {service}.auth = "oauth2" with oauth2_provider = "microsoft" '
                       "(see config.example.toml)" if OAUTH2_READY else
                       "mailbot does not support OAuth2 yet: use a mailbox that allows "
                       "password login"))
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
