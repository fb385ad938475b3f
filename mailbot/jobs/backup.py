"""`mailbot backup OUT`: the ledger and the stored mail and files, consistent while the
daemon keeps running, as a new folder or one .tar.gz.

The database first, the files second. The SQLite copy is one step of SQLite's online
backup API (``Connection.backup`` with all pages at once): it reads inside a single
read transaction, so the copy is the database as of one instant, and in WAL mode the
daemon's writes go on meanwhile (a copy in several steps would start over at each of
them). The stores under data_dir (mail/, files/) are content-addressed and never
change or shrink: a blob is written and fsynced under its final name before the row
that refers to it is committed. So every file the snapshot refers to was already on
disk when the snapshot was taken, and a copy of the stores made afterwards holds all
of them (plus perhaps a few newer ones nothing refers to yet, which is harmless).
Files being written right now (``.tmp-*``) are skipped; the copy is checked against
the snapshot's references all the same.

Everything is written to ``OUT.partial`` and renamed to OUT only when complete, so a
failed or interrupted backup never leaves something that looks like a good one.
"""

from __future__ import annotations

import io
import os
import shutil
import sqlite3
import tarfile
from collections.abc import Callable, Iterator
from contextlib import closing, suppress
from dataclasses import dataclass
from datetime import datetime
from importlib import metadata
from pathlib import Path

from sqlalchemy import Engine

from mailbot.adapters.db.engine import current_revision, head_revision
from mailbot.app import App
from mailbot.errors import MailbotError, StorageError

STORES = ("mail", "files")
DB_NAME = "mailbot.db"
MANIFEST = "MANIFEST.txt"
TAR_SUFFIXES = (".tar.gz", ".tgz")
TEMP_PREFIX = ".tmp-"  # mailbot.adapters.blobs: a file still being written

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class StoreCopy:
    name: str
    files: int
    bytes: int


@dataclass(frozen=True)
class BackupResult:
    path: Path
    database: str | None  # DB_NAME when the database is in the backup
    database_note: str  # what the backup holds of the database, in words
    revision: str | None
    messages: int | None  # ledger rows in the copy
    stores: tuple[StoreCopy, ...]
    missing: tuple[str, ...]  # "files/ab/cd..." the copy refers to but data_dir lacks


def sqlite_file(engine: Engine) -> Path | None:
    """The database file of a SQLite engine; None for other databases and :memory:."""
    url = engine.url
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    return Path(url.database)


def backup(app: App, out: Path, now: datetime, progress: Progress | None = None) -> BackupResult:
    """Write the backup to ``out`` (a folder, or a file ending in .tar.gz or .tgz)."""
    out = out.absolute()
    if out.exists() or out.is_symlink():
        raise MailbotError(f"{out} already exists: a backup never overwrites, give a new name")
    as_tar = out.name.endswith(TAR_SUFFIXES)
    partial = out.with_name(out.name + ".partial")
    snapshot = out.with_name(out.name + ".partial.db") if as_tar else partial / DB_NAME
    try:
        _remove(partial)  # left by a backup that was killed
        _remove(snapshot)
        out.parent.mkdir(parents=True, exist_ok=True)
        with _TarSink(partial, _stem(out), now) if as_tar else _DirSink(partial) as sink:
            db = _database(app, snapshot)
            if db.included:
                sink.add(snapshot, DB_NAME)
            listing = {name: list(_blobs(app.config.data_dir / name)) for name in STORES}
            total = sum(len(files) for files in listing.values())
            copied: set[str] = set()
            for name in STORES:
                for rel, _size in listing[name]:
                    sink.add(app.config.data_dir / rel, rel)
                    copied.add(rel)
                    if progress:
                        progress(len(copied), total)
            result = BackupResult(
                path=out, database=DB_NAME if db.included else None, database_note=db.note,
                revision=db.revision, messages=db.messages,
                stores=tuple(StoreCopy(n, len(listing[n]), sum(s for _, s in listing[n]))
                             for n in STORES),
                missing=tuple(sorted(db.referenced - copied)))
            sink.write(MANIFEST, _manifest(app, result, now).encode())
        os.sync()  # everything on disk before the name says "complete"
        os.replace(partial, out)
        _fsync_dir(out.parent)
    except BaseException as e:
        _remove(partial)
        if isinstance(e, OSError | sqlite3.Error):
            raise StorageError(f"backup to {out} failed: {getattr(e, 'strerror', None) or e}"
                               ) from e
        raise
    finally:
        if as_tar:
            _remove(snapshot)
    return result


