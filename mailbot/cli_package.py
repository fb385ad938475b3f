"""The monthly package and the yearly archive: `mailbot digest preview|hold|approve|send`
and `mailbot archive`.

``register(sub)`` adds their parsers and returns their handlers, as mailbot.cli_ops does;
mailbot.cli is imported lazily, so that it can import this module at its top.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

from mailbot.cli_web import actor
from mailbot.errors import ConfigError

Handler = Callable[[argparse.Namespace], int]
EXIT_OK = 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> dict[str, Handler]:
    from mailbot.cli import _period_arg

    dg = sub.add_parser("digest", help="the monthly package for the Board",
                        description="Preview, hold, approve or send the monthly package.")
    dgsub = dg.add_subparsers(dest="digest_command", metavar="ACTION", required=True,
                              help="what to do with the package")
    for name, text in (("preview", "write the email(s), .html, .docx and .xlsx to a folder"),
                       ("hold", "do not send the package until approved"),
                       ("approve", "send the package at its time (or now, if that passed)"),
                       ("send", "queue the package for the Board now")):
        act = dgsub.add_parser(name, help=text, description=text[0].upper() + text[1:] + ".")
        act.add_argument("--period", metavar="YYYY-MM", type=_period_arg, required=True,
                         help="the month of the package")
        if name == "preview":
            act.add_argument("--out", type=Path, required=True, metavar="DIR",
                             help="folder to write into (created if missing)")
        if name == "send":
            act.add_argument("--resend", action="store_true",
                             help="send again a package that was already sent")

    ar = sub.add_parser("archive", help="a year's submissions in one zip, by unit and month",
                        description="Write every submission of a year (files, texts and an "
                                    "index spreadsheet) into one zip, by unit and month.")
    ar.add_argument("--year", type=int, required=True, help="the year, e.g. 2024")
    ar.add_argument("--out", type=Path, required=True, metavar="FILE.zip", help="the zip to write")
    return {"digest preview": cmd_digest, "digest hold": cmd_digest,
            "digest approve": cmd_digest, "digest send": cmd_digest, "archive": cmd_archive}


def cmd_digest(args: argparse.Namespace) -> int:
    from mailbot.cli import _app, _now

    app = _app(args)
    from mailbot.jobs import digest

    if app.config.board is None:
        raise ConfigError("no [board] section: there is no package to prepare")
    now = _now(args, app.config.timezone)
    action = args.digest_command
    if action == "preview":
        for path in digest.write_preview(app, args.period, args.out, now):
            print(path)
    elif action in ("hold", "approve"):
        status = digest.set_decision(app, args.period, "held" if action == "hold"
                                     else "approved", now, actor=actor())
        print(f"package {args.period}: {status}")
    else:
        from mailbot.jobs.outgoing import deliver_outbox

        added = digest.send_now(app, args.period, now, resend=args.resend, actor=actor())
        sent = deliver_outbox(app, now)
        print(f"package {args.period}: queued {len(added)} email(s); outbox "
              + (", ".join(f"{k} {v}" for k, v in sent.items()) or "idle"))
    return EXIT_OK


def cmd_archive(args: argparse.Namespace) -> int:
    from mailbot.cli import _app

    app = _app(args)
    from mailbot.jobs.archive import build_archive
    from mailbot.render_cli import progress_bar

    result = build_archive(app, args.year, args.out, progress=progress_bar)
    print(f"{result.path}: {result.submissions} submission(s), {result.files} file(s), "
          f"{result.bytes / 2**20:.1f} MB")
    return EXIT_OK
