"""Đơn vị: one unit's addresses, submissions by month, files, and what it was sent.
Files are always downloads (Content-Disposition: attachment); only real images are
shown, as thumbnails, and never with a type a browser would run."""

from __future__ import annotations

from collections import defaultdict
from typing import Any
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from mailbot.adapters.db.outbox import bouncing
from mailbot.adapters.db.people import Audit
from mailbot.adapters.db.web_queries import (
    FileRow,
    file_row,
    learned_for,
    unit_excuses,
    unit_sends,
    unit_submissions,
)
from mailbot.app import App
from mailbot.core.model import Unit
from mailbot.core.text import vietnamese_sort_key
from mailbot.errors import StorageError
from mailbot.web.auth import login_required
from mailbot.web.base import int_param, not_found, page, web

# Served under their own type only when the bytes agree; everything else is octet-stream.
IMAGE_MAGIC = {"image/jpeg": (b"\xff\xd8\xff",), "image/png": (b"\x89PNG\r\n\x1a\n",),
               "image/gif": (b"GIF87a", b"GIF89a")}
SAFE_TYPES = {"application/pdf", "application/zip", "application/msword",
              "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
              "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
              "application/vnd.ms-excel", *IMAGE_MAGIC}


def is_image(f: FileRow) -> bool:
    return f.content_type.lower() in IMAGE_MAGIC


def _unit_data(app: App, unit: Unit) -> dict[str, Any]:
    subs = unit_submissions(app.engine, unit.code)
    by_period: dict[str, list[object]] = defaultdict(list)
    for s in subs:
        by_period[s.period or "?"].append(s)
    bounced = bouncing(app.engine)
    addresses = [(a, "config", a in bounced) for a in unit.emails]
    addresses += [(a, "learned", a in bounced) for a in learned_for(app.engine, unit.code)
                  if a not in unit.emails]
    return {"unit": unit, "addresses": addresses,
            "months": sorted(by_period.items(), reverse=True),
            "sends": [s for s in unit_sends(app.engine, unit.code)
                      if s.kind in ("ack", "reminder")],
            "excuses": sorted(unit_excuses(app.engine, unit.code).items(), reverse=True),
            "history": Audit(app.engine).of("unit", [unit.code])}


@login_required
async def unit_page(request: Request) -> Response:
    w = web(request)
    unit = w.app.roster().by_code(request.path_params["code"])
    if unit is None:
        return not_found("đơn vị này")
    data = await run_in_threadpool(_unit_data, w.app, unit)
    return page(request, "unit.html", is_image=is_image, **data)


@login_required
async def units_list(request: Request) -> Response:
    units = sorted(web(request).app.config.units, key=lambda u: vietnamese_sort_key(u.name))
    return page(request, "units.html", units=units)


def _file(request: Request) -> tuple[FileRow, bytes] | None:
    fid = int_param(request, "id")
    app = web(request).app
    f = file_row(app.engine, fid) if fid is not None else None
    if f is None:
        return None
    try:
        return f, app.files.get(f.sha256)
    except StorageError:
        return None


def content_disposition(kind: str, filename: str) -> str:
    """RFC 6266: an ASCII fallback and the real (UTF-8) name."""
    fallback = "".join(c if 32 <= ord(c) < 127 and c not in '"\\;' else "_" for c in filename)
    return f"{kind}; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


@login_required
async def download(request: Request) -> Response:
    found = await run_in_threadpool(_file, request)
    if found is None:
        return not_found("tệp này")
    f, data = found
    kind = f.content_type.lower()
    if kind not in SAFE_TYPES or (kind in IMAGE_MAGIC
                                  and not data.startswith(IMAGE_MAGIC[kind])):
        kind = "application/octet-stream"
    return Response(data, media_type=kind, headers={
        "Content-Disposition": content_disposition("attachment", f.display_name),
        "Content-Security-Policy": "sandbox; default-src 'none'"})


@login_required
async def thumbnail(request: Request) -> Response:
    found = await run_in_threadpool(_file, request)
    if found is None:
        return not_found("ảnh này")
    f, data = found
    kind = f.content_type.lower()
    if kind not in IMAGE_MAGIC or not data.startswith(IMAGE_MAGIC[kind]):
        return not_found("ảnh này")
    return Response(data, media_type=kind, headers={
        "Content-Disposition": content_disposition("inline", f.display_name),
        "Content-Security-Policy": "sandbox; default-src 'none'",
        "Cache-Control": "private, max-age=86400"})


routes = [
    Route("/don-vi", units_list, methods=["GET"]),
    Route("/don-vi/{code}", unit_page, methods=["GET"]),
    Route("/tep/{id:int}", download, methods=["GET"]),
    Route("/tep/{id:int}/anh", thumbnail, methods=["GET"]),
]
