"""`mailbot demo`: a whole month of the office's work, on loopback servers, in minutes.

It starts pymap (a real IMAP4rev1 server in Python, in memory) on 127.0.0.1 and an
SMTP server (aiosmtpd) that delivers what mailbot sends back into that IMAP server,
one folder per recipient ("Delivered/<address>"), writes a config from the roster
of config.example.toml, and walks a simulated clock through October 2023. At every
step the units' mail that has "arrived" by then is appended to the office INBOX and
the real `mailbot tick` runs (the same poll, ledger, duties, outbox and SMTP code the
daemon runs): acknowledgements, reminders on the 10th and 14th, the office status and
the package preview on the 16th, the package to the Board on the 17th. Nothing leaves
the machine.
"""

from __future__ import annotations

import email
import email.policy
import secrets
import shutil
import socket
import subprocess
import sys
import time
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import Any

from mailbot.errors import MailbotError

USER = "noivuduongkinh@example.com"
OFFICE_BOSS = "truongphong.noivu@example.gov.vn"
BOARD = "banthiduakhenthuong@example.gov.vn"


def run_demo(folder: Path) -> int:
    import logging

    from mailbot.cli import main

    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd's per-command log
    folder = folder.resolve()
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    password = secrets.token_hex(8)
    imap_port = _free_port()
    _say(f"starting a throwaway IMAP server (pymap) on 127.0.0.1:{imap_port}")
    server = _start_pymap(imap_port, password, folder / "imap-server.log")
    smtp = _start_smtp(imap_port, password)
    _say(f"starting an SMTP server on 127.0.0.1:{smtp.port} that delivers into it")
    try:
        config = _write_config(folder, imap_port, smtp.port, password)
        _say(f"config written to {config}")
        if main(["--config", str(config), "db", "upgrade"]) != 0:
            return 1
        timeline = _timeline()
        for i, (when, what, arriving) in enumerate(timeline, start=1):
            _append(imap_port, password, arriving)
            now = when.strftime("%Y-%m-%dT%H:%M")
            _say(f"[{i:2d}/{len(timeline)}] {when:%d/%m %H:%M}  {what}")
            if main(["--config", str(config), "--now", now, "tick"]) not in (0,):
                return 1
            if what.startswith("a reminder went out"):  # a clerk answers the reminder
                _append(imap_port, password, [_reply_to_reminder(config)])
        _say("the ledger: every message and what became of it")
        main(["--config", str(config), "messages"])
        _say("what mailbot sent (mailbot outbox lists each email)")
        _outbox_summary(config)
        _say("who has sent what for October 2023")
        main(["--config", str(config), "status", "--period", "2023-10"])
        paths = _save_package(imap_port, password, folder / "goi-gui-ban")
        _say("the package the Board received (open these):")
        for p in paths:
            print(f"    {p}")
        return 0
    finally:
        smtp.stop()
        server.terminate()
        server.wait(timeout=10)


def _say(text: str) -> None:
    print(f"\n==> {text}", flush=True)


def _timeline() -> list[tuple[datetime, str, list[tuple[bytes, datetime]]]]:
    """(instant, what happens, mail arriving by then) through October 2023."""
    from mailbot.demo.samples import at, malformed, month_of_mail

    mail = {k: (raw, when) for k, raw, when in month_of_mail()}
    mail["late"] = (mail["late"][0], at(16, 7, 30))  # late, but before the package is frozen
    mail["malformed"] = (malformed(), at(11, 11))
    steps: list[tuple[datetime, str]] = [
        (at(1, 9), "a new month starts; mail from before import_since sits in the mailbox"),
        (at(10, 8), "a reminder went out to every unit that has sent nothing (5 days left)"),
        (at(10, 9, 5), "Hòa Nghĩa's report arrives and is acknowledged within the tick"),
        (at(11, 11, 5), "a bounce, an out-of-office reply, a newsletter, a broken message"),
        (at(12, 15, 5), "Đa Phúc replies with a photo"),
        (at(13, 9, 5), "someone forwards Tư pháp's report"),
        (at(14, 8), "the last reminder, one day before the deadline"),
        (at(14, 9, 5), "a sender mailbot does not know"),
        (at(16, 7, 35), "a late submission, still counted for October"),
        (at(16, 8), "the office gets its status email and the package preview"),
        (at(17, 8), "the package goes to the Board of Emulation and Rewards"),
    ]
    out = []
    sent: set[str] = set()
    for when, what in steps:
        due = [(raw, t) for k, (raw, t) in mail.items() if t <= when and k not in sent]
        sent |= {k for k, (_, t) in mail.items() if t <= when}
        out.append((when, what, due))
    return out


