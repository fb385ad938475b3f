"""Content-addressed, durable file storage under data_dir.

A blob's name is the SHA-256 of its bytes, so no name that came in by mail ever
becomes a path, and the same photo sent twice is stored once. Writes go to a temp
file in the same folder, are fsynced, renamed into place and the folder fsynced:
after ``put`` returns, the bytes survive a crash or power cut.

A temp file's name carries its writer's pid (``.tmp-<pid>-...``): one whose writer was
killed mid-write is swept away by ``sweep_temps`` and never mistaken for a live one.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import re
import shutil
import tempfile
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from mailbot.errors import DiskFullError, StorageError

TEMP_PREFIX = ".tmp-"  # mailbot.jobs.backup skips these too
_TEMP_PID = re.compile(r"\.tmp-(\d+)-")
UNNAMED_TEMP_AGE = 24 * 3600  # a temp file without a pid (older versions): this old, it is dead

_WRITERS = 8


class BlobStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def path_for(self, sha256: str) -> Path:
        if len(sha256) != 64 or not all(c in "0123456789abcdef" for c in sha256):
            raise ValueError(f"not a sha256 hex digest: {sha256!r}")
        return self.root / sha256[:2] / sha256[2:]

    def put(self, data: bytes, *, durable: bool = True) -> str:
        """Store ``data`` durably; return its sha256. Idempotent. With ``durable``
        false the file is complete and in place (renamed) but not fsynced: ``sync``
        must follow before anything that relies on it is committed."""
        digest = hashlib.sha256(data).hexdigest()
        target = self.path_for(digest)
        if target.exists() and target.stat().st_size == len(data):
            return digest
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=_temp_prefix())
            try:
                with os.fdopen(fd, "wb") as f:
                    f.write(data)
                    f.flush()
                    if durable:
                        os.fsync(f.fileno())
                os.replace(tmp, target)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
            if durable:
                _fsync_dir(target.parent)
        except OSError as e:
            raise self._error(e, f"cannot store a file in {target.parent}", len(data)) from e
        return digest

    def put_many(self, items: Sequence[bytes], *, durable: bool = True) -> list[str]:
        """``put`` each of ``items`` at once from a few threads (hashing, writing and
        fsync release the GIL, and the filesystem commits concurrent fsyncs together);
        returns their sha256s in order. Each is stored or not, as with ``put``; the
        first error is raised once all have ended."""
        if not durable or len(items) <= 1:
            return [self.put(data, durable=durable) for data in items]
        with ThreadPoolExecutor(max_workers=min(_WRITERS, len(items))) as pool:
            return list(pool.map(self.put, items))

    def sync(self, shas: Sequence[str]) -> None:
        """fsync the files ``shas`` (stored with ``durable`` false) and their folders,
        from a few threads: concurrent fsyncs share the filesystem's journal commits,
        so a group of files costs about one fsync's wait instead of one each."""
        files = [self.path_for(sha) for sha in dict.fromkeys(shas)]
        folders = list(dict.fromkeys(f.parent for f in files))
        try:
            with ThreadPoolExecutor(max_workers=_WRITERS) as pool:
                list(pool.map(_fsync_file, files))
                list(pool.map(_fsync_dir, folders))
        except OSError as e:
            raise self._error(e, f"cannot flush files to disk in {self.root}", 0) from e

    def _error(self, e: OSError, what: str, size: int) -> StorageError:
        if e.errno in (errno.ENOSPC, errno.EDQUOT):
            try:
                free = f"{shutil.disk_usage(self.root).free:,} bytes free"
            except OSError:
                free = "free space unknown"
            return DiskFullError(
                f"no space left in {self.root} (data_dir): {size:,} bytes needed, {free}; "
                "nothing was half-written: free some space and mailbot goes on from this "
                "message")
        return StorageError(f"{what}: {e.strerror}")

    def put_file(self, source: Path) -> tuple[str, int]:
        """Move the finished file ``source`` (on the same filesystem) into the store,
        hashing it in chunks; returns (sha256, size). Nothing is held in memory."""
        digest = hashlib.sha256()
        size = 0
        try:
            with source.open("rb") as f:
                while chunk := f.read(1024 * 1024):
                    digest.update(chunk)
                    size += len(chunk)
                os.fsync(f.fileno())
            target = self.path_for(digest.hexdigest())
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(source, target)
            _fsync_dir(target.parent)
        except OSError as e:
            raise self._error(e, f"cannot store {source.name} in {self.root}", size) from e
        return digest.hexdigest(), size

    def temp_path(self) -> Path:
        """A fresh path inside the store's folder, for a file to be put_file'd."""
        self.root.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.root, prefix=_temp_prefix())
        os.close(fd)
        return Path(tmp)

    def sweep_temps(self) -> int:
        """Delete temp files whose writing process is gone (killed mid-write); returns
        how many. Files of a live writer are left alone, so this is safe at any time."""
        removed = 0
        for path in [*self.root.glob(f"{TEMP_PREFIX}*"), *self.root.glob(f"*/{TEMP_PREFIX}*")]:
            found = _TEMP_PID.match(path.name)
            with contextlib.suppress(OSError):
                dead = (not _alive(int(found.group(1))) if found else
                        time.time() - path.stat().st_mtime > UNNAMED_TEMP_AGE)
                if dead:
                    path.unlink()
                    removed += 1
        return removed

    def get(self, sha256: str) -> bytes:
        try:
            return self.path_for(sha256).read_bytes()
        except OSError as e:
            raise StorageError(f"stored file {sha256} cannot be read: {e.strerror}") from e

    def exists(self, sha256: str) -> bool:
        return self.path_for(sha256).exists()


def _fsync_file(path: Path) -> None:
    with path.open("rb") as f:
        os.fsync(f.fileno())

def _temp_prefix() -> str:
    return f"{TEMP_PREFIX}{os.getpid()}-"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process: alive
    return True


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
