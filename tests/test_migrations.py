"""Migrations build exactly the schema the code uses, and go down and up again."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from mailbot.adapters.db.engine import _alembic_config, current_revision, head_revision, make_engine
from mailbot.adapters.db.engine import upgrade as upgrade_db
from mailbot.adapters.db.schema import metadata


def test_upgraded_database_matches_the_schema_in_code(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'm.db'}")
    assert upgrade_db(engine) == (None, head_revision(engine))
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diff == []
    engine.dispose()


def test_every_migration_goes_down_and_up_again(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'm.db'}")
    upgrade_db(engine)
    cfg = _alembic_config(engine)
    command.downgrade(cfg, "base")
    assert current_revision(engine) is None
    command.upgrade(cfg, "head")
    assert current_revision(engine) == head_revision(engine)
    engine.dispose()
