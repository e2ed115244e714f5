"""Raw bytes on disk, addressed by their sha256: blobs/ab/cd/abcd….

A blob is written to a temporary file in its final folder, fsynced, then renamed over its name, and the folder is
fsynced: a crash leaves either no file or the whole file under the final name, never a partial blob (a stray
temporary file at worst, which `sweep_temporaries` removes).
"""
from __future__ import annotations

import hashlib
import os
import tempfile
import time
from pathlib import Path

TMP_PREFIX = ".tmp-"


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def relative_path(sha256: str) -> Path:
    return Path("blobs") / sha256[:2] / sha256[2:4] / sha256


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class BlobStore:
    def __init__(self, data_dir: Path):
        self.data_dir = Path(data_dir)

    def path(self, sha256: str) -> Path:
        return self.data_dir / relative_path(sha256)

    def put(self, data: bytes) -> str:
        """Store `data` (idempotent: an existing blob is not rewritten); returns its sha256."""
        digest = sha256_hex(data)
        final = self.path(digest)
        if final.exists():
            return digest
        final.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=TMP_PREFIX, dir=final.parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            # Two writers of the same blob both rename complete files with identical bytes: last one wins, harmlessly.
            os.replace(tmp, final)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        _fsync_dir(final.parent)
        return digest

    def get(self, sha256: str) -> bytes:
        data = self.path(sha256).read_bytes()
        if sha256_hex(data) != sha256:
            raise ValueError(f"blob {sha256} is corrupt on disk")
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
