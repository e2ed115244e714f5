"""The crawl's memory between runs, in the archive's database: what each page that leads somewhere led to
(`crawl_nodes`) and the documents that failed for good (`crawl_failed_documents`). The crawler (`crawler.state`)
reads and writes them through these functions only; rows are plain values, the crawler's records serialised.

Crawls before migration 0007 kept this memory in a SQLite file beside the archive: `adopt_file` reads such a file
into the tables once (what the tables hold already is kept) and renames it, so a crawl resumes where it left off.
"""
from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from sqlalchemy import Connection, Row, func, select

from archive.store.db import Archive
from archive.store.models import T
from archive.store.sql import insert

log = logging.getLogger(__name__)
NODE_COLUMNS = ("key", "url", "role", "fetched_at", "etag", "last_modified", "digest", "cold", "children")
FAILED_COLUMNS = ("url", "reason", "at")
LEGACY_FILE = "crawl-state.sqlite"  # beside the archive, before migration 0007
ADOPT_BATCH = 1000


def node(conn: Connection, key: str) -> Row | None:
    """The row of node `key` (columns in NODE_COLUMNS order), or None."""
    nodes = T["crawl_nodes"]
    return conn.execute(select(*(nodes.c[c] for c in NODE_COLUMNS)).where(nodes.c.key == key)).first()


def failed_urls(conn: Connection) -> set[str]:
    return set(conn.execute(select(T["crawl_failed"].c.url)).scalars())


def save_nodes(conn: Connection, rows: Sequence[dict]) -> None:
    """Insert or replace nodes (dicts of NODE_COLUMNS)."""
    if rows:
        stmt = insert(conn, T["crawl_nodes"])
        conn.execute(stmt.on_conflict_do_update(index_elements=["key"], set_={
            c: stmt.excluded[c] for c in NODE_COLUMNS if c != "key"}), list(rows))


def save_failures(conn: Connection, rows: Sequence[dict]) -> None:
    """Insert or replace failed documents (dicts of FAILED_COLUMNS)."""
    if rows:
        stmt = insert(conn, T["crawl_failed"])
        conn.execute(stmt.on_conflict_do_update(index_elements=["url"], set_={
            "reason": stmt.excluded.reason, "at": stmt.excluded.at}), list(rows))


def latest_captures(conn: Connection) -> Iterator[tuple[str, float, str | None, str | None]]:
    """Every document URL the archive holds a capture of: (URL, when its latest capture was fetched, in seconds since
    the epoch, and that capture's ETag and Last-Modified)."""
    cap = T["captures"]
    latest = (select(cap.c.requested_url, func.max(cap.c.fetched_at).label("at"))
              .group_by(cap.c.requested_url).subquery())
    query = (select(cap.c.requested_url, cap.c.fetched_at, cap.c.etag, cap.c.last_modified)
             .join(latest, (latest.c.requested_url == cap.c.requested_url) & (latest.c.at == cap.c.fetched_at)))
    for url, at, etag, modified in conn.execute(query):
        yield url, at.timestamp() if at else 0.0, etag, modified


def committed_in_run(conn: Connection, url: str, run_id: str) -> bool:
    """Whether the archive holds a capture of `url` from run `run_id`."""
    cap = T["captures"]
    query = select(cap.c.id).where(cap.c.requested_url == url, cap.c.run_id == run_id).limit(1)
    return conn.execute(query).first() is not None


def adopt_file(archive: Archive, path: Path) -> int:
    """Read a crawl-state file of earlier versions into the tables (rows the tables hold already are kept) and
    rename it to `….adopted`; the number of rows read."""
    if not path.is_file():
        return 0
    source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        count = 0
        with archive.engine.begin() as conn:
            for table, columns, query in (
                    ("crawl_nodes", NODE_COLUMNS, f"SELECT {', '.join(NODE_COLUMNS)} FROM nodes"),
                    ("crawl_failed", FAILED_COLUMNS, f"SELECT {', '.join(FAILED_COLUMNS)} FROM failed_documents")):
                for rows in _batches(source.execute(query), ADOPT_BATCH):
                    conn.execute(insert(conn, T[table]).on_conflict_do_nothing(),
                                 [dict(zip(columns, row)) for row in rows])
                    count += len(rows)
    finally:
        source.close()
    path.rename(path.with_name(path.name + ".adopted"))
    for suffix in ("-wal", "-shm"):
        path.with_name(path.name + suffix).unlink(missing_ok=True)
    log.info("crawl state: %d rows of %s adopted into the archive", count, path)
    return count


def _batches(rows: Iterable[tuple], size: int) -> Iterator[list[tuple]]:
    batch: list[tuple] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch
