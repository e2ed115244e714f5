"""What one document may cost its extraction: the limits (one setting each; their defaults are here, where the
extraction is, because pipelines imports nothing of ours, and crawler/settings.py names them), the limits in force
in this process, and the error a breach raises, naming its setting."""
from __future__ import annotations

import os
import stat
from dataclasses import dataclass, fields, replace
from typing import Any

from pipelines.document import ExtractionError

# Each limit's setting: a breach names it, so the user knows what to raise.
SETTING = {"memory_mb": "NIANBAO_EXTRACT_MEMORY_MB", "seconds": "NIANBAO_EXTRACT_SECONDS",
           "zip_mb": "NIANBAO_ZIP_MAX_MB", "zip_entries": "NIANBAO_ZIP_MAX_ENTRIES",
           "table_cells": "NIANBAO_TABLE_MAX_CELLS", "pdf_pages": "NIANBAO_PDF_MAX_PAGES",
           "ocr_seconds": "NIANBAO_OCR_SECONDS", "file_bytes": "DOWNLOAD_MAXSIZE"}
WORKERS = 2  # extraction processes (NIANBAO_EXTRACT_WORKERS)


# Each document is extracted in a worker process (pipelines/workers.py): a breach fails that document alone,
# recorded as an error naming the limit. A report runs to a few dozen pages and tens of MB.
@dataclass(frozen=True)
class Limits:
    memory_mb: float = 1024  # address space of a worker (RLIMIT_AS), LibreOffice and tesseract included
    seconds: float = 300.0  # wall time per document, then its worker is killed and replaced
    zip_mb: float = 200.0  # uncompressed size of a DOCX/XLSX/OFD container's entries together
    zip_entries: int = 10_000
    table_cells: int = 200_000  # positions of one table once merged cells are expanded
    pdf_pages: int = 500
    ocr_seconds: float = 240.0  # OCR of one document's pages together
    # A local file is read only up to what a download may be. A report is at most a few MB; scans of compilations
    # run to hundreds: stop them (domain.md §5 hazards).
    file_bytes: int = 50 * 1024 * 1024

    @classmethod
    def from_settings(cls, settings: Any) -> Limits:
        """From Scrapy settings (the crawl's, or `crawler.process.settings()` for the other commands)."""
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
