"""Read-only access to one IMAP folder with imapclient.

The folder is opened with EXAMINE and bodies are fetched with BODY.PEEK[], so no
flag on the server ever changes. Every network call has a timeout, and every
library or socket error leaves this module as a MailboxError.
"""

from __future__ import annotations

import contextlib
import imaplib
import logging
import ssl
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from imapclient import IMAPClient, SocketTimeout
from imapclient.exceptions import IMAPClientError, LoginError

from mailbot.adapters.oauth2 import OAuth2Error, TokenSource
from mailbot.config import ImapConfig
from mailbot.errors import MailboxError

log = logging.getLogger(__name__)

IDLE_MAX_SECONDS = 25 * 60  # RFC 2177: servers may drop an IDLE after 30 minutes
ENVELOPE_CHUNK = 1000  # UIDs per envelope FETCH: keeps command lines short
_NETWORK_ERRORS = (IMAPClientError, imaplib.IMAP4.error, imaplib.IMAP4.abort, OSError,
                   ssl.SSLError, EOFError)


@dataclass(frozen=True)
class Envelope:
    """What the server says about a message before its body is fetched."""

    uid: int
    size: int
    internaldate: datetime  # aware


@dataclass(frozen=True)
class Fetched:
    uid: int
    raw: bytes
    internaldate: datetime


def batches(envelopes: Sequence[Envelope], max_bytes: int, *, max_count: int = 500,
            weight: Callable[[Envelope], int] = lambda e: e.size) -> Iterator[list[Envelope]]:
    """Group envelopes so that one FETCH holds at most ``max_bytes`` and ``max_count``
    messages (always at least one): client memory follows the largest batch, not the
    mailbox. ``weight`` is what a message costs (0 for one whose body is not fetched)."""
    batch: list[Envelope] = []
    size = 0
    for env in envelopes:
        w = weight(env)
        if batch and (size + w > max_bytes or len(batch) >= max_count):
            yield batch
            batch, size = [], 0
        batch.append(env)
        size += w
    if batch:
        yield batch


