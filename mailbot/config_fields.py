"""Validated readers for config values: each mistake names the key and the fix."""

from __future__ import annotations

import importlib.util
import ipaddress
import os
import re
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import time
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from mailbot.adapters.oauth2 import OAuth2Error, load_tokens
from mailbot.errors import ConfigError

SECURITY_CHOICES = ("tls", "starttls", "plain")
AUTH_CHOICES = ("password", "oauth2")
PASSWORD_KEYS = frozenset({"password", "password_env", "password_file"})
DATABASE_KEYS = {"url", "password_env", "password_file"}
OAUTH2_KEYS = frozenset({"oauth2_provider", "oauth2_token_uri", "oauth2_tenant", "oauth2_client_id",
                         "oauth2_client_secret_env", "oauth2_client_secret_file",
                         "oauth2_token_file", "oauth2_scope"})
EMAIL_RE = re.compile(r"^[^@\s<>\"',;]+@[^@\s<>\"',;]+\.[^@\s<>\"',;]+$")
_TENANT_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.-]*$")
OAUTH2_PROVIDERS = ("google", "microsoft", "custom")
GOOGLE_TOKEN_URI = "https://oauth2.googleapis.com/token"
MICROSOFT_TOKEN_URI = "https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token"
MICROSOFT_SCOPE = ("https://outlook.office.com/IMAP.AccessAsUser.All "
                   "https://outlook.office.com/SMTP.Send offline_access")


@dataclass(frozen=True)
class OAuth2Config:
    """Where and how to refresh XOAUTH2 access tokens; the tokens live in token_file."""

    provider: str  # google | microsoft | custom
    token_uri: str
    client_id: str
    token_file: Path
    client_secret: str = field(default="", repr=False)  # "" for a public client
    scope: str = ""  # sent with each refresh; "" keeps the scopes granted at authorisation
    section: str = field(default="imap", compare=False)  # imap | smtp, named in messages


T = TypeVar("T")


class Table:
    """A TOML table that remembers its dotted name, for error messages."""

    def __init__(self, raw: Any, name: str, allowed: set[str]) -> None:
        if not isinstance(raw, Mapping):
            raise ConfigError(f"[{name}] must be a table")
        unknown = sorted(set(raw) - allowed)
        if unknown:
            raise ConfigError(f"unknown key {self._key(name, unknown[0])}; "
                              f"allowed here: {', '.join(sorted(allowed))}")
        self.raw, self.name = raw, name

    @staticmethod
    def _key(name: str, key: str) -> str:
        return f"{name}.{key}" if name else key

    def key(self, key: str) -> str:
        return self._key(self.name, key)

    def table(self, key: str, allowed: set[str]) -> Table:
        return Table(self.raw.get(key, {}), self.key(key), allowed)

    def get(self, key: str, kind: type[T] | tuple[type, ...], default: T | None = None, *,
            check: Callable[[Any], bool] | None = None, why: str = "") -> T:
        if key not in self.raw:
            if default is None:
                raise ConfigError(f"missing key {self.key(key)}")
            return default
        value = self.raw[key]
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            names = kind.__name__ if isinstance(kind, type) else " or ".join(
                k.__name__ for k in kind)
            raise ConfigError(f"{self.key(key)} must be of type {names}, got {value!r}")
        if check is not None and not check(value):
            raise ConfigError(f"{self.key(key)} {why}, got {value!r}")
        return value  # type: ignore[return-value]


def timezone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as e:
        raise ConfigError(f"timezone {name!r} is not a known IANA zone "
                          "(example: \"Asia/Ho_Chi_Minh\")") from e


def config_path(base: Path, value: str) -> Path:
    p = Path(value).expanduser()
    return p if p.is_absolute() else (base / p)