def _reply_to_reminder(config: Path) -> tuple[bytes, datetime]:
    """A clerk of Hải Thành answers the reminder from a personal address."""
    import json

    from mailbot.demo.samples import DOCX, DOCX_TYPE, at, make_mail

    rows = json.loads(subprocess.run(
        [sys.executable, "-m", "mailbot", "--config", str(config), "outbox", "--json"],
        capture_output=True, text=True, check=True).stdout)
    reminder = next(r for r in rows if r["kind"] == "reminder" and r["unit"] == "hai-thanh")
    raw = make_mail(
        sender="Chị Hoa (văn thư) <hoa.vanthu@example.com>",
        subject="Re: Nhắc nhở gửi gương người tốt, việc tốt tháng 10/2023",
        message_id="<ht-1@example.com>", in_reply_to=f"<{reminder['message_id']}>",
        body="Kính gửi Phòng Nội vụ,\nUBND phường Hải Thành gửi gương bà Trần Thị Bình "
             "nhặt được của rơi trả người đánh mất.\n",
        attachments=[("Báo cáo Hải Thành.docx", DOCX, DOCX_TYPE)])
    return raw, at(10, 9)


def _outbox_summary(config: Path) -> None:
    from collections import Counter

    from mailbot.adapters.db.outbox import Outbox
    from mailbot.app import App
    from mailbot.config import load_config

    app = App.open(load_config(config))
    try:
        counts = Counter((r.kind, r.status) for r in Outbox(app.engine).rows())
    finally:
        app.close()
    for (kind, status), n in sorted(counts.items()):
        print(f"    {kind:14} {status:8} {n}")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _start_pymap(port: int, password: str, log: Path) -> subprocess.Popen[bytes]:
    import importlib.util

    if importlib.util.find_spec("pymap") is None:
        raise MailbotError("the demo needs pymap and aiosmtpd: pip install 'mailbot[demo]'")
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


class _Delivery:
    """aiosmtpd handler: every accepted message goes into Delivered/<recipient>."""

    def __init__(self, imap_port: int, password: str) -> None:
        self.imap_port, self.password = imap_port, password

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        from imapclient import IMAPClient

        with IMAPClient("127.0.0.1", port=self.imap_port, ssl=False, timeout=10) as client:
            client.login(USER, self.password)
            for rcpt in envelope.rcpt_tos:
                folder = f"Delivered/{rcpt.lower()}"
                if not client.folder_exists(folder):
                    client.create_folder(folder)
                client.append(folder, envelope.original_content or envelope.content)
        return "250 delivered"


def _start_smtp(imap_port: int, password: str) -> Any:
    from aiosmtpd.controller import Controller

    controller = Controller(_Delivery(imap_port, password), hostname="127.0.0.1",
                            port=_free_port())
    controller.start()
    return controller


def _append(port: int, password: str, mail: list[tuple[bytes, datetime]]) -> None:
    from imapclient import IMAPClient

    if not mail:
        return
    with IMAPClient("127.0.0.1", port=port, ssl=False, timeout=10) as client:
        client.login(USER, password)
        for raw, when in mail:
            client.append("INBOX", raw, msg_time=when)


def _save_package(port: int, password: str, out: Path) -> list[Path]:
    """The Board's copy, as delivered: .eml, an .html rendering, and its attachments."""
    from imapclient import IMAPClient

    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    with IMAPClient("127.0.0.1", port=port, ssl=False, timeout=10) as client:
        client.login(USER, password)
        client.select_folder(f"Delivered/{BOARD}", readonly=True)
        for i, (_, item) in enumerate(sorted(client.fetch(client.search(["ALL"]),
                                                          ["BODY.PEEK[]"]).items()), start=1):
            raw = item[b"BODY[]"]
            msg = email.message_from_bytes(raw, policy=email.policy.default)
            (out / f"phan-{i}.eml").write_bytes(raw)
            html = msg.get_body(preferencelist=("html",))
            (out / f"phan-{i}.html").write_text(str(html.get_content()) if html else "",
                                                encoding="utf-8")
            written += [out / f"phan-{i}.eml", out / f"phan-{i}.html"]
            for part in msg.iter_attachments():
                name = str(part.get_filename())
                if name.endswith((".docx", ".xlsx")) and name.startswith(("Tong-hop",
                                                                          "Danh-sach")):
                    (out / name).write_bytes(part.get_content())
                    written.append(out / name)
    return written


def _write_config(folder: Path, imap_port: int, smtp_port: int, password: str) -> Path:
    example = resources.files("mailbot.demo").joinpath("config.example.toml").read_text("utf-8")
    roster = example[example.index("[[units]]"):]
    (folder / "imap-password").write_text(password + "\n", encoding="utf-8")
    config = folder / "mailbot.toml"
    config.write_text(f"""# Written by `mailbot demo`: throwaway IMAP and SMTP servers on loopback.
timezone = "Asia/Ho_Chi_Minh"
data_dir = "var"

[database]
url = "sqlite:///var/mailbot.db"

[imap]
host = "127.0.0.1"
port = {imap_port}
security = "plain"
username = "{USER}"
password_file = "imap-password"
import_since = "2023-09-01"
timeout = 10

[smtp]
host = "127.0.0.1"
port = {smtp_port}
security = "plain"
from_address = "{USER}"
from_name = "Phòng Nội vụ quận Dương Kinh"
timeout = 10

[office]
emails = ["{OFFICE_BOSS}"]

[board]
to = ["{BOARD}"]

{roster}""", encoding="utf-8")
    return config
