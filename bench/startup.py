"""Start-up: wall time of `mailbot --help` and `mailbot status`, against bare Python.

    python bench/startup.py [--repeat 20] [--importtime] [--json FILE]

Each command runs --repeat times after 2 warm-up runs (so the page cache is warm, as on
a machine that uses mailbot daily); median, p90 and min wall times are reported. The
baseline of the same run is the same interpreter doing nothing (`python -c pass`): the
ratio is what mailbot adds. `mailbot` is the installed console script next to this
Python (not a pyenv shim); `mailbot status` runs on a fresh, upgraded SQLite database
with the test config's units. --importtime lists the slowest imports of `--help`.

Target: `mailbot --help` < 300 ms.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common

TARGET_HELP_MS = 300


def mailbot_script() -> list[str]:
    here = Path(sys.executable).parent / "mailbot"
    if here.exists():
        return [str(here)]
    found = shutil.which("mailbot")
    return [found] if found else [sys.executable, "-m", "mailbot"]


def wall(cmd: list[str], repeat: int, env: dict[str, str]) -> list[float]:
    for _ in range(2):
        subprocess.run(cmd, capture_output=True, env=env, check=True)
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
                       check=True)
        times.append(time.perf_counter() - t0)
    return times


def import_times(cmd: list[str], env: dict[str, str], top: int = 15) -> None:
    done = subprocess.run([sys.executable, "-X", "importtime", *cmd], capture_output=True,
                          text=True, env=env)
    rows = []
    for line in done.stderr.splitlines():
        m = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|(\s*)(\S+)", line)
        if m:
            rows.append((int(m.group(2)), len(m.group(3)), m.group(4)))
    total = sum(c for c, depth, _ in rows if depth == 1)
    print(f"\nimports of `{' '.join(cmd[-2:])}`: {total / 1000:.0f} ms in all; the slowest "
          "top-level ones (cumulative):")
    for cum, _depth, name in sorted((r for r in rows if r[1] == 1), reverse=True)[:top]:
        print(f"  {cum / 1000:7.1f} ms  {name}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=20, help="timed runs of each (default 20)")
    ap.add_argument("--importtime", action="store_true", help="list the slowest imports")
    ap.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    args = ap.parse_args()
    common.print_machine()
    from tests.servers.dovecot import ImapAccount
    from tests.support import write_config

    env = {**os.environ, "PYTHONPATH": str(common.ROOT)}
    env.pop("MAILBOT_CONFIG", None)
    mailbot = mailbot_script()
    with tempfile.TemporaryDirectory(prefix="mailbot-bench-") as tmp:
        config = write_config(Path(tmp), ImapAccount("127.0.0.1", 1, "nobody", "x"))
        subprocess.run([*mailbot, "--config", str(config), "db", "upgrade"], check=True,
                       capture_output=True, env=env)
        cases = {
            "baseline: python -c pass": [sys.executable, "-c", "pass"],
            "baseline: python -c 'import argparse'": [sys.executable, "-c", "import argparse"],
            "mailbot --help": [*mailbot, "--help"],
            "python -m mailbot --help": [sys.executable, "-m", "mailbot", "--help"],
            "mailbot status": [*mailbot, "--config", str(config), "status"],
        }
        print(f"{args.repeat} runs each (after 2 warm-ups); mailbot is {mailbot[0]}")
        figures = {}
        for name, cmd in cases.items():
            t = wall(cmd, args.repeat, env)
            figures[name] = {"median_ms": 1000 * common.median(t),
                             "p90_ms": 1000 * common.percentile(t, 90), "min_ms": 1000 * min(t)}
            f = figures[name]
            print(f"  {name:38} median {f['median_ms']:6.0f} ms  p90 {f['p90_ms']:6.0f} ms  "
                  f"min {f['min_ms']:6.0f} ms", flush=True)
        if args.importtime:
            import_times(["-m", "mailbot", "--help"], env)
            import_times(["-m", "mailbot", "--config", str(config), "status"], env)
    base = figures["baseline: python -c pass"]["median_ms"]
    help_ms = figures["mailbot --help"]["median_ms"]
    status_ms = figures["mailbot status"]["median_ms"]
    print(f"\nratios to bare Python: --help {help_ms / base:.1f}x, status {status_ms / base:.1f}x")
    print(f"target mailbot --help < {TARGET_HELP_MS} ms: " + common.verdict(
        help_ms < TARGET_HELP_MS, f"median {help_ms:.0f} ms"))
    common.write_json(args.json, "startup", {"figures": figures})
    return 0


if __name__ == "__main__":
    sys.exit(main())
