"""The setup commands' parsers, and `run_mailbot`: the real `mailbot.cli.main` with the
setup commands in it (wired as cli.py will wire them, until it does)."""

from __future__ import annotations

import argparse
from typing import Any

import pytest

from mailbot import cli
from mailbot.cli_setup import register


def _subparsers(parser: argparse.ArgumentParser) -> Any:
    return next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))


def run_mailbot(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
                *argv: str) -> tuple[int, str, str]:
    """(exit code, stdout, stderr) of `mailbot ARGV`, in-process."""
    if "check" not in _subparsers(cli.build_parser()).choices:
        build, name = cli.build_parser, cli._command_name

        def build_parser() -> argparse.ArgumentParser:
            parser = build()
            cli._COMMANDS.update(register(_subparsers(parser)))
            return parser

        def command_name(args: argparse.Namespace) -> str:
            return f"units {args.units_command}" if args.command == "units" else name(args)

        monkeypatch.setattr(cli, "_COMMANDS", dict(cli._COMMANDS))
        monkeypatch.setattr(cli, "build_parser", build_parser)
        monkeypatch.setattr(cli, "_command_name", command_name)
    capsys.readouterr()
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _fresh() -> Any:
    return argparse.ArgumentParser(prog="mailbot").add_subparsers(dest="command")


def _parsers() -> list[tuple[str, argparse.ArgumentParser]]:
    sub = _fresh()
    register(sub)
    found = [(name, p) for name, p in sub.choices.items()]
    for name, parser in list(found):
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                found += [(f"{name} {n}", p) for n, p in action.choices.items()]
    return found


def test_the_handlers_are_named_as_the_cli_names_its_commands() -> None:
    assert set(register(_fresh())) == {"init", "units import", "units export", "check"}
    assert {n for n, _ in _parsers()} == {"init", "units", "units import", "units export",
                                          "check"}


@pytest.mark.parametrize(("name", "parser"), _parsers(), ids=[n for n, _ in _parsers()])
def test_every_setup_command_and_option_has_help(name: str,
                                                 parser: argparse.ArgumentParser) -> None:
    assert parser.description, f"`mailbot {name}` has no description"
    for action in parser._actions:
        assert action.help, f"`mailbot {name}` option {action.dest} has no help"


def test_units_needs_an_action(monkeypatch: pytest.MonkeyPatch,
                               capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        run_mailbot(monkeypatch, capsys, "units")
    assert exit_.value.code == 2
