"""TLS in front of the test servers, with a certificate signed by a throwaway CA.

`ImapsFront` is implicit TLS (IMAPS) on a loopback port in front of a plain IMAP server
(the private Dovecot), forwarding bytes both ways. `StarttlsImapStub` speaks just enough
IMAP to offer STARTTLS and start TLS: enough to see a client refuse its certificate.
Clients trust the certificate only with `ca_file`.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import tempfile
import threading
from pathlib import Path
from types import TracebackType

from tests.servers.smtp import _tls_context


class _TlsServer:
    host = "127.0.0.1"

    def __init__(self) -> None:
        self._tmp = Path(tempfile.mkdtemp(prefix="mailbot-tls-"))
        self.context, self.ca_file = _tls_context(self._tmp, self.host)
        self._listener = socket.create_server((self.host, 0))
        self.port = int(self._listener.getsockname()[1])
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()

    def __enter__(self) -> _TlsServer:
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._listener.close()
        with self._lock:
            for s in self._sockets:
                s.close()
        shutil.rmtree(self._tmp, ignore_errors=True)

    def _keep(self, s: socket.socket) -> socket.socket:
        with self._lock:
            self._sockets.append(s)
        return s

    def _accept(self) -> None:
        while True:
            try:
                conn = self._keep(self._listener.accept()[0])
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        raise NotImplementedError


class ImapsFront(_TlsServer):
    """Implicit TLS on ``port`` in front of the plain IMAP server at ``backend_port``."""

    def __init__(self, backend_port: int) -> None:
        super().__init__()
        self.backend_port = backend_port

    def _serve(self, conn: socket.socket) -> None:
        try:
            tls = self._keep(self.context.wrap_socket(conn, server_side=True))
            backend = self._keep(socket.create_connection((self.host, self.backend_port)))
        except OSError:  # e.g. the client refused the certificate
            conn.close()
            return
        threading.Thread(target=_pipe, args=(backend, tls), daemon=True).start()
        _pipe(tls, backend)


class StarttlsImapStub(_TlsServer):
    """Greets, answers CAPABILITY with STARTTLS, and starts TLS on STARTTLS."""

    def _serve(self, conn: socket.socket) -> None:
        try:
            conn.sendall(b"* OK [CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED] stub ready\r\n")
            lines = conn.makefile("rb")
            for line in lines:
                tag, _, command = line.decode("ascii", "replace").strip().partition(" ")
                if command.upper() == "CAPABILITY":
                    conn.sendall(f"* CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED\r\n"
                                 f"{tag} OK done\r\n".encode())
                elif command.upper() == "STARTTLS":
                    conn.sendall(f"{tag} OK begin TLS now\r\n".encode())
                    self._keep(self.context.wrap_socket(conn, server_side=True))
                    return
                else:
                    conn.sendall(f"{tag} BAD not here\r\n".encode())
        except OSError:
            conn.close()


def _pipe(source: socket.socket, target: socket.socket) -> None:
    try:
        while data := source.recv(65536):
            target.sendall(data)
    except OSError:
        pass
    finally:
        for s in (source, target):
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
