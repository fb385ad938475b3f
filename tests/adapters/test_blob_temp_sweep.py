"""Half-written files left by a killed process are swept; a live writer's are not."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from mailbot.adapters.blobs import BlobStore


def test_temp_files_of_a_dead_writer_are_removed_and_a_live_writer_s_are_kept(
        tmp_path: Path) -> None:
    store = BlobStore(tmp_path)
    kept = store.path_for(store.put(b"a finished file"))
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True).stdout.strip()
    (tmp_path / "ab").mkdir()
    left = tmp_path / "ab" / f".tmp-{dead}-x1y2"
    left.write_bytes(b"half")
    live = tmp_path / "ab" / f".tmp-{os.getpid()}-z3"
    live.write_bytes(b"being written")
    assert store.temp_path().name.startswith(f".tmp-{os.getpid()}-")

    assert store.sweep_temps() == 1
    assert not left.exists() and live.exists() and kept.exists()
