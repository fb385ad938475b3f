"""The long kill loop: `mailbot run` SIGKILLed at random points while it ingests a
mailbox and sends the acknowledgements, restarted each time, then audited.

Used by tests/jobs/test_kill_loop.py (a short run in CI) and scripts/kill_loop.py (the
full count). Real servers on loopback: a private Dovecot and the recording SMTP server.

Where the kills land: a third of the rounds each aim at one thing the daemon does
(claiming new mail, processing claimed mail, sending acknowledgements; with all that
done, start-up); a round waits until the daemon has visibly done a random amount of it
(1 to about twice its fair share of what is left), then a random few milliseconds more,
and sends SIGKILL. The instant of each kill is therefore random within real work.

The audit, from the database, the file stores and what the SMTP server received:
every message exactly once in the ledger and filed; one acknowledgement row per
message; no Message-ID received twice; `unknown` only for rows that were `sending`
(mid-DATA) at the instant of a kill; every sent acknowledgement received once; no file
in the stores that no row names (temp files included) and no named file missing.
"""

from __future__ import annotations

import email.utils
import os
import random
import re
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from imapclient import IMAPClient

from mailbot.demo.samples import PDF, make_mail
from tests.servers.dovecot import IMAP_TIMEOUT, Dovecot, ImapAccount
from tests.servers.smtp import SmtpServer

UNITS = 25
PHASES = ("claim", "process", "send")


@dataclass
class Figures:
    messages: int = 0
    kills: int = 0
    kills_by_phase: dict[str, int] = field(default_factory=dict)
    ledger_rows: int = 0
    lost: int = 0  # messages on the server with no ledger row
    duplicated_in_ledger: int = 0
    not_filed: int = 0  # rows still pending or quarantined at the end
    acks: int = 0  # acknowledgement rows
    acks_sent: int = 0
    acks_unknown: int = 0
    acks_missing: int = 0  # submissions with no acknowledgement row
    cut_after_data: int = 0  # rows `sending` at the instant of a kill
    most_sending_at_a_kill: int = 0  # one connection has at most one email in DATA
    unknown_not_cut: int = 0  # `unknown` rows that were never mid-DATA at a kill: a bug
    sent_not_received: int = 0
    received: int = 0  # emails the SMTP server accepted
    duplicated_at_server: int = 0  # extra copies of one Message-ID
    orphan_files: list[str] = field(default_factory=list)
    missing_files: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def problems(self) -> list[str]:
        bad = {"lost": self.lost, "duplicated_in_ledger": self.duplicated_in_ledger,
               "not_filed": self.not_filed, "acks_missing": self.acks_missing,
               "unknown_not_cut": self.unknown_not_cut,
               "sent_not_received": self.sent_not_received,
               "more_than_one_sending_at_a_kill": max(0, self.most_sending_at_a_kill - 1),
               "duplicated_at_server": self.duplicated_at_server,
               "orphan_files": len(self.orphan_files),
               "missing_files": len(self.missing_files)}
        return [f"{k} = {v}" for k, v in bad.items() if v]

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def write_config(folder: Path, account: ImapAccount, smtp: SmtpServer) -> Path:
    units = "\n".join(f'[[units]]\ncode = "dv-{i:02d}"\nname = "Đơn vị số {i:02d}"\n'
                      f'emails = ["donvi{i:02d}@example.gov.vn"]\n' for i in range(UNITS))
    since = (datetime.now(UTC) - timedelta(days=30)).date()
    (folder / "imap-password").write_text(account.password + "\n")
    path = folder / "mailbot.toml"
    # A message whose processing a kill cut short is retried at once (retry_base_seconds)
    # and not quarantined as "kills the process" (max_attempts): the loop kills on purpose.
    path.write_text(f"""
timezone = "Asia/Ho_Chi_Minh"
data_dir = "var"
[database]
url = "sqlite:///var/mailbot.db"
[imap]
host = "{account.host}"
port = {account.port}
security = "plain"
username = "{account.username}"
password_file = "imap-password"
import_since = "{since}"
timeout = 10
poll_interval = 2
batch_bytes = 262144
[ingest]
retry_base_seconds = 0
max_attempts = 100
[smtp]
host = "{smtp.host}"
port = {smtp.port}
security = "plain"
from_address = "noivu@example.com"
timeout = 5
max_per_connection = 50
[outbox]
acks_per_address_per_day = 1000
retry_base_seconds = 0
{units}
""", encoding="utf-8")
    return path


