"""`nianbao import`: local files (a folder someone already downloaded) into the archive, with file provenance.

Each file becomes a capture whose URL is the one given with --url, or its file: URI, dated by its modification
time, with its bytes in a WARC resource record. Importing the same files again is a no-op.
"""
from __future__ import annotations

import mimetypes
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select

from archive.ingest import ingestor as ingest
from archive.ingest.ingestor import Capture, Ingestor, IngestStats
from archive.run_tables import ensure_run, record_error
from archive.store import models as m
from archive.store.blobs import sha256_hex
from archive.store.db import Archive
from archive.store.warc import WarcFile
from pipelines.document import ExtractionError, Failure, Report
from pipelines.limits import read_file
from pipelines.workers import ExtractionPool


def files_under(paths: Iterable[str | Path]) -> Iterator[Path]:
    """The files named and, for folders, every entry below them that is not a folder (hidden ones skipped), in a
    stable order: a FIFO or device among them is reported when read, not passed over in silence."""
    for path in map(Path, paths):
        if path.is_dir():
            yield from sorted(p for p in path.rglob("*")
                              if not p.is_dir() and not any(part.startswith(".") for part in p.relative_to(path).parts))
        elif path.exists():
            yield path
        else:
            raise FileNotFoundError(f"no such file or folder: {path}")


def import_paths(archive: Archive, paths: Iterable[str | Path], run_id: str, url: str | None = None,
                 agency: str | None = None, year: int | None = None, ingestor: Ingestor | None = None,
                 progress: Callable[[str], None] | None = None) -> IngestStats:
    """Import every file; one that cannot be read, or whose extraction fails, is counted and named (`progress`), and
    the import goes on. Extraction runs in supervised workers (pipelines.workers)."""
    files = list(files_under(paths))
    if url and len(files) != 1:
        raise ValueError(f"--url names one document, but {len(files)} files were given")
    with ExtractionPool() as pool, WarcFile(archive.warc_dir, run_id) as warc:
        ingestor = ingestor or Ingestor(archive, run_id, kind="import", extractor=pool,
                                        parser_version=ingest.current_extractor()[1])
        ahead = 2 * len(pool.supervisors)  # documents read and extracting while the one before is committed
        for start in range(0, len(files), ahead):
            chunk = files[start:start + ahead]
            read = [_read(path) for path in chunk]
            extracting = [pool.submit(data, str(path)) if isinstance(data, bytes) else None
                          for path, data in zip(chunk, read)]
            for n, (path, data, future) in enumerate(zip(chunk, read, extracting), start + 1):
                if isinstance(data, str):  # the file could not be read: `data` says why
                    ingestor.stats.add("failed")
                    _record_unreadable(archive, run_id)
                    outcome = f"failed: {data}"
                else:
                    assert future is not None  # every file read is extracting (above)
                    result = future.result()
                    outcome = _archive(archive, warc, ingestor, path, data, result, run_id, url, agency, year)
                    if isinstance(result, Failure):
                        if outcome == "noop":  # archived before, and still unreadable: failed all the same
                            ingestor.stats.noop -= 1
                            ingestor.stats.add("failed")
                        outcome = f"failed: {result.error}"
                if progress:
                    progress(f"[{n}/{len(files)}] {path}: {outcome}")
    ingestor.finish()
    return ingestor.stats


def _read(path: Path) -> bytes | str:
    """The file's bytes, or why it cannot be imported."""
    try:
        return read_file(path)
    except OSError as exc:
        return f"cannot read: {exc.strerror}"
    except ExtractionError as exc:
        return str(exc)


def _record_unreadable(archive: Archive, run_id: str) -> None:
    with archive.engine.begin() as conn:
        ensure_run(conn, run_id, "import")
        record_error(conn, run_id, "file", "unreadable_file")


def _archive(archive: Archive, warc: WarcFile, ingestor: Ingestor, path: Path, data: bytes,
             result: Report | Failure, run_id: str, url: str | None, agency: str | None, year: int | None) -> str:
    captures = m.Capture.__table__
    sha = sha256_hex(data)
    fetched_at = datetime.fromtimestamp(path.stat().st_mtime, UTC)
    capture = Capture(requested_url=url or path.resolve().as_uri(), fetched_at=fetched_at, run_id=run_id,
                      portal="file", agency_hint=agency, year_hint=year, size=len(data), sha256=sha)
    with archive.reader.connect() as conn:
        known = conn.execute(select(captures.c.id).where(captures.c.key == capture.key(sha))).first()
    if known is None:  # a re-import writes no second WARC record for the same capture
        kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        ref = warc.write_resource(capture.requested_url, data, fetched_at, kind)
        capture = Capture(**{**capture.__dict__, "warc_file": ref.file, "warc_record_id": ref.record_id,
                             "warc_offset": ref.offset})
    return ingestor.ingest(capture, data, result)
