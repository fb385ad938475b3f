"""Load and validate the TOML config once, at start-up, into frozen dataclasses.

Every mistake names the key and what is wrong; unknown keys are refused so a typo
("folde = ...") is not silently ignored. Relative paths are resolved against the
folder that holds the config file, so the daemon does not depend on its cwd.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from mailbot.config_fields import (
    DATABASE_KEYS,
    EMAIL_RE,
    OAUTH2_KEYS,
    PASSWORD_KEYS,
    OAuth2Config,
    Table,
    address,
    auth,
    clock,
    config_path,
    database,
    listen_address,
    oauth2,
    secret,
    server,
    timezone,
)
from mailbot.core.model import Unit
from mailbot.core.periods import Schedule
from mailbot.errors import ConfigError

CONFIG_ENV = "MAILBOT_CONFIG"
BOARD_KEYS = {"to", "cc", "approval", "size_limit_mb", "district", "issuer", "zip_per_unit"}
_CODE_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")


@dataclass(frozen=True)
class ImapConfig:
    host: str
    port: int
    security: str
    username: str
    password: str = ""
    folder: str = "INBOX"
    import_since: date = date(1970, 1, 1)
    timeout: float = 60.0
    idle: bool = True
    poll_interval: float = 300.0
    batch_bytes: int = 32 * 2**20
    ca_file: Path | None = None
    auth: str = "password"  # password | oauth2
    oauth2: OAuth2Config | None = None


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    security: str
    username: str
    password: str
    from_address: str
    from_name: str = "Phòng Nội vụ"
    timeout: float = 60.0
    ca_file: Path | None = None
    max_per_connection: int = 50
    auth: str = "password"  # password | oauth2
    oauth2: OAuth2Config | None = None


@dataclass(frozen=True)
class IngestConfig:
    max_message_bytes: int = 50 * 2**20
    max_attempts: int = 5
    retry_base_seconds: float = 60.0
    alert_after_minutes: int = 30
    trusted_authserv_id: str | None = None  # "" = Microsoft 365's header without an id
    unauthenticated: str = "accept"  # accept | unverified


@dataclass(frozen=True)
class OutboxConfig:
    templates_dir: Path | None = None
    acks_per_address_per_day: int = 5
    ack_max_age_days: int = 7
    max_attempts: int = 8
    retry_base_seconds: float = 60.0


@dataclass(frozen=True)
class BoardConfig:
    to: tuple[str, ...]
    cc: tuple[str, ...] = ()
    approval: str = "auto"  # auto | required
    size_limit: int = 20 * 2**20
    district: str = "Quận Dương Kinh"
    issuer: str = "ỦY BAN NHÂN DÂN QUẬN DƯƠNG KINH"
    zip_per_unit: bool = False


@dataclass(frozen=True)
class WebConfig:
    """The office's web page. ``listen`` None: `mailbot run` serves no page (`mailbot web`
    then listens on 127.0.0.1:8080)."""

    listen: tuple[str, int] | None = None
    session_hours: float = 12.0
    lockout_failures: int = 5
    lockout_minutes: int = 15


DEFAULT_WEB_LISTEN = ("127.0.0.1", 8080)


@dataclass(frozen=True)
class Config:
    path: Path
    timezone: ZoneInfo
    data_dir: Path
    database_url: str
    imap: ImapConfig
    schedule: Schedule
    ingest: IngestConfig
    units: tuple[Unit, ...]
    own_addresses: frozenset[str]
    message_id_domain: str
    smtp: SmtpConfig | None = None
    office_emails: tuple[str, ...] = ()
    reminder_days_before: tuple[int, ...] = (5, 1)
    send_time: time = time(8, 0)
    outbox: OutboxConfig = OutboxConfig()
    board: BoardConfig | None = None
    web: WebConfig = WebConfig()
    database_password: str = field(default="", repr=False)  # kept out of the URL and logs


def default_config_path() -> Path:
    return Path(os.environ.get(CONFIG_ENV, "mailbot.toml"))


def load_config(path: Path | None = None, *, check_token_files: bool = True) -> Config:
    """Read and validate the config file; raise ConfigError naming the key on any mistake.
    ``check_token_files=False`` accepts a missing OAuth2 token file (to create it)."""
    path = (path or default_config_path()).resolve()
    try:
        with path.open("rb") as f:
            raw = tomllib.load(f)
    except FileNotFoundError as e:
        raise ConfigError(
            f"config file {path} not found (use --config PATH or set {CONFIG_ENV})"
        ) from e
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{path}: not valid TOML: {e}") from e
    except OSError as e:
        raise ConfigError(f"{path}: cannot read: {e.strerror}") from e
    return parse_config(raw, path, check_token_files=check_token_files)


def parse_config(raw: Mapping[str, Any], path: Path, *,
                 check_token_files: bool = True) -> Config:
    base = path.parent
    top = Table(raw, "", {"timezone", "data_dir", "database", "imap", "schedule", "ingest",
                           "units", "smtp", "office", "outbox", "board", "web"})
    tz = timezone(top.get("timezone", str, "Asia/Ho_Chi_Minh"))
    data_dir = config_path(base, top.get("data_dir", str, "var"))

    url, db_password = database(top.table("database", DATABASE_KEYS), base,
                                f"sqlite:///{data_dir / 'mailbot.db'}")

    imap = _imap(top.table("imap", _server_keys(ImapConfig.__dataclass_fields__)), base,
                 check_token_files)

    sched = top.table("schedule", {"deadline_day", "digest_day", "digest_time",
                                   "reminder_days_before", "send_time"})
    deadline_day = sched.get("deadline_day", int, 15, check=lambda v: 1 <= v <= 27,
                             why="must be a day between 1 and 27")
    digest_day = sched.get("digest_day", int, deadline_day + 2,
                           check=lambda v: deadline_day < v <= 28,
                           why=f"must be after deadline_day ({deadline_day}) and at most 28")
    digest_time = clock(sched, "digest_time", "08:00")
    send_time = clock(sched, "send_time", "08:00")
    reminders = sched.get("reminder_days_before", list, [5, 1])
    if not all(isinstance(d, int) and not isinstance(d, bool) and 0 <= d < deadline_day
               for d in reminders):
        raise ConfigError(f"schedule.reminder_days_before must be whole days between 0 and "
                          f"{deadline_day - 1} (before deadline_day), got {reminders!r}")

    ing = top.table("ingest", set(IngestConfig.__dataclass_fields__))
    ingest = IngestConfig(
        max_message_bytes=ing.get("max_message_bytes", int, IngestConfig.max_message_bytes,
                                  check=lambda v: v >= 2**20, why="must be at least 1048576"),
        max_attempts=ing.get("max_attempts", int, IngestConfig.max_attempts,
                             check=lambda v: 1 <= v <= 100, why="must be 1..100"),
        retry_base_seconds=float(ing.get("retry_base_seconds", (int, float),
                                         IngestConfig.retry_base_seconds,
                                         check=lambda v: v >= 0, why="must be >= 0")),
        alert_after_minutes=ing.get("alert_after_minutes", int, 30, check=lambda v: v >= 1,
                                    why="must be at least 1 minute"),
        trusted_authserv_id=ing.get(
            "trusted_authserv_id", str, "", check=lambda v: " " not in v.strip(),
            why='must be one host name (example: "mx.google.com")').strip().lower()
        if "trusted_authserv_id" in ing.raw else None,
        unauthenticated=ing.get("unauthenticated", str, "accept",
                                check=lambda v: v in ("accept", "unverified"),
                                why='must be "accept" or "unverified"'),
    )

    units = _units(top)
    smtp = _smtp(top.table("smtp", _server_keys(SmtpConfig.__dataclass_fields__)), base,
                 check_token_files) if "smtp" in top.raw else None
    _same_client_per_token_file(imap, smtp)
    office = top.table("office", {"emails"})
    office_emails = tuple(address(office, "emails", e) for e in office.get("emails", list, []))
    own = {a for a in (imap.username.lower(), smtp.from_address if smtp else "") if "@" in a}
    domain = (smtp.from_address if smtp else imap.username).rpartition("@")[2] or "localhost"
    return Config(
        path=path, timezone=tz, data_dir=data_dir, database_url=url,
        database_password=db_password, imap=imap,
        schedule=Schedule(deadline_day=deadline_day, digest_day=digest_day,
                          digest_time=digest_time),
        ingest=ingest, units=units, own_addresses=frozenset(own),
        message_id_domain=f"mailbot.{domain}", smtp=smtp, office_emails=office_emails,
        reminder_days_before=tuple(sorted(set(reminders), reverse=True)), send_time=send_time,
        outbox=_outbox(top.table("outbox", set(OutboxConfig.__dataclass_fields__)), base),
        board=_board(top.table("board", BOARD_KEYS)) if "board" in top.raw else None,
        web=_web(top.table("web", set(WebConfig.__dataclass_fields__))),
    )


def _server_keys(fields: Iterable[str]) -> set[str]:
    return (set(fields) - {"oauth2"}) | PASSWORD_KEYS | OAUTH2_KEYS


def _same_client_per_token_file(imap: ImapConfig, smtp: SmtpConfig | None) -> None:
    """IMAP and SMTP may share a token file, but a refresh token belongs to one client."""
    a, b = imap.oauth2, smtp.oauth2 if smtp else None
    if a and b and a.token_file == b.token_file and a != b:
        raise ConfigError("smtp.oauth2_token_file is also imap.oauth2_token_file, so every "
                          "smtp.oauth2_* key must equal imap's (one refresh token, one client)")


def _imap(t: Table, base: Path, check_token_file: bool = True) -> ImapConfig:
    host, security = server(t)
    kind = auth(t)
    since_raw = t.get("import_since", (str, date), "1970-01-01")
    try:
        since = since_raw if isinstance(since_raw, date) else date.fromisoformat(since_raw)
    except ValueError as e:
        raise ConfigError(f"{t.key('import_since')} must be a date like 2023-10-01, "
                          f"got {since_raw!r}") from e
    ca = t.get("ca_file", str, "")
    return ImapConfig(
        host=host,
        port=t.get("port", int, 993 if security == "tls" else 143,
                   check=lambda v: 0 < v < 65536, why="must be a TCP port"),
        security=security,
        username=t.get("username", str),
        password=secret(t, base) if kind == "password" else "",
        folder=t.get("folder", str, "INBOX", check=bool, why="must not be empty"),
        import_since=since,
        timeout=float(t.get("timeout", (int, float), 60.0, check=lambda v: v > 0,
                            why="must be > 0 seconds")),
        idle=t.get("idle", bool, True),
        poll_interval=float(t.get("poll_interval", (int, float), 300.0,
                                  check=lambda v: v >= 1, why="must be >= 1 second")),
        batch_bytes=t.get("batch_bytes", int, 32 * 2**20, check=lambda v: v >= 2**16,
                          why="must be at least 65536"),
        ca_file=config_path(base, ca) if ca else None,
        auth=kind, oauth2=oauth2(t, base, check_token_file) if kind == "oauth2" else None,
    )


def _units(top: Table) -> tuple[Unit, ...]:
    raw = top.raw.get("units", [])
    if not isinstance(raw, list):
        raise ConfigError("units must be an array of tables: [[units]]")
    units: list[Unit] = []
    seen_codes: set[str] = set()
    seen_emails: dict[str, str] = {}
    for i, entry in enumerate(raw):
        t = Table(entry, f"units[{i}]", {"code", "name", "emails", "aliases"})
        code = t.get("code", str, check=lambda v: bool(_CODE_RE.match(v)),
                     why="must be lower-case letters, digits and dashes (e.g. \"hoa-nghia\")")
        if code in seen_codes:
            raise ConfigError(f"{t.key('code')}: code {code!r} is used twice")
        seen_codes.add(code)
        name = t.get("name", str, check=lambda v: bool(v.strip()) and "\n" not in v,
                     why="must be a non-empty single line")
        emails = tuple(e.strip().lower() for e in t.get("emails", list, []))
        for e in emails:
            if not EMAIL_RE.match(e):
                raise ConfigError(f"{t.key('emails')}: {e!r} is not an email address")
            if e in seen_emails:
                raise ConfigError(f"{t.key('emails')}: {e} already belongs to unit "
                                  f"{seen_emails[e]!r}")
            seen_emails[e] = code
        aliases = tuple(str(a) for a in t.get("aliases", list, []))
        units.append(Unit(code=code, name=name, emails=emails, aliases=aliases))
    return tuple(units)


def _smtp(t: Table, base: Path, check_token_file: bool = True) -> SmtpConfig:
    host, security = server(t)
    kind = auth(t)
    username = t.get("username", str, "")
    if kind == "oauth2" and not username:
        raise ConfigError(f"missing key {t.key('username')}: {t.key('auth')} = \"oauth2\" "
                          "logs in as this address")
    ca = t.get("ca_file", str, "")
    return SmtpConfig(
        host=host,
        port=t.get("port", int, {"tls": 465, "starttls": 587, "plain": 25}[security],
                   check=lambda v: 0 < v < 65536, why="must be a TCP port"),
        security=security, username=username,
        password=secret(t, base) if username and kind == "password" else "",
        from_address=address(t, "from_address", t.get("from_address", str)),
        from_name=t.get("from_name", str, "Phòng Nội vụ", check=lambda v: "\n" not in v,
                        why="must be a single line"),
        timeout=float(t.get("timeout", (int, float), 60.0, check=lambda v: v > 0,
                            why="must be > 0 seconds")),
        ca_file=config_path(base, ca) if ca else None,
        max_per_connection=t.get("max_per_connection", int, 50, check=lambda v: v >= 1,
                                 why="must be at least 1"),
        auth=kind, oauth2=oauth2(t, base, check_token_file) if kind == "oauth2" else None,
    )


def _outbox(t: Table, base: Path) -> OutboxConfig:
    templates = t.get("templates_dir", str, "")
    return OutboxConfig(
        templates_dir=config_path(base, templates) if templates else None,
        acks_per_address_per_day=t.get("acks_per_address_per_day", int, 5,
                                       check=lambda v: v >= 0, why="must be >= 0"),
        ack_max_age_days=t.get("ack_max_age_days", int, 7, check=lambda v: v >= 0,
                               why="must be >= 0"),
        max_attempts=t.get("max_attempts", int, 8, check=lambda v: 1 <= v <= 100,
                           why="must be 1..100"),
        retry_base_seconds=float(t.get("retry_base_seconds", (int, float), 60.0,
                                       check=lambda v: v >= 0, why="must be >= 0")),
    )


def _board(t: Table) -> BoardConfig:
    to = tuple(address(t, "to", e) for e in t.get("to", list))
    if not to:
        raise ConfigError(f"{t.key('to')} must list at least one address")
    return BoardConfig(
        to=to, cc=tuple(address(t, "cc", e) for e in t.get("cc", list, [])),
        approval=t.get("approval", str, "auto", check=lambda v: v in ("auto", "required"),
                       why="must be \"auto\" or \"required\""),
        size_limit=int(t.get("size_limit_mb", (int, float), 20, check=lambda v: 1 <= v <= 100,
                             why="must be between 1 and 100 (MB)") * 2**20),
        district=t.get("district", str, BoardConfig.district),
        issuer=t.get("issuer", str, BoardConfig.issuer),
        zip_per_unit=t.get("zip_per_unit", bool, False),
    )


def _web(t: Table) -> WebConfig:
    listen = t.get("listen", str, "")
    return WebConfig(
        listen=listen_address(t, listen) if listen else None,
        session_hours=float(t.get("session_hours", (int, float), 12.0,
                                  check=lambda v: 0 < v <= 24 * 31,
                                  why="must be above 0 and at most 744 (a month)")),
        lockout_failures=t.get("lockout_failures", int, 5, check=lambda v: 1 <= v <= 100,
                               why="must be 1..100"),
        lockout_minutes=t.get("lockout_minutes", int, 15, check=lambda v: 1 <= v <= 24 * 60,
                              why="must be 1..1440"),
    )
