"""Validated readers for config values: each mistake names the key and the fix."""

from __future__ import annotations

import ipaddress
import os
import re
import warnings
from collections.abc import Callable, Mapping
from datetime import time
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from mailbot.errors import ConfigError

SECURITY_CHOICES = ("tls", "starttls", "plain")
EMAIL_RE = re.compile(r"^[^@\s<>\"',;]+@[^@\s<>\"',;]+\.[^@\s<>\"',;]+$")
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


def resolve_sqlite_url(url: str, base: Path) -> str:
    prefix = "sqlite:///"
    if url.startswith(prefix) and not url.startswith(prefix + "/") and url != prefix + ":memory:":
        return prefix + str(base / url[len(prefix):])
    if "://" not in url:
        raise ConfigError(f"database.url {url!r} is not an SQLAlchemy URL "
                          "(example: \"sqlite:///var/mailbot.db\")")
    return url


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


def secret(t: Table, base: Path) -> str:
    given = [k for k in ("password", "password_env", "password_file") if k in t.raw]
    if len(given) > 1:
        raise ConfigError(f"{t.key(given[0])} and {t.key(given[1])}: give only one")
    if not given:
        raise ConfigError(f"missing key {t.key('password_env')} "
                          f"(or {t.key('password_file')}, or {t.key('password')})")
    kind = given[0]
    value = t.get(kind, str)
    if kind == "password":
        warnings.warn(f"{t.key('password')} is stored in the config file; "
                      f"prefer {t.key('password_env')} or {t.key('password_file')}",
                      stacklevel=2)
        return value
    if kind == "password_env":
        secret = os.environ.get(value)
        if secret is None:
            raise ConfigError(f"{t.key('password_env')}: environment variable {value} is not set")
        return secret
    try:
        return config_path(base, value).read_text(encoding="utf-8").strip()
    except OSError as e:
        raise ConfigError(f"{t.key('password_file')}: cannot read {value}: {e.strerror}") from e


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
