"""`[database]`: SQLite by default, PostgreSQL by URL; the password never in the URL."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest

from mailbot.adapters.db.engine import make_engine
from mailbot.config import Config, load_config
from mailbot.errors import ConfigError
from mailbot.jobs.check import FAIL, WARN, database_step
from tests.servers.postgres import Postgres
from tests.test_config_errors import GOOD

PG = "postgresql+psycopg://mailbot@db.example.com:5432/mailbot"


@pytest.fixture(autouse=True)
def _password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEST_IMAP_PASSWORD", "secret")
    monkeypatch.setenv("MAILBOT_DATABASE_PASSWORD", "s3cr3t-db")


def _load(tmp_path: Path, database: str) -> Config:
    path = tmp_path / "mailbot.toml"
    path.write_text(GOOD + "\n[database]\n" + database, encoding="utf-8")
    return load_config(path)


def test_a_postgresql_url_takes_its_password_from_the_environment(tmp_path: Path) -> None:
    config = _load(tmp_path, f'url = "{PG}"\npassword_env = "MAILBOT_DATABASE_PASSWORD"\n')
    assert config.database_url == PG
    assert config.database_password == "s3cr3t-db"
    assert "s3cr3t-db" not in repr(config)


def test_a_postgresql_url_takes_its_password_from_a_file(tmp_path: Path) -> None:
    (tmp_path / "db-password").write_text("from-a-file\n")
    config = _load(tmp_path, f'url = "{PG}"\npassword_file = "db-password"\n')
    assert config.database_password == "from-a-file"


def test_plain_postgresql_means_psycopg(tmp_path: Path) -> None:
    config = _load(tmp_path, 'url = "postgresql://mailbot@localhost/mailbot"\n')
    assert config.database_url == "postgresql+psycopg://mailbot@localhost/mailbot"


def test_a_password_in_the_url_is_warned_about_and_kept_out_of_the_url(tmp_path: Path) -> None:
    with pytest.warns(UserWarning, match="database.url holds the database password"):
        config = _load(tmp_path, 'url = "postgresql+psycopg://mailbot:inline@h/mailbot"\n')
    assert config.database_url == "postgresql+psycopg://mailbot@h/mailbot"
    assert config.database_password == "inline"


@pytest.mark.parametrize(("section", "named"), [
    ('url = "mysql://u:pw@h/db"\n', "database.url: 'mysql' databases are not supported"),
    ('url = "postgresql+asyncpg://u@h/db"\n', "database.url: 'postgresql+asyncpg'"),
    ('url = "var/mailbot.db"\n', "database.url 'var/mailbot.db' is not an SQLAlchemy URL"),
    ('url = "sqlite:///x.db"\nuser = "u"\n', "unknown key database.user"),
    (f'url = "{PG}"\npassword_env = "NOT_SET_ANYWHERE"\n',
     "database.password_env: environment variable NOT_SET_ANYWHERE is not set"),
    (f'url = "{PG}"\npassword_env = "A"\npassword_file = "b"\n', "give only one"),
    ('url = "postgresql+psycopg://u:inline@h/db"\npassword_env = "MAILBOT_DATABASE_PASSWORD"\n',
     "holds a password and so does"),
])
def test_a_database_mistake_names_the_key(tmp_path: Path, section: str, named: str) -> None:
    with pytest.raises(ConfigError) as e:
        _load(tmp_path, section)
    assert named in str(e.value)
    assert "pw@" not in str(e.value) and "inline" not in str(e.value)


def test_a_refused_postgresql_login_names_the_server_not_the_password(
        caplog: pytest.LogCaptureFixture) -> None:
    from mailbot.adapters.db.engine import current_revision
    from mailbot.errors import StorageError
    from tests.servers import free_port

    engine = make_engine(f"postgresql+psycopg://mailbot@127.0.0.1:{free_port()}/mailbot",
                         "do-not-show-me")
    caplog.set_level(logging.DEBUG)
    with pytest.raises(StorageError) as e:
        current_revision(engine)
    engine.dispose()
    assert "127.0.0.1" in str(e.value)
    assert "do-not-show-me" not in str(e.value) + repr(engine.url) + caplog.text


def test_the_commented_postgresql_example_loads_once_uncommented(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MAILBOT_IMAP_PASSWORD", "app-password")
    monkeypatch.setenv("MAILBOT_SMTP_PASSWORD", "app-password")
    text = (Path(__file__).parent.parent / "config.example.toml").read_text(encoding="utf-8")
    head, rest = text.split("\n[imap]", 1)
    wanted = re.compile(r'^# ((url = "postgresql|password_env = "MAILBOT_DATABASE).*)$',
                        re.MULTILINE)
    assert len(wanted.findall(head)) == 2, "config.example.toml lost its PostgreSQL keys"
    head = wanted.sub(r"\1", re.sub(r'^url = "sqlite', "# sqlite", head, flags=re.MULTILINE))
    (tmp_path / "mailbot.toml").write_text(head + "\n[imap]" + rest, encoding="utf-8")
    config = load_config(tmp_path / "mailbot.toml")
    assert config.database_url.startswith("postgresql+psycopg://mailbot@")
    assert config.database_password == "s3cr3t-db"


@pytest.mark.postgres
def test_check_reaches_postgresql_and_names_a_refused_login_without_the_password(
        tmp_path: Path, postgres: Postgres, monkeypatch: pytest.MonkeyPatch) -> None:
    name = postgres.create_database()
    try:
        url = postgres.url(name, password=False)
        monkeypatch.setenv("MAILBOT_DATABASE_PASSWORD", "wrong-" + postgres.password)
        config = _load(tmp_path, f'url = "{url}"\npassword_env = "MAILBOT_DATABASE_PASSWORD"\n')
        refused = database_step(config, "mailbot")
        assert refused.status == FAIL and "password authentication failed" in refused.detail
        assert postgres.password not in repr(refused)
        monkeypatch.setenv("MAILBOT_DATABASE_PASSWORD", postgres.password)
        config = _load(tmp_path, f'url = "{url}"\npassword_env = "MAILBOT_DATABASE_PASSWORD"\n')
        reached = database_step(config, "mailbot")
        assert (reached.status, reached.detail) == (WARN, "reachable, but no tables yet")
    finally:
        postgres.drop_database(name)
