"""Gói gửi Ban: the package exactly as it will be sent (the same code that sends it),
its .docx and .xlsx, approve or hold, and what was sent when."""

from __future__ import annotations

import email
import email.policy
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from mailbot.adapters.db.digests import Digests
from mailbot.adapters.db.people import Audit
from mailbot.adapters.db.web_queries import digest_sends
from mailbot.app import App
from mailbot.core.model import Period
from mailbot.errors import MailbotError
from mailbot.jobs import digest
from mailbot.web.auth import login_required
from mailbot.web.base import act, not_found, page, web
from mailbot.web.views_month import current_period
from mailbot.web.views_units import content_disposition


@dataclass(frozen=True)
class PreviewMail:
    subject: str
    to: str
    cc: str
    html: str
    files: list[tuple[str, int]]


def _preview(raw: bytes) -> PreviewMail:
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(msg, EmailMessage)
    body = msg.get_body(preferencelist=("html",))
    files = []
    for part in msg.iter_attachments():
        data = part.get_payload(decode=True)
        files.append((part.get_filename() or "", len(data) if isinstance(data, bytes) else 0))
    return PreviewMail(str(msg.get("Subject", "")), str(msg.get("To", "")),
                       str(msg.get("Cc", "") or ""),
                       str(body.get_content()) if isinstance(body, EmailMessage) else "",
                       files)


def _period(app: App, request: Request, now: datetime) -> Period:
    try:
        return Period.parse(request.query_params.get("period", ""))
    except ValueError:
        pass
    rows = Digests(app.engine).all()
    return rows[-1].period if rows else current_period(app, now)


def _package(app: App, period: Period, now: datetime) -> dict[str, Any]:
    row = Digests(app.engine).get(period)
    data: dict[str, Any] = {
        "period": period, "row": row, "sends": digest_sends(app.engine, str(period)),
        "history": Audit(app.engine).of("digest", [str(period)]),
        "periods": sorted({r.period for r in Digests(app.engine).all()} | {period},
                          reverse=True),
        "board": app.config.board, "mails": [], "error": None,
        "freeze_at": digest.freeze_at(app, period) if app.config.board else None,
        "send_at": digest.send_at(app, period) if app.config.board else None,
    }
    if app.config.board is None or app.config.smtp is None:
        data["error"] = "Chưa cấu hình [board] và [smtp]: mailbot không gửi gói cho Ban."
        return data
    try:
        data["mails"] = [_preview(m.raw) for m in digest.preview_mails(app, period, now)]
    except MailbotError as e:
        data["error"] = f"Không tạo được bản xem trước: {e}"
    return data


@login_required
async def package(request: Request) -> Response:
    w = web(request)
    now = w.clock()
    period = await run_in_threadpool(_period, w.app, request, now)
    data = await run_in_threadpool(_package, w.app, period, now)
    return page(request, "package.html", **data)


def _document(app: App, period: Period, ext: str, now: datetime
              ) -> tuple[str, str, bytes] | None:
    if app.config.board is None:
        return None
    for name, kind, data in digest.preview_files(app, period, now).documents:
        if name.lower().endswith("." + ext):
            return name, kind, data
    return None


@login_required
async def document(request: Request) -> Response:
    w = web(request)
    try:
        period = Period.parse(request.path_params["period"])
    except ValueError:
        return not_found("gói này")
    found = await run_in_threadpool(_document, w.app, period, request.path_params["ext"],
                                    w.clock())
    if found is None:
        return not_found("tài liệu này")
    name, kind, data = found
    return Response(data, media_type=kind, headers={
        "Content-Disposition": content_disposition("attachment", name)})


def _decision(decision: str) -> Route:
    @login_required
    async def endpoint(request: Request) -> Response:
        app = web(request).app
        text = request.path_params["period"]

        def run(form: FormData, actor: str, now: datetime) -> str:
            period = Period.parse(text)
            digest.set_decision(app, period, decision, now, actor=actor)
            return (f"Đã duyệt gói tháng {period.month}/{period.year}: gói sẽ được gửi đúng "
                    "giờ (hoặc ngay nếu đã quá giờ)." if decision == "approved"
                    else f"Đã giữ lại gói tháng {period.month}/{period.year}: "
                         "gói không được gửi cho đến khi duyệt.")
        return await act(request, run, back=f"/goi?period={text}")
    path = "duyet" if decision == "approved" else "giu"
    return Route(f"/goi/{{period}}/{path}", endpoint, methods=["POST"])


routes = [
    Route("/goi", package, methods=["GET"]),
    Route("/goi/{period}/tai-lieu.{ext:str}", document, methods=["GET"]),
    _decision("approved"),
    _decision("held"),
]
