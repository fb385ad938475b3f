"""A recording SMTP server for tests (aiosmtpd in a thread) that can inject faults."""

from __future__ import annotations

import asyncio
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Literal

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from tests.servers import free_port

Stage = Literal["MAIL", "RCPT", "DATA"]


@dataclass(frozen=True)
class Received:
    mail_from: str
    rcpt_tos: tuple[str, ...]
    raw: bytes
    received_at: datetime


@dataclass
class _Fault:
    stage: Stage
    code: int
    text: str
    remaining: int


class _Handler:
    def __init__(self, server: SmtpServer) -> None:
        self.server = server

    async def handle_MAIL(
        self, smtp: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        reply = self.server._fault_reply("MAIL", smtp)
        if reply:
            return reply
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_RCPT(
        self, smtp: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        # One transaction consumes one fault, however many recipients it names:
        # the first RCPT decides for them all (aiosmtpd makes a new Envelope each time).
        if not hasattr(envelope, "rcpt_fault"):
            envelope.rcpt_fault = self.server._fault_reply("RCPT", smtp)  # type: ignore[attr-defined]
        reply: str | None = envelope.rcpt_fault  # type: ignore[attr-defined]
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(options)
        return "250 OK"

    async def handle_DATA(self, smtp: SMTP, session: Session, envelope: Envelope) -> str:
        reply = self.server._fault_reply("DATA", smtp)
        if reply:
            return reply
        raw = envelope.original_content or b""
        received = Received(
            str(envelope.mail_from), tuple(envelope.rcpt_tos), raw, datetime.now(UTC)
        )
        if self.server._take_drop():
            self.server.dropped.append(received)
            assert isinstance(smtp.transport, asyncio.Transport)
            smtp.transport.abort()  # the client never hears whether it was accepted
            return "250 OK (never sent)"
        self.server._record(received)
        return "250 OK queued"


class SmtpServer:
    """Accepts everything on 127.0.0.1 and a free port, and records what it accepted.

    Faults: `fail_next(n, code, stage)` answers the next n transactions with `code` at
    MAIL, RCPT or DATA (a 421 reply also closes the connection); `drop_next(n)` reads the
    next n messages, then drops the connection without replying (see `dropped`).
    """

    host = "127.0.0.1"

    def __init__(self) -> None:
        self.port = free_port()
        self.messages: list[Received] = []
        self.dropped: list[Received] = []
        self._faults: list[_Fault] = []
        self._drops = 0
        self._lock = threading.Condition()
        self._controller = Controller(_Handler(self), hostname=self.host, port=self.port)

    def __enter__(self) -> SmtpServer:
        self._controller.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._controller.stop()

    def fail_next(self, count: int, code: int = 451, stage: Stage = "DATA", text: str = "") -> None:
        text = text or {4: "Try again later", 5: "Rejected"}.get(code // 100, "Fault")
        with self._lock:
            self._faults.append(_Fault(stage, code, text, count))

    def drop_next(self, count: int = 1) -> None:
        with self._lock:
            self._drops += count

    def wait_for(self, count: int, timeout: float = 5.0) -> list[Received]:
        """Wait until at least `count` messages were accepted; return them all."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while len(self.messages) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(
                        f"{len(self.messages)} of {count} messages arrived in {timeout} s"
                    )
                self._lock.wait(left)
            return list(self.messages)

    def _record(self, received: Received) -> None:
        with self._lock:
            self.messages.append(received)
            self._lock.notify_all()

    def _take_drop(self) -> bool:
        with self._lock:
            if self._drops:
                self._drops -= 1
                return True
            return False

    def _fault_reply(self, stage: Stage, smtp: SMTP) -> str | None:
        with self._lock:
            fault = next((f for f in self._faults if f.stage == stage and f.remaining), None)
            if fault is None:
                return None
            fault.remaining -= 1
        if fault.code == 421:  # "service closing": close once the reply is written
            smtp.loop.call_soon(_close, smtp)
        return f"{fault.code} {fault.text}"


def _close(smtp: Any) -> None:
    if smtp.transport is not None:
        smtp.transport.close()
