"""Where claimed messages are parsed: in a thread for a few, in a worker process for many.

Parsing is pure CPU and holds the GIL, so a thread only overlaps it with the disk waits
of filing. A large pass (a first import, a month of photos) parses in one worker process
instead, on the second core, while this process fetches, stores and files: the worker
reads the stored raw message itself and sends back the parsed mail. A worker that dies
on a message (a parser crash, the OOM killer) costs that message an attempt, not the
daemon; the next message gets a new worker. A small pass (one clerk's submission under
IDLE) never pays the worker's start-up (~0.5 s).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing import get_context
from types import TracebackType

from mailbot.adapters.blobs import BlobStore
from mailbot.adapters.db.store import Pending
from mailbot.adapters.parse import parse_stored
from mailbot.core.model import ParsedMail

log = logging.getLogger(__name__)
PROCESS_FROM_BYTES = 16 * 2**20  # fresh mail in one call of process_due
PROCESS_FROM_COUNT = 64


class Parsers:
    """The parsing executors of one ingestion pass; ``with Parsers(...) as parsers``."""

    def __init__(self, raw_mail: BlobStore, max_bytes: int,
                 parse_here: Callable[[Pending], ParsedMail]) -> None:
        self._raw_mail = raw_mail
        self._max_bytes = max_bytes
        self._parse_here = parse_here
        self._thread: ThreadPoolExecutor | None = None
        self._process: ProcessPoolExecutor | None = None

    @staticmethod
    def wants_process(fresh: list[Pending]) -> bool:
        return (len(fresh) >= PROCESS_FROM_COUNT
                or sum(p.raw_size for p in fresh) >= PROCESS_FROM_BYTES)

    def submit(self, p: Pending, *, in_process: bool) -> Future[ParsedMail]:
        if not in_process:
            if self._thread is None:
                self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="parse")
            return self._thread.submit(self._parse_here, p)
        path = str(self._raw_mail.path_for(p.raw_sha256))
        for _ in range(2):
            if self._process is None:
                self._process = ProcessPoolExecutor(max_workers=1,
                                                    mp_context=get_context("spawn"))
            try:
                return self._process.submit(parse_stored, path, self._max_bytes)
            except BrokenProcessPool:
                self.broken()
        raise BrokenProcessPool("the parser process cannot be started")

    def broken(self) -> None:
        """A worker died: the next submit starts a new one. The message parsed ahead
        fails with the same worker; by then a new one may be running, and is kept."""
        if self._process is not None and getattr(self._process, "_broken", True):
            log.warning("the parser process died: starting a new one")
            self._process.shutdown(wait=False, cancel_futures=True)
            self._process = None

    def close(self) -> None:
        pools: list[Executor | None] = [self._thread, self._process]
        for pool in pools:
            if pool is not None:
                pool.shutdown(wait=True, cancel_futures=True)
        self._thread = self._process = None

    def __enter__(self) -> Parsers:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()