class _DirSink:
    """A folder: OUT.partial/mailbot.db, mail/..., files/..., MANIFEST.txt."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def __enter__(self) -> _DirSink:
        self.root.mkdir()
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def add(self, source: Path, rel: str) -> None:
        target = self.root / rel
        if target != source:  # the database snapshot is written in place
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)

    def write(self, rel: str, data: bytes) -> None:
        with (self.root / rel).open("xb") as f:
            f.write(data)


class _TarSink:
    """One .tar.gz whose members sit under one folder named like OUT, so unpacking it
    gives the folder a folder backup would have been."""

    def __init__(self, path: Path, top: str, now: datetime) -> None:
        self.path, self.top, self.now = path, top, now
        self.tar: tarfile.TarFile | None = None

    def __enter__(self) -> _TarSink:
        # Most stored files are compressed already (photos, PDF, .docx): a light level.
        self.tar = tarfile.open(self.path, "w:gz", compresslevel=3,
                                format=tarfile.PAX_FORMAT)
        return self

    def __exit__(self, *exc: object) -> None:
        assert self.tar is not None
        self.tar.close()

    def add(self, source: Path, rel: str) -> None:
        assert self.tar is not None
        self.tar.add(source, f"{self.top}/{rel}", recursive=False)

    def write(self, rel: str, data: bytes) -> None:
        assert self.tar is not None
        info = tarfile.TarInfo(f"{self.top}/{rel}")
        info.size, info.mode, info.mtime = len(data), 0o640, int(self.now.timestamp())
        self.tar.addfile(info, io.BytesIO(data))


@dataclass(frozen=True)
class _Db:
    included: bool
    note: str
    revision: str | None
    messages: int | None = None
    referenced: frozenset[str] = frozenset()


def _database(app: App, target: Path) -> _Db:
    source = sqlite_file(app.engine)
    shown = app.engine.url.render_as_string(hide_password=True)
    if source is None:
        try:
            revision = current_revision(app.engine)
        except StorageError:
            revision = None
        return _Db(False, f"NOT included: {shown} is not a SQLite file; back it up with its "
                          "own tools (e.g. pg_dump) just before running mailbot backup",
                   revision)
    if not source.is_file():
        raise StorageError(f"there is no database at {source}")
    # Read-only: the backup can never change the live database.
    with closing(sqlite3.connect(source.as_uri() + "?mode=ro", uri=True, timeout=60)) as src, \
            closing(sqlite3.connect(target)) as dst:
        src.backup(dst)  # pages=-1: one step, one read transaction, one instant
        dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal
        # The lease names a live process, not data: a restored copy starts with no
        # daemon holding it (`mailbot health` says so) rather than a stale one.
        with suppress(sqlite3.OperationalError), dst:  # OperationalError: no lease table
            dst.execute("DELETE FROM lease")
        check = dst.execute("PRAGMA quick_check").fetchone()[0]
        if check != "ok":
            raise StorageError(f"the copy of {source} fails SQLite's quick_check: {check}")
        revision, messages, referenced = _contents(dst)
    with target.open("rb") as f:
        os.fsync(f.fileno())
    return _Db(True, f"SQLite online backup of {source}", revision, messages, referenced)


def _contents(db: sqlite3.Connection) -> tuple[str | None, int | None, frozenset[str]]:
    """(revision, ledger rows, "store/ab/cdef..." of every blob the copy refers to)."""
    try:
        revision = db.execute("SELECT version_num FROM alembic_version").fetchone()
        messages = db.execute("SELECT count(*) FROM messages").fetchone()[0]
        raw = db.execute("SELECT raw_sha256 FROM messages WHERE raw_sha256 IS NOT NULL")
        refs = {f"mail/{h[:2]}/{h[2:]}" for (h,) in raw}
        refs |= {f"files/{h[:2]}/{h[2:]}" for (h,) in db.execute("SELECT sha256 FROM attachments")}
    except sqlite3.OperationalError:  # not a mailbot database yet: nothing to check
        return None, None, frozenset()
    return (revision[0] if revision else None), int(messages), frozenset(refs)


def _blobs(root: Path) -> Iterator[tuple[str, int]]:
    """(path relative to data_dir, size) of each finished file in a store, sorted."""
    if not root.is_dir():
        return
    for folder, dirs, files in os.walk(root):
        dirs.sort()
        for name in sorted(files):
            if name.startswith(TEMP_PREFIX):
                continue
            path = Path(folder, name)
            yield path.relative_to(root.parent).as_posix(), path.stat().st_size


def _stem(out: Path) -> str:
    return next(out.name[: -len(s)] for s in (*TAR_SUFFIXES, "") if out.name.endswith(s))


def _manifest(app: App, r: BackupResult, now: datetime) -> str:
    try:
        version = metadata.version("mailbot")
    except metadata.PackageNotFoundError:
        version = "unknown"
    lines = [
        "mailbot backup",
        f"created_at: {now.astimezone(app.config.timezone).isoformat(timespec='seconds')}",
        f"mailbot_version: {version}",
        f"config: {app.config.path}",
        f"data_dir: {app.config.data_dir}",
        f"database: {r.database_note}",
        f"database_file: {r.database or '-'}",
        f"database_revision: {r.revision or '-'}",
        f"code_revision: {head_revision(app.engine)}",
        f"ledger_messages: {'-' if r.messages is None else r.messages}",
        *(f"{s.name}: {s.files} files, {s.bytes} bytes" for s in r.stores),
        f"missing_referenced_files: {len(r.missing)}",
        *(f"missing: {m}" for m in r.missing),
        "restore: see deploy/README.md, section Restore",
    ]
    return "\n".join(lines) + "\n"


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        with suppress(FileNotFoundError):
            path.unlink()


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)

