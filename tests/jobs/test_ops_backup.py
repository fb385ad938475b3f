"""`mailbot backup OUT`: a consistent copy while mailbot keeps writing, and the restore
procedure of deploy/README.md giving back the same ledger."""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, insert, select

from mailbot import cli
from mailbot.adapters.db import lease
from mailbot.adapters.db.engine import make_engine
from mailbot.adapters.db.schema import attachments, excuses
from mailbot.app import App
from mailbot.config import load_config
from mailbot.jobs.backup import backup
from tests.builders import DOCX, JPEG, PDF, make_mail
from tests.samples import DOCX_TYPE, at
from tests.servers.dovecot import ImapAccount
from tests.support import Mailbot, write_config

pytestmark = [pytest.mark.dovecot, pytest.mark.sqlite_only]  # SQLite's online backup
NOW = datetime(2023, 10, 16, 1, 0, tzinfo=UTC)


@pytest.fixture
def filed(imap_account: ImapAccount, mailbot: Mailbot) -> Mailbot:
    """A ledger with submissions and their files, a forward, and mail that is not one."""
    imap_account.append(make_mail(attachments=[("Báo cáo.pdf", PDF, "application/pdf"),
                                               ("ảnh.jpg", JPEG, "image/jpeg")]),
                        internaldate=at(10))
    imap_account.append(make_mail(sender="ubnddaphuc@example.gov.vn", message_id="<d@x>",
                                  subject="Gương người tốt việc tốt tháng 10",
                                  attachments=[("Danh sách.docx", DOCX, DOCX_TYPE)]),
                        internaldate=at(12))
    imap_account.append(make_mail(sender="newsletter@shop.example.com", message_id="<n@x>",
                                  subject="Khuyến mãi"), internaldate=at(13))
    mailbot("poll", now="2023-10-16T08:00")
    return mailbot


@dataclass
class Writer:
    """Another connection committing to the database as fast as it can."""

    url: str
    commits: list[float] = field(default_factory=list)
    errors: list[BaseException] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        engine = make_engine(self.url)
        try:
            n = 0
            while not self.stop.is_set():
                n += 1
                with engine.begin() as conn:
                    conn.execute(insert(excuses).values(
                        unit="tu-phap", period=f"{2000 + n // 12:04d}-{n % 12 + 1:02d}",
                        reason="x" * 2000, created_at=NOW))
                self.commits.append(time.monotonic())
        except BaseException as e:
            self.errors.append(e)
        finally:
            engine.dispose()


@pytest.fixture
def writer(filed: Mailbot) -> Iterator[Writer]:
    w = Writer(load_config(filed.config).database_url)
    thread = threading.Thread(target=w.run, daemon=True)
    thread.start()
    while not w.commits and not w.errors:
        time.sleep(0.001)
    yield w
    w.stop.set()
    thread.join(timeout=30)
    assert not w.errors


