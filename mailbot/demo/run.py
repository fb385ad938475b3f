"""`mailbot demo`: the real ingestion pass against a throwaway IMAP server on loopback.

It starts pymap (a real IMAP4rev1 server in Python, in memory) on 127.0.0.1, fills
the office mailbox with a month of realistic Vietnamese mail, writes a config using
the roster of config.example.toml, and runs the same commands an office would:
`db upgrade`, `poll`, `messages`, `status`. Nothing leaves the machine.
"""

from __future__ import annotations

import secrets
import shutil
import socket
import subprocess
import sys
import time
from importlib import resources
from pathlib import Path

from mailbot.errors import MailbotError

USER = "noivuduongkinh@example.com"
NOW = "2023-10-18T09:00"


def run_demo(folder: Path) -> int:
    from mailbot.cli import main

    folder = folder.resolve()
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    password = secrets.token_hex(8)
    port = _free_port()
    _step(f"starting a throwaway IMAP server (pymap) on 127.0.0.1:{port}")
    server = _start_pymap(port, password, folder / "imap-server.log")
    try:
        count = _seed(port, password)
        _step(f"the office mailbox now holds {count} messages from October 2023: "
              "submissions, a forward, a reply, a late one, an out-of-office reply, "
              "a bounce, a newsletter, unrelated mail, and one from before import_since")
        config = _write_config(folder, port, password)
        _step(f"config written to {config}")
        steps = [
            ("creating the database", ["db", "upgrade"]),
            (f"one ingestion pass, with the clock set to {NOW}", ["--now", NOW, "poll"]),
            ("the ledger: every message and what became of it", ["messages"]),
            ("who has sent what for October 2023", ["status", "--period", "2023-10"]),
        ]
        for title, argv in steps:
            _step(f"{title}: mailbot {' '.join(argv)}")
            code = main(["--config", str(config), *argv])
            if code != 0:
                return code
        _step(f"done. Files are under {folder / 'var'}; try: "
              f"mailbot --config {config} messages --json")
        return 0
    finally:
        server.terminate()
        server.wait(timeout=10)


def _step(text: str) -> None:
    print(f"\n==> {text}", flush=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _start_pymap(port: int, password: str, log: Path) -> subprocess.Popen[bytes]:
    if shutil.which("pymap") is None and not _has_module("pymap"):
        raise MailbotError("the demo needs pymap: pip install 'mailbot[demo]'")
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-c", "from pymap.main import main; main()", "--host", "127.0.0.1",
             "--port", str(port), "--no-tls", "dict", "--demo-user", USER,
             "--demo-password", password], stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise MailbotError(f"the demo IMAP server exited; see {log}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return proc
        except OSError:
            time.sleep(0.1)
    proc.terminate()
    raise MailbotError(f"the demo IMAP server did not start in 20 s; see {log}")


def _has_module(name: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(name) is not None


def _seed(port: int, password: str) -> int:
    from imapclient import IMAPClient

    from mailbot.demo.samples import month_of_mail

    mail = month_of_mail()
    with IMAPClient("127.0.0.1", port=port, ssl=False, timeout=10) as client:
        client.login(USER, password)
        for _, raw, when in mail:
            client.append("INBOX", raw, msg_time=when)
    return len(mail)


def _write_config(folder: Path, port: int, password: str) -> Path:
    example = resources.files("mailbot.demo").joinpath("config.example.toml").read_text("utf-8")
    roster = example[example.index("[[units]]"):]
    (folder / "imap-password").write_text(password + "\n", encoding="utf-8")
    config = folder / "mailbot.toml"
    config.write_text(f"""# Written by `mailbot demo`: a throwaway IMAP server on loopback.
timezone = "Asia/Ho_Chi_Minh"
data_dir = "var"

[database]
url = "sqlite:///var/mailbot.db"

[imap]
host = "127.0.0.1"
port = {port}
security = "plain"
username = "{USER}"
password_file = "imap-password"
import_since = "2023-09-01"
timeout = 10

{roster}""", encoding="utf-8")
    return config