def database(t: Table, base: Path, default: str) -> tuple[str, str]:
    """``[database]``: the SQLAlchemy URL (a relative SQLite path is resolved against the
    config's folder; ``postgresql://`` means psycopg) and the password, from
    ``password_env`` or ``password_file`` (or in the URL, warned). The URL returned never
    holds a password, so it can be shown and logged."""
    text = t.get("url", str, default)
    try:
        url = make_url(text)
    except ArgumentError as e:
        raise ConfigError(f"{t.key('url')} {_hidden(text)!r} is not an SQLAlchemy URL "
                          '(example: "sqlite:///var/mailbot.db")') from e
    backend, driver = url.get_backend_name(), url.get_driver_name()
    if backend == "sqlite":
        path = url.database or ""
        if path and path != ":memory:" and not Path(path).is_absolute():
            url = url.set(database=str(base / path))
    elif backend == "postgresql" and driver in ("psycopg", "psycopg2"):
        url = url.set(drivername="postgresql+psycopg")
        if importlib.util.find_spec("psycopg") is None:
            raise ConfigError(f"{t.key('url')}: PostgreSQL needs the psycopg package: "
                              "pip install 'mailbot[postgres]'")
    else:
        raise ConfigError(f"{t.key('url')}: {url.drivername!r} databases are not supported; "
                          'use "sqlite:///PATH" or "postgresql+psycopg://USER@HOST/DATABASE"')
    password = secret(t, base, inline=False, required=False)
    if url.password is not None:
        if password:
            raise ConfigError(f"{t.key('url')} holds a password and so does "
                              f"{t.key('password_env')} or {t.key('password_file')}: "
                              "give only one")
        warnings.warn(f"{t.key('url')} holds the database password; prefer "
                      f"{t.key('password_env')} or {t.key('password_file')}", stacklevel=2)
        password = str(url.password)
    return url._replace(password=None).render_as_string(hide_password=False), password


def _hidden(text: str) -> str:
    """``text`` with anything that looks like a password in a URL masked."""
    return re.sub(r"(://[^:/@]*:)[^@/]*@", r"\1***@", text)


def clock(table: Table, key: str, default: str) -> time:
    text = table.get(key, str, default)
    try:
        return time.fromisoformat(text)
    except ValueError as e:
        raise ConfigError(f"{table.key(key)} must be a time like \"08:00\", got {text!r}") from e


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def secret(t: Table, base: Path, name: str = "password", *, inline: bool = True,
           required: bool = True) -> str:
    """The secret given by ``name`` (in the file, warned), ``name_env`` or ``name_file``;
    "" when none is given and it is not ``required``."""
    keys = ((name,) if inline else ()) + (f"{name}_env", f"{name}_file")
    given = [k for k in keys if k in t.raw]
    if len(given) > 1:
        raise ConfigError(f"{t.key(given[0])} and {t.key(given[1])}: give only one")
    if not given:
        if not required:
            return ""
        also = f", or {t.key(name)}" if inline else ""
        raise ConfigError(f"missing key {t.key(name + '_env')} "
                          f"(or {t.key(name + '_file')}{also})")
    kind = given[0]
    value = t.get(kind, str)
    if kind == name:
        warnings.warn(f"{t.key(name)} is stored in the config file; "
                      f"prefer {t.key(name + '_env')} or {t.key(name + '_file')}",
                      stacklevel=2)
        return value
    if kind.endswith("_env"):
        secret = os.environ.get(value)
        if secret is None:
            raise ConfigError(f"{t.key(kind)}: environment variable {value} is not set")
        return secret
    try:
        return config_path(base, value).read_text(encoding="utf-8").strip()
    except OSError as e:
        raise ConfigError(f"{t.key(kind)}: cannot read {value}: {e.strerror}") from e


def auth(t: Table) -> str:
    """``auth`` of a server table; the keys of the other way to log in are refused, so a
    forgotten password_env is not mistaken for the one in use."""
    kind = t.get("auth", str, "password", check=lambda v: v in AUTH_CHOICES,
                 why='must be "password" or "oauth2"')
    stray = sorted((OAUTH2_KEYS if kind == "password" else PASSWORD_KEYS) & set(t.raw))
    if stray and kind == "password":
        raise ConfigError(f"{t.key(stray[0])} needs {t.key('auth')} = \"oauth2\"")
    if stray:
        raise ConfigError(f"{t.key(stray[0])} is not used when {t.key('auth')} = \"oauth2\" "
                          "(the access token comes from oauth2_token_file): remove it")
    return kind


