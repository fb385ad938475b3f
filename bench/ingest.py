"""Ingest benchmark: a generated mailbox on a private Dovecot, three figures in one run.

    python bench/ingest.py [--messages 1000] [--photo-kb 300]

(a) raw ceiling: imapclient UID FETCH BODY.PEEK[] of every message, in batches;
(b) parse ceiling: mailbot's parse_mail over the same bytes, already in memory;
(c) `mailbot poll` end to end on an empty database (fetch, durable store, parse,
    attachments stored, classified, committed), with its peak RSS.
Ratios c/a and c/b are what to compare across machines. Needs Debian's dovecot-imapd.
"""

from __future__ import annotations

import argparse
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mailbot.adapters.parse import parse_mail  # noqa: E402
from tests.builders import DOCX, make_mail  # noqa: E402
from tests.samples import at  # noqa: E402
from tests.servers.dovecot import Dovecot  # noqa: E402
from tests.support import write_config  # noqa: E402

# The real CLI in a child process that reports its own peak RSS (KiB) as its last line.
# VmHWM, not getrusage: ru_maxrss survives exec and would count the forked copy of
# this process, which holds the whole generated mailbox.
_MEASURED = ("import re, sys; from mailbot.cli import main; rc = main(sys.argv[1:]); "
             "print('peak-rss-kib', re.search(r'VmHWM:\\s+(\\d+)', "
             "open('/proc/self/status').read()).group(1), file=sys.stderr); sys.exit(rc)")


def mailbox(n: int, photo_kb: int) -> list[bytes]:
    rng = random.Random(2023)
    senders = ["UBND phường Hòa Nghĩa <ubndhoanghia@example.gov.vn>",
               "ubnddaphuc@example.gov.vn", "hoiphunu@example.gov.vn", "khach@example.com"]
    out = []
    for i in range(n):
        files: list[tuple[str, bytes, str]] = []
        if rng.random() < 0.6:
            files += [(f"ảnh {i}-{k}.jpg", rng.randbytes(rng.randint(photo_kb // 2, photo_kb * 2)
                                                         * 1024), "image/jpeg")
                      for k in range(rng.randint(1, 3))]
        elif rng.random() < 0.75:
            files.append((f"Báo cáo {i}.docx", DOCX + rng.randbytes(rng.randint(50, 500) * 1024),
                          "application/vnd.openxmlformats-officedocument.wordprocessingml.document"))
        out.append(make_mail(sender=rng.choice(senders), message_id=f"<bench-{i}@example.gov.vn>",
                             subject=f"Gương người tốt việc tốt tháng 10/2023 - số {i}",
                             attachments=files))
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--messages", type=int, default=1000)
    ap.add_argument("--photo-kb", type=int, default=300, help="typical photo size")
    args = ap.parse_args()
    raws = mailbox(args.messages, args.photo_kb)
    total_mb = sum(map(len, raws)) / 2**20
    print(f"mailbox: {len(raws)} messages, {total_mb:.0f} MB")
    with Dovecot() as server, tempfile.TemporaryDirectory() as tmp:
        account = server.add_user()
        with account.client() as c:
            for raw in raws:
                c.append("INBOX", raw, msg_time=at(10))
        # (a) raw fetch ceiling
        t0 = time.perf_counter()
        with account.client() as c:
            c._imap.debug = 0
            c.select_folder("INBOX", readonly=True)
            uids = c.search(["ALL"])
            for k in range(0, len(uids), 100):
                c.fetch(uids[k:k + 100], ["BODY.PEEK[]"])
        a = time.perf_counter() - t0
        # (b) parse ceiling
        t0 = time.perf_counter()
        for raw in raws:
            parse_mail(raw)
        b = time.perf_counter() - t0
        # (c) mailbot poll end to end
        config = write_config(Path(tmp), account)
        mb = [sys.executable, "-c", _MEASURED, "--config", str(config)]
        subprocess.run([*mb, "db", "upgrade"], check=True, capture_output=True)
        t0 = time.perf_counter()
        done = subprocess.run([*mb, "--now", "2023-10-18T09:00", "poll"], check=True,
                              capture_output=True, text=True)
        c_s = time.perf_counter() - t0
        rss_mb = int(done.stderr.strip().splitlines()[-1].split()[-1]) / 1024
    n = len(raws)
    for name, secs in (("(a) raw fetch", a), ("(b) parse", b), ("(c) mailbot poll", c_s)):
        print(f"{name:18} {n / secs:8.1f} msg/s {total_mb / secs:8.1f} MB/s  ({secs:.1f} s)")
    print(f"c/a = {a / c_s:.2f}   c/b = {b / c_s:.2f}")
    print(f"peak RSS of mailbot poll: {rss_mb:.0f} MB; largest message "
          f"{max(map(len, raws)) / 2**20:.1f} MB")
    print(f"poll said: {done.stdout.strip()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
