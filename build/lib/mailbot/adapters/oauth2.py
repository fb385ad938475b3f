"""OAuth2 access tokens for XOAUTH2 logins (IMAP and SMTP), kept fresh from a refresh token.

The tokens live in a JSON file of their own, outside the config, readable by its owner
only (mode 0600)::

    {"refresh_token": "...", "access_token": "...", "expires_at": "2023-10-16T08:00:00+00:00"}

Only ``refresh_token`` is needed to start. An access token that is missing or expires
within REFRESH_MARGIN is refreshed at the provider's token endpoint (RFC 6749 section 6).
Providers may rotate the refresh token on each refresh (Microsoft does), so the answer
is saved at once and atomically (temporary file with mode 0600, fsync, rename), under an
exclusive flock on a sibling ``.lock`` file: IMAP and SMTP refreshing in two threads (or
two processes) neither lose a rotated token nor refresh twice. Tokens are never logged
and never appear in an error message.
"""

from __future__ import annotations

import contextlib
import fcntl
import http.client
import json
import logging
import os
import stat
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from mailbot.errors import MailbotError

if TYPE_CHECKING:
    from mailbot.config_fields import OAuth2Config

log = logging.getLogger(__name__)

REFRESH_MARGIN = timedelta(minutes=5)
HTTP_TIMEOUT = 30.0  # seconds for one token request
DEFAULT_LIFETIME = 3600  # seconds, when the provider leaves out expires_in
MAX_ANSWER = 2**20


class OAuth2Error(MailbotError):
    """No access token: the token file is missing, unsafe or malformed, or the provider
    refused the refresh. One line, and never holds a token."""


def load_tokens(path: Path, key: str) -> dict[str, Any]:
    """The token file's JSON object. Raises OAuth2Error naming ``key`` (the config key
    that points at the file) when it is missing, open to group or others, or holds no
    refresh token."""
    try:
        st = path.stat()
        if not stat.S_ISREG(st.st_mode):
            raise OAuth2Error(f"{key} = {path} is not a regular file")
        if st.st_mode & 0o077:
            raise OAuth2Error(f"{key} = {path} is open to group or others (mode "
                              f"{stat.S_IMODE(st.st_mode):04o}): run chmod 600 {path}")
        data = json.loads(path.read_bytes())
    except FileNotFoundError as e:
        raise OAuth2Error(f"{key} = {path} does not exist: save the refresh token there "
                          "(see config.example.toml)") from e
    except OSError as e:
        raise OAuth2Error(f"{key}: cannot read {path}: {e.strerror}") from e
    except ValueError as e:  # not JSON, or not UTF-8
        raise OAuth2Error(f"{key} = {path} is not a JSON file") from e
    if not isinstance(data, dict):
        data = {}
    refresh = data.get("refresh_token")
    if not isinstance(refresh, str) or not refresh.strip():
        raise OAuth2Error(f"{key} = {path} holds no \"refresh_token\": authorise mailbot "
                          "and save the refresh token there")
    return data


