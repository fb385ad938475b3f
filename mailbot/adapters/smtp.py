"""Send a batch of emails over one SMTP connection; say per email what became of it.

The statuses serve an outbox that must neither lose an email nor send one twice:

- "sent": the server answered 250 to the end of DATA. Some recipients may have been
  refused (``refused``); the others got it, so sending it again would duplicate it.
- "retry": the server certainly did not take it: no connection, TLS or login failed,
  a 4xx reply, or a 5xx that is really a quota ("550 5.4.5 Daily user sending quota
  exceeded" from Gmail lifts the next day). Resending later is safe. ``server_wide``
  says the cause was the server or the account (unreachable, login, quota, not tried),
  not this email: an outage of any length must not make the caller give up on it.
- "failed": a 5xx reply; the same email would be refused again.
- "unknown": the connection broke or timed out once DATA was sent, so the server may
  have queued the email. The caller must not resend it on its own.
- "skipped": ``before_data`` returned False (another worker owns the email); not sent.

Delivery problems never raise: every email gets an Outcome. A connection lost before
DATA (servers drop idle or busy connections, often with 421) is retried once on a new
connection; a second loss, a timeout, a failed connect or login, or a quota reply stop
the batch, and the emails not tried come back as "retry" (a dead server costs one
timeout per batch, not one per email).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import ssl
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from aiosmtplib import (
    SMTP,
    SMTPAuthenticationError,
    SMTPDataError,
    SMTPException,
    SMTPRecipientRefused,
    SMTPResponse,
    SMTPResponseException,
    SMTPTimeoutError,
)

from mailbot.adapters.oauth2 import OAuth2Error, TokenSource
from mailbot.config import SmtpConfig
from mailbot.errors import MailbotError

log = logging.getLogger(__name__)
_QUOTA = re.compile(r"\b[45]\.4\.5\b|quota|limit exceeded", re.IGNORECASE)
BeforeData = Callable[[int], bool]


class SmtpError(MailbotError):
    """The SMTP server could not be reached or would not let us in (size_limit only)."""


@dataclass(frozen=True)
class Outgoing:
    """One email ready to go: the envelope plus the exact bytes (CRLF line ends)."""

    key: int
    mail_from: str
    rcpt_to: tuple[str, ...]
    raw: bytes

    def __post_init__(self) -> None:
        if not self.rcpt_to:
            raise ValueError(f"outgoing #{self.key} has no recipients")


@dataclass(frozen=True)
class Outcome:
    key: int
    status: str  # "sent" | "retry" | "failed" | "unknown" | "skipped"
    detail: str  # one line: the server's reply or the error
    refused: Mapping[str, str] = field(default_factory=dict)  # recipient -> reply
    server_wide: bool = False  # a "retry" whose cause is the server, not this email


class _Broken(Exception):
    """The connection is unusable; `again` when the email may go on a new one."""

    def __init__(self, detail: str, *, again: bool) -> None:
        super().__init__(detail)
        self.again = again


def deliver(cfg: SmtpConfig, batch: Sequence[Outgoing], *,
            before_data: BeforeData | None = None,
            after: Callable[[Outcome], None] | None = None) -> list[Outcome]:
    return asyncio.run(deliver_async(cfg, batch, before_data=before_data, after=after))


async def deliver_async(cfg: SmtpConfig, batch: Sequence[Outgoing], *,
                        before_data: BeforeData | None = None,
                        after: Callable[[Outcome], None] | None = None) -> list[Outcome]:
    """One Outcome per email, in order. ``before_data(key)`` runs once the recipients
    are accepted, just before DATA; False means "do not send" (exceptions propagate).
    ``after(outcome)`` runs as soon as each email's outcome is known, before the next
    one is tried: a process killed mid-batch has recorded every reply it received."""
    conn, outcomes = _Connection(cfg), list[Outcome]()
    try:
        for item in batch:
            outcome = (await conn.send(item, before_data) if not conn.stop else
                       Outcome(item.key, "retry", f"not tried: {conn.stop}",
                               server_wide=True))
            outcomes.append(outcome)
            if after is not None:
                after(outcome)
    finally:
        await conn.close()
    counts = ", ".join(f"{n} {s}" for s, n in Counter(o.status for o in outcomes).items())
    log.info("smtp: %s over %d connection(s)", counts or "nothing", conn.opened)
    if conn.stop:
        log.warning("smtp: batch stopped: %s", conn.stop)
    return outcomes


def size_limit(cfg: SmtpConfig) -> int | None:
    """The SIZE the server advertises in EHLO; None when it advertises none (or 0).
    Raises SmtpError when the server cannot be reached: None would mean "no limit"."""
    return asyncio.run(_size_limit(cfg))


async def _size_limit(cfg: SmtpConfig) -> int | None:
    conn = _Connection(cfg)
    try:
        value = (await conn.open()).esmtp_extensions.get("size", "")
    except _Broken as e:
        raise SmtpError(str(e)) from None
    finally:
        await conn.close()
    return int(value) if value.isdigit() and int(value) > 0 else None


class _Connection:
    """The one connection a batch reuses, reopened after max_per_connection emails."""

    def __init__(self, cfg: SmtpConfig) -> None:
        self.cfg, self.used, self.opened = cfg, 0, 0
        self.smtp: SMTP | None = None
        self.stop = ""  # why the rest of the batch is not tried
        self.transports: list[asyncio.BaseTransport | None] = []
        self.tokens = TokenSource(cfg.oauth2) if cfg.oauth2 else None

    async def send(self, item: Outgoing, before_data: BeforeData | None) -> Outcome:
        for attempt in (1, 2):
            try:
                smtp = self.smtp
                if not (smtp and smtp.is_connected and self.used < self.cfg.max_per_connection):
                    await self.close()
                    smtp = await self.open()
                self.used += 1
                return await self._transaction(smtp, item, before_data)
            except _Broken as e:
                if self.smtp is not None:
                    self.smtp.close()
                if not e.again or attempt == 2:
                    self.stop = f"the connection failed twice: {e}" if e.again else str(e)
                    return Outcome(item.key, "retry", self.stop, server_wide=True)
        raise AssertionError("unreachable")

    async def open(self) -> SMTP:
        """Connect, secure and log in; raise _Broken saying which step failed."""
        cfg, step = self.cfg, "connect"
        if cfg.security not in ("tls", "starttls", "plain"):
            raise ValueError(f"unknown smtp.security {cfg.security!r}")
        token = await self._access_token()
        smtp = SMTP(hostname=cfg.host, port=cfg.port, timeout=cfg.timeout,
                    use_tls=cfg.security == "tls", start_tls=False)
        try:
            if cfg.security != "plain":
                cafile = str(cfg.ca_file) if cfg.ca_file else None
                smtp.tls_context = ssl.create_default_context(cafile=cafile)
            await smtp.connect()
            self.transports.append(smtp.transport)
            self.opened, self.used, step = self.opened + 1, 0, "EHLO"
            await smtp.ehlo()
            if cfg.security == "starttls":
                step = "STARTTLS"
                if not smtp.supports_extension("starttls"):
                    raise _Broken('the server does not offer STARTTLS, which smtp.security'
                                  ' = "starttls" requires', again=False)
                await smtp.starttls()
                self.transports.append(smtp.transport)
                await smtp.ehlo()  # SIZE, 8BITMIME and AUTH as offered over TLS
            if cfg.username and smtp.supports_extension("auth"):
                step = "login"
                if token:
                    await _xoauth2(smtp, cfg.username, token)
                else:
                    await smtp.login(cfg.username, cfg.password)
            elif cfg.username and cfg.security != "plain":  # a loopback relay may need none
                raise _Broken("the server offers no AUTH: check smtp.security", again=False)
            self.smtp = smtp
            return smtp
        except _Broken as e:
            detail = str(e)
        except SMTPAuthenticationError as e:
            detail = f"authentication failed: check smtp.username / password ({_line(e)})"
            if token and self.tokens:
                detail = (f"the server refused the OAuth2 access token for smtp.username = "
                          f"{cfg.username}; the next attempt refreshes it ({_line(e)})")
                with contextlib.suppress(OAuth2Error):
                    await asyncio.to_thread(self.tokens.forget, token)
        except (SMTPException, OSError) as e:  # ssl.SSLError is an OSError
            detail = f"{step} failed: {_line(e)}"
        smtp.close()
        for secret in (cfg.password, token):  # no server should echo one back; do not trust that
            if len(secret) >= 4:
                detail = detail.replace(secret, "***")
        raise _Broken(f"smtp {cfg.host}:{cfg.port}: {detail}", again=False)

    async def _access_token(self) -> str:
        """The XOAUTH2 access token ("" with a password), refreshed off the event loop."""
        if self.tokens is None or not self.cfg.username:
            return ""
        try:
            return await asyncio.to_thread(self.tokens.access_token)
        except OAuth2Error as e:
            raise _Broken(f"smtp {self.cfg.host}:{self.cfg.port}: {e}", again=False) from e

    async def close(self) -> None:
        smtp, self.smtp = self.smtp, None
        if smtp is not None and smtp.is_connected:
            with contextlib.suppress(SMTPException, OSError):  # the emails are settled
                await smtp.quit(timeout=min(self.cfg.timeout, 5.0))
            smtp.close()
        # A TLS transport closes gracefully over several loop turns, which asyncio.run
        # does not wait for: abort every transport so no socket outlives the loop.
        for transport in self.transports:
            if isinstance(transport, asyncio.WriteTransport):
                transport.abort()
        self.transports.clear()

    async def _transaction(self, smtp: SMTP, item: Outgoing,
                           before_data: BeforeData | None) -> Outcome:
        key, stage, refused, worst = item.key, "MAIL FROM", dict[str, str](), 0
        options = [f"SIZE={len(item.raw)}"] if smtp.supports_extension("size") else []
        if not item.raw.isascii() and smtp.supports_extension("8bitmime"):
            options.append("BODY=8BITMIME")
        try:
            await smtp.mail(item.mail_from, options=options)
            stage = "RCPT TO"
            for rcpt in item.rcpt_to:
                try:
                    await smtp.rcpt(rcpt)
                except SMTPRecipientRefused as e:
                    if e.code == 421:
                        raise
                    refused[rcpt], worst = _line(e), max(worst, e.code)
        except SMTPTimeoutError as e:
            raise _Broken(f"{stage}: {_line(e)} (smtp.timeout = {self.cfg.timeout} s)",
                          again=False) from e
        except (UnicodeEncodeError, ValueError) as e:  # the address, not the server
            await _reset(smtp)
            return Outcome(key, "failed", f"{stage}: invalid address: {e}")
        except SMTPResponseException as e:
            if e.code == 421:
                raise _Broken(f"{stage}: {_line(e)}", again=True) from e
            await _reset(smtp)
            return self._refused(key, f"{stage} refused: {_line(e)}", e.code)
        except (SMTPException, OSError) as e:  # SMTPServerDisconnected mostly
            raise _Broken(f"{stage}: {_line(e)}", again=True) from e
        if len(refused) == len(item.rcpt_to):
            await _reset(smtp)
            every = "; ".join(f"{rcpt}: {reply}" for rcpt, reply in refused.items())
            return self._refused(key, f"all recipients refused: {every}", worst)
        if before_data is not None and not before_data(key):
            await _reset(smtp)
            return Outcome(key, "skipped", "claimed by another worker")
        try:
            reply = await smtp.data(item.raw)
        except SMTPDataError as e:
            if 400 <= e.code < 600:  # a clean "no", to DATA or to the final dot
                await _reset(smtp)
                return self._refused(key, f"DATA refused: {_line(e)}", e.code)
            smtp.close()
            return Outcome(key, "unknown", f"DATA: unexpected reply {_line(e)}")
        except (SMTPException, OSError) as e:
            # aiosmtplib sends DATA and the content in one call and cannot tell a break
            # before the 354 from one after the final dot, so any failure here other than
            # a clean 4xx/5xx reply is "unknown": the server may have queued the email.
            if isinstance(e, SMTPTimeoutError):
                self.stop = f"DATA: {_line(e)} (smtp.timeout = {self.cfg.timeout} s)"
            return Outcome(key, "unknown", f"DATA: {_line(e)}: the server may have it")
        return Outcome(key, "sent", _line(reply), refused)

    def _refused(self, key: int, detail: str, code: int) -> Outcome:
        if _QUOTA.search(detail):
            self.stop = detail  # every further email would hit the same quota
            return Outcome(key, "retry", detail, server_wide=True)
        if 500 <= code < 600:
            return Outcome(key, "failed", detail)
        return Outcome(key, "retry", detail)


async def _xoauth2(smtp: SMTP, username: str, token: str) -> None:
    if "xoauth2" not in smtp.server_auth_methods:
        raise _Broken('the server does not offer AUTH XOAUTH2, which smtp.auth = "oauth2" '
                      "requires", again=False)
    if not hasattr(smtp, "auth_xoauth2"):  # pyproject allows aiosmtplib 3 to 5.0
        raise _Broken('smtp.auth = "oauth2" needs aiosmtplib 5.1 or later', again=False)
    await smtp.auth_xoauth2(username, token)


async def _reset(smtp: SMTP) -> None:
    """End the transaction so the connection can carry the next email, or drop it."""
    with contextlib.suppress(SMTPException, OSError):
        if smtp.is_connected and (await smtp.rset()).code == 250:
            return
    smtp.close()


def _line(e: BaseException | SMTPResponse) -> str:
    """A reply or an error on one line: "550 5.1.1 No such user"."""
    if isinstance(e, SMTPResponseException):
        e = SMTPResponse(e.code, e.message)
    return " ".join(str(e).split())[:500] or type(e).__name__
