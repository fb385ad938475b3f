"""Cần xử lý: what waits for a person, one message's page, and the decisions on them.
Every decision calls the job the CLI calls (mailbot.jobs.ledger, mailbot.jobs.outgoing)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from mailbot.adapters.db.digests import Digests
from mailbot.adapters.db.people import Audit
from mailbot.adapters.db.web_queries import message, stuck_sends, waiting_messages
from mailbot.app import App
from mailbot.core.model import Unit
from mailbot.core.text import vietnamese_sort_key
from mailbot.jobs import ledger
from mailbot.jobs.outgoing import resolve
from mailbot.web.auth import login_required
from mailbot.web.base import act, int_param, not_found, page, web


def units_in_order(app: App) -> list[Unit]:
    return sorted(app.config.units, key=lambda u: vietnamese_sort_key(u.name))


def held_packages(app: App) -> list[str]:
    """Packages frozen under `approval = "required"`, or held: they wait for a decision."""
    required = app.config.board is not None and app.config.board.approval == "required"
    return [str(r.period) for r in Digests(app.engine).all()
            if r.status == "held" or (required and r.status == "frozen")]


def waiting_count(app: App) -> int:
    return (len(waiting_messages(app.engine)) + len(stuck_sends(app.engine))
            + len(held_packages(app)))


def _queue(app: App) -> dict[str, Any]:
    waiting = waiting_messages(app.engine)
    audit = {e.target: e for e in reversed(Audit(app.engine).of("outbox"))}
    return {
        "unmatched": [m for m in waiting if m.disposition == "unmatched"],
        "unverified": [m for m in waiting if m.disposition == ledger.UNVERIFIED],
        "quarantined": [m for m in waiting if m.disposition == "quarantined"],
        "sends": stuck_sends(app.engine), "packages": held_packages(app),
        "unit_list": units_in_order(app), "send_audit": audit,
    }


@login_required
async def queue(request: Request) -> Response:
    data = await run_in_threadpool(_queue, web(request).app)
    return page(request, "queue.html", **data)


@login_required
async def message_page(request: Request) -> Response:
    w = web(request)
    mid = int_param(request, "id")
    m = await run_in_threadpool(message, w.app.engine, mid) if mid is not None else None
    if m is None:
        return not_found("thư này")
    history = await run_in_threadpool(Audit(w.app.engine).of, "message", [str(m.id)])
    units = {u.code: u.name for u in w.app.config.units}
    return page(request, "message.html", msg=m, history=history, units=units,
                unit_list=units_in_order(w.app))


def _message_action(request: Request, mid: int, kind: str
                    ) -> Callable[[FormData, str, datetime], str]:
    app = web(request).app

    def reason(form: FormData) -> str:
        return str(form.get("reason", ""))

    def run(form: FormData, actor: str, now: datetime) -> str:
        if kind == "assign":
            unit = str(form.get("unit", ""))
            out = ledger.assign(app, mid, unit, now, remember=form.get("remember") == "1",
                                actor=actor)
        elif kind == "accept":
            out = ledger.accept_unverified(app, mid, now, actor=actor)
        elif kind == "reject":
            out = ledger.reject_unverified(app, mid, reason(form), now, actor=actor)
        elif kind == "reprocess":
            out = ledger.reprocess(app, mid, now, actor=actor)
        else:
            out = ledger.dismiss(app, mid, reason(form), now, actor=actor)
        return f"Thư #{mid}: {_outcome(out)}."
    return run


def _outcome(out: str) -> str:
    from mailbot.web.labels import DISPOSITION

    word = out.split(" ", 1)[0]
    return f"nay là “{DISPOSITION.get(word, word)}”"


def _message_route(kind: str) -> Route:
    @login_required
    async def endpoint(request: Request) -> Response:
        mid = int_param(request, "id")
        if mid is None:
            return not_found("thư này")
        return await act(request, _message_action(request, mid, kind), back=f"/tin/{mid}")
    return Route(f"/tin/{{id:int}}/{kind}", endpoint, methods=["POST"])


def _send_route(kind: str) -> Route:
    @login_required
    async def endpoint(request: Request) -> Response:
        row = int_param(request, "id")
        if row is None:
            return not_found("thư gửi này")
        app = web(request).app

        def run(form: FormData, actor: str, now: datetime) -> str:
            resolve(app, row, sent=kind == "sent", now=now, actor=actor)
            return (f"Thư gửi #{row}: đã đánh dấu là đã gửi." if kind == "sent"
                    else f"Thư gửi #{row}: sẽ được gửi lại ở lượt gửi tiếp theo.")
        return await act(request, run, back="/can-xu-ly")
    return Route(f"/thu-gui/{{id:int}}/{kind}", endpoint, methods=["POST"])


routes = [
    Route("/can-xu-ly", queue, methods=["GET"]),
    Route("/tin/{id:int}", message_page, methods=["GET"]),
    *(_message_route(k) for k in ("assign", "accept", "reject", "reprocess", "dismiss")),
    *(_send_route(k) for k in ("sent", "retry")),
]
