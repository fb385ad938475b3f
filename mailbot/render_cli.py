"""Plain-text tables and JSON shapes printed by the CLI."""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence
from datetime import datetime, tzinfo
from typing import Any

from mailbot.adapters.db.outbox import OutboxRow
from mailbot.adapters.db.queries import LedgerEntry
from mailbot.core.model import Period
from mailbot.core.status import UnitStatus

log = logging.getLogger("mailbot")


def ledger_json(rows: Sequence[LedgerEntry]) -> list[dict[str, Any]]:
    return [{
        "id": r.id, "uid": r.uid, "message_id": r.message_id,
        "received_at": r.received_at.isoformat(), "from": r.from_addr,
        "from_name": r.from_name, "subject": r.subject, "disposition": r.disposition,
        "reason": r.reason, "unit": r.unit, "period": r.period, "late": r.late,
        "attempts": r.attempts, "last_error": r.last_error,
        "attachments": [{"filename": a.filename, "size": a.size, "sha256": a.sha256}
                        for a in r.attachments],
    } for r in rows]


def ledger_table(rows: Sequence[LedgerEntry], tz: tzinfo) -> str:
    if not rows:
        return "no messages"
    lines = [f"{'ID':>5}  {'RECEIVED':16}  {'DISPOSITION':11}  {'UNIT':14}  {'PERIOD':7}  "
             f"{'FILES':>5}  SUBJECT / REASON"]
    for r in rows:
        period = (r.period or "-") + ("*" if r.late else "")
        lines.append(
            f"{r.id:>5}  {_local(r.received_at, tz)}  {r.disposition:11}  "
            f"{(r.unit or '-')[:14]:14}  {period:7}  {len(r.attachments):>5}  "
            f"{_clip(r.subject or '(no subject)', 60)}")
        lines.append(f"{'':>5}  {'':16}  {r.reason}")
    lines.append("(* = late)")
    return "\n".join(lines)


def status_json(rows: Sequence[UnitStatus]) -> list[dict[str, Any]]:
    return [{"unit": s.unit.code, "name": s.unit.name, "status": s.status,
             "submissions": s.submissions,
             "first_received_at": s.first_received_at.isoformat()
             if s.first_received_at else None} for s in rows]


def status_table(rows: Sequence[UnitStatus], period: Period, tz: tzinfo, *,
                 unverified: int = 0) -> str:
    counts = {k: sum(1 for s in rows if s.status == k)
              for k in ("on_time", "late", "missing", "excused")}
    head = (f"{period}: {counts['on_time']} on time, {counts['late']} late, "
            f"{counts['missing']} missing, {counts['excused']} excused, of {len(rows)} units")
    width = max([len(s.unit.name) for s in rows] + [4])
    lines = [head, f"{'UNIT':{width}}  {'STATUS':8}  {'SENT':>4}  FIRST RECEIVED"]
    for s in rows:
        first = _local(s.first_received_at, tz) if s.first_received_at else "-"
        lines.append(f"{s.unit.name:{width}}  {s.status:8}  {s.submissions:>4}  {first}")
    if unverified:
        lines.append(f"{unverified} unverified message(s) claim a unit's address and are not "
                     "counted: mailbot messages --disposition unverified")
    return "\n".join(lines)


def _local(when: datetime, tz: tzinfo) -> str:
    return when.astimezone(tz).strftime("%Y-%m-%d %H:%M")


def _clip(text: str, n: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"


def outbox_json(rows: Sequence[OutboxRow]) -> list[dict[str, Any]]:
    return [{"id": r.id, "kind": r.kind, "period": r.period, "unit": r.unit, "to": list(r.to),
             "subject": r.subject, "status": r.status, "attempts": r.attempts,
             "last_error": r.last_error, "message_id": r.message_id,
             "refused": r.refused,
             "created_at": r.created_at.isoformat(),
             "sent_at": r.sent_at.isoformat() if r.sent_at else None} for r in rows]


def outbox_table(rows: Sequence[OutboxRow], tz: tzinfo) -> str:
    if not rows:
        return "the outbox is empty"
    lines = [f"{'ID':>5}  {'CREATED':16}  {'KIND':13}  {'STATUS':7}  {'TRIES':>5}  TO / SUBJECT"]
    for r in rows:
        lines.append(f"{r.id:>5}  {_local(r.created_at, tz)}  {r.kind:13}  {r.status:7}  "
                     f"{r.attempts:>5}  {', '.join(r.to)}")
        lines.append(f"{'':>5}  {'':16}  {_clip(r.subject, 70)}")
        if r.last_error:
            lines.append(f"{'':>5}  {'':16}  error: {r.last_error}")
    return "\n".join(lines)


def progress_lines(done: int, total: int) -> None:
    """One log line per fetch batch, for passes long enough to want it."""
    if total > 50:
        log.info("fetched %d of %d new messages", done, total)


def progress_bar(done: int, total: int) -> None:
    """A progress bar on a terminal; a line every 10% otherwise (logs, cron mail)."""
    if sys.stderr.isatty():
        filled = 30 * done // max(total, 1)
        end = "\n" if done == total else ""
        print(f"\r[{'#' * filled}{' ' * (30 - filled)}] {done}/{total} files", end=end,
              file=sys.stderr, flush=True)
    elif total and (done == total or done % max(1, total // 10) == 0):
        log.info("archived %d of %d files", done, total)
