"""The dashboard's read-only view of an archive.

Everything in the archive came from the internet and the dashboard answers anyone who reaches its port, so it
cannot write even by mistake: SQLite files are opened read-only (`mode=ro`) with `query_only` on every connection,
and PostgreSQL sessions are read-only transactions. The schema is never migrated from here: an archive at another
revision is refused with the command that upgrades it.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url

from archive.store.db import BUSY_TIMEOUT_MS, default_data_dir, resolve_url
from archive.store.migrate import current_revision, head_revision


class ArchiveUnavailable(RuntimeError):
    """The archive cannot be served as it is (missing file, schema at another revision)."""


@dataclass(frozen=True)
class ReadOnlyArchive:
    engine: Engine
    data_dir: Path
    url: str


def sqlite_read_only_engine(path: Path) -> Engine:
    engine = create_engine(f"sqlite:///file:{quote(str(path))}?mode=ro{_immutable(path)}&uri=true")

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record) -> None:
        # SQLAlchemy's begin event below opens the transactions, so that the queries of one request read one
        # snapshot (pysqlite alone would run each SELECT in a transaction of its own).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA query_only=ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn) -> None:
        conn.exec_driver_sql("BEGIN DEFERRED")

    return engine


def _immutable(path: Path) -> str:
    """`&immutable=1` for an archive in a folder no one can write (a read-only mount, a copy on a DVD): a WAL-mode
    database opened read-only needs its -shm file, which SQLite cannot create there, and every query failed with
    "unable to open database file". Immutable skips that, and is safe only without a -wal file holding commits the
    database file lacks; with one, SQLite reads the existing -wal and -shm files read-only."""
    if os.access(path.parent, os.W_OK) or Path(f"{path}-wal").exists():
        return ""
    return "&immutable=1"


def _postgresql_engine(url: str) -> Engine:
    engine = create_engine(url, pool_pre_ping=True)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record) -> None:
        with dbapi_conn.cursor() as cur:
            cur.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
        dbapi_conn.commit()

    return engine


def require_file(path: Path) -> None:
    """ArchiveUnavailable unless the SQLite archive at `path` exists (a mistyped --db must not become a new one)."""
    if not path.is_file():
        raise ArchiveUnavailable(f"no archive at {path} (create one with `nianbao import` or a crawl, or give --db)")


def open_read_only(db: str, data_dir: str | Path | None = None) -> ReadOnlyArchive:
    """The archive named by `db` (as `nianbao` resolves it), opened for reading only."""
    url = resolve_url(db)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        path = Path(parsed.database or "")
        require_file(path)
        engine = sqlite_read_only_engine(path)
    else:
        engine = _postgresql_engine(url)
    with engine.connect() as conn:
        revision = current_revision(conn)
    if revision != head_revision():
        engine.dispose()
        raise ArchiveUnavailable(f"the archive's schema is at revision {revision or 'none'}, this nianbao needs "
                                 f"{head_revision()}: run `nianbao db upgrade --db …` first")
    return ReadOnlyArchive(engine, Path(data_dir) if data_dir else default_data_dir(url), url)