def url(t: Table, key: str, default: str | None = None, *, why: str = "") -> str:
    """An https:// URL (http:// only to a loopback host, as for security = "plain")."""
    if key not in t.raw and default is None:
        raise ConfigError(f"missing key {t.key(key)}{why}")
    value = t.get(key, str, default)
    try:
        parts = urlsplit(value)
        scheme, host = parts.scheme, parts.hostname or ""
    except ValueError:  # e.g. an unclosed [IPv6 literal
        scheme, host = "", ""
    if not host or not (scheme == "https" or (scheme == "http" and is_loopback(host))):
        raise ConfigError(f"{t.key(key)} must be an https:// URL (http:// only to a loopback "
                          f"host), got {value!r}")
    return value


def server(t: Table) -> tuple[str, str]:
    """host and security of a server table; plain text only to a loopback host."""
    host = t.get("host", str)
    security = t.get("security", str, "tls", check=lambda v: v in SECURITY_CHOICES,
                     why="must be one of tls, starttls, plain")
    if security == "plain" and not is_loopback(host):
        raise ConfigError(f"{t.key('security')} = \"plain\" is only allowed to a loopback "
                          f"host, not {host!r}: use \"tls\" or \"starttls\"")
    return host, security


def address(t: Table, key: str, value: object) -> str:
    if not isinstance(value, str) or not EMAIL_RE.match(value.strip()):
        raise ConfigError(f"{t.key(key)}: {value!r} is not an email address")
    return value.strip().lower()


def oauth2(t: Table, base: Path, check_file: bool = True) -> OAuth2Config:
    """The oauth2_* keys of a server table with auth = "oauth2". With ``check_file``, the
    token file must exist, hold a refresh token and be closed to group and others."""
    provider = t.get("oauth2_provider", str, check=lambda v: v in OAUTH2_PROVIDERS,
                     why='must be "google", "microsoft" or "custom"')
    if "oauth2_tenant" in t.raw and provider != "microsoft":
        raise ConfigError(f"{t.key('oauth2_tenant')} is only for oauth2_provider = "
                          f'"microsoft", not {provider!r}')
    tenant = t.get("oauth2_tenant", str, "organizations", check=lambda v: bool(
        _TENANT_RE.match(v)), why='must be a tenant id or domain, e.g. "contoso.onmicrosoft.com"')
    token_uri = url(t, "oauth2_token_uri", {
        "google": GOOGLE_TOKEN_URI, "microsoft": MICROSOFT_TOKEN_URI.format(tenant=tenant),
    }.get(provider), why=' (oauth2_provider = "custom" needs it)')
    client_id = t.get("oauth2_client_id", str, check=lambda v: bool(v.strip()),
                      why="must not be empty")
    # Google's clients always have a secret; a Microsoft public client has none.
    client_secret = secret(t, base, "oauth2_client_secret", inline=False,
                           required=provider == "google")
    token_file = config_path(base, t.get("oauth2_token_file", str, check=bool,
                                         why="must not be empty"))
    if check_file:
        try:
            load_tokens(token_file, t.key("oauth2_token_file"))
        except OAuth2Error as e:
            raise ConfigError(str(e)) from e
    return OAuth2Config(
        provider=provider, token_uri=token_uri, client_id=client_id, token_file=token_file,
        client_secret=client_secret,
        scope=t.get("oauth2_scope", str, MICROSOFT_SCOPE if provider == "microsoft" else ""),
        section=t.name,
    )


def listen_address(t: Table, value: str, key: str = "listen") -> tuple[str, int]:
    """"127.0.0.1:8080" or "[::1]:8080" -> (host, port)."""
    host, sep, port = value.rpartition(":")
    host = host.strip("[]")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ConfigError(f"{t.key(key)} = {value!r} must be HOST:PORT, e.g. "
                          "\"127.0.0.1:8080\" (loopback: only this machine)")
    return host, int(port)
