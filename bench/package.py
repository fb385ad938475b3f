"""Package benchmark: build (and split) a month's package for the Board.

    python bench/package.py [--units 40] [--mb 300]

Fills a fresh database and file store with one submission per unit (three photos
each, --mb in all), then times freezing the month and composing every email of the
package (attachments read from the store, MIME built, .docx and .xlsx generated), and
commits them to the outbox, and reports this process's peak RSS growth. Nothing is
sent.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert  # noqa: E402

from mailbot.adapters.db.engine import make_engine, upgrade  # noqa: E402
from mailbot.adapters.db.outbox import Outbox  # noqa: E402
from mailbot.adapters.db.schema import attachments, messages  # noqa: E402
from mailbot.app import App  # noqa: E402
from mailbot.config import parse_config  # noqa: E402
from mailbot.core.model import Period  # noqa: E402
from mailbot.jobs.digest import compose_package, freeze  # noqa: E402


def hwm_mb() -> float:
    text = Path("/proc/self/status").read_text()
    return int(re.search(r"VmHWM:\s+(\d+)", text).group(1)) / 1024  # type: ignore[union-attr]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--units", type=int, default=40)
    ap.add_argument("--mb", type=int, default=300)
    ap.add_argument("--limit-mb", type=int, default=20)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        (base / "pw").write_text("x")
        raw = {"imap": {"host": "127.0.0.1", "security": "plain", "username": "nv@example.com",
                        "password_file": "pw"},
               "smtp": {"host": "127.0.0.1", "security": "plain", "port": 9,
                        "from_address": "nv@example.com"},
               "office": {"emails": ["boss@example.com"]},
               "board": {"to": ["board@example.com"], "size_limit_mb": args.limit_mb},
               "units": [{"code": f"u{i}", "name": f"Đơn vị số {i}",
                          "emails": [f"u{i}@example.gov.vn"]} for i in range(args.units)]}
        app = App(parse_config(raw, base / "mailbot.toml"), make_engine(f"sqlite:///{tmp}/m.db"))
        upgrade(app.engine)
        per_file = args.mb * 2**20 // (args.units * 3)
        when = datetime(2023, 10, 10, 2, tzinfo=UTC)
        with app.engine.begin() as conn:
            for i in range(args.units):
                mid = conn.execute(insert(messages).values(
                    folder="INBOX", uidvalidity=1, uid=i + 1, raw_sha256="0" * 64, raw_size=1,
                    received_at=when, created_at=when, disposition="submission", reason="",
                    unit=f"u{i}", period="2023-10", late=False, attempts=1,
                    subject="Gương người tốt việc tốt", body_text="Gương ông Nguyễn Văn An.\n"
                )).inserted_primary_key[0]
                for k in range(3):
                    sha = app.files.put(os.urandom(per_file))
                    conn.execute(insert(attachments).values(
                        message=mid, position=k, filename=f"ảnh {k}.jpg",
                        display_name=f"ảnh {k}.jpg", content_type="image/jpeg",
                        size=per_file, sha256=sha, from_forward=False))
        before = hwm_mb()
        now = datetime(2023, 10, 17, 1, tzinfo=UTC)
        t0 = time.perf_counter()
        row = freeze(app, Period(2023, 10), now)
        Outbox(app.engine).add(compose_package(app, row, now, preview=False), now)
        secs = time.perf_counter() - t0
        mails = [size for _, _, size in Outbox(app.engine).due(now)]
        peak_part = max(mails)
        print(f"{args.units} units, {args.mb} MB of attachments -> {len(mails)} email(s), "
              f"largest {peak_part / 2**20:.1f} MB (limit {args.limit_mb} MB)")
        print(f"build time {secs:.1f} s; peak RSS {hwm_mb():.0f} MB "
              f"(+{hwm_mb() - before:.0f} MB while building)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
