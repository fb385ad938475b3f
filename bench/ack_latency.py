"""Acknowledgement latency: from APPEND to the acknowledgement arriving by SMTP, under IDLE.

    python bench/ack_latency.py [--count 50] [--gap 0.5] [--json FILE]

A private Dovecot and a recording SMTP server (aiosmtpd), both on loopback. Submissions
(a unit's clerk, Vietnamese, one 100-300 KB photo) are appended one by one; each waits
for its acknowledgement (matched by In-Reply-To) before the next, after --gap seconds.
Latency = arrival at the SMTP server - the moment just before APPEND.

Baseline, same run, same servers: a minimal relay in this process (imapclient IDLE,
UID FETCH of the new message, stdlib parse, smtplib sends a reply) -- the floor that
IMAP push, one fetch and one SMTP transaction impose. Then `mailbot run` (a child
process, `poll_interval` 600 s, so only IDLE explains a quick answer) over the same
number of submissions.

Targets under IDLE: p50 < 1 s, p95 < 2 s.
"""

from __future__ import annotations

import argparse
import email
import email.policy
import os
import random
import signal
import smtplib
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common

TARGET_P50, TARGET_P95 = 1.0, 2.0
SENDERS = ["UBND phường Hòa Nghĩa <ubndhoanghia@example.gov.vn>",
           "UBND phường Đa Phúc <ubnddaphuc@example.gov.vn>",
           "Hội Liên hiệp Phụ nữ quận <hoiphunu@example.gov.vn>",
           "Phòng Tư pháp <tuphap@example.gov.vn>"]
UNIT_NAMES = ["UBND phường Hòa Nghĩa", "UBND phường Đa Phúc", "Hội Liên hiệp Phụ nữ quận",
              "Phòng Tư pháp"]


def submission(tag: str, i: int) -> tuple[str, bytes]:
    rng = random.Random(f"{tag}-{i}")
    k = i % len(SENDERS)
    message_id = f"<ack-{tag}-{i}@example.gov.vn>"
    photo = common.JPEG_HEAD + rng.randbytes(rng.randint(100, 300) * 1024)
    raw = common.build_mail(
        subject=f"Gương người tốt việc tốt - {UNIT_NAMES[k]} - lần {i + 1}",
        sender=SENDERS[k], message_id=message_id, date=datetime.now(UTC),
        body="Kính gửi Phòng Nội vụ,\n" + common.vietnamese_text(rng, 80), html=True,
        files=[(f"ảnh trao thưởng {i + 1}.jpg", photo, "image/jpeg")])
    return message_id, raw


def arrival(smtp: Any, message_id: str, timeout: float) -> float | None:
    """Epoch seconds at which the reply to ``message_id`` reached the SMTP server."""
    deadline = time.monotonic() + timeout
    needle = f"In-Reply-To: {message_id}".encode().lower()
    seen = 0
    while time.monotonic() < deadline:
        got = list(smtp.messages)
        for r in got[seen:]:
            if needle in r.raw.lower():
                return float(r.received_at.timestamp())
        time.sleep(0.002)
    return None


def measure(account: Any, smtp: Any, tag: str, count: int, gap: float) -> list[float]:
    latencies: list[float] = []
    with account.client() as c:
        c._imap.debug = 0
        for i in range(count):
            message_id, raw = submission(tag, i)
            t0 = time.time()
            c.append("INBOX", raw)
            got = arrival(smtp, message_id, timeout=30)
            if got is None:
                print(f"  {tag} #{i + 1}: no acknowledgement within 30 s")
                latencies.append(float("inf"))
            else:
                latencies.append(got - t0)
            time.sleep(gap)
    return latencies


class Relay(threading.Thread):
    """The baseline: IDLE, fetch what is new, send one short reply per message."""

    def __init__(self, account: Any, smtp: Any) -> None:
        super().__init__(daemon=True)
        self.account, self.smtp = account, smtp
        self.ready, self.stop = threading.Event(), threading.Event()
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            self._loop()
        except BaseException as e:  # reported by the main thread
            self.error = e
            self.ready.set()

    def _loop(self) -> None:
        with self.account.client() as c:
            c._imap.debug = 0
            c.select_folder("INBOX", readonly=True)
            last = max(c.search(["ALL"]) or [0])
            self.ready.set()
            while not self.stop.is_set():
                # An EXISTS that came with the last command's response is not repeated
                # in IDLE: look again at once instead of idling.
                if not c._imap.untagged_responses.pop("EXISTS", None):
                    c.idle()
                    c.idle_check(timeout=5)  # wakes at once on EXISTS
                    c.idle_done()
                uids = [u for u in c.search(["UID", f"{last + 1}:*"]) if u > last]
                if not uids:
                    continue
                for uid, item in sorted(c.fetch(uids, ["BODY.PEEK[]"]).items()):
                    msg = email.message_from_bytes(item[b"BODY[]"],
                                                   policy=email.policy.default)
                    reply = EmailMessage()
                    reply["From"] = "noivuduongkinh@example.com"
                    reply["To"] = str(msg["From"])
                    reply["Subject"] = "Re: " + str(msg["Subject"])
                    reply["In-Reply-To"] = str(msg["Message-ID"])
                    reply.set_content("Đã nhận.\n")
                    with smtplib.SMTP(self.smtp.host, self.smtp.port, timeout=10) as s:
                        s.send_message(reply)
                    last = max(last, uid)


