"""Operations commands: `mailbot backup OUT` and `mailbot health`.

``register(sub)`` adds their parsers to mailbot.cli's subcommands and returns their
handlers by command name, for mailbot.cli's table. mailbot.cli is imported lazily, in
the handlers, so that it can import this module at its top.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

log = logging.getLogger("mailbot")

Handler = Callable[[argparse.Namespace], int]
EXIT_OK, EXIT_ERROR = 0, 1
PROGRESS_FROM = 200  # files: smaller stores are copied before anyone would look


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> dict[str, Handler]:
    b = sub.add_parser(
        "backup", help="copy the database and the stored mail and files (safe while running)",
        description="Write a consistent backup while the daemon keeps running: the SQLite "
                    "database (online backup API), data_dir/mail and data_dir/files, and a "
                    "MANIFEST.txt. OUT is a new folder, or a file ending in .tar.gz. Other "
                    "databases are not copied: back them up with their own tools (pg_dump) "
                    "just before. deploy/README.md says how to restore.")
    b.add_argument("out", type=Path, metavar="OUT",
                   help="where to write: a new folder, or a new file ending in .tar.gz")

    h = sub.add_parser(
        "health", help="exit 1 when mailbot is not doing its job (for monitoring)",
        description="Check that the database is migrated, the mailbox was polled recently, "
                    "no email is failed or unknown in the outbox, and the daemon's lease is "
                    "not stale. One line per check (OK, WARN, FAIL); exit 0 when healthy, "
                    "1 when any check fails.")
    h.add_argument("--max-poll-age", type=_minutes, default=30, metavar="MINUTES",
                   help="the last poll may be at most this old (default: 30)")
    h.add_argument("--json", action="store_true", help="machine-readable output")
    return {"backup": cmd_backup, "health": cmd_health}


def cmd_backup(args: argparse.Namespace) -> int:
    from mailbot.cli import _app, _now
    from mailbot.jobs.backup import backup

    app = _app(args, check_schema=False)  # an outdated database is backed up all the same
    result = backup(app, args.out, _now(args, app.config.timezone), progress=_progress)
    if result.database is None:
        print(f"mailbot: warning: the database is {result.database_note}", file=sys.stderr)
    stores = ", ".join(f"{s.name}/ {s.files} file(s) {_size(s.bytes)}" for s in result.stores)
    db = (f"database at revision {result.revision or '-'} ({result.messages} message(s))"
          if result.database else "no database")
    print(f"{result.path}: {db}, {stores}")
    if result.missing:
        print(f"mailbot: {len(result.missing)} file(s) the ledger refers to are missing from "
              f"data_dir (listed in MANIFEST.txt): the backup holds everything there is",
              file=sys.stderr)
        return EXIT_ERROR
    return EXIT_OK


def cmd_health(args: argparse.Namespace) -> int:
    from mailbot.cli import _app, _now
    from mailbot.jobs.health import health

    app = _app(args, check_schema=False)  # an outdated database is one of the checks
    report = health(app, _now(args, app.config.timezone), wall=datetime.now(UTC),
                    max_poll_age=timedelta(minutes=args.max_poll_age))
    if args.json:
        print(json.dumps(report.json(), ensure_ascii=False, indent=2))
    else:
        for check in report.checks:
            print(check.line())
    return EXIT_OK if report.healthy else EXIT_ERROR


def _progress(done: int, total: int) -> None:
    """A bar on a terminal; a log line every 10% otherwise (journal, cron mail)."""
    if total < PROGRESS_FROM:
        return
    if sys.stderr.isatty():
        filled = 30 * done // total
        print(f"\r[{'#' * filled}{' ' * (30 - filled)}] {done}/{total} files",
              end="\n" if done == total else "", file=sys.stderr, flush=True)
    elif done == total or done % max(1, total // 10) == 0:
        log.info("backed up %d of %d files", done, total)


def _size(n: int) -> str:
    """2334 -> "2.3 KB", 15 * 2**20 -> "15.0 MB"."""
    return f"{n / 2**20:.1f} MB" if n >= 2**20 else f"{n / 1024:.1f} KB"


def _minutes(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 < value <= 366 * 24 * 60:  # also refuses nan and inf
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of minutes (above 0, "
                                         "at most a year)")
    return value