def fill_mailbox(account: ImapAccount, count: int) -> None:
    """``count`` submissions, each with its own small PDF, over one IMAP connection."""
    date = email.utils.format_datetime(datetime.now(UTC))
    with IMAPClient(account.host, account.port, ssl=False, timeout=IMAP_TIMEOUT) as client:
        client.login(account.username, account.password)
        for i in range(count):
            unit = i % UNITS
            raw = make_mail(
                subject=f"Gương người tốt việc tốt - Đơn vị số {unit:02d} - bài {i}",
                sender=f"Văn thư <donvi{unit:02d}@example.gov.vn>", date=date,
                message_id=f"<kill-loop-{i}@example.gov.vn>",
                attachments=[(f"gương {i}.pdf", PDF + f"%{i}\n".encode() * 3000,
                              "application/pdf")])
            client.append("INBOX", raw)


class _State:
    """What the daemon has done so far, read from its database (WAL: readers never block)."""

    def __init__(self, db: Path, smtp: SmtpServer) -> None:
        self.db, self.smtp = db, smtp

    def _scalar(self, sql: str) -> int:
        """The count, or -1 when it cannot be read at this instant."""
        try:
            with sqlite3.connect(self.db, timeout=5) as conn:
                return int(conn.execute(sql).fetchone()[0] or 0)
        except sqlite3.OperationalError:
            return -1

    def claimed(self) -> int:
        return self._scalar("SELECT count(*) FROM messages")

    def processed(self) -> int:
        return self._scalar("SELECT count(*) FROM messages WHERE disposition != 'pending'")

    def sent(self) -> int:
        return len(self.smtp.messages)

    def unsent(self) -> int:
        """Emails still to go (one `sending` at a kill becomes `unknown`: never sent)."""
        return self._scalar("SELECT count(*) FROM outbox WHERE status = 'pending'")

    def sending(self) -> set[int]:
        for _ in range(50):
            try:
                with sqlite3.connect(self.db, timeout=5) as conn:
                    return {r[0] for r in conn.execute(
                        "SELECT id FROM outbox WHERE status = 'sending'")}
            except sqlite3.OperationalError:
                time.sleep(0.1)
        raise AssertionError(f"cannot read the outbox in {self.db}")


def _wait(check: Callable[[], bool], timeout: float, proc: subprocess.Popen[bytes]) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        if proc.poll() is not None:
            return False
        time.sleep(0.01)
    return False


