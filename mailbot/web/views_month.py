"""Tháng này and the year grid: every unit's standing, by the same rule as `mailbot status`."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from mailbot.adapters.db.digests import Digests
from mailbot.adapters.db.queries import excused, submission_facts
from mailbot.adapters.db.web_queries import (
    excuses_between,
    files_per_unit,
    submissions_between,
)
from mailbot.app import App
from mailbot.core.model import Period
from mailbot.core.periods import assign_period, deadline_end
from mailbot.core.status import SubmissionFact, UnitStatus, period_status
from mailbot.jobs.ledger import excuse
from mailbot.web.auth import login_required
from mailbot.web.base import act, page, web
from mailbot.web.views_queue import waiting_count


def current_period(app: App, now: datetime) -> Period:
    """The month mail arriving now counts for (as `mailbot status` picks it)."""
    cfg = app.config
    return assign_period(now, subject="", schedule=cfg.schedule, tz=cfg.timezone,
                         compiled_at=Digests(app.engine).compiled_at())[0]


def period_param(request: Request, default: Period) -> Period:
    try:
        return Period.parse(request.query_params.get("period", ""))
    except ValueError:
        return default


@dataclass(frozen=True)
class MonthView:
    period: Period
    rows: list[UnitStatus]
    files: Counter[str]
    counts: Counter[str]
    deadline: datetime  # the last day, local
    days_left: int
    waiting: int
    is_current: bool


def month_view(app: App, period: Period, now: datetime) -> MonthView:
    cfg = app.config
    rows = period_status(cfg.units, submission_facts(app.engine, period),
                         excused(app.engine, period))
    end = deadline_end(period, cfg.schedule, cfg.timezone)
    today = now.astimezone(cfg.timezone).date()
    last_day = end - timedelta(days=1)
    return MonthView(period, rows, files_per_unit(app.engine, str(period)),
                     Counter(r.status for r in rows), last_day,
                     (last_day.date() - today).days, waiting_count(app),
                     period == current_period(app, now))


@login_required
async def month(request: Request) -> Response:
    w = web(request)
    now = w.clock()
    period = period_param(request, await run_in_threadpool(current_period, w.app, now))
    view = await run_in_threadpool(month_view, w.app, period, now)
    return page(request, "month.html", v=view, prev=period.previous(), next=period.next())


@dataclass(frozen=True)
class YearRow:
    code: str
    name: str
    cells: list[str]  # status per month ("" for months not yet due)
    missed: int


def year_view(app: App, year: int, now: datetime) -> list[YearRow]:
    cfg = app.config
    current = current_period(app, now)
    periods = [Period(year, m) for m in range(1, 13)]
    subs = submissions_between(app.engine, str(periods[0]), str(periods[-1]))
    excuses = excuses_between(app.engine, str(periods[0]), str(periods[-1]))
    by_month: dict[str, dict[str, str]] = {}
    for p in periods:
        if p > current:
            continue
        facts = [SubmissionFact(u, at, late) for (pp, u, at, late) in subs if pp == str(p)]
        ex = {u: r for (u, pp), r in excuses.items() if pp == str(p)}
        by_month[str(p)] = {s.unit.code: s.status for s in period_status(cfg.units, facts, ex)}
    order = period_status(cfg.units, [])  # Vietnamese order of names
    rows = []
    for s in order:
        cells = [by_month.get(str(p), {}).get(s.unit.code, "") for p in periods]
        due = [c for p, c in zip(periods, cells, strict=True)
               if c and (p < current or c != "missing")]
        rows.append(YearRow(s.unit.code, s.unit.name, cells,
                            sum(1 for c in due if c == "missing")))
    return rows


@login_required
async def year(request: Request) -> Response:
    w = web(request)
    now = w.clock()
    current = await run_in_threadpool(current_period, w.app, now)
    try:
        y = int(request.query_params.get("year", current.year))
    except ValueError:
        y = current.year
    y = min(max(y, 2000), 2100)
    rows = await run_in_threadpool(year_view, w.app, y, now)
    return page(request, "year.html", year=y, rows=rows, months=range(1, 13))


@login_required
async def excuse_unit(request: Request) -> Response:
    w = web(request)
    code = request.path_params["code"]

    def run(form: FormData, actor: str, now: datetime) -> str:
        period = Period.parse(str(form.get("period", "")))
        excuse(w.app, code, period, str(form.get("reason", "")), now, actor=actor)
        return f"Đã miễn nộp cho đơn vị {code} tháng {period.month}/{period.year}."
    return await act(request, run, back="/thang")


routes = [
    Route("/thang", month, methods=["GET"]),
    Route("/nam", year, methods=["GET"]),
    Route("/don-vi/{code}/mien", excuse_unit, methods=["POST"]),
]