def _excuses(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        return int(conn.execute("SELECT count(*) FROM excuses").fetchone()[0])


def restore(backup_dir: Path, imap_account: ImapAccount, folder: Path,
            capsys: pytest.CaptureFixture[str]) -> Mailbot:
    """deploy/README.md, section Restore, into a new data_dir: the database file and the
    two stores go back, then `mailbot db upgrade`."""
    folder.mkdir()
    config = write_config(folder, imap_account)
    data_dir = folder / "var"
    data_dir.mkdir()
    shutil.copy2(backup_dir / "mailbot.db", data_dir / "mailbot.db")
    for store in ("mail", "files"):
        shutil.copytree(backup_dir / store, data_dir / store)
    bot = Mailbot(config, capsys)
    bot("db", "upgrade")
    return bot


@pytest.mark.parametrize("name", ["backup-2023-10-16", "backup-2023-10-16.tar.gz"])
def test_a_backup_taken_while_another_connection_writes_restores_the_same_ledger(
        filed: Mailbot, writer: Writer, imap_account: ImapAccount, tmp_path: Path,
        capsys: pytest.CaptureFixture[str], name: str) -> None:
    ledger = filed.ledger()
    assert {r["disposition"] for r in ledger} == {"submission", "ignored"}
    source = tmp_path / "var" / "mailbot.db"
    engine = make_engine(f"sqlite:///{source}")
    assert lease.take(engine, "pid 1 on the-office-server") is None  # a daemon is running
    engine.dispose()
    before = _excuses(source)
    started = time.monotonic()
    line = filed("backup", str(tmp_path / "backups" / name))
    ended = time.monotonic()
    writer.stop.set()
    time.sleep(0.05)
    assert any(started <= t <= ended for t in writer.commits)  # never blocked meanwhile
    assert line.startswith(f"{tmp_path / 'backups' / name}: database at revision ")
    assert "(3 message(s)), mail/ 3 file(s)" in line and "files/ 3 file(s)" in line

    out = tmp_path / "backups" / name
    if name.endswith(".tar.gz"):
        subprocess.run(["tar", "-xzf", str(out), "-C", str(out.parent)], check=True,
                       timeout=60)
        out = out.parent / "backup-2023-10-16"
    assert sorted(p.name for p in out.iterdir()) == ["MANIFEST.txt", "files", "mail",
                                                     "mailbot.db"]
    assert before <= _excuses(out / "mailbot.db") <= _excuses(source)
    with sqlite3.connect(out / "mailbot.db") as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("SELECT count(*) FROM lease").fetchone()[0] == 0  # not data
    assert not list(out.parent.glob("*.partial*"))

    restored = restore(out, imap_account, tmp_path / "restored", capsys)
    assert restored.ledger() == ledger
    files = App.open(load_config(restored.config)).files
    for row in ledger:
        for a in row["attachments"]:
            assert hashlib.sha256(files.get(a["sha256"])).hexdigest() == a["sha256"]
    # The restored copy is a working mailbot: replaying a message from its stored bytes.
    assert "submission" in restored("reprocess", str(ledger[0]["id"]))


def test_every_file_filed_during_the_backup_is_in_it(
        filed: Mailbot, tmp_path: Path) -> None:
    """Files are written before the rows that name them: whatever the snapshot names,
    the copy of the store made after it holds."""
    app = App.open(load_config(filed.config))
    for i in range(300):  # a store big enough for the copy to take a while
        app.files.put(b"old %d" % i + JPEG)
    stop, errors, added = threading.Event(), list[BaseException](), [0]

    def filing() -> None:
        try:
            while not stop.is_set():
                added[0] += 1
                sha = app.files.put(os.urandom(4096))
                with app.engine.begin() as conn:
                    conn.execute(insert(attachments).values(
                        message=1, position=100 + added[0], filename="x.jpg",
                        display_name="x.jpg", content_type="image/jpeg", size=4096,
                        sha256=sha, from_forward=False))
        except BaseException as e:
            errors.append(e)

    thread = threading.Thread(target=filing, daemon=True)
    thread.start()
    while added[0] < 5 and not errors:
        time.sleep(0.001)
    try:
        result = backup(app, tmp_path / "b", NOW)
    finally:
        stop.set()
        thread.join(timeout=30)
    assert not errors and added[0] > 1
    assert result.missing == ()
    with sqlite3.connect(tmp_path / "b" / "mailbot.db") as conn:
        named = [h for (h,) in conn.execute("SELECT sha256 FROM attachments")]
    assert len(named) >= 3 + 4
    assert all((tmp_path / "b" / "files" / h[:2] / h[2:]).is_file() for h in named)
    with app.engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(attachments)) >= len(named)
    app.close()


