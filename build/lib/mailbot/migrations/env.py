"""Alembic environment: mailbot passes its engine in; render_as_batch for SQLite."""

from alembic import context

from mailbot.adapters.db.engine import make_engine
from mailbot.adapters.db.schema import metadata

config = context.config
engine = config.attributes.get("engine") or make_engine(config.get_main_option("sqlalchemy.url"))

with engine.begin() as connection:
    context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
