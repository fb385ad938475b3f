"""A loopback OAuth2 provider for tests (http.server in a thread).

- ``POST /token``: the refresh_token grant (RFC 6749 section 6) as Google and Microsoft
  answer it: a new access token, a rotated refresh token (unless ``rotate=False``),
  ``invalid_grant`` for an unknown or revoked refresh token, ``invalid_client`` for a
  wrong client id or secret.
- ``POST /introspect``: token introspection (RFC 7662, form ``token=...``), answering
  ``{"active": true, "username": ...}`` for a live access token. Dovecot's oauth2 passdb
  asks it (``introspection_mode = post``); the SMTP test server asks ``user_of``.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs


@dataclass
class _State:
    refresh: dict[str, str] = field(default_factory=dict)  # refresh token -> user
    access: dict[str, tuple[str, datetime]] = field(default_factory=dict)  # -> user, expiry
    requests: list[dict[str, str]] = field(default_factory=list)  # token endpoint forms


class OAuth2Provider:
    """Use as a context manager; ``token_uri`` and ``introspection_url`` are loopback."""

    host = "127.0.0.1"

    def __init__(self, *, client_id: str = "mailbot-test-client", client_secret: str = "",
                 lifetime: int = 3600, rotate: bool = True, delay: float = 0.0) -> None:
        self.client_id, self.client_secret = client_id, client_secret
        self.lifetime, self.rotate, self.delay = lifetime, rotate, delay
        self._state = _State()
        self._lock = threading.Lock()
        self._http = ThreadingHTTPServer((self.host, 0), _handler(self))
        self._http.daemon_threads = True
        self.port = int(self._http.server_address[1])
        self._thread = threading.Thread(target=self._http.serve_forever, args=(0.05,),
                                        daemon=True)  # polls for shutdown every 50 ms

    @property
    def token_uri(self) -> str:
        return f"http://{self.host}:{self.port}/token"

    @property
    def introspection_url(self) -> str:
        return f"http://{self.host}:{self.port}/introspect"

    def __enter__(self) -> OAuth2Provider:
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._http.shutdown()
        self._http.server_close()
        self._thread.join(timeout=5)

    def authorise(self, user: str) -> str:
        """A new refresh token for ``user``, as the consent screen would give."""
        token = f"rt-{uuid.uuid4().hex}"
        with self._lock:
            self._state.refresh[token] = user
        return token

    def issue_access_token(self, user: str, *, lifetime: int | None = None) -> str:
        token = f"at-{uuid.uuid4().hex}"
        expiry = datetime.now(UTC) + timedelta(seconds=self.lifetime if lifetime is None
                                                else lifetime)
        with self._lock:
            self._state.access[token] = (user, expiry)
        return token

    def revoke(self, token: str) -> None:
        """Revoke a refresh or access token (the user removed the app's access, say)."""
        with self._lock:
            self._state.refresh.pop(token, None)
            self._state.access.pop(token, None)

    def user_of(self, access_token: str) -> str | None:
        with self._lock:
            found = self._state.access.get(access_token)
        return found[0] if found and found[1] > datetime.now(UTC) else None

    @property
    def refreshes(self) -> list[dict[str, str]]:
        """Every form the token endpoint received, in order."""
        with self._lock:
            return list(self._state.requests)

    def refresh_tokens(self) -> set[str]:
        with self._lock:
            return set(self._state.refresh)

    def _grant(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        if self.delay:
            time.sleep(self.delay)  # widens the window in which two refreshes could race
        with self._lock:
            self._state.requests.append(form)
            if form.get("grant_type") != "refresh_token":
                return 400, {"error": "unsupported_grant_type"}
            if (form.get("client_id"), form.get("client_secret", "")) != (
                    self.client_id, self.client_secret):
                return 401, {"error": "invalid_client",
                             "error_description": "The OAuth client was not found."}
            old = form.get("refresh_token", "")
            user = self._state.refresh.get(old)
            if user is None:
                return 400, {"error": "invalid_grant",
                             "error_description": "Token has been expired or revoked."}
        answer: dict[str, Any] = {"access_token": self.issue_access_token(user),
                                  "token_type": "Bearer", "expires_in": self.lifetime}
        if self.rotate:
            self.revoke(old)
            answer["refresh_token"] = self.authorise(user)
        return 200, answer

    def _introspect(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        user = self.user_of(form.get("token", ""))
        return 200, ({"active": True, "username": user} if user else {"active": False})


def _handler(provider: OAuth2Provider) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            form = {k: v[0] for k, v in parse_qs(body.decode(), keep_blank_values=True).items()}
            route = {"/token": provider._grant, "/introspect": provider._introspect}.get(
                self.path)
            status, answer = route(form) if route else (404, {"error": "not_found"})
            data = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:  # quiet: no tokens on stderr
            pass

    return Handler


def write_token_file(path: Path, mode: int = 0o600, **tokens: Any) -> Path:
    """A token file as mailbot expects it (JSON, owner-only unless ``mode`` says else)."""
    path.write_text(json.dumps(tokens), encoding="utf-8")
    path.chmod(mode)
    return path
