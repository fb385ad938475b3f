"""The deployment files say what deploy/README.md promises: checked statically, since
neither systemd nor Docker runs in CI (systemd-analyze verify runs when it is there)."""

from __future__ import annotations

import argparse
import json
import re
import shlex
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest

from mailbot import cli_ops
from mailbot.config import load_config

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
BIN = "/opt/mailbot/bin/mailbot"
DATA = "/var/lib/mailbot"
ENV_FILE = "/etc/mailbot/mailbot.env"


def unit() -> dict[str, list[tuple[str, str]]]:
    """systemd's unit syntax: sections of Key=Value lines; keys may repeat."""
    sections: dict[str, list[tuple[str, str]]] = {}
    current: list[tuple[str, str]] | None = None
    for raw in (DEPLOY / "mailbot.service").read_text().splitlines():
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("["):
            current = sections.setdefault(line.strip("[]"), [])
            continue
        assert current is not None and "=" in line, f"not a unit line: {raw!r}"
        key, _, value = line.partition("=")
        current.append((key.strip(), value.strip()))
    return sections


def service(key: str) -> list[str]:
    return [v for k, v in unit()["Service"] if k == key]


def one(key: str) -> str:
    values = service(key)
    assert len(values) == 1, f"{key}= appears {len(values)} times"
    return values[0]


def test_the_unit_migrates_then_runs_the_daemon_from_the_venv() -> None:
    # One command line, so that a config mistake (exit 2) in either is the main process's
    # status, which is all RestartPreventExitStatus looks at (an ExecStartPre failing with
    # 2 was restarted every 30 s when this was tried under systemd 252).
    assert "ExecStartPre" not in dict(unit()["Service"])
    assert shlex.split(one("ExecStart")) == [
        "/bin/sh", "-c", f"{BIN} db upgrade && exec {BIN} run"]
    assert one("Restart") == "on-failure"
    assert one("RestartPreventExitStatus") == "2"
    assert one("SyslogIdentifier") == "mailbot"  # not "sh"
    assert unit()["Install"] == [("WantedBy", "multi-user.target")]


def test_the_unit_runs_as_the_unprivileged_mailbot_user() -> None:
    assert one("User") == "mailbot" and one("Group") == "mailbot"
    assert "DynamicUser" not in dict(unit()["Service"])
    assert one("CapabilityBoundingSet") == "" and one("AmbientCapabilities") == ""


def test_the_unit_is_hardened_and_can_write_only_the_data_folder() -> None:
    for key, value in {"NoNewPrivileges": "yes", "ProtectSystem": "strict",
                       "PrivateTmp": "yes", "ProtectHome": "yes", "PrivateDevices": "yes",
                       "RestrictSUIDSGID": "yes"}.items():
        assert one(key) == value, key
    writable = [p for v in service("ReadWritePaths") for p in v.split()]
    assert writable == [DATA]
    assert one("StateDirectory") == "mailbot"  # systemd creates /var/lib/mailbot for the user
    assert one("WorkingDirectory") == DATA


def test_the_unit_takes_its_config_and_secrets_from_etc_mailbot() -> None:
    assert one("EnvironmentFile") == ENV_FILE
    assert service("Environment") == ["MAILBOT_CONFIG=/etc/mailbot/mailbot.toml"]
    text = (DEPLOY / "mailbot.service").read_text()
    assert "#LoadCredential=imap:" in text
    assert "/run/credentials/mailbot.service/imap" in text


@pytest.mark.skipif(shutil.which("systemd-analyze") is None,
                    reason="systemd-analyze is not installed (apt-get install systemd)")
