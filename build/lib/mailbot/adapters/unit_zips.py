"""`[board] zip_per_unit`: each unit's files travel as one zip, "03-UBND phường Đa Phúc.zip".

Zips are written to a temp file in the file store, streamed from the stored files
(a unit's photos are never all in memory), and stored content-addressed like any
other file, so building the same package twice gives the same bytes.
"""

from __future__ import annotations

import shutil
import zipfile
from collections.abc import Sequence
from itertools import groupby

from mailbot.adapters.blobs import BlobStore
from mailbot.core.digest_model import DigestFile, PackedFile

_FIXED_TIME = (2000, 1, 1, 0, 0, 0)  # same files, same zip bytes


def zip_per_unit(files: Sequence[PackedFile], store: BlobStore) -> list[PackedFile]:
    """One PackedFile per unit folder, in the same order, replacing that unit's files."""
    out = []
    for folder, group in groupby(files, key=lambda f: f.archive_name.split("/", 1)[0]):
        members = list(group)
        tmp = store.temp_path()
        try:
            with zipfile.ZipFile(tmp, "w", allowZip64=True) as zf:
                for f in members:
                    info = zipfile.ZipInfo(f.archive_name.split("/", 1)[-1], _FIXED_TIME)
                    info.compress_type = zipfile.ZIP_DEFLATED
                    with store.path_for(f.file.sha256).open("rb") as src, \
                            zf.open(info, "w", force_zip64=True) as dst:
                        shutil.copyfileobj(src, dst, 1024 * 1024)
            sha, size = store.put_file(tmp)
        finally:
            tmp.unlink(missing_ok=True)
        out.append(PackedFile(f"{folder}.zip", DigestFile(f"{folder}.zip", sha, size,
                                                          "application/zip"), members[0].unit))
    return out
