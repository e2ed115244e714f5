"""WARC files (warcio) holding the exact request and response behind every capture.

Each process appends to its own file (run id, start time and pid in the name), one gzip member per record. Every
record is flushed to the operating system at once (a killed process loses nothing) and fsynced before the database
row that points at it is committed: after each record by default, or by the caller once per batch (`sync_each=False`
and `sync()`), which spares a crawl an fsync per exchange on its event loop. A crash of the machine can leave a
truncated last member, which no database row refers to.
"""
from __future__ import annotations

import io
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO
from urllib.parse import urlsplit

from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter


@dataclass(frozen=True)
class WarcRef:
    file: str  # relative to the archive's warc folder
    record_id: str
    offset: int


def warc_date(when: datetime) -> str:
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class WarcFile:
    def __init__(self, warc_dir: Path, run_id: str, sync_each: bool = True):
        warc_dir.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%d%H%M%S")
        safe_run = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in run_id)
        self.name = f"{safe_run}-{stamp}-{os.getpid()}.warc.gz"
        self.path = warc_dir / self.name
        self._fh: BinaryIO | None = None  # opened on the first record: a run that writes nothing leaves no file
        self._writer: WARCWriter | None = None
        self.sync_each = sync_each

    def sync(self) -> None:
        """Make every record written so far durable (safe from another thread: records are flushed when written)."""
        if self._fh is not None:
            os.fsync(self._fh.fileno())

    def close(self) -> None:
        if self._fh is not None:
            self._fh.flush()
            self.sync()
            self._fh.close()

    def __enter__(self) -> WarcFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def writer(self) -> WARCWriter:
        if self._writer is None:
            self._fh = open(self.path, "ab")  # noqa: SIM115 (open until close(), across many records)
            self._writer = WARCWriter(self._fh, gzip=True)
        return self._writer

    def _write(self, record) -> WarcRef:
        assert self._fh is not None
        offset = self._fh.tell()
        self.writer.write_record(record)
        self._fh.flush()
        if self.sync_each:
            os.fsync(self._fh.fileno())
        return WarcRef(self.name, record.rec_headers.get_header("WARC-Record-ID"), offset)

    def write_exchange(
        self, url: str, status: int, headers: list[tuple[str, str]], body: bytes, fetched_at: datetime,
        request_headers: list[tuple[str, str]] | None = None, method: str = "GET", reason: str = "",
    ) -> WarcRef:
        """A request record and its response record; the reference points at the response."""
        date = warc_date(fetched_at)
        parts = urlsplit(url)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        req_headers = request_headers or [("Host", parts.netloc)]
        request = self.writer.create_warc_record(
            url, "request", payload=io.BytesIO(b""),
            http_headers=StatusAndHeaders(f"{method} {target} HTTP/1.1", req_headers, is_http_request=True),
            warc_headers_dict={"WARC-Date": date},
        )
        response = self.writer.create_warc_record(
            url, "response", payload=io.BytesIO(body),
            http_headers=StatusAndHeaders(f"{status} {reason}".strip(), headers, protocol="HTTP/1.1"),
            warc_headers_dict={
                "WARC-Date": date,
                "WARC-Concurrent-To": request.rec_headers.get_header("WARC-Record-ID"),
            },
        )
        self._write(request)
        return self._write(response)

    def write_resource(self, uri: str, body: bytes, fetched_at: datetime, content_type: str) -> WarcRef:
        """A file that was not fetched over HTTP (`nianbao import`): a resource record under its file: URI."""
        record = self.writer.create_warc_record(
            uri, "resource", payload=io.BytesIO(body), warc_content_type=content_type,
            warc_headers_dict={"WARC-Date": warc_date(fetched_at)},
        )
        return self._write(record)


def read_payload(warc_dir: Path, ref: WarcRef) -> bytes:
    """The payload (HTTP body, or the resource) of the record `ref` points at."""
    with open(warc_dir / ref.file, "rb") as fh:
        fh.seek(ref.offset)
        for record in ArchiveIterator(fh):
            if record.rec_headers.get_header("WARC-Record-ID") != ref.record_id:
                raise ValueError(f"no record {ref.record_id} at {ref.file}:{ref.offset}")
            return record.content_stream().read()
    raise ValueError(f"nothing at {ref.file}:{ref.offset}")
