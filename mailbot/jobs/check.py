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
import ssl
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from mailbot.config import Config, ImapConfig, SmtpConfig
from mailbot.errors import ConfigError, MailbotError
from mailbot.jobs.check_fixes import clean, describe, fix_for, one_line

OK, WARN, FAIL, SKIP = "OK", "WARN", "FAIL", "SKIP"


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
        say(Step(FAIL, "config", one_line(str(e)), fix))
        for name in (*IMAP_STEPS, *SMTP_STEPS, "database"):
            say(Step(SKIP, name, "not tried: the config does not load"))
        return steps
    cfg = loaded.config
    for why in loaded.missing_secrets.values():
        say(Step(FAIL, "config", one_line(why), _secretfix(why)))
    if not loaded.missing_secrets:
        smtp = f", SMTP {cfg.smtp.host}:{cfg.smtp.port}" if cfg.smtp else ""
        say(Step(OK, "config", f"{cfg.path}: {len(cfg.units)} unit(s), IMAP "
                               f"{cfg.imap.host}:{cfg.imap.port}{smtp}"))
    for message in loaded.warnings:
        say(Step(WARN, "config", one_line(message), "see the key named"))
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
            yield from _stop(Step(FAIL, "imap login", clean(str(e)), fix_for(
                "imap", cfg.host, cfg.port, cfg.timeout, e, login=True, oauth=True)), IMAP_STEPS)
            return
        if oauth:
            yield oauth_ok
        fix = (f"there is no folder {cfg.folder!r}: set imap.folder to one of "
               + ", ".join(repr(f) for f in folders[:8]) if folders and cfg.folder not in folders
               else fix_for("imap", cfg.host, cfg.port, cfg.timeout, e))
        yield from _stop(Step(FAIL, "imap folder", clean(str(e), cfg.password), fix),
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
                              clean(str(e), cfg.password),
                              fix_for("smtp", cfg.host, cfg.port, cfg.timeout, e, login=oauth,
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
        engine = make_engine(cfg.database_url, cfg.database_password)
        try:
            current, head = current_revision(engine), head_revision(engine)
        finally:
            engine.dispose()
    except Exception as e:
        return Step(FAIL, "database", one_line(str(e)),
                    "check database.url and that mailbot may read and write there")
    if current is None:
        return Step(WARN, "database", "reachable, but no tables yet", fix)
    if current != head:
        return Step(WARN, "database", f"at revision {current}; this mailbot needs {head}", fix)
    return Step(OK, "database", f"at revision {head} (up to date)")


def _secretfix(error: str) -> str:
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
    return Step(FAIL, name, clean(describe(error), cfg.password),
                fix_for(service, cfg.host, cfg.port, cfg.timeout, error, login=login))