class TokenSource:
    """Access tokens for one [imap] or [smtp] table. Keeps no token in memory: the file
    is the state, so any number of TokenSources over one file agree."""

    def __init__(self, cfg: OAuth2Config, *, timeout: float = HTTP_TIMEOUT) -> None:
        self.cfg, self.timeout = cfg, timeout
        self.key = f"{cfg.section}.oauth2_token_file"

    def access_token(self, *, now: datetime | None = None) -> str:
        """An access token valid for at least REFRESH_MARGIN after ``now``: the saved
        one, or a new one from the token endpoint (saved before it is returned)."""
        now = now or datetime.now(UTC)
        with self._lock():
            tokens = load_tokens(self.cfg.token_file, self.key)
            token, expires = tokens.get("access_token"), _expiry(tokens.get("expires_at"))
            if isinstance(token, str) and token and expires and expires - now > REFRESH_MARGIN:
                return token
            fresh = self._refresh(tokens["refresh_token"], now)
            self._save(tokens | fresh)
            return str(fresh["access_token"])

    def forget(self, token: str) -> None:
        """The server refused ``token`` (revoked early, say): drop it, so the next
        access_token() refreshes, unless another connection has already replaced it."""
        with self._lock():
            tokens = load_tokens(self.cfg.token_file, self.key)
            if tokens.get("access_token") == token:
                tokens.pop("access_token")
                tokens.pop("expires_at", None)
                self._save(tokens)

    def _refresh(self, refresh_token: str, now: datetime) -> dict[str, Any]:
        cfg = self.cfg
        form = {"grant_type": "refresh_token", "refresh_token": refresh_token,
                "client_id": cfg.client_id}
        if cfg.client_secret:
            form["client_secret"] = cfg.client_secret
        if cfg.scope:
            form["scope"] = cfg.scope
        request = urllib.request.Request(
            cfg.token_uri, data=urlencode(form).encode(), method="POST",
            headers={"Accept": "application/json", "User-Agent": "mailbot",
                     "Content-Type": "application/x-www-form-urlencoded"})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                answer = _json(response)
        except urllib.error.HTTPError as e:
            raise OAuth2Error(self._refused(e.code, _json(e))) from e
        except (urllib.error.URLError, OSError, http.client.HTTPException) as e:
            why = e.reason if isinstance(e, urllib.error.URLError) else e
            raise OAuth2Error(f"cannot reach the OAuth2 token endpoint {cfg.token_uri} "
                              f"for {cfg.section}: {_line(why)}") from e
        token, lifetime = answer.get("access_token"), _lifetime(answer.get("expires_in"))
        if not isinstance(token, str) or not token:
            raise OAuth2Error(f"the OAuth2 token endpoint {cfg.token_uri} answered without "
                              "an access_token")
        fresh = {"access_token": token,
                 "expires_at": (now + timedelta(seconds=lifetime)).isoformat(timespec="seconds")}
        rotated = answer.get("refresh_token")
        if isinstance(rotated, str) and rotated and rotated != refresh_token:
            fresh["refresh_token"] = rotated
        log.info("oauth2: new access token for %s, valid %d s%s", cfg.section, lifetime,
                 "; the rotated refresh token is saved" if "refresh_token" in fresh else "")
        return fresh

    def _refused(self, code: int, answer: Mapping[str, Any]) -> str:
        error = _line(answer.get("error", ""))
        said = _line(f"{error}: {answer.get('error_description', '')}".strip(": "))[:200]
        section = self.cfg.section
        if error == "invalid_grant":
            return (f"re-authorise: the refresh token was revoked or expired ({self.key} = "
                    f"{self.cfg.token_file}; the provider said {said})")
        if error in ("invalid_client", "unauthorized_client"):
            return (f"the OAuth2 provider refused the client: check {section}.oauth2_client_id"
                    f" and {section}.oauth2_client_secret_env / _file ({said})")
        return (f"the OAuth2 token endpoint {self.cfg.token_uri} answered HTTP {code}"
                + (f" ({said})" if said else ""))

    @contextlib.contextmanager
    def _lock(self) -> Iterator[None]:
        path = self.cfg.token_file
        lock = path.with_name(path.name + ".lock")
        try:
            fd = os.open(lock, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        except OSError as e:
            raise OAuth2Error(f"{self.key}: cannot open the lock file {lock}: "
                              f"{e.strerror}") from e
        try:
            # flock belongs to this open file, not to the process: it also keeps out
            # another thread of ours (IMAP and SMTP), which fcntl/lockf locks would not.
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)

    def _save(self, tokens: Mapping[str, Any]) -> None:
        path = self.cfg.token_file
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        data = (json.dumps(tokens, indent=2, sort_keys=True) + "\n").encode()
        try:
            owner = path.stat()
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW
                         | os.O_CLOEXEC, 0o600)
            try:
                os.fchmod(fd, 0o600)  # also when a stale temporary file had another mode
                if os.geteuid() == 0:  # a run as root must not take the file from its owner
                    os.fchown(fd, owner.st_uid, owner.st_gid)
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view):]
                os.fsync(fd)
            finally:
                os.close(fd)
            os.replace(tmp, path)
            folder = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY)
            try:
                os.fsync(folder)  # the rename itself survives a power cut
            finally:
                os.close(folder)
        except OSError as e:
            with contextlib.suppress(OSError):
                tmp.unlink()
            raise OAuth2Error(f"{self.key}: cannot save the new tokens to {path}: "
                              f"{e.strerror}") from e


def _expiry(value: object) -> datetime | None:
    """expires_at as saved (ISO 8601) or written by hand (seconds since the epoch)."""
    try:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return datetime.fromtimestamp(value, UTC)
        if isinstance(value, str):
            when = datetime.fromisoformat(value)
            return when if when.tzinfo else when.replace(tzinfo=UTC)
    except (ValueError, OverflowError, OSError):
        pass
    return None


def _lifetime(value: object) -> int:
    """expires_in in seconds: a number, or a string of digits (some providers send one)."""
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
        return int(value)
    return DEFAULT_LIFETIME


def _json(response: Any) -> dict[str, Any]:
    """The JSON object a response (or an HTTPError) carries; {} when it has none."""
    try:
        data = json.loads(response.read(MAX_ANSWER))
    except (ValueError, OSError, http.client.HTTPException):
        return {}
    return data if isinstance(data, dict) else {}


def _line(value: object) -> str:
    return " ".join(str(value).split())
