"""Use cases for the web page's staff accounts: create one, check a login with lockout."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from mailbot.adapters.db.people import Audit, Users
from mailbot.adapters.passwords import DUMMY_HASH, hash_password, verify_password
from mailbot.app import App
from mailbot.errors import ConfigError

NAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
MIN_PASSWORD = 8


@dataclass(frozen=True)
class Login:
    ok: bool
    locked_until: datetime | None = None  # set when the account is locked


def add_user(app: App, name: str, password: str, now: datetime, *,
             actor: str = "cli") -> bool:
    """Create a staff account (or set a new password, which also unlocks it).
    Returns True when the account is new."""
    name = name.strip().lower()
    if not NAME_RE.match(name):
        raise ConfigError(f"user name {name!r}: use lower-case letters, digits, '.', '_' or "
                          "'-' (e.g. \"lan.nguyen\")")
    if len(password) < MIN_PASSWORD:
        raise ConfigError(f"the password must be at least {MIN_PASSWORD} characters")
    created = Users(app.engine).put(name, hash_password(password), now)
    Audit(app.engine).record(actor, "user_add" if created else "user_password", "user", name,
                             "", now)
    return created


def check_login(app: App, name: str, password: str, now: datetime) -> Login:
    """One login attempt. After ``web.lockout_failures`` wrong passwords in a row the
    account is locked for ``web.lockout_minutes``; while locked even the right password
    is refused (and does not extend the lock)."""
    web = app.config.web
    users = Users(app.engine)
    name = name.strip().lower()
    user = users.get(name) if NAME_RE.match(name) else None
    if user is None:
        verify_password(password, DUMMY_HASH)  # the same time as for a real name
        return Login(False)
    if user.locked_until is not None and user.locked_until > now:
        return Login(False, user.locked_until)
    if verify_password(password, user.password_hash):
        users.succeeded(name)
        return Login(True)
    until = now + timedelta(minutes=web.lockout_minutes)
    if users.failed(name, lock_after=web.lockout_failures, until=until) >= web.lockout_failures:
        Audit(app.engine).record("web", "lockout", "user", name,
                                 f"{web.lockout_failures} wrong passwords", now)
        return Login(False, until)
    return Login(False)
