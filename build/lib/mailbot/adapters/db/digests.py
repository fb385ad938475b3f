"""The monthly packages: frozen contents, approval state, and what they imply for
which month later mail counts for (a compiled month takes no more mail)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, insert, select, update
from sqlalchemy.exc import IntegrityError

from mailbot.adapters.db.schema import digests
from mailbot.core.model import Period


@dataclass(frozen=True)
class DigestRow:
    period: Period
    compiled_at: datetime
    status: str  # frozen, held, approved, sent
    messages: tuple[int, ...]
    sends: int


def _row(r: object) -> DigestRow:
    return DigestRow(Period.parse(r.period), r.compiled_at, r.status,  # type: ignore[attr-defined]
                     tuple(json.loads(r.messages)), r.sends)  # type: ignore[attr-defined]


class Digests:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def get(self, period: Period) -> DigestRow | None:
        with self.engine.connect() as conn:
            r = conn.execute(select(digests).where(digests.c.period == str(period))).first()
        return _row(r) if r else None

    def freeze(self, period: Period, messages: list[int], now: datetime) -> DigestRow:
        """Record the package's contents once; a second call returns the first record."""
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(digests).values(
                    period=str(period), compiled_at=now, status="frozen", sends=0,
                    messages=json.dumps(sorted(messages)), updated_at=now))
        except IntegrityError:
            pass
        row = self.get(period)
        assert row is not None
        return row

    def set_status(self, period: Period, status: str, now: datetime, *,
                   only_from: tuple[str, ...] = ()) -> bool:
        q = update(digests).where(digests.c.period == str(period))
        if only_from:
            q = q.where(digests.c.status.in_(only_from))
        values: dict[str, object] = {"status": status, "updated_at": now}
        if status == "sent":
            values["sends"] = digests.c.sends + 1
        with self.engine.begin() as conn:
            return conn.execute(q.values(**values)).rowcount == 1

    def compiled_at(self) -> dict[Period, datetime]:
        """When each month's package was compiled: mail after that counts for the next."""
        with self.engine.connect() as conn:
            return {Period.parse(r.period): r.compiled_at for r in conn.execute(
                select(digests.c.period, digests.c.compiled_at))}

    def all(self) -> list[DigestRow]:
        with self.engine.connect() as conn:
            return [_row(r) for r in conn.execute(select(digests).order_by(digests.c.period))]
