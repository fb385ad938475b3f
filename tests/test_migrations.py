"""Migrations build exactly the schema the code uses, and go down and up again, on
SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect

from mailbot.adapters.db.engine import _alembic_config, current_revision, head_revision, make_engine
from mailbot.adapters.db.engine import upgrade as upgrade_db
from mailbot.adapters.db.schema import metadata
from tests.support import Database

pytestmark = pytest.mark.both_databases


@pytest.fixture
def engine(tmp_path: Path, database: Database) -> Iterator[Engine]:
    engine = make_engine(database.engine_url(tmp_path / "mailbot.toml"))
    yield engine
    engine.dispose()


def test_upgraded_database_matches_the_schema_in_code(engine: Engine) -> None:
    assert upgrade_db(engine) == (None, head_revision(engine))
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diff == []


def test_every_migration_goes_down_and_up_again(engine: Engine) -> None:
    upgrade_db(engine)
    cfg = _alembic_config(engine)
    command.downgrade(cfg, "base")
    assert current_revision(engine) is None
    assert set(inspect(engine).get_table_names()) == {"alembic_version"}
    command.upgrade(cfg, "head")
    assert current_revision(engine) == head_revision(engine)
