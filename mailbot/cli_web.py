"""Commands for the office's web page and the decisions it shares with the CLI:
`mailbot web`, `mailbot user add NAME`, `mailbot outbox resolve ID --sent|--retry`.

``register(sub)`` adds the parsers and returns the handlers, as mailbot.cli_ops does.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Callable

Handler = Callable[[argparse.Namespace], int]
EXIT_OK = 0


def actor() -> str:
    """Who made a decision from the command line, for the audit log."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> dict[str, Handler]:
    w = sub.add_parser(
        "web", help="serve the office's web page (status, what waits, the package)",
        description="Serve the office's web page until stopped. Staff log in with accounts "
                    "made by `mailbot user add`. Listens on [web] listen, default "
                    "127.0.0.1:8080 (this machine only).")
    w.add_argument("--listen", metavar="HOST:PORT",
                   help="address to listen on (default: [web] listen, else 127.0.0.1:8080)")

    u = sub.add_parser("user", help="staff accounts for the web page",
                       description="Manage the staff accounts of the web page.")
    usub = u.add_subparsers(dest="user_command", metavar="ACTION", required=True,
                            help="what to do with the account")
    ua = usub.add_parser("add", help="create an account, or set a new password",
                         description="Create a staff account, or set a new password (which "
                                     "also unlocks it). The password is asked for, or read "
                                     "from the first line of standard input when it is not "
                                     "a terminal.")
    ua.add_argument("name", metavar="NAME", help="login name, e.g. lan.nguyen")
    return {"web": cmd_web, "user add": cmd_user_add}


def register_outbox(o: argparse.ArgumentParser) -> None:
    """`mailbot outbox resolve ID --sent|--retry` under the existing `outbox` command."""
    osub = o.add_subparsers(dest="outbox_command", metavar="ACTION",
                            help="resolve: settle a failed or unknown email")
    r = osub.add_parser("resolve", help="settle a failed or unknown email",
                        description="After checking with the recipient: mark a failed or "
                                    "unknown email as sent, or send it again.")
    r.add_argument("id", type=int, metavar="ID", help="outbox id (mailbot outbox)")
    how = r.add_mutually_exclusive_group(required=True)
    how.add_argument("--sent", action="store_true", help="it did arrive: mark it sent")
    how.add_argument("--retry", action="store_true", help="send it again at the next delivery")


def cmd_outbox_resolve(args: argparse.Namespace) -> int:
    from mailbot.cli import _app, _now
    from mailbot.jobs.outgoing import resolve

    app = _app(args)
    status = resolve(app, args.id, sent=args.sent, now=_now(args, app.config.timezone),
                     actor=actor())
    print(f"outbox #{args.id}: {status}")
    return EXIT_OK


def cmd_web(args: argparse.Namespace) -> int:
    from mailbot.cli import _app
    from mailbot.config import DEFAULT_WEB_LISTEN
    from mailbot.config_fields import Table, listen_address
    from mailbot.web.app import serve

    app = _app(args)
    host, port = (listen_address(Table({}, "", set()), args.listen, "--listen") if args.listen
                  else app.config.web.listen or DEFAULT_WEB_LISTEN)
    print(f"web page on http://{host}:{port}/ (Ctrl-C to stop)", file=sys.stderr)
    serve(app, host, port)
    return EXIT_OK


def cmd_user_add(args: argparse.Namespace) -> int:
    from mailbot.cli import _app, _now
    from mailbot.errors import ConfigError
    from mailbot.jobs.users import add_user

    app = _app(args)
    if sys.stdin.isatty():
        password = getpass.getpass(f"password for {args.name}: ")
        if getpass.getpass("again: ") != password:
            raise ConfigError("the two passwords differ")
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    created = add_user(app, args.name, password, _now(args, app.config.timezone),
                       actor=actor())
    print(f"user {args.name.strip().lower()} " + ("created" if created else "password changed"))
    return EXIT_OK
