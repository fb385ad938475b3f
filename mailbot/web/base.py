"""What every page shares: the wiring, rendering, flash messages, and running an action."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from mailbot.app import App
from mailbot.errors import MailbotError
from mailbot.web import csrf, labels


@dataclass
class Web:
    app: App
    clock: Callable[[], datetime]
    env: Environment

    def local(self, when: datetime) -> datetime:
        return when.astimezone(self.app.config.timezone)


def make_env(tz: tzinfo) -> Environment:
    env = Environment(loader=PackageLoader("mailbot", "templates/web"),
                      autoescape=select_autoescape(default=True, default_for_string=True),
                      trim_blocks=True, lstrip_blocks=True)

    def when(value: datetime | None, fmt: str = "%d/%m/%Y %H:%M") -> str:
        return value.astimezone(tz).strftime(fmt) if value else ""

    def size(n: int) -> str:
        return f"{n / 2**20:.1f} MB" if n >= 2**20 else f"{max(n, 1) / 1024:.0f} KB"

    def month(period: object) -> str:
        """"2023-10" -> "10/2023", as the office writes a month."""
        year, _, mo = str(period).partition("-")
        return f"{int(mo)}/{year}" if mo.isdigit() else str(period)

    env.filters.update(when=when, size=size, month=month)
    env.globals.update(
        status_label=lambda k: labels.label(labels.STATUS, k),
        disposition_label=lambda k: labels.label(labels.DISPOSITION, k),
        send_status_label=lambda k: labels.label(labels.SEND_STATUS, k),
        send_kind_label=lambda k: labels.label(labels.SEND_KIND, k),
        digest_status_label=lambda k: labels.label(labels.DIGEST_STATUS, k),
        action_label=lambda k: labels.label(labels.ACTION, k))
    return env


def web(request: Request) -> Web:
    w: Web = request.app.state.web
    return w


def page(request: Request, template: str, *, status_code: int = 200, **context: Any
         ) -> HTMLResponse:
    w = web(request)
    flashes = request.session.pop("flash", [])
    html = w.env.get_template(template).render(
        user=request.session.get("user"), csrf=csrf.token(request), flashes=flashes,
        path=request.url.path, **context)
    return HTMLResponse(html, status_code=status_code)


def forbidden(request: Request) -> Response:
    return HTMLResponse("<!doctype html><meta charset=utf-8><title>403</title>"
                        "<p>Phiên làm việc đã hết hạn hoặc biểu mẫu không hợp lệ. "
                        "<a href=\"/\">Tải lại trang</a> rồi thử lại.</p>", status_code=403)


def not_found(what: str) -> Response:
    return HTMLResponse("<!doctype html><meta charset=utf-8><title>404</title>"
                        f"<p>Không tìm thấy {what}. <a href=\"/\">Về trang chính</a></p>",
                        status_code=404)


def safe_next(target: str | None) -> str:
    """Only a path on this site: never "//host" or "https://host" (an open redirect)."""
    if target and target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return "/"


def flash(request: Request, text: str, *, error: bool = False) -> None:
    request.session.setdefault("flash", []).append({"text": text, "error": error})


async def act(request: Request, action: Callable[[FormData, str, datetime], str | None],
              *, back: str) -> Response:
    """Run one of the office's decisions from a form post: CSRF checked first, the job
    run in a worker thread, its outcome (or error) shown on the page it came from."""
    form = await request.form()
    if not csrf.valid(request, form):
        return forbidden(request)
    w = web(request)
    actor = str(request.session.get("user"))
    try:
        done = await run_in_threadpool(action, form, actor, w.clock())
    except (MailbotError, ValueError) as e:  # ValueError: a malformed field (e.g. month)
        flash(request, labels.explain(e), error=True)
    else:
        if done:
            flash(request, done)
    return RedirectResponse(safe_next(str(form.get("back") or back)), status_code=303)


def int_param(request: Request, name: str) -> int | None:
    try:
        return int(request.path_params[name])
    except (KeyError, ValueError):
        return None
