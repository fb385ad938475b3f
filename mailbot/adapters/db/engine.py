"""Create the SQLAlchemy engine and apply or check Alembic migrations."""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError

from mailbot.errors import ConfigError, DiskFullError, StorageError

BUSY_TIMEOUT_SECONDS = 30  # how long a SQLite write waits for another writer to finish


def make_engine(url: str, password: str = "") -> Engine:
    """An engine for ``url`` (and ``password``, kept out of every message); SQLite gets
    WAL, full fsync, foreign keys and a busy timeout; PostgreSQL a connect timeout and
    a check that a pooled connection is still alive (the server may have restarted)."""
    options: dict[str, Any] = {}
    try:
        parsed = make_url(url)
        if password:
            parsed = parsed.set(password=password)
        if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        if parsed.get_backend_name() == "postgresql":
            options = dict(pool_pre_ping=True, connect_args={
                "connect_timeout": 10, "application_name": "mailbot"})
        engine = create_engine(parsed, **options)
    except (ArgumentError, NoSuchModuleError) as e:
        shown = re.sub(r"(://[^:/@]*:)[^@/]*@", r"\1***@", url)
        raise ConfigError(f"database.url {shown!r} cannot be used: {e}") from e
    except OSError as e:
        raise StorageError(f"cannot create the database folder for {url!r}: {e.strerror}") from e
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "handle_error", _sqlite_locked)
    return engine


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=FULL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_SECONDS * 1000)}")
    cur.close()


def _sqlite_locked(context: Any) -> None:
    """"database is locked" (after the busy timeout) and "database or disk is full"
    become StorageErrors that say what they mean, so the CLI prints one line and the
    daemon backs off and retries instead of dying on a traceback."""
    orig = context.original_exception
    where = context.engine.url.database if context.engine is not None else "?"
    if "database or disk is full" in str(orig):
        raise DiskFullError(f"no space left for the database {where}: nothing was "
                            "written; free some space and mailbot goes on") from orig
    if "database is locked" in str(orig) or "database is busy" in str(orig):
        raise StorageError(
            f"the database {where} is locked by another writer: waited "
            f"{BUSY_TIMEOUT_SECONDS} s (a backup, a sqlite3 shell or a stuck mailbot "
            "holding a write transaction?); nothing was written, try again") from orig


def _alembic_config(engine: Engine) -> Any:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(resources.files("mailbot.migrations")))
    cfg.attributes["engine"] = engine
    return cfg


def upgrade(engine: Engine) -> tuple[str | None, str]:
    """Apply every pending migration; return (revision before, revision after)."""
    from alembic import command

    before = current_revision(engine)
    try:
        command.upgrade(_alembic_config(engine), "head")
    except OperationalError as e:
        raise StorageError(f"database migration failed: {e.orig}") from e
    return before, head_revision(engine)


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    try:
        with engine.connect() as conn:
            rev: str | None = MigrationContext.configure(conn).get_current_revision()
            return rev
    except OperationalError as e:
        raise StorageError(f"cannot open the database: {e.orig}") from e


def head_revision(engine: Engine) -> str:
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(_alembic_config(engine)).get_current_head()
    assert head is not None
    return head


def require_current(engine: Engine) -> None:
    """Refuse to work on a database that is not at the latest migration."""
    if current_revision(engine) != head_revision(engine):
        raise StorageError(
            f"the database {engine.url.render_as_string(hide_password=True)} is not up to "
            "date: run `mailbot db upgrade` first"
        )
