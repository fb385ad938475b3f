"""Command line: parse, call one job, map errors to exit codes. ``main(argv) -> int``."""

from __future__ import annotations

import argparse
import json
import logging
import sys
import warnings
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mailbot.cli_ops import register as register_ops
from mailbot.cli_package import register as register_package
from mailbot.cli_setup import register as register_setup
from mailbot.cli_web import actor, cmd_outbox_resolve, register_outbox
from mailbot.cli_web import register as register_web
from mailbot.core.model import Disposition
from mailbot.errors import ConfigError, MailbotError

log = logging.getLogger("mailbot")

EXIT_OK, EXIT_ERROR, EXIT_USAGE = 0, 1, 2


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="mailbot",
        description="Files the monthly submissions that units email to the office mailbox.")
    p.add_argument("--config", type=Path, metavar="PATH",
                   help="config file (default: $MAILBOT_CONFIG, else ./mailbot.toml)")
    p.add_argument("--now", metavar="ISO8601", type=_instant_arg,
                   help="set mailbot's clock for this run, e.g. 2023-10-16T08:00 "
                        "(no zone: the configured timezone)")
    p.add_argument("-v", "--verbose", action="store_true", help="log debug details")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", required=True)

    db = sub.add_parser("db", help="database maintenance",
                        description="Database maintenance.")
    dbsub = db.add_subparsers(dest="db_command", metavar="ACTION", required=True,
                              help="what to do with the database")
    dbsub.add_parser("upgrade", help="create the database or apply pending migrations",
                     description="Create the database or apply pending migrations.")

    sub.add_parser("poll", help="one ingestion pass, then exit",
                   description="Read new mail once, file it, print one summary line.")
    sub.add_parser("run", help="the daemon: IDLE on the mailbox, poll as a safety net",
                   description="Run until stopped (SIGTERM/SIGINT): file mail as it arrives.")

    m = sub.add_parser("messages", help="the ledger: every message and what became of it",
                       description="List the ledger, oldest first.")
    m.add_argument("--period", metavar="YYYY-MM", type=_period_arg,
                   help="only messages filed for this month")
    m.add_argument("--disposition", choices=[d.value for d in Disposition],
                   help="only messages with this disposition")
    m.add_argument("--json", action="store_true", help="machine-readable output")

    s = sub.add_parser("status", help="per unit: on time, late or missing for a month",
                       description="Show each unit's status for a month.")
    s.add_argument("--period", metavar="YYYY-MM", type=_period_arg,
                   help="the month (default: the one mail arriving now would count for)")
    s.add_argument("--json", action="store_true", help="machine-readable output")

    a = sub.add_parser("assign", help="file a message under a unit",
                       description="File a message (usually 'unmatched') under a unit.")
    a.add_argument("message", type=int, metavar="MESSAGE", help="ledger id (mailbot messages)")
    a.add_argument("unit", metavar="UNIT", help="unit code from the config")
    a.add_argument("--remember", action="store_true",
                   help="also match this sender's address to the unit from now on")

    sub.add_parser("tick", help="poll, do every duty due now, deliver the outbox, then exit",
                   description="One pass of what the daemon does, at now (or --now): "
                               "ingest, queue due reminders and status emails, deliver.")

    rm = sub.add_parser("remind", help="show who would be reminded for a month",
                        description="Show the units that would be reminded and the email.")
    rm.add_argument("--period", metavar="YYYY-MM", type=_period_arg, required=True,
                    help="the month whose deadline the reminder is about")
    rm.add_argument("--dry-run", action="store_true", required=True,
                    help="only show; reminders are sent by `tick` and `run` on their days")

    o = sub.add_parser("outbox", help="every email mailbot sent or will send",
                       description="List the outbox with each email's delivery status.")
    o.add_argument("--json", action="store_true", help="machine-readable output")
    register_outbox(o)

    ex = sub.add_parser("excuse", help="excuse a unit for a month (no reminder, not missing)",
                        description="Excuse a unit for a month: it gets no reminder and is "
                                    "shown as excused.")
    ex.add_argument("unit", metavar="UNIT", help="unit code from the config")
    ex.add_argument("--period", metavar="YYYY-MM", type=_period_arg, required=True,
                    help="the month")
    ex.add_argument("--reason", required=True, help="why (shown to the office)")

    d = sub.add_parser("demo", help="run a real ingestion pass on a throwaway local mailbox",
                       description="Start a throwaway IMAP server on loopback, fill it with "
                                   "a month of sample mail, and run db upgrade, poll, "
                                   "messages and status on it.")
    d.add_argument("--dir", type=Path, default=Path("mailbot-demo"),
                   help="working folder, recreated (default: ./mailbot-demo)")

    r = sub.add_parser("reprocess", help="replay a message (e.g. one in quarantine)",
                       description="Parse and file a message again from its stored bytes.")
    r.add_argument("message", type=int, metavar="ID", help="ledger id (mailbot messages)")
    _COMMANDS.update(register_setup(sub))
    _COMMANDS.update(register_ops(sub))
    _COMMANDS.update(register_package(sub))
    _COMMANDS.update(register_web(sub))
    return p


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    from mailbot import malloc  # ctypes: not for --help

    malloc.tune()
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
                        stream=sys.stderr)
    for noisy in ("imapclient", "alembic", "mailparser", "apscheduler"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    logging.captureWarnings(True)
    try:
        return _COMMANDS[_command_name(args)](args)
    except ConfigError as e:
        print(f"mailbot: config error: {e}", file=sys.stderr)
        return EXIT_USAGE
    except MailbotError as e:
        print(f"mailbot: {e}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("mailbot: interrupted", file=sys.stderr)
        return 130
    finally:
        while _OPENED:  # a PostgreSQL connection left to the garbage collector is a leak
            _OPENED.pop().close()


def _command_name(args: argparse.Namespace) -> str:
    if args.command == "db":
        return "db upgrade"
    if args.command == "digest":
        return f"digest {args.digest_command}"
    if args.command == "units":
        return f"units {args.units_command}"
    if args.command == "user":
        return f"user {args.user_command}"
    if args.command == "outbox" and getattr(args, "outbox_command", None):
        return f"outbox {args.outbox_command}"
    return str(args.command)


def _config(args: argparse.Namespace) -> Any:
    from mailbot.config import load_config

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        config = load_config(args.config)
    for w in caught:
        log.warning("%s", w.message)
    return config


def _now(args: argparse.Namespace, tz: Any) -> datetime:
    if not args.now:
        return datetime.now(UTC)
    value: datetime = args.now
    return value if value.tzinfo else value.replace(tzinfo=tz)


def _app(args: argparse.Namespace, *, check_schema: bool = True) -> Any:
    from mailbot.app import App

    app = App.open(_config(args), check_schema=check_schema)
    _OPENED.append(app)
    return app


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    app = _app(args, check_schema=False)
    from mailbot.adapters.db.engine import upgrade

    before, after = upgrade(app.engine)
    print(f"database at revision {after}" + ("" if before == after else f" (was {before})"))
    return EXIT_OK


def cmd_poll(args: argparse.Namespace) -> int:
    app = _app(args)
    from mailbot.adapters.imap import ImapMailbox
    from mailbot.jobs.ingest import poll
    from mailbot.render_cli import progress_lines

    with ImapMailbox(app.config.imap) as mailbox:
        summary = poll(app, mailbox, _now(args, app.config.timezone), progress=progress_lines)
    print(summary.line())
    return EXIT_OK


def cmd_run(args: argparse.Namespace) -> int:
    app = _app(args)
    from mailbot.daemon import run

    return run(app, clock=_clock(args, app.config.timezone))


def _clock(args: argparse.Namespace, tz: Any) -> Callable[[], datetime]:
    if not args.now:
        return lambda: datetime.now(UTC)
    start, real = _now(args, tz), datetime.now(UTC)
    return lambda: start + (datetime.now(UTC) - real)


def cmd_messages(args: argparse.Namespace) -> int:
    app = _app(args)
    from mailbot.adapters.db.queries import ledger
    from mailbot.render_cli import ledger_json, ledger_table

    rows = ledger(app.engine, args.period, args.disposition)
    if args.json:
        print(json.dumps(ledger_json(rows), ensure_ascii=False, indent=2))
    else:
        print(ledger_table(rows, app.config.timezone))
    return EXIT_OK


def cmd_status(args: argparse.Namespace) -> int:
    app = _app(args)
    from mailbot.adapters.db.digests import Digests
    from mailbot.adapters.db.queries import excused, ledger, submission_facts
    from mailbot.core.model import Disposition
    from mailbot.core.periods import assign_period
    from mailbot.core.status import period_status
    from mailbot.render_cli import status_json, status_table

    cfg = app.config
    period = args.period or assign_period(
        _now(args, cfg.timezone), subject="", schedule=cfg.schedule, tz=cfg.timezone,
        compiled_at=Digests(app.engine).compiled_at())[0]
    rows = period_status(cfg.units, submission_facts(app.engine, period),
                         excused(app.engine, period))
    if args.json:
        print(json.dumps(status_json(rows), ensure_ascii=False, indent=2))
    else:
        unverified = len(ledger(app.engine, period, Disposition.UNVERIFIED.value))
        print(status_table(rows, period, cfg.timezone, unverified=unverified))
    return EXIT_OK


def cmd_assign(args: argparse.Namespace) -> int:
    app = _app(args)
    from mailbot.jobs.ledger import assign

    outcome = assign(app, args.message, args.unit, _now(args, app.config.timezone),
                     remember=args.remember, actor=actor())
    print(f"message #{args.message}: {outcome}")
    return EXIT_OK


def cmd_reprocess(args: argparse.Namespace) -> int:
    app = _app(args)
    from mailbot.jobs.ledger import reprocess

    outcome = reprocess(app, args.message, _now(args, app.config.timezone), actor=actor())
    print(f"message #{args.message}: {outcome}")
    return EXIT_OK


def cmd_tick(args: argparse.Namespace) -> int:
    app = _app(args)
    from mailbot.jobs.tick import tick

    result = tick(app, _now(args, app.config.timezone))
    print(result.line)
    return EXIT_ERROR if result.poll_failed else EXIT_OK


def cmd_remind(args: argparse.Namespace) -> int:
    app = _app(args)
    from mailbot.jobs.duties import reminders

    if app.config.smtp is None:
        raise ConfigError("no [smtp] section: mailbot sends no reminders")
    mails = reminders(app, args.period, _now(args, app.config.timezone), dry_run=True)
    print(f"{len(mails)} unit(s) would be reminded for {args.period}")
    for m in mails:
        print(f"- {m.unit}: {', '.join(m.to)}")
    if mails:
        import email
        import email.policy

        sample = email.message_from_bytes(mails[0].raw, policy=email.policy.default)
        body = sample.get_body(preferencelist=("plain",))
        print(f"\nSubject: {sample['Subject']}\n")
        print(body.get_content() if body is not None else "")
    return EXIT_OK


def cmd_outbox(args: argparse.Namespace) -> int:
    app = _app(args)
    from mailbot.adapters.db.outbox import Outbox
    from mailbot.render_cli import outbox_json, outbox_table

    rows = Outbox(app.engine).rows()
    print(json.dumps(outbox_json(rows), ensure_ascii=False, indent=2) if args.json
          else outbox_table(rows, app.config.timezone))
    return EXIT_OK


def cmd_excuse(args: argparse.Namespace) -> int:
    app = _app(args)
    from mailbot.jobs.ledger import excuse

    excuse(app, args.unit, args.period, args.reason, _now(args, app.config.timezone),
           actor=actor())
    print(f"{args.unit} excused for {args.period}")
    return EXIT_OK


def cmd_demo(args: argparse.Namespace) -> int:
    from mailbot.demo.run import run_demo

    return run_demo(args.dir)


def _period_arg(text: str) -> Any:
    from mailbot.core.model import Period

    try:
        return Period.parse(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from e


def _instant_arg(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not an ISO 8601 date-time (example: 2023-10-16T08:00)") from e


_OPENED: list[Any] = []  # the Apps this run opened: closed when main returns

_COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "db upgrade": cmd_db_upgrade, "poll": cmd_poll, "run": cmd_run, "messages": cmd_messages,
    "status": cmd_status, "assign": cmd_assign, "reprocess": cmd_reprocess, "demo": cmd_demo,
    "tick": cmd_tick, "remind": cmd_remind, "outbox": cmd_outbox, "excuse": cmd_excuse,
    "outbox resolve": cmd_outbox_resolve,
}
