"""Shared fixtures. The servers behind them live in tests/servers/."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.servers import browser as browser_server
from tests.servers import dovecot as dovecot_server
from tests.servers.dovecot import Dovecot, ImapAccount
from tests.servers.smtp import SmtpServer

DOVECOT_FIXTURES = {"dovecot", "imap_account", "fresh_dovecot"}
BROWSER_FIXTURES = {"chromium"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if DOVECOT_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.dovecot)
        if BROWSER_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.browser)


def _require_dovecot() -> None:
    reason = dovecot_server.missing()
    if reason and os.environ.get("CI"):
        pytest.fail(f"CI must run the Dovecot tests: {reason}", pytrace=False)
    if reason:
        pytest.skip(reason)


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
