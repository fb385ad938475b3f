"""The office's web page: how long each page takes to render on a year of mail.

    python bench/web.py [--units 40] [--noise 2000] [--repeat 10]

Setup (not timed): a config with --units units, a fresh SQLite database holding a year
(2024) of submissions (85% of units each month, 1-2 submissions of 3 files each) and
--noise ignored messages, and one staff account. Measured: the mean time of --repeat
GETs of each page through Starlette's TestClient (in process: rendering and queries, no
network), after one warm-up GET.
"""

from __future__ import annotations

import argparse
import random
import re
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import insert
from starlette.testclient import TestClient

from mailbot.adapters.db.engine import upgrade
from mailbot.adapters.db.schema import attachments, messages
from mailbot.app import App
from mailbot.config import load_config
from mailbot.jobs.users import add_user
from mailbot.web.app import create_app

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
PAGES = ["/thang?period=2024-10", "/nam?year=2024", "/don-vi/u00", "/can-xu-ly", "/nhat-ky",
         "/nhat-ky?disposition=submission&q=thang+5"]


def _config(folder: Path, units: int) -> Path:
    roster = "".join(f'[[units]]\ncode = "u{i:02d}"\nname = "UBND phường Số {i}"\n'
                     f'emails = ["u{i}@example.gov.vn"]\n\n' for i in range(units))
    path = folder / "mailbot.toml"
    path.write_text(f'data_dir = "var"\n[imap]\nhost = "127.0.0.1"\nsecurity = "plain"\n'
                    f'username = "office@example.com"\npassword = "x"\n\n{roster}',
                    encoding="utf-8")
    return path


def _fill(app: App, noise: int) -> tuple[int, int]:
    rng = random.Random(8)
    rows, files, mid = [], [], 0
    for m in range(1, 13):
        for u in app.config.units:
            if rng.random() < 0.15:
                continue
            for _ in range(rng.choice([1, 1, 2])):
                mid += 1
                at = datetime(2024, m, rng.randint(1, 17), 9, tzinfo=TZ)
                rows.append(dict(
                    id=mid, folder="INBOX", uidvalidity=1, uid=mid, message_id=f"<{mid}@x>",
                    raw_sha256="0" * 64, raw_size=1000, received_at=at,
                    from_addr=u.emails[0], from_name=u.name,
                    subject=f"Gương người tốt việc tốt tháng {m}/2024",
                    disposition="submission", reason="from a unit", unit=u.code,
                    period=f"2024-{m:02d}", late=at.day > 15, body_text="Nội dung " * 50,
                    attempts=1, created_at=at, processed_at=at))
                files += [dict(message=mid, position=p, filename=f"f{p}.pdf",
                               display_name=f"f{p}.pdf", content_type="application/pdf",
                               size=12345, sha256="1" * 64, from_forward=False)
                          for p in range(3)]
    for _ in range(noise):
        mid += 1
        at = datetime(2024, 1, 1, tzinfo=TZ) + timedelta(hours=4 * mid % 8000)
        rows.append(dict(
            id=mid, folder="INBOX", uidvalidity=1, uid=mid, message_id=f"<{mid}@x>",
            raw_sha256="0" * 64, raw_size=1000, received_at=at, from_addr="news@example.com",
            from_name="Tin", subject="Bản tin", disposition="ignored", reason="mailing list",
            unit=None, period=None, late=False, body_text="", attempts=1, created_at=at,
            processed_at=at))
    with app.engine.begin() as conn:
        conn.execute(insert(messages), rows)
        conn.execute(insert(attachments), files)
    return mid, len(files)


def main() -> None:
    args = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    args.add_argument("--units", type=int, default=40)
    args.add_argument("--noise", type=int, default=2000)
    args.add_argument("--repeat", type=int, default=10)
    opts = args.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        app = App.open(load_config(_config(Path(tmp), opts.units)), check_schema=False)
        upgrade(app.engine)
        n, f = _fill(app, opts.noise)
        now = datetime(2024, 10, 14, 9, tzinfo=TZ)
        add_user(app, "bench", "mat-khau-dai-1", now)
        client = TestClient(create_app(app, clock=lambda: now, secret="bench"),
                            follow_redirects=False)
        token = re.search(r'name="csrf" value="([^"]+)"', client.get("/dang-nhap").text)
        assert token
        client.post("/dang-nhap", data={"csrf": token.group(1), "name": "bench",
                                        "password": "mat-khau-dai-1"})
        print(f"{opts.units} units, {n} messages, {f} files")
        for page in PAGES:
            assert client.get(page).status_code == 200, page
            start = time.perf_counter()
            for _ in range(opts.repeat):
                size = len(client.get(page).content)
            ms = (time.perf_counter() - start) / opts.repeat * 1000
            print(f"{page:45s} {ms:7.1f} ms {size / 1024:6.0f} KB")
        app.close()


if __name__ == "__main__":
    main()
