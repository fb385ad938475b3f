"""Connecting, TLS and login: when they fail, every email comes back "retry", quickly."""

from __future__ import annotations

import importlib.util
import socket
import time
from collections.abc import Iterator
from typing import Any

import pytest

from mailbot.adapters.smtp import Outgoing, SmtpError, deliver, size_limit
from mailbot.config import SmtpConfig
from tests.builders import make_mail
from tests.servers import free_port
from tests.servers.smtp import SmtpServer

OFFICE = "phongnoivu@example.gov.vn"
UNIT = "ubndhoanghia@example.gov.vn"
PASSWORD = "mật-khẩu-bí-mật"
needs_tls = pytest.mark.skipif(importlib.util.find_spec("cryptography") is None,
                               reason="the TLS test server needs the cryptography package")


def config(server: SmtpServer | None = None, **changes: Any) -> SmtpConfig:
    values: dict[str, Any] = {
        "host": "127.0.0.1", "port": server.port if server else free_port(),
        "security": "plain", "username": "", "password": "", "from_address": OFFICE,
        "timeout": 5.0}
    return SmtpConfig(**(values | changes))


def batch(count: int = 3, body: str = "Kính gửi các đơn vị,\n") -> list[Outgoing]:
    return [Outgoing(key=k, mail_from=OFFICE, rcpt_to=(UNIT,), raw=make_mail(
        subject=f"Báo cáo tổng hợp {k}", sender=OFFICE, to=UNIT, body=body))
            for k in range(1, count + 1)]


@pytest.fixture
def tls_server() -> Iterator[SmtpServer]:
    with SmtpServer(tls="starttls", users={"phongnoivu": PASSWORD}) as server:
        yield server


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts connections and never says a word."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        yield int(sock.getsockname()[1])


def test_a_closed_port_is_retry_for_every_email_without_trying_each() -> None:
    started = time.monotonic()
    outcomes = deliver(config(), batch())
    assert time.monotonic() - started < 1
    assert [o.status for o in outcomes] == ["retry"] * 3
    assert "connect failed" in outcomes[0].detail
    assert all(o.detail.startswith("not tried: smtp 127.0.0.1:") for o in outcomes[1:])


def test_a_server_that_never_greets_is_retry_within_the_timeout(silent_port: int) -> None:
    started = time.monotonic()
    outcomes = deliver(config(port=silent_port, timeout=0.5), batch())
    assert time.monotonic() - started < 0.95  # one wait, not one per email
    assert [o.status for o in outcomes] == ["retry"] * 3
    assert "Timed out waiting for server ready message" in outcomes[0].detail


def test_starttls_is_required_not_opportunistic(smtp_server: SmtpServer) -> None:
    outcomes = deliver(config(smtp_server, security="starttls"), batch(2))
    assert [o.status for o in outcomes] == ["retry", "retry"]
    assert "does not offer STARTTLS" in outcomes[0].detail
    assert smtp_server.messages == []


@needs_tls
def test_it_sends_over_starttls_after_logging_in(tls_server: SmtpServer) -> None:
    cfg = config(tls_server, security="starttls", ca_file=tls_server.ca_file,
                 username="phongnoivu", password=PASSWORD)
    assert [o.status for o in deliver(cfg, batch())] == ["sent"] * 3
    assert tls_server.connections == 1


@needs_tls
def test_it_sends_over_implicit_tls() -> None:
    with SmtpServer(tls="implicit") as server:
        outcomes = deliver(config(server, security="tls", ca_file=server.ca_file), batch(1))
        assert [o.status for o in outcomes] == ["sent"]


@needs_tls
def test_a_certificate_it_cannot_verify_is_retry(tls_server: SmtpServer) -> None:
    outcomes = deliver(config(tls_server, security="starttls"), batch(1))  # system CAs only
    assert outcomes[0].status == "retry"
    assert "STARTTLS failed" in outcomes[0].detail
    assert "CERTIFICATE_VERIFY_FAILED" in outcomes[0].detail


@needs_tls
def test_a_wrong_password_is_retry_that_says_so_and_never_shows_the_password(
    tls_server: SmtpServer,
) -> None:
    wrong = PASSWORD + "-cũ"
    cfg = config(tls_server, security="starttls", ca_file=tls_server.ca_file,
                 username="phongnoivu", password=wrong)
    outcomes = deliver(cfg, batch(2))
    assert [o.status for o in outcomes] == ["retry", "retry"]
    assert "authentication failed: check smtp.username / password (535" in outcomes[0].detail
    assert not any(wrong in o.detail or PASSWORD in o.detail for o in outcomes)
    assert tls_server.messages == []


@needs_tls
def test_a_tls_server_that_offers_no_auth_is_refused_when_a_username_is_set() -> None:
    with SmtpServer(tls="starttls") as server:
        cfg = config(server, security="starttls", ca_file=server.ca_file,
                     username="phongnoivu", password=PASSWORD)
        (outcome,) = deliver(cfg, batch(1))
        assert (outcome.status, "offers no AUTH" in outcome.detail) == ("retry", True)


def test_a_loopback_relay_without_auth_is_used_without_logging_in(
    smtp_server: SmtpServer,
) -> None:
    cfg = config(smtp_server, username="phongnoivu", password=PASSWORD)
    assert [o.status for o in deliver(cfg, batch(1))] == ["sent"]


def test_size_limit_is_what_ehlo_advertises_or_none(smtp_server: SmtpServer) -> None:
    assert size_limit(config(smtp_server)) == 2**25
    with SmtpServer(size_limit=None) as server:
        assert size_limit(config(server)) is None


@needs_tls
def test_size_limit_is_read_again_after_starttls() -> None:
    with SmtpServer(tls="starttls", size_limit=10_000) as server:
        assert size_limit(config(server, security="starttls", ca_file=server.ca_file)) == 10_000


def test_an_email_over_the_size_limit_is_refused_before_its_bytes_are_sent() -> None:
    with SmtpServer(size_limit=10_000) as server:
        (outcome,) = deliver(config(server), batch(1, body="Bảng tổng hợp\n" * 1000))
        assert outcome.status == "failed"
        assert outcome.detail.startswith("MAIL FROM refused: 552")


def test_size_limit_raises_when_the_server_cannot_be_reached() -> None:
    with pytest.raises(SmtpError, match="connect failed"):
        size_limit(config())
