"""Zip containers (DOCX, XLSX, OFD) checked against the limits before a reader opens them: a zip bomb states its
size in its central directory, and Python's zipfile (like calamine's zip crate) reads no more than an entry states."""
from __future__ import annotations

import zipfile
from io import BytesIO

from pipelines import limits


def check_container(data: bytes) -> None:
    """Raise `LimitExceeded` for too many entries or too many bytes once unzipped; a damaged archive is left to its
    reader to describe."""
    try:
        with zipfile.ZipFile(BytesIO(data)) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return
    limits.check("zip_entries", len(entries), "entries in the zip container")
    limits.check("zip_mb", sum(e.file_size for e in entries) / 2**20, "MB in the zip container once unzipped")
