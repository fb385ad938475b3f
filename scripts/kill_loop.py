"""The long SIGKILL loop, full count: `python scripts/kill_loop.py [--messages 500] [--kills 25]`.

Needs Debian's dovecot-imapd (run `.ci/run` once). Prints one line per kill, then the
figures as JSON; exits 1 when anything was lost, duplicated or left behind.
CI runs a shorter count in tests/jobs/test_kill_loop.py.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.killloop import run  # noqa: E402


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--messages", type=int, default=500)
    p.add_argument("--kills", type=int, default=25)
    p.add_argument("--seed", type=int, default=20231017)
    p.add_argument("--keep", type=Path, help="work in this folder and keep it")
    args = p.parse_args()
    with tempfile.TemporaryDirectory(prefix="mailbot-kill-loop-") as tmp:
        root = args.keep or Path(tmp)
        root.mkdir(parents=True, exist_ok=True)
        figures = run(args.messages, args.kills, root, seed=args.seed,
                      log=lambda line: print(line, flush=True))
    print(json.dumps(figures.as_dict(), indent=2, ensure_ascii=False))
    problems = figures.problems()
    if problems or figures.kills < args.kills:
        print("FAILED: " + "; ".join(problems or [f"only {figures.kills} kills"]))
        return 1
    print(f"OK: {figures.messages} messages, {figures.kills} kills survived, 0 lost, "
          "0 duplicated")
    return 0


if __name__ == "__main__":
    sys.exit(main())