def test_the_manifest_counts_what_the_backup_holds_and_files_in_flight_are_left_out(
        filed: Mailbot, tmp_path: Path) -> None:
    (tmp_path / "var" / "files" / ".tmp-half-written").write_bytes(b"half")
    filed("backup", str(tmp_path / "b"), now="2023-10-16T09:00")
    manifest = (tmp_path / "b" / "MANIFEST.txt").read_text().splitlines()
    fields = dict(line.split(": ", 1) for line in manifest[1:])
    assert manifest[0] == "mailbot backup"
    assert fields["created_at"] == "2023-10-16T09:00:00+07:00"
    assert fields["database"] == f"SQLite online backup of {tmp_path / 'var' / 'mailbot.db'}"
    assert fields["database_revision"] == fields["code_revision"]
    assert fields["ledger_messages"] == "3"
    sizes = sum(p.stat().st_size for p in (tmp_path / "var" / "files").rglob("*")
                if p.is_file() and not p.name.startswith(".tmp-"))
    assert fields["files"] == f"3 files, {sizes} bytes"
    assert fields["missing_referenced_files"] == "0"
    assert not list((tmp_path / "b").rglob(".tmp-*"))


def test_a_file_the_ledger_names_but_data_dir_lacks_is_reported(
        filed: Mailbot, tmp_path: Path) -> None:
    sha = filed.ledger()[0]["attachments"][0]["sha256"]
    (tmp_path / "var" / "files" / sha[:2] / sha[2:]).unlink()
    err = filed("backup", str(tmp_path / "b"), expect=1)
    assert "1 file(s) the ledger refers to are missing from data_dir" in err
    assert f"missing: files/{sha[:2]}/{sha[2:]}" in (tmp_path / "b" / "MANIFEST.txt").read_text()


@pytest.mark.parametrize("name", ["b", "b.tar.gz"])
def test_an_interrupted_backup_leaves_nothing_that_looks_complete(
        filed: Mailbot, tmp_path: Path, name: str) -> None:
    app = App.open(load_config(filed.config))

    def interrupt(done: int, total: int) -> None:
        if done == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        backup(app, tmp_path / name, NOW, progress=interrupt)
    assert list(tmp_path.glob("b*")) == []
    app.close()


def test_a_failed_copy_is_an_error_and_leaves_no_backup(
        filed: Mailbot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def full_disk(src: object, dst: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(shutil, "copy2", full_disk)
    err = filed("backup", str(tmp_path / "b"), expect=1)
    assert err == f"mailbot: backup to {tmp_path / 'b'} failed: No space left on device\n"
    assert list(tmp_path.glob("b*")) == []


def test_it_never_overwrites_and_clears_what_a_killed_backup_left(
        filed: Mailbot, tmp_path: Path) -> None:
    (tmp_path / "b.partial").mkdir()
    (tmp_path / "b.partial" / "mailbot.db").write_bytes(b"half")
    filed("backup", str(tmp_path / "b"))
    assert not (tmp_path / "b.partial").exists()
    err = filed("backup", str(tmp_path / "b"), expect=1)
    assert err == f"mailbot: {tmp_path / 'b'} already exists: a backup never overwrites, " \
                  "give a new name\n"


def test_a_database_that_is_not_a_sqlite_file_is_named_and_the_files_still_copied(
        filed: Mailbot, tmp_path: Path) -> None:
    """The branch every non-SQLite URL (postgresql://...) takes: no file to copy."""
    config = load_config(filed.config)
    app = App(config, make_engine("sqlite://"))
    result = backup(app, tmp_path / "b", NOW)
    assert result.database is None
    assert result.database_note == ("NOT included: sqlite:// is not a SQLite file; back it "
                                    "up with its own tools (e.g. pg_dump) just before running "
                                    "mailbot backup")
    assert sorted(p.name for p in (tmp_path / "b").iterdir()) == ["MANIFEST.txt", "files",
                                                                  "mail"]
    assert [s.files for s in result.stores] == [3, 3]
    app.close()

    config_text = filed.config.read_text().replace('url = "sqlite:///var/mailbot.db"',
                                                   'url = "sqlite://"')
    filed.config.write_text(config_text)
    filed.capsys.readouterr()
    assert cli.main(["--config", str(filed.config), "backup", str(tmp_path / "c")]) == 0
    out, err = filed.capsys.readouterr()
    assert err == f"mailbot: warning: the database is {result.database_note}\n"
    assert out.startswith(f"{tmp_path / 'c'}: no database, mail/ 3 file(s) ")
