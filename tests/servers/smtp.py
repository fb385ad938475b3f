"""A recording SMTP server for tests (aiosmtpd in a thread) that can inject faults."""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import shutil
import ssl
import tempfile
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any, Literal

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import (
    DATA_SIZE_DEFAULT,
    MISSING,
    SMTP,
    AuthResult,
    Envelope,
    LoginPassword,
    Session,
)

from tests.servers import free_port

Stage = Literal["MAIL", "RCPT", "DATA"]
Tls = Literal["starttls", "implicit"]


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

    async def handle_EHLO(
        self, smtp: SMTP, session: Session, envelope: Envelope, hostname: str,
        responses: list[str],
    ) -> list[str]:
        session.host_name = hostname
        with self.server._lock:
            self.server._peers.add(session.peer)
        if self.server._users is None and self.server._xoauth2 is None:
            # aiosmtpd offers AUTH over TLS even with no users
            return [r for r in responses if not r[4:].upper().startswith("AUTH")]
        return responses

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
        refusal = self.server._refusals.get(address.lower())
        if refusal:
            return refusal
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
        if self.server._take_hang():
            await asyncio.sleep(3600)  # cancelled when the client gives up and hangs up
        if self.server._take_drop():
            self.server.dropped.append(received)
            assert isinstance(smtp.transport, asyncio.Transport)
            smtp.transport.abort()  # the client never hears whether it was accepted
            return "250 OK (never sent)"
        self.server._record(received)
        return "250 OK queued"


class _OAuth2Handler(_Handler):
    async def auth_XOAUTH2(self, server: SMTP, args: list[str]) -> AuthResult:
        """SASL XOAUTH2 as Gmail speaks it: the initial response carries
        "user=...^Aauth=Bearer ...^A^A"; a refusal is a 334 challenge holding a JSON error,
        which the client answers with an empty line, then 535."""
        blob: object = args[1].encode() if len(args) > 1 else await server.challenge_auth("")
        if blob is MISSING or not isinstance(blob, bytes):
            return AuthResult(success=False, handled=False)
        try:
            fields = base64.b64decode(blob, validate=True).decode().split("\x01")
        except (binascii.Error, UnicodeDecodeError):
            return AuthResult(success=False, handled=False, message="501 5.5.2 Bad XOAUTH2")
        user = next((f[5:] for f in fields if f.startswith("user=")), "")
        bearer = next((f[5:] for f in fields if f.startswith("auth=")), "")
        token = bearer[7:] if bearer.startswith("Bearer ") else ""
        check = self.server._xoauth2
        if check is not None and token and check(user, token):
            return AuthResult(success=True, auth_data=user)
        error = {"status": "401", "schemes": "bearer", "scope": "https://mail.google.com/"}
        await server.challenge_auth(json.dumps(error))
        return AuthResult(success=False, handled=False,
                          message="535 5.7.8 Username and Password not accepted")


