"""Guards for the conventions of mailbot.core: pure, documented, small, examples that hold."""

import ast
import doctest
import importlib
from pathlib import Path

import pytest

CORE = Path(__file__).parents[2] / "mailbot" / "core"
MODULES = sorted(p for p in CORE.glob("*.py") if p.name != "__init__.py")

# Talking to the outside world, or reading the clock, belongs to adapters and jobs.
FORBIDDEN_IMPORTS = {
    "aiosmtplib", "apscheduler", "asyncio", "email", "http", "imaplib", "imapclient", "io",
    "jinja2", "logging", "mailparser", "os", "pathlib", "random", "requests", "shutil",
    "smtplib", "socket", "sqlalchemy", "sqlite3", "ssl", "subprocess", "sys", "tempfile",
    "threading", "time", "tnefparse", "urllib", "zoneinfo",
}
CLOCK_READS = {"now", "today", "utcnow", "time_ns", "monotonic"}
MAX_LINES = 250


def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _imported(tree: ast.Module) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_core_modules_import_nothing_that_does_io(path: Path) -> None:
    assert _imported(_tree(path)) & FORBIDDEN_IMPORTS == set()


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_core_modules_never_read_the_clock(path: Path) -> None:
    calls = [
        node.func.attr for node in ast.walk(_tree(path))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
        and node.func.attr in CLOCK_READS
    ]
    assert calls == []


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_every_public_core_function_and_class_has_a_docstring(path: Path) -> None:
    undocumented = [
        node.name for node in _tree(path).body
        if isinstance(node, ast.FunctionDef | ast.ClassDef)
        and not node.name.startswith("_") and ast.get_docstring(node) is None
    ]
    assert undocumented == []


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_core_modules_stay_small(path: Path) -> None:
    assert len(path.read_text(encoding="utf-8").splitlines()) <= MAX_LINES


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_the_examples_in_core_docstrings_hold(path: Path) -> None:
    module = importlib.import_module(f"mailbot.core.{path.stem}")
    failed, _ = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert failed == 0