def test_systemd_analyze_verify_accepts_the_unit(tmp_path: Path) -> None:
    # An alternate root with the unit, systemd's own units and stand-ins for the programs
    # ExecStart= names: verify checks that they are executable.
    units = next((p for p in (Path("/usr/lib/systemd/system"), Path("/lib/systemd/system"))
                  if (p / "sysinit.target").exists()), None)
    if units is None:
        pytest.skip("systemd's unit files are not installed")
    shutil.copytree(units, tmp_path / "usr/lib/systemd/system", symlinks=True)
    for program in (BIN, "/bin/sh"):
        stub = tmp_path / program.lstrip("/")
        stub.parent.mkdir(parents=True, exist_ok=True)
        stub.write_text("#!/bin/sh\n")
        stub.chmod(0o755)
    (tmp_path / "etc/systemd/system").mkdir(parents=True)
    shutil.copy(DEPLOY / "mailbot.service", tmp_path / "etc/systemd/system/mailbot.service")
    result = subprocess.run(["systemd-analyze", "verify", f"--root={tmp_path}", "mailbot.service"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and not result.stderr.strip(), result.stderr


def dockerfile() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    out: list[tuple[str, str]] = []
    pending = ""
    for raw in (DEPLOY / "Dockerfile").read_text().splitlines():
        if raw.strip().startswith("#") and not pending:
            continue
        pending += raw.rstrip()
        if pending.endswith("\\"):
            pending = pending[:-1] + " "
            continue
        if pending.strip():
            word, _, rest = pending.strip().partition(" ")
            out.append((word.upper(), " ".join(rest.split())))
        pending = ""
    return out


def final_stage() -> list[tuple[str, str]]:
    steps = dockerfile()
    start = max(i for i, (word, _) in enumerate(steps) if word == "FROM")
    return steps[start:]


def test_the_image_is_python_3_11_slim_and_installs_the_project_in_a_venv() -> None:
    froms = [args for word, args in dockerfile() if word == "FROM"]
    assert froms and all(f.startswith("python:3.11-slim") for f in froms)
    runs = " ".join(args for word, args in dockerfile() if word == "RUN")
    assert "/opt/mailbot/bin/pip install ." in runs
    copies = [args for word, args in dockerfile() if word == "COPY"]
    assert {"pyproject.toml README.md ./", "mailbot ./mailbot", "migrations ./migrations"} \
        <= set(copies)


def test_the_image_runs_as_a_non_root_user_with_data_on_a_volume() -> None:
    stage = final_stage()
    users = [args for word, args in stage if word == "USER"]
    assert users and users[-1].split(":")[0] not in ("root", "0")
    assert ("VOLUME", "/data") in stage
    env = " ".join(args for word, args in stage if word == "ENV")
    assert "MAILBOT_CONFIG=/config/mailbot.toml" in env
    assert "PASSWORD" not in env  # secrets come at run time, never baked in


def test_the_image_migrates_then_execs_the_daemon() -> None:
    entry = [args for word, args in final_stage() if word == "ENTRYPOINT"]
    assert len(entry) == 1
    argv = json.loads(entry[0])
    assert argv[:2] == ["/bin/sh", "-c"]
    script = argv[2]
    assert "mailbot db upgrade && exec mailbot run" in script
    # With arguments it runs that command instead: `docker compose run --rm mailbot status`.
    assert 'exec mailbot "$@"' in script
    assert ("HEALTHCHECK", '--interval=5m --timeout=1m --start-period=10m --retries=2 CMD '
            '["mailbot", "health"]') in final_stage()


@pytest.mark.parametrize(("args", "upgrade_exit", "calls", "code"), [
    ([], 0, ["db upgrade", "run"], 0),
    ([], 2, ["db upgrade"], 2),  # a config mistake: the daemon is not started
    (["status", "--period", "2023-10"], 0, ["status --period 2023-10"], 0),
])
def test_the_entrypoint_script_runs_under_sh_as_documented(
        tmp_path: Path, args: list[str], upgrade_exit: int, calls: list[str], code: int) -> None:
    entry = json.loads(next(a for w, a in final_stage() if w == "ENTRYPOINT"))
    log = tmp_path / "calls"
    fake = tmp_path / "mailbot"  # stands in for the venv's mailbot on PATH
    fake.write_text(f'#!/bin/sh\necho "$*" >> {log}\n'
                    f'[ "$1" = db ] && exit {upgrade_exit}\nexit 0\n')
    fake.chmod(0o755)
    result = subprocess.run([*entry, *args], env={"PATH": f"{tmp_path}:/usr/bin:/bin"},
                            timeout=30)
    assert result.returncode == code
    assert log.read_text().splitlines() == calls


def compose() -> dict[str, object]:
    """The compose file, read with a parser for the plain YAML subset it keeps to
    (block mappings, block lists of scalars, comments): PyYAML is no dependency."""
    root: dict[str, object] = {}
    stack: list[tuple[int, dict[str, object] | list[object]]] = [(-1, root)]
    pending: tuple[dict[str, object], str, int] | None = None  # "key:" awaiting its block
    for raw in (DEPLOY / "compose.yaml").read_text().splitlines():
        line = "" if raw.lstrip().startswith("#") else raw.split(" #")[0].rstrip()
        if not line:
            continue
        indent, text = len(line) - len(line.lstrip()), line.strip()
        if pending is not None:
            owner, key, at = pending
            if indent > at:
                block: dict[str, object] | list[object] = [] if text.startswith("- ") else {}
                owner[key] = block
                stack.append((at, block))
            else:
                owner[key] = None
            pending = None
        while stack[-1][0] >= indent:
            stack.pop()
        parent = stack[-1][1]
        if text.startswith("- "):
            assert isinstance(parent, list), f"outside the subset: {raw!r}"
            parent.append(text[2:].strip())
            continue
        key, sep, value = text.partition(":")
        assert sep and isinstance(parent, dict), f"outside the subset: {raw!r}"
        if value.strip():
            parent[key] = value.strip()
        else:
            pending = (parent, key, indent)
    if pending is not None:
        pending[0][pending[1]] = None
    return root


def test_compose_builds_the_image_and_keeps_data_on_a_named_volume() -> None:
    spec = compose()
    services = spec["services"]
    assert isinstance(services, dict)
    bot = services["mailbot"]
    assert isinstance(bot, dict)
    assert bot["build"] == {"context": "..", "dockerfile": "deploy/Dockerfile"}
    assert bot["restart"] == "unless-stopped"
    assert bot["env_file"] == ["mailbot.env"]
    assert bot["environment"] == {"MAILBOT_CONFIG": "/config/mailbot.toml"}
    assert bot["volumes"] == ["mailbot-data:/data", "./mailbot.toml:/config/mailbot.toml:ro"]
    assert bot["read_only"] == "true" and bot["cap_drop"] == ["ALL"]
    assert "mailbot-data" in spec["volumes"]  # type: ignore[operator]
    assert "user" not in bot  # the image's own non-root user


def test_the_env_example_names_both_passwords_single_quoted() -> None:
    lines = [line for line in (DEPLOY / "mailbot.env.example").read_text().splitlines()
             if line and not line.startswith("#")]
    assert [line.split("=")[0] for line in lines] == ["MAILBOT_IMAP_PASSWORD",
                                                      "MAILBOT_SMTP_PASSWORD"]
    assert all(re.fullmatch(r"[A-Z_]+='[^']*'", line) for line in lines)
    example = tomllib.loads((ROOT / "config.example.toml").read_text())
    assert example["imap"]["password_env"] == "MAILBOT_IMAP_PASSWORD"
    assert example["smtp"]["password_env"] == "MAILBOT_SMTP_PASSWORD"


def readme() -> str:
    return (DEPLOY / "README.md").read_text()


def test_the_readme_says_the_image_was_not_built_in_ci() -> None:
    assert "not built in CI" in readme()


@pytest.mark.parametrize(("target", "data_dir"), [("/etc/mailbot/mailbot.toml", DATA),
                                                    ("deploy/mailbot.toml", "/data")])
def test_the_readmes_config_edit_gives_the_deployed_layout(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, target: str, data_dir: str) -> None:
    commands = [line for line in readme().splitlines()
                if line.startswith("sed -i") and line.endswith(f" {target}")]
    assert len(commands) == 1
    config = tmp_path / "mailbot.toml"
    shutil.copy(ROOT / "config.example.toml", config)
    argv = [str(config) if a == target else a for a in shlex.split(commands[0])]
    subprocess.run(argv, check=True, timeout=30)
    monkeypatch.setenv("MAILBOT_IMAP_PASSWORD", "x")
    monkeypatch.setenv("MAILBOT_SMTP_PASSWORD", "x")
    loaded = load_config(config)
    assert loaded.data_dir == Path(data_dir)
    assert loaded.database_url == f"sqlite:///{data_dir}/mailbot.db"


def test_the_readme_restores_every_part_of_a_backup() -> None:
    text = readme()
    section = text[text.index("## Restore"):]
    for step in ("systemctl stop mailbot", "mailbot.db", "mail", "files",
                 "db upgrade", "systemctl start mailbot"):
        assert step in section, step


def test_the_backup_and_health_commands_have_help_everywhere() -> None:
    parser = argparse.ArgumentParser()
    handlers = cli_ops.register(parser.add_subparsers())
    assert set(handlers) == {"backup", "health"}
    subs = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    for name, sub in subs.choices.items():
        assert sub.description, f"`mailbot {name}` has no description"
        for action in sub._actions:
            assert action.help, f"`mailbot {name}` option {action.dest} has no help"


def test_pip_install_dot_ships_every_mailbot_package() -> None:
    # The venv and the image install with `pip install .`, which ships exactly the
    # packages listed in pyproject.toml: a package left out works in the editable
    # checkout and fails in production with ModuleNotFoundError.
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    listed = set(project["tool"]["setuptools"]["packages"])
    found = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "mailbot").rglob("*.py")}
    missing = sorted(found - listed)
    assert not missing, (f"add {missing} to [tool.setuptools] packages in pyproject.toml: "
                         "`pip install .` leaves them out")

