"""Shared fixtures. The servers behind them live in tests/servers/."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.servers import browser as browser_server
from tests.servers import dovecot as dovecot_server
from tests.servers import postgres as postgres_server
from tests.servers.dovecot import Dovecot, ImapAccount
from tests.servers.postgres import Postgres
from tests.servers.smtp import SmtpServer
from tests.support import Database

DOVECOT_FIXTURES = {"dovecot", "imap_account", "fresh_dovecot"}
BROWSER_FIXTURES = {"chromium"}
BACKENDS = ("sqlite", "postgresql")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Tests marked ``both_databases`` run once on SQLite and once on PostgreSQL; with
    MAILBOT_TEST_DATABASES=all, so does every test that takes ``database`` (the slow
    kill loops too, kept on SQLite alone in CI for time)."""
    everywhere = os.environ.get("MAILBOT_TEST_DATABASES") == "all"
    own = {name.strip() for m in metafunc.definition.iter_markers("parametrize")
           for name in (m.args[0].split(",") if isinstance(m.args[0], str) else m.args[0])}
    if metafunc.definition.get_closest_marker("sqlite_only"):
        return
    if "database" in metafunc.fixturenames and "database" not in own and (
            everywhere or metafunc.definition.get_closest_marker("both_databases")):
        metafunc.parametrize("database", BACKENDS, indirect=True)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if DOVECOT_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.dovecot)
        if BROWSER_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.browser)
        callspec = getattr(item, "callspec", None)
        if callspec is not None and callspec.params.get("database") == "postgresql":
            item.add_marker(pytest.mark.postgres)


def _require(reason: str | None, what: str) -> None:
    if reason and os.environ.get("CI"):
        pytest.fail(f"CI must run the {what} tests: {reason}", pytrace=False)
    if reason:
        pytest.skip(reason)


def _require_dovecot() -> None:
    _require(dovecot_server.missing(), "Dovecot")


@pytest.fixture(scope="session")
def postgres() -> Iterator[Postgres]:
    """One private PostgreSQL cluster for the whole run; each test gets its own database."""
    _require(postgres_server.missing(), "PostgreSQL")
    with Postgres() as server:
        yield server


@pytest.fixture
def database(request: pytest.FixtureRequest) -> Iterator[Database]:
    """Where mailbot keeps its ledger in this test: SQLite in the test's folder (the
    default), or a fresh database on the private PostgreSQL for ``both_databases`` tests."""
    backend = getattr(request, "param", "sqlite")
    if backend == "sqlite":
        yield Database("sqlite:///var/mailbot.db")
        return
    server: Postgres = request.getfixturevalue("postgres")
    name = server.create_database()
    yield Database(server.url(name, password=False), server.password)
    server.drop_database(name)


@pytest.fixture(scope="session")
def dovecot() -> Iterator[Dovecot]:
    """One private Dovecot for the whole run. Do not stop it: use fresh_dovecot for that."""
    _require_dovecot()
    with Dovecot() as server:
        yield server


@pytest.fixture
def fresh_dovecot() -> Iterator[Dovecot]:
    """A private Dovecot of this test's own, for tests that stop or restart the server."""
    _require_dovecot()
    with Dovecot() as server:
        yield server


@pytest.fixture(scope="module")
def chromium() -> Iterator[object]:
    """Debian's headless chromium under Playwright; skipped when missing, except in CI.
    Module-scoped: Playwright's sync API keeps an event loop marked as running in the
    main thread, which would break later in-process `asyncio.run` (e.g. SMTP in `tick`)."""
    reason = browser_server.missing()
    if reason and os.environ.get("CI"):
        pytest.fail(f"CI must run the browser tests: {reason}", pytrace=False)
    if reason:
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=browser_server.CHROMIUM,
                                    args=browser_server.ARGS)
        yield browser
        browser.close()


@pytest.fixture
def imap_account(dovecot: Dovecot) -> ImapAccount:
    """A new user on the shared Dovecot: an empty mailbox for each test."""
    return dovecot.add_user()


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    with SmtpServer() as server:
        yield server
