"""What one document may cost its extraction: the limits (defaults in `crawler/settings.py`, one setting each), the
limits in force in this process, and the error a breach raises, naming its setting."""
from __future__ import annotations

import os
import stat
from dataclasses import dataclass, fields, replace
from typing import Any

from crawler import settings as defaults
from pipelines.document import ExtractionError

# Each limit's setting: a breach names it, so the user knows what to raise.
SETTING = {"memory_mb": "NIANBAO_EXTRACT_MEMORY_MB", "seconds": "NIANBAO_EXTRACT_SECONDS",
           "zip_mb": "NIANBAO_ZIP_MAX_MB", "zip_entries": "NIANBAO_ZIP_MAX_ENTRIES",
           "table_cells": "NIANBAO_TABLE_MAX_CELLS", "pdf_pages": "NIANBAO_PDF_MAX_PAGES",
           "ocr_seconds": "NIANBAO_OCR_SECONDS", "file_bytes": "DOWNLOAD_MAXSIZE"}


@dataclass(frozen=True)
class Limits:
    memory_mb: float = defaults.NIANBAO_EXTRACT_MEMORY_MB
    seconds: float = defaults.NIANBAO_EXTRACT_SECONDS
    zip_mb: float = defaults.NIANBAO_ZIP_MAX_MB
    zip_entries: int = defaults.NIANBAO_ZIP_MAX_ENTRIES
    table_cells: int = defaults.NIANBAO_TABLE_MAX_CELLS
    pdf_pages: int = defaults.NIANBAO_PDF_MAX_PAGES
    ocr_seconds: float = defaults.NIANBAO_OCR_SECONDS
    file_bytes: int = defaults.DOWNLOAD_MAXSIZE  # a local file is read only up to what a download may be

    @classmethod
    def from_settings(cls, settings: Any) -> Limits:
        """From Scrapy settings (the crawl's, or `crawler.run.settings()` for the other commands)."""
        values = {}
        for f in fields(cls):
            value = settings.get(SETTING[f.name])
            if value is not None:
                values[f.name] = type(getattr(cls, f.name))(float(value))
        return replace(cls(), **values)


class LimitExceeded(ExtractionError):
    def __init__(self, limit: str, detail: str):
        super().__init__(f"limit {SETTING[limit]} exceeded: {detail}")
        self.limit = limit


_in_force = Limits()


def current() -> Limits:
    return _in_force


def install(limits: Limits) -> None:
    """The limits of this process's extractions (a worker's, set by its supervisor)."""
    global _in_force
    _in_force = limits


def check(limit: str, amount: float, what: str) -> None:
    """Raise `LimitExceeded` when `amount` passes the limit in force."""
    allowed = getattr(_in_force, limit)
    if amount > allowed:
        raise LimitExceeded(limit, f"{what} ({amount:,.0f}, at most {allowed:,.0f})")


def memory_exceeded() -> str:
    return f"exceeded memory limit {_in_force.memory_mb:,.0f} MB ({SETTING['memory_mb']})"


class NotARegularFile(ExtractionError):
    pass


def read_file(path: str | os.PathLike[str]) -> bytes:
    """A local document's bytes: a regular file only (a FIFO would block, /dev/zero never end), at most the size a
    download may have. OSError for a file that cannot be opened."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)  # opening a FIFO must not wait for a writer
    with os.fdopen(fd, "rb") as file:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            kind = ("a FIFO" if stat.S_ISFIFO(mode) else "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode)
                    else "a socket" if stat.S_ISSOCK(mode) else "a folder" if stat.S_ISDIR(mode) else "special")
            raise NotARegularFile(f"not a regular file ({kind})")
        check("file_bytes", os.fstat(fd).st_size, "bytes in the file")
        return file.read(_in_force.file_bytes + 1)
