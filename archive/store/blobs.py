"""Raw bytes on disk, addressed by their sha256: blobs/ab/cd/abcd….

A blob is written to a temporary file in its final folder, fsynced, then renamed over its name, and the folder is
fsynced: a crash leaves either no file or the whole file under the final name, never a partial blob (a stray
temporary file at worst, which `sweep_temporaries` removes).

`put_many` does the same for a batch with the fsyncs in parallel threads: the file system commits concurrent fsyncs
together, so a batch of 300 blobs costs a few journal commits instead of 600 one after another.
"""
from __future__ import annotations

import hashlib
import os
import tempfile
import time
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import BinaryIO

from archive.store.damage import CorruptBlob

TMP_PREFIX = ".tmp-"
# Enough fsyncs in flight for the file system to group them; more threads only add scheduling.
SYNC_THREADS = 16
# Temporary files open at once, well under the usual limit of 1024 descriptors whatever the batch size.
OPEN_FILES = 256


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def relative_path(sha256: str) -> Path:
    return Path("blobs") / sha256[:2] / sha256[2:4] / sha256


def _fsync_dirs(paths: list[str]) -> None:
    for path in paths:
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _fsync_close(files: list[BinaryIO]) -> None:
    for fh in files:
        with fh:
            fh.flush()
            os.fsync(fh.fileno())


def _in_parallel(work, items: list) -> None:
    """`work` over `items` split into SYNC_THREADS runs: a task per thread, not per item, keeps the overhead low."""
    runs = [items[i::SYNC_THREADS] for i in range(min(SYNC_THREADS, len(items)))]
    if len(runs) == 1:
        work(runs[0])
        return
    with ThreadPoolExecutor(len(runs)) as pool:
        list(pool.map(work, runs))


def _make_folders(folder: str) -> list[str]:
    """Create `folder` as needed; returns the folders whose entries changed (its own, and each new one's parent)."""
    changed = [folder]
    missing = []
    while not os.path.isdir(folder):
        missing.append(folder)
        folder = os.path.dirname(folder)
    for path in reversed(missing):
        os.makedirs(path, exist_ok=True)
        changed.append(os.path.dirname(path))
    return changed


class BlobStore:
    def __init__(self, data_dir: Path):
        self.data_dir = Path(data_dir)
        self._root = str(self.data_dir / "blobs")

    def path(self, sha256: str) -> Path:
        return Path(self._file(sha256))

    def _file(self, sha256: str) -> str:
        # A string, not a Path: building three Paths per blob showed in the profile of a batch.
        return f"{self._root}/{sha256[:2]}/{sha256[2:4]}/{sha256}"

    def put(self, data: bytes) -> str:
        """Store `data` (idempotent: an existing blob is not rewritten); returns its sha256."""
        digest = sha256_hex(data)
        self.put_many({digest: data})
        return digest

    def put_many(self, blobs: Mapping[str, bytes]) -> None:
        """Store every blob (sha256 → bytes, digests computed by the caller) durably before returning."""
        pending = [(digest, data) for digest, data in blobs.items() if not os.path.exists(self._file(digest))]
        folders: set[str] = set()
        temporaries: dict[str, str] = {}
        try:
            for start in range(0, len(pending), OPEN_FILES):
                opened: list[BinaryIO] = []
                try:
                    for digest, data in pending[start:start + OPEN_FILES]:
                        folder = os.path.dirname(self._file(digest))
                        folders.update(_make_folders(folder))
                        fd, temporaries[digest] = tempfile.mkstemp(prefix=TMP_PREFIX, dir=folder)
                        opened.append(os.fdopen(fd, "wb"))
                        opened[-1].write(data)
                    files, opened = opened, []
                    _in_parallel(_fsync_close, files)
                finally:
                    for fh in opened:
                        fh.close()
            # Two writers of the same blob both rename complete files with identical bytes: last one wins, harmlessly.
            for digest in list(temporaries):
                os.replace(temporaries.pop(digest), self._file(digest))
        finally:
            for tmp in temporaries.values():
                Path(tmp).unlink(missing_ok=True)
        if folders:
            _in_parallel(_fsync_dirs, sorted(folders))

    def get(self, sha256: str) -> bytes:
        data = self.path(sha256).read_bytes()
        if sha256_hex(data) != sha256:
            raise CorruptBlob(f"blob {sha256} is corrupt on disk ({self.path(sha256)}: its bytes no longer match their "
                              "digest): restore it from a backup or the WARC file")
        return data

    def sweep_temporaries(self, older_than_s: float = 3600) -> int:
        """Remove temporary files left by crashed writers; returns how many.

        Only old ones: a young temporary file may belong to a writer still running in another process.
        """
        root = self.data_dir / "blobs"
        cutoff = time.time() - older_than_s
        count = 0
        for tmp in root.glob(f"*/*/{TMP_PREFIX}*") if root.exists() else ():
            if tmp.stat().st_mtime < cutoff:
                tmp.unlink(missing_ok=True)
                count += 1
        return count
