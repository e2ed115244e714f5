"""`nianbao import`: local files (a folder someone already downloaded) into the archive, with file provenance.

Each file becomes a capture whose URL is the one given with --url, or its file: URI, dated by its modification
time, with its bytes in a WARC resource record. Importing the same files again is a no-op.
"""
from __future__ import annotations

import mimetypes
from collections.abc import Iterable, Iterator
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import select

from archive import models as m
from archive.blobs import sha256_hex
from archive.db import Archive
from archive.ingest import Capture, IngestStats, Ingestor
from archive.warc import WarcFile


def files_under(paths: Iterable[str | Path]) -> Iterator[Path]:
    """The files named and, for folders, every file below them (hidden ones skipped), in a stable order."""
    for path in map(Path, paths):
        if path.is_dir():
            yield from sorted(p for p in path.rglob("*")
                              if p.is_file() and not any(part.startswith(".") for part in p.relative_to(path).parts))
        elif path.is_file():
            yield path
        else:
            raise FileNotFoundError(f"no such file or folder: {path}")


def import_paths(archive: Archive, paths: Iterable[str | Path], run_id: str, url: str | None = None,
                 agency: str | None = None, year: int | None = None, ingestor: Ingestor | None = None
                 ) -> IngestStats:
    files = list(files_under(paths))
    if url and len(files) != 1:
        raise ValueError(f"--url names one document, but {len(files)} files were given")
    ingestor = ingestor or Ingestor(archive, run_id, kind="import")
    captures = m.Capture.__table__
    with WarcFile(archive.warc_dir, run_id) as warc:
        for path in files:
            data = path.read_bytes()
            sha = sha256_hex(data)
            fetched_at = datetime.fromtimestamp(path.stat().st_mtime, timezone.utc)
            capture = Capture(requested_url=url or path.resolve().as_uri(), fetched_at=fetched_at, run_id=run_id,
                              portal="file", agency_hint=agency, year_hint=year, size=len(data), sha256=sha)
            with archive.reader.connect() as conn:
                known = conn.execute(select(captures.c.id).where(captures.c.key == capture.key(sha))).first()
            if known is None:  # a re-import writes no second WARC record for the same capture
                kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
                ref = warc.write_resource(capture.requested_url, data, fetched_at, kind)
                capture = Capture(**{**capture.__dict__, "warc_file": ref.file, "warc_record_id": ref.record_id,
                                     "warc_offset": ref.offset})
            ingestor.ingest(capture, data)
    ingestor.finish()
    return ingestor.stats