class SmtpServer:
    """Accepts everything on 127.0.0.1 and a free port, and records what it accepted.

    Faults: `fail_next(n, code, stage)` answers the next n transactions with `code` at
    MAIL, RCPT or DATA (a 421 reply also closes the connection); `drop_next(n)` reads the
    next n messages, then drops the connection without replying (see `dropped`).

    Options: `tls="starttls"` offers STARTTLS, `tls="implicit"` speaks TLS from the first
    byte, both with a certificate for 127.0.0.1 signed by a throwaway CA (`ca_file`);
    `size_limit` is the SIZE advertised in EHLO (None: no SIZE); `users` (login ->
    password) turns on AUTH, offered only over TLS; `xoauth2(user, token) -> bool` turns
    on AUTH XOAUTH2 (also only over TLS), accepting the tokens it approves. `connections`
    counts the client connections that said EHLO. `refuse(address)` and `hang_next(n)`
    add more faults.
    """

    host = "127.0.0.1"

    def __init__(
        self, *, tls: Tls | None = None, size_limit: int | None = DATA_SIZE_DEFAULT,
        users: Mapping[str, str] | None = None,
        xoauth2: Callable[[str, str], bool] | None = None,
    ) -> None:
        self.port = free_port()
        self.messages: list[Received] = []
        self.dropped: list[Received] = []
        self.ca_file: Path | None = None
        self._faults: list[_Fault] = []
        self._drops = 0
        self._hangs = 0
        self._refusals: dict[str, str] = {}
        self._peers: set[object] = set()
        self._lock = threading.Condition()
        self._users = None if users is None else dict(users)
        self._xoauth2 = xoauth2
        self._tmp: str | None = None
        options: dict[str, Any] = {"data_size_limit": size_limit}
        if users is not None:
            options["authenticator"] = self._authenticate
        if tls:
            self._tmp = tempfile.mkdtemp(prefix="smtp-tls-")
            context, self.ca_file = _tls_context(Path(self._tmp), self.host)
            options["ssl_context" if tls == "implicit" else "tls_context"] = context
        handler = _Handler(self) if xoauth2 is None else _OAuth2Handler(self)
        self._controller = Controller(handler, hostname=self.host, port=self.port, **options)

    @property
    def connections(self) -> int:
        with self._lock:
            return len(self._peers)

    def __enter__(self) -> SmtpServer:
        self._controller.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._controller.stop()
        if self._tmp:
            shutil.rmtree(self._tmp, ignore_errors=True)

    def _authenticate(
        self, smtp: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        ok = isinstance(data, LoginPassword) and (self._users or {}).get(
            data.login.decode()) == data.password.decode()
        return AuthResult(success=ok, handled=False)

    def fail_next(self, count: int, code: int = 451, stage: Stage = "DATA", text: str = "") -> None:
        text = text or {4: "Try again later", 5: "Rejected"}.get(code // 100, "Fault")
        with self._lock:
            self._faults.append(_Fault(stage, code, text, count))

    def clear_faults(self) -> None:
        """Forget the faults `fail_next` set up that have not been used yet."""
        with self._lock:
            self._faults.clear()

    def drop_next(self, count: int = 1) -> None:
        with self._lock:
            self._drops += count

    def refuse(self, address: str, code: int = 550, text: str = "5.1.1 No such user") -> None:
        """Refuse RCPT TO `address` in every transaction from now on."""
        with self._lock:
            self._refusals[address.lower()] = f"{code} {text}"

    def hang_next(self, count: int = 1) -> None:
        """Read the next `count` messages and never answer the final dot."""
        with self._lock:
            self._hangs += count

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

    def _take_hang(self) -> bool:
        with self._lock:
            if self._hangs:
                self._hangs -= 1
                return True
            return False

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


def _tls_context(folder: Path, host: str) -> tuple[ssl.SSLContext, Path]:
    """A server context whose certificate (for `host`) a throwaway CA signed; the CA's
    certificate is written to folder/ca.pem for clients to trust."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = datetime.now(UTC)
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "mailbot test CA")])
    usage = dict.fromkeys(("content_commitment", "key_encipherment", "data_encipherment",
                           "key_agreement", "encipher_only", "decipher_only"), False)
    ca = (
        x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
        .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(hours=1)).not_valid_after(now + timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=False, key_cert_sign=True,
                                     crl_sign=True, **usage), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()),
                       critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)]))
        .issuer_name(ca_name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(hours=1)).not_valid_after(now + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName(
            [x509.IPAddress(ipaddress.ip_address(host)), x509.DNSName("localhost")]),
            critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=False,
                                     crl_sign=False, **usage), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]),
                       critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
            ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    (folder / "ca.pem").write_bytes(ca.public_bytes(pem))
    (folder / "server.pem").write_bytes(cert.public_bytes(pem) + key.private_bytes(
        pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(folder / "server.pem")
    return context, folder / "ca.pem"
