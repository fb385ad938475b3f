"""A full data_dir (a real, small tmpfs) and a database another writer has locked:
a clear error, nothing half-written, nothing lost, and the next pass goes on."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from mailbot.adapters.db import engine
from mailbot.cli import main
from tests.builders import JPEG, make_mail
from tests.samples import at
from tests.servers.dovecot import ImapAccount
from tests.support import Mailbot, write_config

pytestmark = pytest.mark.dovecot
MB = 2**20


def _unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"CI must run the disk-full test: {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """tmp_path/var (data_dir, database included) on a 4 MiB tmpfs of its own."""
    var = tmp_path / "var"
    var.mkdir()
    if os.geteuid() != 0:
        _unavailable("a real full disk needs a tmpfs mount, which needs root")
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(var)],
                             capture_output=True, text=True)
    if mounted.returncode != 0:
        _unavailable(f"mount -t tmpfs failed: {mounted.stderr.strip()}")
    try:
        yield var
    finally:
        subprocess.run(["umount", "-l", str(var)], check=False)


def _fill(folder: Path, leave: int) -> Path:
    """Take all but ``leave`` bytes of the filesystem with one file."""
    filler = folder / "filler"
    st = os.statvfs(folder)
    with filler.open("wb") as f:
        f.write(b"\0" * max(0, st.f_bavail * st.f_frsize - leave))
    return filler


def _files(store: Path) -> list[str]:
    return sorted(str(p.relative_to(store)) for p in store.rglob("*") if p.is_file())


def _health(bot: Mailbot, now: str) -> str:
    """`mailbot health` output, whatever its exit code."""
    bot.capsys.readouterr()
    main(["--config", str(bot.config), "--now", now, "health"])
    return bot.capsys.readouterr().out


def _last_uid(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        return int(conn.execute("SELECT last_uid FROM mailbox_state").fetchone()[0])


def test_a_full_data_dir_stops_before_the_message_that_does_not_fit_and_goes_on_when_space_returns(
        tmp_path: Path, small_disk: Path, imap_account: ImapAccount,
        capsys: pytest.CaptureFixture[str]) -> None:
    bot = Mailbot(write_config(tmp_path, imap_account), capsys)
    bot("db", "upgrade")
    imap_account.append(make_mail(message_id="<small@x>"), internaldate=at(10, 9))
    imap_account.append(make_mail(message_id="<big@x>", attachments=[
        ("ảnh lớn.jpg", JPEG * 300, "image/jpeg")]), internaldate=at(10, 10))  # ~1 MB raw
    filler = _fill(small_disk, leave=400 * 1024)

    err = bot("poll", now="2023-10-10T11:00", expect=1)
    assert "no space left in" in err and str(small_disk / "mail") in err
    assert "(data_dir)" in err and "bytes needed" in err and "bytes free" in err
    # At most the first message is claimed (its bytes stored, its row committed, not yet
    # processed); the second has no row, and last_uid is not past the first.
    ledger = bot.ledger()
    assert [(m["uid"], m["disposition"]) for m in ledger] in ([], [(1, "pending")])
    assert _last_uid(small_disk / "mailbot.db") == len(ledger)
    stored = _files(small_disk / "mail")
    assert len(stored) <= 1 and not any(".tmp-" in f for f in stored)
    health = _health(bot, "2023-10-10T11:01")
    assert "FAIL poll      folder 'INBOX' has never been polled; a pass started 60 s ago " \
           "but did not complete" in health

    filler.unlink()  # space returns
    bot("poll", now="2023-10-10T11:05")
    ledger = bot.ledger()
    assert sorted((m["uid"], m["disposition"]) for m in ledger) == [
        (1, "submission"), (2, "submission")]
    assert len(_files(small_disk / "mail")) == 2
    bot("poll", now="2023-10-10T11:10")
    assert len(bot.ledger()) == 2  # filed once
    assert "OK   poll      folder 'INBOX' polled 60 s ago" in _health(bot, "2023-10-10T11:11")


def test_a_full_data_dir_while_processing_leaves_the_message_pending_not_quarantined(
        tmp_path: Path, small_disk: Path, imap_account: ImapAccount,
        capsys: pytest.CaptureFixture[str]) -> None:
    bot = Mailbot(write_config(tmp_path, imap_account), capsys)
    bot("db", "upgrade")
    imap_account.append(make_mail(message_id="<photo@x>", attachments=[
        ("ảnh.jpg", JPEG * 100, "image/jpeg")]), internaldate=at(10, 9))  # ~0.3 MB raw
    # Room for the raw message (~0.3 MB, base64) but not also for its attachment.
    filler = _fill(small_disk, leave=400 * 1024)

    err = bot("poll", now="2023-10-10T11:00", expect=1)
    assert "no space left in" in err and str(small_disk / "files") in err
    (row,) = bot.ledger()
    assert row["disposition"] == "pending"
    assert not (small_disk / "files").exists() or not any(
        ".tmp-" in f for f in _files(small_disk / "files"))

    filler.unlink()
    bot("poll", now="2023-10-10T12:00")  # after the retry delay
    (row,) = bot.ledger()
    assert row["disposition"] == "submission"


def test_a_database_locked_by_another_writer_waits_then_fails_clearly_and_the_next_pass_files_it(
        imap_account: ImapAccount, mailbot: Mailbot, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine, "BUSY_TIMEOUT_SECONDS", 1)
    imap_account.append(make_mail(message_id="<locked@x>"), internaldate=at(10, 9))
    db = mailbot.config.parent / "var" / "mailbot.db"
    holder = sqlite3.connect(db, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN EXCLUSIVE")
    started = time.monotonic()
    err = mailbot("poll", now="2023-10-10T11:00", expect=1)
    waited = time.monotonic() - started
    assert "is locked by another writer" in err and str(db) in err and "Traceback" not in err
    assert waited >= 1
    assert holder.execute("SELECT count(*) FROM messages").fetchone()[0] == 0

    # A lock released within the busy timeout is only a wait.
    monkeypatch.setattr(engine, "BUSY_TIMEOUT_SECONDS", 10)
    threading.Timer(0.5, holder.rollback).start()
    mailbot("poll", now="2023-10-10T11:05")
    holder.close()
    assert [(m["uid"], m["disposition"]) for m in mailbot.ledger()] == [(1, "submission")]
