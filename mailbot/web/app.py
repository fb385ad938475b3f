"""The office's web page as an ASGI app (Starlette), and serving it (uvicorn).

`create_app(app)` wires the routes; `serve(app, host, port)` runs it in the foreground
(`mailbot web`); `start_in_thread` serves it beside the daemon (`mailbot run` with
`[web] listen`).
"""

from __future__ import annotations

import logging
import os
import secrets
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import uvicorn
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mailbot.app import App
from mailbot.errors import MailbotError, StorageError
from mailbot.web import auth, views_ledger, views_month, views_package, views_queue, views_units
from mailbot.web.base import Web, make_env

log = logging.getLogger(__name__)
SECRET_FILE = "web-session.key"
# No scripts at all; styles inline; images and frames only from this site.
CSP = ("default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
       "frame-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'self'")


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = message.setdefault("headers", [])
                names = {k.lower() for k, _ in headers}
                for k, v in ((b"x-content-type-options", b"nosniff"),
                             (b"referrer-policy", b"same-origin"),
                             (b"x-frame-options", b"SAMEORIGIN"),
                             (b"cache-control", b"no-store"),
                             (b"content-security-policy", CSP.encode())):
                    if k not in names:
                        headers.append((k, v))
            await send(message)
        await self.app(scope, receive, with_headers)


def session_secret(app: App) -> str:
    """A random key kept in data_dir (mode 0600): sessions survive a restart."""
    path = app.config.data_dir / SECRET_FILE
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    except OSError as e:
        raise StorageError(f"cannot read {path}: {e.strerror}") from e
    return _create_secret(path)


def _create_secret(path: Path) -> str:
    key = secrets.token_urlsafe(48)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(key + "\n")
    except FileExistsError:
        return path.read_text().strip()  # another process created it first
    except OSError as e:
        raise StorageError(f"cannot create {path}: {e.strerror}") from e
    return key


async def home(request: Request) -> Response:
    return RedirectResponse("/thang", status_code=303)


def create_app(app: App, *, clock: Callable[[], datetime] | None = None,
               secret: str | None = None) -> Starlette:
    routes = [
        Route("/", home),
        Route("/dang-nhap", auth.login_page, methods=["GET"]),
        Route("/dang-nhap", auth.login, methods=["POST"]),
        Route("/dang-xuat", auth.logout, methods=["POST"]),
        *views_month.routes, *views_units.routes, *views_queue.routes,
        *views_package.routes, *views_ledger.routes,
    ]
    hours = app.config.web.session_hours
    asgi = Starlette(routes=routes, middleware=[
        Middleware(SecurityHeaders),
        Middleware(SessionMiddleware, secret_key=secret or session_secret(app),
                   session_cookie="mailbot_session", max_age=int(hours * 3600),
                   same_site="strict", https_only=False),
    ])
    asgi.state.web = Web(app, clock or (lambda: datetime.now(UTC)),
                         make_env(app.config.timezone))
    return asgi


def _server(app: App, host: str, port: int, clock: Callable[[], datetime] | None
            ) -> uvicorn.Server:
    config = uvicorn.Config(create_app(app, clock=clock), host=host, port=port,
                            log_level="warning", access_log=False, proxy_headers=False)
    return uvicorn.Server(config)


def serve(app: App, host: str, port: int, *,
          clock: Callable[[], datetime] | None = None) -> None:
    """Serve until SIGINT/SIGTERM, then stop cleanly (as the daemon does)."""
    from mailbot.daemon import Stopper

    stop = Stopper()
    page = Background(app, host, port, clock).start()
    log.info("web page on http://%s:%d/", host, port)
    try:
        while not stop.requested and page.thread.is_alive():
            stop.sleep(1.0)
    finally:
        page.stop()


class Background:
    """The page served from a thread beside the daemon; ``stop()`` ends it."""

    def __init__(self, app: App, host: str, port: int,
                 clock: Callable[[], datetime] | None = None) -> None:
        self.server = _server(app, host, port, clock)
        self.thread = threading.Thread(target=self.server.run, name="web", daemon=True)

    def start(self, timeout: float = 10.0) -> Background:
        """Start serving; returns once the port is bound. MailbotError when the server
        could not start (e.g. the port is taken)."""
        self.thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise MailbotError(f"the web page could not listen on "
                                   f"{self.server.config.host}:{self.server.config.port}")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
