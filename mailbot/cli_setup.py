"""Setting mailbot up: `init`, `units import` / `units export` and `check`.

``register(sub)`` adds the parsers to mailbot's subcommands and returns the handlers by
command name ("units import"), for cli.py's command table. Handlers return an exit code
and raise mailbot's errors, which cli.main turns into exit codes.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from collections.abc import Callable
from pathlib import Path

Handler = Callable[[argparse.Namespace], int]
EXIT_OK, EXIT_ERROR = 0, 1


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> dict[str, Handler]:
    init = sub.add_parser(
        "init", help="write a commented config and a units sheet to fill in",
        description="Create DIR (or use an empty one) with mailbot.toml, the example config "
                    "without its roster, and don-vi.xlsx, the units sheet to fill in; then "
                    "print the next steps. Needs no config file.")
    init.add_argument("dir", type=Path, metavar="DIR", help="the folder to write into")
    init.add_argument("--force", action="store_true",
                      help="write into a folder that is not empty (an existing mailbot.toml "
                           "or don-vi.xlsx is kept as .bak)")

    units = sub.add_parser(
        "units", help="the roster: import it from a spreadsheet, or export it",
        description="The units live in the config's [[units]]; the office keeps them in a "
                    "spreadsheet with the columns Mã đơn vị, Tên đơn vị, Email, Ghi chú "
                    "(and optionally Tên gọi khác).")
    actions = units.add_subparsers(dest="units_command", metavar="ACTION", required=True,
                                   help="what to do with the roster")
    imp = actions.add_parser(
        "import", help="replace the config's [[units]] with the rows of a sheet",
        description="Read an .xlsx or .csv sheet (UTF-8 with or without BOM, or "
                    "Windows-1258; separated by , or ;) and rewrite the [[units]] of the "
                    "config file; the rest of the file is kept as it is and the old file "
                    "is kept as <config>.bak. A sheet with any bad row changes nothing.")
    imp.add_argument("sheet", type=Path, metavar="FILE", help="units.xlsx or units.csv")
    imp.add_argument("--dry-run", action="store_true",
                     help="check the sheet and show what would change; write nothing")
    exp = actions.add_parser(
        "export", help="write the roster as a sheet (CSV on standard output by default)",
        description="Write the config's units with the columns of the units sheet, "
                    "notes included: to FILE.xlsx or FILE.csv, or as CSV on standard output.")
    exp.add_argument("--out", type=Path, metavar="FILE",
                     help="an .xlsx or .csv file to write (a .csv gets a BOM for Excel)")
    exp.add_argument("--delimiter", choices=[",", ";"], default=",",
                     help="CSV separator (default ,; Excel in a Vietnamese locale uses ;)")

    check = sub.add_parser(
        "check", help="validate the config and log in to IMAP and SMTP with it",
        description="Load the config, then connect and log in to the IMAP and SMTP servers, "
                    "open the folder, read the server's IDLE, AUTH and SIZE, and look at "
                    "the database. One line per step: OK, WARN, FAIL (with the fix) or "
                    "SKIP. Exit code 1 when any step fails.")
    check.add_argument("--timeout", type=float, default=20.0, metavar="SECONDS",
                       help="wait at most this long for a server (default 20; the config's "
                            "timeout when shorter)")
    return {"init": cmd_init, "units import": cmd_units_import,
            "units export": cmd_units_export, "check": cmd_check}


def _command(args: argparse.Namespace) -> str:
    """How to call mailbot with the same config, for the next steps and fixes."""
    config = getattr(args, "config", None)
    return f"mailbot --config {shlex.quote(str(config))}" if config else "mailbot"


def cmd_init(args: argparse.Namespace) -> int:
    from mailbot.jobs.units_sheet import init_folder

    result = init_folder(args.dir, force=args.force)
    mb = f"mailbot --config {shlex.quote(str(result.config))}"
    sheet = shlex.quote(str(result.sheet))
    print(f"wrote {result.config} (the settings) and {result.sheet} (the units sheet)"
          + "".join(f"; the old {b.stem} is kept as {b}" for b in result.backups))
    print(f"""next steps:
  1. fill in {result.sheet}: one row per unit (Mã đơn vị, Tên đơn vị, Email,
     Ghi chú), and delete the two example rows
  2. edit {result.config}: the [imap] and [smtp] accounts, import_since, [office], [board]
  3. {mb} units import {sheet}
  4. set the passwords: export MAILBOT_IMAP_PASSWORD=... MAILBOT_SMTP_PASSWORD=...
     (for Gmail: an app password)
  5. {mb} check
  6. {mb} db upgrade
  7. {mb} run""")
    return EXIT_OK


def cmd_units_import(args: argparse.Namespace) -> int:
    from mailbot.jobs.units_sheet import import_units

    r = import_units(args.config, args.sheet, dry_run=args.dry_run)
    count = len(r.sheet.entries)
    changes = "; ".join(f"{len(codes)} {what} ({', '.join(codes)})" for what, codes in
                        (("added", r.added), ("removed", r.removed), ("changed", r.changed))
                        if codes) or "no change"
    if args.dry_run:
        print(f"{args.sheet.name}: {count} unit(s), {changes}; would be written to "
              f"{r.config_path} (dry run: nothing written)")
    else:
        print(f"imported {count} unit(s) from {args.sheet.name} into {r.config_path}: "
              f"{changes}; the previous file is kept as {r.backup}")
    if r.encoding and r.encoding not in ("UTF-8", "UTF-8 with BOM"):
        print(f"note: {args.sheet.name} was read as {r.encoding}")
    if r.sheet.ignored_columns:
        print(f"note: column(s) not used: {', '.join(r.sheet.ignored_columns)}")
    for line in r.sheet.warnings:
        print(f"warning: {line}")
    for line in r.warnings:
        print(f"warning: {line}")
    for why in r.missing_secrets.values():
        print(f"note: set the password before `mailbot check`: {why}")
    return EXIT_OK


def cmd_units_export(args: argparse.Namespace) -> int:
    from mailbot.jobs.units_sheet import export_rows, write_sheet

    rows = export_rows(args.config)
    text = write_sheet(rows, args.out, delimiter=args.delimiter)
    if args.out is None:
        sys.stdout.write(text)
    else:
        print(f"wrote {len(rows) - 1} unit(s) to {args.out}")
    return EXIT_OK


def cmd_check(args: argparse.Namespace) -> int:
    from mailbot.jobs.check import FAIL, run_check

    steps = run_check(args.config, timeout=args.timeout, command=_command(args),
                      report=lambda step: print(step.line(), flush=True))
    counts = {s: sum(1 for step in steps if step.status == s)
              for s in ("OK", "WARN", "FAIL", "SKIP")}
    print("check: " + ", ".join(f"{n} {s}" for s, n in counts.items() if n))
    return EXIT_ERROR if counts[FAIL] else EXIT_OK
