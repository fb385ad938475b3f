"""Logging in and out; every other page requires a logged-in staff member."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from mailbot.jobs.users import check_login
from mailbot.web import csrf
from mailbot.web.base import forbidden, page, safe_next, web

Endpoint = Callable[[Request], Awaitable[Response]]
SESSION_USER = "user"


def current_user(request: Request) -> str | None:
    user = request.session.get(SESSION_USER)
    return user if isinstance(user, str) else None


def login_required(endpoint: Endpoint) -> Endpoint:
    @functools.wraps(endpoint)
    async def wrapper(request: Request) -> Response:
        if current_user(request) is None:
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse(f"/dang-nhap?next={quote(target)}", status_code=303)
        return await endpoint(request)
    return wrapper


async def login_page(request: Request) -> Response:
    return page(request, "login.html", next=safe_next(request.query_params.get("next")))


async def login(request: Request) -> Response:
    form = await request.form()
    if not csrf.valid(request, form):
        return forbidden(request)
    name, password = str(form.get("name", "")), str(form.get("password", ""))
    target = safe_next(str(form.get("next", "")))
    w = web(request)
    result = await run_in_threadpool(check_login, w.app, name, password, w.clock())
    if not result.ok:
        error = "Sai tên đăng nhập hoặc mật khẩu."
        if result.locked_until is not None:
            error = ("Tài khoản tạm khoá do nhập sai mật khẩu nhiều lần. Thử lại sau "
                     f"{w.local(result.locked_until):%H:%M %d/%m/%Y}.")
        return page(request, "login.html", status_code=401, error=error, next=target,
                    name=name)
    request.session.clear()  # a new session: nothing from before the login carries over
    request.session[SESSION_USER] = name.strip().lower()
    return RedirectResponse(target, status_code=303)


async def logout(request: Request) -> Response:
    form = await request.form()
    if not csrf.valid(request, form):
        return forbidden(request)
    request.session.clear()
    return RedirectResponse("/dang-nhap", status_code=303)