class ImapMailbox:
    """One logged-in connection with ``cfg.folder`` EXAMINEd. Use as a context manager."""

    def __init__(self, cfg: ImapConfig) -> None:
        self.cfg = cfg
        self.client: Any = None
        self.uidvalidity = 0
        self.has_idle = False
        self.tokens = TokenSource(cfg.oauth2) if cfg.oauth2 else None
        self._listed_through: int | None = None  # the highest UID list_new has seen

    def __enter__(self) -> ImapMailbox:
        self.connect()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def connect(self) -> None:
        cfg = self.cfg
        where = f"{cfg.host}:{cfg.port}"
        token = self._access_token(where)  # before connecting: a refresh may take a while
        try:
            context = ssl.create_default_context(
                cafile=str(cfg.ca_file) if cfg.ca_file else None)
            client = IMAPClient(cfg.host, port=cfg.port, ssl=cfg.security == "tls",
                                ssl_context=context if cfg.security == "tls" else None,
                                timeout=SocketTimeout(cfg.timeout, cfg.timeout))
        except _NETWORK_ERRORS as e:
            raise MailboxError(f"cannot connect to IMAP server {where}: {_why(e)}") from e
        # imapclient routes imaplib's protocol trace (debug level 5) to a logger, which
        # costs ~12x on large fetches and could log secrets: turn it off.
        client._imap.debug = 0
        client.normalise_times = False  # keep INTERNALDATE's zone: arrival decides the month
        self.client = client
        try:
            if cfg.security == "starttls":
                client.starttls(ssl.create_default_context(
                    cafile=str(cfg.ca_file) if cfg.ca_file else None))
            if token:
                client.oauth2_login(cfg.username, token)
            else:
                client.login(cfg.username, cfg.password)
        except LoginError as e:
            self.close()
            if token and self.tokens:  # the next attempt gets a fresh one
                with contextlib.suppress(OAuth2Error):
                    self.tokens.forget(token)
            how, then = ("XOAUTH2 login", "; the next attempt refreshes the access token"
                         ) if token else ("login", "")
            raise MailboxError(f"IMAP {how} to {where} as {cfg.username} refused: "
                               f"{_why(e, token)}{then}") from e
        except _NETWORK_ERRORS as e:
            self.close()
            raise MailboxError(f"IMAP {cfg.security} setup with {where} failed: {_why(e)}") from e
        self._examine()

    def _access_token(self, where: str) -> str:
        """The XOAUTH2 access token, or "" when the config logs in with a password."""
        if self.tokens is None:
            return ""
        try:
            return self.tokens.access_token()
        except OAuth2Error as e:
            raise MailboxError(f"IMAP login to {where} as {self.cfg.username}: {e}") from e

    def _examine(self) -> None:
        try:
            info = self.client.select_folder(self.cfg.folder, readonly=True)
            self.has_idle = self.cfg.idle and b"IDLE" in self.client.capabilities()
        except _NETWORK_ERRORS as e:
            self.close()
            raise MailboxError(f"cannot open IMAP folder {self.cfg.folder!r}: {_why(e)}") from e
        self.uidvalidity = int(info[b"UIDVALIDITY"])

    def close(self) -> None:
        client, self.client = self.client, None
        if client is None:
            return
        try:
            client.logout()
        except _NETWORK_ERRORS:
            with contextlib.suppress(*_NETWORK_ERRORS):
                client.shutdown()

    def list_new(self, after_uid: int) -> list[Envelope]:
        """Envelopes of messages with UID > after_uid, in UID order."""
        # "UID n:*" always matches the highest UID, even when it is below n: filter.
        uids = sorted(u for u in self._call("search for new messages", self.client.search,
                                            ["UID", f"{after_uid + 1}:*"]) if u > after_uid)
        self._listed_through = max([after_uid, *uids])
        found: list[Envelope] = []
        for start in range(0, len(uids), ENVELOPE_CHUNK):
            data = self._call("list new messages", self.client.fetch,
                              uids[start:start + ENVELOPE_CHUNK], ["RFC822.SIZE", "INTERNALDATE"])
            found += [
                Envelope(uid=int(uid), size=int(item[b"RFC822.SIZE"]),
                         internaldate=_aware(item[b"INTERNALDATE"]))
                for uid, item in data.items()
                if b"RFC822.SIZE" in item and b"INTERNALDATE" in item
            ]
        return sorted(found, key=lambda e: e.uid)

    def fetch(self, batch: Sequence[Envelope]) -> list[Fetched]:
        """Bodies of ``batch`` with BODY.PEEK[] (never sets \\Seen). Messages expunged
        meanwhile are simply absent from the result."""
        by_uid = {e.uid: e for e in batch}
        data = self._call("fetch messages", self.client.fetch, list(by_uid), ["BODY.PEEK[]"])
        out = []
        for uid in sorted(by_uid):
            body = data.get(uid, {}).get(b"BODY[]")
            if body is None:
                log.warning("uid %d vanished before it could be fetched (expunged)", uid)
                continue
            out.append(Fetched(uid=uid, raw=bytes(body), internaldate=by_uid[uid].internaldate))
        return out

    def headers(self, batch: Sequence[Envelope]) -> dict[int, bytes]:
        """Only the identifying header fields, for mail that is recorded but not processed."""
        fields = "BODY.PEEK[HEADER.FIELDS (FROM SUBJECT MESSAGE-ID)]"
        data = self._call("fetch headers", self.client.fetch, [e.uid for e in batch], [fields])
        # Servers echo the section name in their own spelling: take whichever came back.
        return {int(uid): next((bytes(v) for k, v in item.items()
                                if k.upper().startswith(b"BODY[HEADER")), b"")
                for uid, item in data.items()}

    def wait(self, seconds: float) -> bool:
        """Block until the server reports new mail (IDLE) or ``seconds`` pass.
        Returns True when something may have arrived. Without IDLE, just sleeps."""
        seconds = min(seconds, IDLE_MAX_SECONDS)
        if not self.has_idle:
            time.sleep(seconds)
            return True
        # Mail that arrived during the last pass was announced (EXISTS) in reply to one of
        # its commands, not to IDLE, which would then wait for the next mail or timeout.
        if self._listed_through is not None and any(
                u > self._listed_through for u in self._call(
                    "search for new messages", self.client.search,
                    ["UID", f"{self._listed_through + 1}:*"])):
            return True
        try:
            self.client.idle()
            try:
                responses = self.client.idle_check(timeout=seconds)
            finally:
                self.client.idle_done()
        except _NETWORK_ERRORS as e:
            raise MailboxError(f"IMAP IDLE on {self.cfg.folder!r} failed: {_why(e)}") from e
        return any(len(r) > 1 and r[1] in (b"EXISTS", b"RECENT") for r in responses)

    def _call(self, what: str, fn: Any, *args: Any) -> Any:
        if self.client is None:
            raise MailboxError(f"cannot {what}: not connected")
        try:
            return fn(*args)
        except _NETWORK_ERRORS as e:
            raise MailboxError(f"cannot {what} in {self.cfg.folder!r}: {_why(e)}") from e


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _why(e: BaseException, secret: str = "") -> str:
    text = str(e) or type(e).__name__
    if len(e.args) == 1 and isinstance(e.args[0], bytes):  # imaplib's server replies
        text = e.args[0].decode("utf-8", "replace")
    if secret:  # no server should echo a token back; do not trust that
        text = text.replace(secret, "***")
    return text.replace("\r", " ").replace("\n", " ")[:300]
