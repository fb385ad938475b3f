"""Idle footprint: `mailbot run` with nothing arriving: its RSS and the CPU time it uses.

    python bench/idle.py [--seconds 60] [--json FILE]

A private Dovecot (empty INBOX) and a recording SMTP server on loopback; `mailbot run`
with IDLE on and the production poll_interval (300 s). Once the daemon says it idles
(and a 2 s settle), its utime+stime and VmRSS are read from /proc at the start and end
of the window, and VmRSS every second in between.

Baseline, same window, same server: a bare imapclient process that logs in, EXAMINEs
INBOX and sits in IDLE (re-issued each 25 minutes, as mailbot does): the floor of "a
Python process holding an IDLE connection". Targets: RSS < 80 MB, CPU < 1% over 60 s.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common

TARGET_RSS_MB, TARGET_CPU_PCT = 80, 1.0
BARE_IDLE = """\
import sys
from imapclient import IMAPClient
c = IMAPClient(sys.argv[1], int(sys.argv[2]), ssl=False, timeout=60)
c._imap.debug = 0
c.login(sys.argv[3], sys.argv[4])
c.select_folder("INBOX", readonly=True)
print("IDLE on", flush=True)
while True:
    c.idle()
    c.idle_check(timeout=25 * 60)
    c.idle_done()
"""


def wait_for_line(log: Path, text: str, proc: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while text not in log.read_text():
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"{text!r} never appeared:\n{log.read_text()[-3000:]}")
        time.sleep(0.05)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=60, help="idle window (default 60)")
    ap.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    args = ap.parse_args()
    common.print_machine()
    from tests.servers.dovecot import Dovecot, missing
    from tests.servers.smtp import SmtpServer
    from tests.support import write_config

    if missing():
        print(f"cannot run: {missing()}")
        return 1
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONPATH": str(common.ROOT)}
    with Dovecot() as server, SmtpServer() as smtp, \
            tempfile.TemporaryDirectory(prefix="mailbot-bench-") as tmp:
        account = server.add_user()
        config = write_config(Path(tmp), account, smtp=smtp, poll_interval=300)
        common.run_measured(common.mailbot_cmd(config, "db", "upgrade"))
        procs: dict[str, subprocess.Popen[bytes]] = {}
        logs = {"mailbot run": Path(tmp) / "daemon.log", "bare IDLE client": Path(tmp) / "bare.log"}
        cmds = {"mailbot run": common.mailbot_cmd(config, "run"),
                "bare IDLE client": [sys.executable, "-c", BARE_IDLE, account.host,
                                     str(account.port), account.username, account.password]}
        try:
            for name, cmd in cmds.items():
                with logs[name].open("w") as out:
                    procs[name] = subprocess.Popen(cmd, stdout=out, stderr=out, env=env)
            for name, proc in procs.items():
                wait_for_line(logs[name], "IDLE on", proc, 30)
            time.sleep(2)
            start = {name: common.proc_status(p.pid) for name, p in procs.items()}
            peak_rss = {name: s["VmRSS"] for name, s in start.items()}
            t0 = time.monotonic()
            while time.monotonic() - t0 < args.seconds:
                time.sleep(1)
                for name, p in procs.items():
                    peak_rss[name] = max(peak_rss[name], common.proc_status(p.pid)["VmRSS"])
            window = time.monotonic() - t0
            end = {name: common.proc_status(p.pid) for name, p in procs.items()}
        finally:
            for p in procs.values():
                p.send_signal(signal.SIGTERM)
            for p in procs.values():
                try:
                    p.wait(20)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
        sent = len(smtp.messages)
    figures = {}
    print(f"idle window {window:.0f} s; emails the daemon sent meanwhile: {sent}")
    for name in procs:
        cpu = (end[name]["cpu_ticks"] - start[name]["cpu_ticks"]) / common.CLOCK_TICKS
        figures[name] = {
            "rss_end_mb": end[name]["VmRSS"] / 1024, "rss_max_mb": peak_rss[name] / 1024,
            "hwm_mb": end[name]["VmHWM"] / 1024,
            "startup_cpu_s": start[name]["cpu_ticks"] / common.CLOCK_TICKS,
            "window_cpu_s": cpu, "cpu_pct": 100 * cpu / window}
        f = figures[name]
        print(f"  {name:18} RSS {f['rss_end_mb']:5.1f} MB (max in window {f['rss_max_mb']:.1f},"
              f" VmHWM {f['hwm_mb']:.1f}); CPU in window {f['window_cpu_s']:.2f} s = "
              f"{f['cpu_pct']:.2f}% of one core (start-up took {f['startup_cpu_s']:.2f} s CPU)")
    bot, bare = figures["mailbot run"], figures["bare IDLE client"]
    print(f"\nratio mailbot/bare client: RSS {bot['rss_max_mb'] / bare['rss_max_mb']:.1f}x")
    print(f"target RSS < {TARGET_RSS_MB} MB: " + common.verdict(
        bot["rss_max_mb"] < TARGET_RSS_MB, f"{bot['rss_max_mb']:.1f} MB"))
    print(f"target CPU < {TARGET_CPU_PCT}% over {window:.0f} s: " + common.verdict(
        bot["cpu_pct"] < TARGET_CPU_PCT, f"{bot['cpu_pct']:.2f}%"))
    common.write_json(args.json, "idle", {"window_s": window, "figures": figures})
    return 0


if __name__ == "__main__":
    sys.exit(main())
