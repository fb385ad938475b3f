"""Nhật ký: every message in the ledger with its disposition and reason, filterable
(the same query as `mailbot messages`); and Hoạt động: every decision, who and when."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from mailbot.adapters.db.people import Audit
from mailbot.adapters.db.queries import LedgerEntry, ledger
from mailbot.app import App
from mailbot.core.model import Disposition, Period
from mailbot.core.text import fold
from mailbot.web.auth import login_required
from mailbot.web.base import page, web
from mailbot.web.labels import DISPOSITION

SHOWN = 500  # rows on one page, newest first


def _matches(e: LedgerEntry, words: list[str]) -> bool:
    text = fold(" ".join(x for x in (e.subject, e.from_addr, e.from_name, e.reason, e.unit)
                         if x))
    return all(w in text for w in words)


def _ledger(app: App, period: Period | None, disposition: str | None, q: str
            ) -> tuple[list[LedgerEntry], int]:
    rows = ledger(app.engine, period, disposition)
    words = fold(q).split()
    if words:
        rows = [r for r in rows if _matches(r, words)]
    rows.reverse()
    return rows[:SHOWN], len(rows)


@login_required
async def ledger_page(request: Request) -> Response:
    params = request.query_params
    try:
        period = Period.parse(params["period"]) if params.get("period") else None
    except ValueError:
        period = None
    disposition = params.get("disposition") or None
    known = [d.value for d in Disposition] + ["unverified"]
    if disposition not in known:
        disposition = None
    q = params.get("q", "")[:200]
    rows, total = await run_in_threadpool(_ledger, web(request).app, period, disposition, q)
    return page(request, "ledger.html", rows=rows, total=total, shown=SHOWN,
                period=str(period) if period else "", disposition=disposition or "", q=q,
                dispositions=[(d, DISPOSITION.get(d, d)) for d in known])


@login_required
async def activity(request: Request) -> Response:
    entries = await run_in_threadpool(Audit(web(request).app.engine).recent, 300)
    return page(request, "activity.html", entries=entries)


routes = [
    Route("/nhat-ky", ledger_page, methods=["GET"]),
    Route("/hoat-dong", activity, methods=["GET"]),
]
