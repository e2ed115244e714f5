"""Raw files and WARC records for download.

No path comes from the request: a blob is named by its sha256 (checked against the blobs table) and read from the
path ingest recorded for it; a WARC record is named by its capture's id and read from the file and offset the
capture recorded. Both paths must still resolve inside the archive's folders. Files are always downloads: the
response says `attachment`, and the type is the one recorded when the bytes were fetched, never a guess. The one
exception is a picture of tables, shown beside the cells read from it: only a raster format its bytes prove.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlsplit

from sqlalchemy import Connection, select
from warcio.archiveiterator import ArchiveIterator

from archive.store.models import T

# What ingest sniffs a blob to be (pipelines.sniff) → the type to send when no capture recorded one.
FORMAT_TYPES = {
    "html": "text/html", "pdf": "application/pdf", "doc": "application/msword", "wps": "application/vnd.ms-works",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xls": "application/vnd.ms-excel", "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "text": "text/plain", "ofd": "application/ofd",
}
FALLBACK_TYPE = "application/octet-stream"
# A recorded Content-Type is a server's header: only a well-formed type/subtype with simple parameters is repeated.
_MEDIA_TYPE = re.compile(r"^[A-Za-z0-9!#$&^_.+-]+/[A-Za-z0-9!#$&^_.+-]+(\s*;\s*[A-Za-z0-9_.-]+=[A-Za-z0-9_.\"-]+)*$")
_UNSAFE_NAME = re.compile(r"[^\w.\-]+", re.UNICODE)
MAX_NAME = 100


@dataclass(frozen=True)
class Download:
    path: Path
    media_type: str
    filename: str


def _inside(base: Path, relative: str) -> Path | None:
    path = (base / relative).resolve()
    return path if path.is_relative_to(base.resolve()) and path.is_file() else None


def _filename(url: str | None, sha256: str) -> str:
    """The last segment of the URL the file was fetched from, made safe; the digest when there is none."""
    name = PurePosixPath(unquote(urlsplit(url or "").path)).name if url else ""
    name = _UNSAFE_NAME.sub("_", name).strip("._")[:MAX_NAME]
    return name or sha256


def media_type(recorded: str | None, fmt: str | None) -> str:
    if recorded and _MEDIA_TYPE.match(recorded.strip()):
        return recorded.strip()
    return FORMAT_TYPES.get(fmt or "", FALLBACK_TYPE)


def blob_download(conn: Connection, data_dir: Path, sha256: str) -> Download | None:
    blobs, cap = T["blobs"], T["captures"]
    blob = conn.execute(select(blobs.c.path, blobs.c.format).where(blobs.c.sha256 == sha256)).first()
    if blob is None:
        return None
    path = _inside(data_dir, blob.path)
    if path is None:
        return None
    first = conn.execute(select(cap.c.final_url, cap.c.content_type).where(cap.c.sha256 == sha256)
                         .order_by(cap.c.fetched_at, cap.c.id).limit(1)).first()
    return Download(path, media_type(first.content_type if first else None, blob.format),
                    _filename(first.final_url if first else None, sha256))


# The picture formats a browser shows in <img>, by their first bytes: a table picture is shown inline only when its
# bytes are one of these (never by a recorded type, never SVG, which is a document that may hold scripts).
PICTURE_MAGIC = ((b"\x89PNG\r\n\x1a\n", "image/png"), (b"\xff\xd8\xff", "image/jpeg"), (b"GIF87a", "image/gif"),
                 (b"GIF89a", "image/gif"), (b"BM", "image/bmp"))


def picture_type(head: bytes) -> str | None:
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return next((kind for magic, kind in PICTURE_MAGIC if head.startswith(magic)), None)


def picture_file(conn: Connection, data_dir: Path, sha256: str) -> Download | None:
    """A stored picture to show inline (a table picture beside its cells), with the type its bytes say."""
    blobs = T["blobs"]
    blob = conn.execute(select(blobs.c.path).where(blobs.c.sha256 == sha256, blobs.c.format == "image")).first()
    path = _inside(data_dir, blob.path) if blob else None
    if path is None:
        return None
    with open(path, "rb") as fh:
        kind = picture_type(fh.read(16))
    return Download(path, kind, sha256) if kind else None


@dataclass(frozen=True)
class WarcBytes:
    data: bytes
    filename: str


def warc_record(conn: Connection, warc_dir: Path, capture_id: int) -> WarcBytes | None:
    """The capture's WARC record exactly as stored: one gzip member, itself a valid .warc.gz file."""
    cap = T["captures"]
    c = conn.execute(select(cap.c.warc_file, cap.c.warc_record_id, cap.c.warc_offset)
                     .where(cap.c.id == capture_id)).first()
    if c is None or not c.warc_file or c.warc_offset is None or PurePosixPath(c.warc_file).name != c.warc_file:
        return None
    path = _inside(warc_dir, c.warc_file)
    if path is None:
        return None
    with open(path, "rb") as fh:
        fh.seek(c.warc_offset)
        records = ArchiveIterator(fh)
        record = next(records, None)
        if record is None or (c.warc_record_id and record.rec_headers.get_header("WARC-Record-ID") != c.warc_record_id):
            return None
        length = records.get_record_length()
        fh.seek(c.warc_offset)
        return WarcBytes(fh.read(length), f"capture-{capture_id}.warc.gz")