def run(count: int, kills: int, root: Path, *, seed: int = 20231017,
        log: Callable[[str], None] = lambda _: None) -> Figures:
    """Fill a fresh mailbox with ``count`` messages and kill the daemon ``kills`` times."""
    started = time.monotonic()
    figures = Figures(messages=count)
    with Dovecot() as dovecot, SmtpServer() as smtp:
        account = dovecot.add_user()
        fill_mailbox(account, count)
        config = write_config(root, account, smtp)
        mailbot = [sys.executable, "-m", "mailbot", "--config", str(config)]
        subprocess.run([*mailbot, "db", "upgrade"], check=True, capture_output=True)
        state = _State(root / "var" / "mailbot.db", smtp)
        rng = random.Random(seed)
        cut: set[int] = set()
        by_phase: Counter[str] = Counter()
        daemon_log = root / "daemon.log"
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        # A third of the kills aimed at each phase, in pipeline order; a phase whose
        # work is all done passes its kills on to the next.
        plan = (["claim"] * (kills // 3) + ["process"] * (kills // 3)
                + ["send"] * (kills - 2 * (kills // 3)))
        for round_, planned in enumerate(plan):
            # "send": acknowledgements still to go (an `unknown` one never arrives).
            left = {"claim": count - state.claimed(),
                    "process": count - state.processed(),
                    "send": count - state.processed() + state.unsent()}
            # With all the work done, the kills left land in start-up (lease, catch-up,
            # connecting, the first poll), after a random 0.2-1.5 s.
            phase = next((p for p in PHASES[PHASES.index(planned):] if left[p] > 0),
                         "start-up")
            metric = {"claim": state.claimed, "process": state.processed,
                      "send": state.sent}.get(phase)
            # Every restart also gets on with the later phases: spread over all kills left.
            share = max(1, 2 * left.get(phase, 0) // (len(plan) - round_ + 1))
            target = (metric() if metric else 0) + rng.randint(1, share)
            with daemon_log.open("ab") as out:
                proc = subprocess.Popen([*mailbot, "run"], stdout=out, stderr=out, env=env)
            if metric is None:
                time.sleep(rng.uniform(0.2, 1.5))
                reached = True
            else:
                reached = _wait(lambda m=metric, t=target: m() >= t, 30, proc)
            time.sleep(rng.uniform(0, 0.03))
            if proc.poll() is None:
                proc.send_signal(signal.SIGKILL)
                figures.kills += 1
                by_phase[phase] += 1
            proc.wait(timeout=30)
            sending = state.sending() - cut
            figures.most_sending_at_a_kill = max(figures.most_sending_at_a_kill, len(sending))
            cut |= sending
            log(f"kill {figures.kills}: {phase} (target reached: {reached}); claimed "
                f"{state.claimed()}, processed {state.processed()}, received {state.sent()}")
        # A last, undisturbed run finishes the work; SIGTERM stops it cleanly.
        with daemon_log.open("ab") as out:
            proc = subprocess.Popen([*mailbot, "run"], stdout=out, stderr=out, env=env)
        started_before = daemon_log.read_text(errors="replace").count("connected (IDLE")
        done = _wait(lambda: daemon_log.read_text(errors="replace").count("connected (IDLE")
                     > started_before and state.processed() == count
                     and state.claimed() == count and state.unsent() == 0
                     and not state.sending(), 300, proc)
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=60)
        if not done or code != 0:
            raise AssertionError(f"the last run did not finish (exit {code}):\n"
                                 + daemon_log.read_text(errors="replace")[-3000:])
        figures.kills_by_phase = dict(by_phase)
        _audit(figures, root, account, smtp, cut)
    figures.seconds = round(time.monotonic() - started, 1)
    return figures


def _audit(f: Figures, root: Path, account: ImapAccount, smtp: SmtpServer,
           cut: set[int]) -> None:
    with sqlite3.connect(root / "var" / "mailbot.db") as conn:
        ledger = conn.execute("SELECT id, message_id, disposition, raw_sha256 FROM messages"
                              ).fetchall()
        acks = conn.execute("SELECT id, message, status, message_id FROM outbox "
                            "WHERE kind = 'ack'").fetchall()
        outbox = conn.execute("SELECT id, status, message_id FROM outbox").fetchall()
        files = {r[0] for r in conn.execute("SELECT sha256 FROM attachments")}
    on_server = {_message_id(m) for m in account.messages().values()}
    ids = Counter(r[1] for r in ledger)
    f.ledger_rows = len(ledger)
    f.lost = len(on_server - set(ids))
    f.duplicated_in_ledger = sum(n - 1 for n in ids.values())
    f.not_filed = sum(1 for r in ledger if r[2] != "submission")
    acked = Counter(r[1] for r in acks)
    f.acks = len(acks)
    f.acks_missing = sum(1 for r in ledger if r[2] == "submission" and r[0] not in acked)
    f.acks_sent = sum(1 for r in acks if r[2] == "sent")
    f.acks_unknown = sum(1 for r in acks if r[2] == "unknown")
    f.cut_after_data = len(cut)
    f.unknown_not_cut = sum(1 for r in outbox if r[1] == "unknown" and r[0] not in cut)
    received = Counter(_message_id(m.raw) for m in smtp.messages)
    f.received = len(smtp.messages)
    f.duplicated_at_server = sum(n - 1 for n in received.values())
    f.sent_not_received = sum(1 for r in outbox if r[1] == "sent" and r[2] not in received)
    f.orphan_files, f.missing_files = _store_audit(root / "var" / "mail",
                                                   {r[3] for r in ledger if r[3]})
    orphans, missing = _store_audit(root / "var" / "files", files)
    f.orphan_files += orphans
    f.missing_files += missing


def _message_id(raw: bytes) -> str:
    found = re.search(rb"^Message-ID:\s*(\S+)", raw, re.MULTILINE | re.IGNORECASE)
    return found.group(1).decode().strip("<>").lower() if found else ""


def _store_audit(store: Path, named: set[str]) -> tuple[list[str], list[str]]:
    """(files in ``store`` no row names, named files that are not there)."""
    present = {}
    for path in store.rglob("*") if store.exists() else ():
        if path.is_file():
            rel = path.relative_to(store)
            present[str(rel).replace(os.sep, "")] = str(path)
    orphans = sorted(p for name, p in present.items() if name not in named)
    missing = sorted(n for n in named if n not in present)
    return orphans, missing
