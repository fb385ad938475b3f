"""Real servers for tests: a private Dovecot (IMAP), PostgreSQL, a recording SMTP server."""

from __future__ import annotations

import socket
from types import TracebackType
from typing import Self


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ManagedServer:
    """A server process a test owns: ``with Server(...) as s`` starts it and always
    stops it, also when starting failed halfway."""

    def start(self) -> None:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        try:
            self.start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
