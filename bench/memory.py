"""Memory: peak RSS of `mailbot poll` against mailbox size and against message size.

    python bench/memory.py [--sizes 200,2000] [--single-mb 30] [--json FILE]

Each case is a fresh mailbox on a private Dovecot and a fresh database; `mailbot poll`
runs in a child process that reads its own VmHWM just before it exits. Cases: the
generated mailbox (bench/common.py) at each of --sizes (the smaller one is a prefix of
the larger, and both hold the 20 MB-attachment messages, one in a hundred), a mailbox
holding one --single-mb MB message, and, as the baseline of the same run, an empty
mailbox (what a poll costs before any mail).

Targets: peak <= 60 MB + 4 x the largest message; within 10% between the sizes.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common
from common import MB

NOW = "2023-10-18T09:00"
FIXED_MB, PER_MESSAGE = 60, 4
SPREAD = 0.10


def poll_peak(server: object, paths: list[Path], profile: str | None = None
              ) -> common.ChildRun:
    from tests.support import write_config

    account = server.add_user()  # type: ignore[attr-defined]
    common.fill(account, paths)
    with tempfile.TemporaryDirectory(prefix="mailbot-bench-") as tmp:
        config = write_config(Path(tmp), account)
        common.run_measured(common.mailbot_cmd(config, "db", "upgrade"))
        env = {"BENCH_PROFILE": profile} if profile else None
        return common.run_measured(common.mailbot_cmd(config, "--now", NOW, "poll"), env=env)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="200,2000", help="mailbox sizes (default 200,2000)")
    ap.add_argument("--single-mb", type=float, default=30, help="the one big message, MB")
    ap.add_argument("--seed", type=int, default=2023)
    ap.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    args = ap.parse_args()
    common.print_machine()
    from tests.servers.dovecot import Dovecot, missing

    if missing():
        print(f"cannot run: {missing()}")
        return 1
    sizes = [int(s) for s in args.sizes.split(",") if s]
    cases: list[tuple[str, list[Path]]] = [("empty mailbox (baseline)", [])]
    cases += [(f"N = {n:,}", common.mailbox_files(n, args.seed)) for n in sizes]
    cases.append((f"one {args.single_mb:g} MB message",
                  [common.single_message_file(args.single_mb)]))
    results = {}
    print(f"{'case':28} {'messages':>8} {'MB':>7} {'largest':>8} {'peak RSS':>9} "
          f"{'limit':>7}  verdict")
    with Dovecot() as server:
        for name, paths in cases:
            run = poll_peak(server, paths)
            largest = max((p.stat().st_size for p in paths), default=0) / MB
            total = sum(p.stat().st_size for p in paths) / MB
            limit = FIXED_MB + PER_MESSAGE * largest
            ok = run.peak_rss_mb <= limit
            results[name] = {"messages": len(paths), "mailbox_mb": total,
                             "largest_mb": largest, "peak_rss_mb": run.peak_rss_mb,
                             "limit_mb": limit, "seconds": run.seconds,
                             "worker_peak_rss_mb": run.worker_peak_rss_mb,
                             "poll_said": run.stdout.strip()}
            mark = "" if not paths else common.verdict(
                ok, f"{run.peak_rss_mb - limit:+.0f} MB, {run.peak_rss_mb / limit:.2f}x limit")
            worker = (f"; parser worker process <= {run.worker_peak_rss_mb:.0f} MB"
                      if run.worker_peak_rss_mb else "")
            print(f"{name:28} {len(paths):8} {total:7.0f} {largest:7.1f}M "
                  f"{run.peak_rss_mb:8.0f}M {limit:6.0f}M  {mark}{worker}", flush=True)
    base = results["empty mailbox (baseline)"]["peak_rss_mb"]
    print(f"\nbaseline: an empty poll peaks at {base:.0f} MB; each case above it: " + ", ".join(
        f"{k}: +{v['peak_rss_mb'] - base:.0f} MB" for k, v in results.items() if v["messages"]))
    if len(sizes) >= 2:
        small, large = (results[f"N = {n:,}"]["peak_rss_mb"] for n in (min(sizes), max(sizes)))
        spread = large / small - 1
        print(f"N = {max(sizes):,} vs N = {min(sizes):,}: {large:.0f} / {small:.0f} MB = "
              f"{large / small:.2f}x -> " + common.verdict(abs(spread) <= SPREAD,
                                                          f"{spread:+.0%}, target within 10%"))
    common.write_json(args.json, "memory", {"cases": results, "baseline_mb": base})
    return 0


if __name__ == "__main__":
    sys.exit(main())
