"""glibc's allocator, tuned for a process that holds multi-megabyte messages in two threads.

glibc serves a large block (a message, a photo) with mmap and gives it back when freed,
but each time one is freed it raises its mmap threshold (up to 32 MB), so the next large
blocks come from the heap, which it keeps; and each thread (the parse-ahead thread, the
file writers) gets its own arena. A poll of 2,000 messages then peaked at ~570 MB where
the largest message needs ~110. Fixing the threshold (which stops the raising) and
capping the arenas keeps memory bounded by the largest message. Other C libraries
(musl, macOS) are left as they are.
"""

from __future__ import annotations

import ctypes
import sys

M_MMAP_THRESHOLD = -3
M_ARENA_MAX = -8
MMAP_THRESHOLD = 256 * 1024
ARENA_MAX = 2


def tune() -> bool:
    """Apply the settings; True where they took (Linux with glibc)."""
    if not sys.platform.startswith("linux"):
        return False
    try:  # glibc's soname: find_library would run ldconfig in a child process
        mallopt = ctypes.CDLL("libc.so.6").mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    return bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD) and mallopt(M_ARENA_MAX, ARENA_MAX))