def summary(name: str, lat: list[float]) -> dict[str, float]:
    fig = {"p50": common.percentile(lat, 50), "p95": common.percentile(lat, 95),
           "min": min(lat), "max": max(lat), "first": lat[0], "count": len(lat)}
    print(f"  {name:36} p50 {fig['p50']:6.3f} s  p95 {fig['p95']:6.3f} s  min "
          f"{fig['min']:6.3f}  max {fig['max']:6.3f}  (first {fig['first']:.3f} s)", flush=True)
    return fig


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--count", type=int, default=50, help="submissions (default 50)")
    ap.add_argument("--gap", type=float, default=0.5, help="pause after each ack, seconds")
    ap.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    args = ap.parse_args()
    common.print_machine()
    from tests.servers.dovecot import Dovecot, missing
    from tests.servers.smtp import SmtpServer
    from tests.support import write_config

    if missing():
        print(f"cannot run: {missing()}")
        return 1
    print(f"{args.count} submissions, one at a time, {args.gap} s after each acknowledgement")
    with Dovecot() as server, SmtpServer() as smtp, \
            tempfile.TemporaryDirectory(prefix="mailbot-bench-") as tmp:
        relay = Relay(server.add_user(), smtp)
        relay.start()
        relay.ready.wait(20)
        if relay.error:
            raise relay.error
        base = summary("baseline: IDLE+fetch+smtplib relay",
                       measure(relay.account, smtp, "relay", args.count, args.gap))
        relay.stop.set()
        relay.join(5)

        account = server.add_user()
        config = write_config(Path(tmp), account, smtp=smtp, poll_interval=600,
                              extra="[outbox]\nacks_per_address_per_day = 100000\n")
        common.run_measured(common.mailbot_cmd(config, "db", "upgrade"))
        log = Path(tmp) / "daemon.log"
        with log.open("w") as err:
            daemon = subprocess.Popen(common.mailbot_cmd(config, "run"), stdout=err,
                                      stderr=err, env={**os.environ, "PYTHONUNBUFFERED": "1",
                                                       "PYTHONPATH": str(common.ROOT)})
        try:
            deadline = time.monotonic() + 30
            while "IDLE on" not in log.read_text():
                if daemon.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"mailbot run did not start:\n{log.read_text()}")
                time.sleep(0.05)
            time.sleep(1)  # the start-up catch-up (duties, outbox) is done
            bot = summary("mailbot run (IDLE)", measure(account, smtp, "mailbot", args.count,
                                                        args.gap))
        finally:
            daemon.send_signal(signal.SIGTERM)
            daemon.wait(30)
        text = log.read_text()
        peak = [line.split()[1] for line in text.splitlines() if line.startswith("bench-child")]
        warnings = [line for line in text.splitlines() if " WARNING " in line or " ERROR " in line]
        if peak:
            print(f"  mailbot run peak RSS over the run: {int(peak[-1]) / 1024:.0f} MB")
        for line in warnings[:5]:
            print(f"  daemon log: {line}")
    print(f"\nratios mailbot/baseline: p50 {bot['p50'] / base['p50']:.1f}x, "
          f"p95 {bot['p95'] / base['p95']:.1f}x")
    print("target p50 < 1 s: " + common.verdict(bot["p50"] < TARGET_P50,
                                                 f"p50 = {bot['p50']:.3f} s"))
    print("target p95 < 2 s: " + common.verdict(bot["p95"] < TARGET_P95,
                                                 f"p95 = {bot['p95']:.3f} s"))
    common.write_json(args.json, "ack_latency", {"baseline": base, "mailbot": bot})
    return 0


if __name__ == "__main__":
    sys.exit(main())
