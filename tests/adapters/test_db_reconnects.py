"""A PostgreSQL restart under a running mailbot: the next database call reconnects
(pooled connections are checked before use) instead of failing on a dead one."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from mailbot.adapters.db.engine import make_engine, upgrade
from mailbot.adapters.db.store import Store
from tests.conftest import _require
from tests.servers import postgres as postgres_server
from tests.servers.postgres import Postgres

pytestmark = pytest.mark.postgres


@pytest.fixture
def own_postgres() -> Iterator[Postgres]:
    """A cluster of this test's own: restarting the shared one would disturb others."""
    _require(postgres_server.missing(), "PostgreSQL")
    with Postgres() as server:
        yield server


def test_the_store_works_again_after_postgresql_restarts(own_postgres: Postgres) -> None:
    name = own_postgres.create_database()
    engine = make_engine(own_postgres.url(name, password=False), own_postgres.password)
    try:
        upgrade(engine)
        store = Store(engine)
        now = datetime(2023, 10, 10, 2, 0, tzinfo=UTC)
        assert store.start_pass("INBOX", 7, now).last_uid == 0
        own_postgres.stop()  # every pooled connection dies
        own_postgres.start()
        assert store.mailbox_state("INBOX") is not None
        assert store.start_pass("INBOX", 7, now).uidvalidity == 7
    finally:
        engine.dispose()
