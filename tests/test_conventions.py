"""Meta-tests that guard the project's conventions."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from mailbot.cli import build_parser
from mailbot.config import load_config

ROOT = Path(__file__).resolve().parent.parent
CORE = ROOT / "mailbot" / "core"
IO_MODULES = {"os", "io", "socket", "ssl", "sqlite3", "sqlalchemy", "imapclient", "imaplib",
              "smtplib", "aiosmtplib", "apscheduler", "subprocess", "pathlib", "logging",
              "time", "shutil", "tempfile", "mailparser", "jinja2", "mailbot.adapters",
              "mailbot.jobs", "mailbot.app", "mailbot.config"}


@pytest.mark.parametrize("module", sorted(CORE.glob("*.py")), ids=lambda p: p.name)
def test_the_core_imports_no_io_library(module: Path) -> None:
    tree = ast.parse(module.read_text())
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import)
                for alias in node.names}
    imported |= {node.module for node in ast.walk(tree)
                 if isinstance(node, ast.ImportFrom) and node.module}
    bad = {m for m in imported if m in IO_MODULES or m.split(".")[0] in IO_MODULES
           or any(m.startswith(p + ".") for p in IO_MODULES)}
    assert not bad, f"{module.name} imports {sorted(bad)}"


@pytest.mark.parametrize("module", sorted(CORE.glob("*.py")), ids=lambda p: p.name)
def test_the_core_never_reads_the_clock(module: Path) -> None:
    text = module.read_text()
    for call in ("datetime.now(", "date.today(", ".utcnow(", "time.time("):
        assert call not in text, f"{module.name} reads the clock with {call}"


def _subcommands(parser) -> dict[str, object]:  # type: ignore[no-untyped-def]
    for action in parser._actions:
        if action.__class__.__name__ == "_SubParsersAction":
            return dict(action.choices)
    return {}


def test_every_cli_command_has_help() -> None:
    commands = _subcommands(build_parser())
    assert {"db", "poll", "run", "messages", "status", "assign", "reprocess"} <= set(commands)
    for name, sub in commands.items():
        assert sub.description, f"`mailbot {name}` has no description"  # type: ignore[attr-defined]
        for action in sub._actions:  # type: ignore[attr-defined]
            assert action.help, f"`mailbot {name}` option {action.dest} has no help"


def test_the_example_config_loads(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MAILBOT_IMAP_PASSWORD", "app-password")
    monkeypatch.setenv("MAILBOT_SMTP_PASSWORD", "app-password")
    config = load_config(ROOT / "config.example.toml")
    assert len(config.units) >= 30
    assert config.imap.import_since.isoformat() == "2023-10-01"
    names = [u.name for u in config.units]
    assert "UBND phường Hòa Nghĩa" in names


def test_python_dash_m_mailbot_prints_help() -> None:
    out = subprocess.run([sys.executable, "-m", "mailbot", "--help"], capture_output=True,
                         text=True, timeout=30, check=True).stdout
    assert "poll" in out and "messages" in out


def test_the_daemon_loads_the_office_document_libraries_only_when_a_package_is_built() -> None:
    # python-docx, openpyxl and lxml are ~19 MB of a ~75 MB idle daemon (bench/idle.py).
    probe = ("import sys, mailbot.daemon, mailbot.cli, mailbot.jobs.digest; "
             "print(sorted(m for m in ('docx', 'openpyxl', 'lxml') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         check=True, timeout=60)
    assert out.stdout.strip() == "[]"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc only")
def test_glibc_malloc_is_tuned_without_starting_a_process(monkeypatch: pytest.MonkeyPatch) -> None:
    # A fixed mmap threshold and two arenas keep a poll's memory bounded by its largest
    # message (bench/memory.py: 302 MB before, ~105 MB after, for a 27 MB message).
    from mailbot import malloc

    def no_child(*args: object, **kwargs: object) -> None:
        raise AssertionError("malloc.tune started a process")

    monkeypatch.setattr(subprocess, "Popen", no_child)
    assert malloc.tune() is True
