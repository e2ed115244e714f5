"""Engines for the archive database: SQLite by default, PostgreSQL by URL.

SQLite is opened in WAL mode with a busy timeout, and every write transaction starts with BEGIN IMMEDIATE: a
deferred transaction that reads and then writes can fail at once with "database is locked" when another process
wrote in between, whereas an immediate one waits its turn under the busy timeout. Readers (coverage, export) use
`Archive.reader`, whose transactions stay deferred so they never block writers.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url

BUSY_TIMEOUT_MS = 60_000


def dumps(value: object) -> str:
    # Chinese text stays readable in sqlite3/Datasette and half the size of \\uXXXX escapes.
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def resolve_url(db: str) -> str:
    """The SQLAlchemy URL of `db` (`--db`, NIANBAO_DB): a bare path means a SQLite file."""
    if "://" not in db:
        return f"sqlite:///{Path(db).resolve()}"
    if db.startswith(("postgresql://", "postgres://")):
        # psycopg 3 is the driver we install; SQLAlchemy's default for a bare postgresql:// is psycopg2.
        return "postgresql+psycopg://" + db.split("://", 1)[1]
    return db


def sqlite_path(db: str) -> str | None:
    """The file of the SQLite archive `db` names, or None for another database."""
    parsed = make_url(resolve_url(db))
    return parsed.database if parsed.get_backend_name() == "sqlite" else None


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def _sqlite_events(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record) -> None:
        # Hand transaction control to SQLAlchemy's begin event below instead of pysqlite's implicit BEGIN.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA journal_mode=WAL")
        # In WAL mode NORMAL loses at most the last commits on power loss, never consistency.
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        # 64 MB rather than 2: ingest writes the indexes on digests and LSH buckets at random places.
        cur.execute("PRAGMA cache_size=-65536")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn) -> None:
        options = conn.get_execution_options()
        if options.get("isolation_level") == "AUTOCOMMIT":
            return  # each statement its own transaction (archive.crawl_state's lookups): a BEGIN would never end
        mode = "DEFERRED" if options.get("nianbao_read_only") else "IMMEDIATE"
        conn.exec_driver_sql(f"BEGIN {mode}")


def make_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database:
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, json_serializer=dumps)
        _sqlite_events(engine)
        return engine
    return create_engine(url, json_serializer=dumps, pool_pre_ping=True)


def default_data_dir(url: str) -> Path:
    """Blobs and WARC files live beside a SQLite archive, and under ./data otherwise (unless NIANBAO_DATA says)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database:
        return Path(parsed.database).parent
    return Path("data")


@dataclass
class Archive:
    """An open archive: the database engine plus the folder holding blobs and WARC files."""

    engine: Engine
    data_dir: Path

    @property
    def reader(self) -> Engine:
        return self.engine.execution_options(nianbao_read_only=True)

    @property
    def blob_dir(self) -> Path:
        return self.data_dir / "blobs"

    @property
    def warc_dir(self) -> Path:
        return self.data_dir / "warc"


def open_archive(db: str, data_dir: str | Path | None = None, upgrade: bool = True) -> Archive:
    """Open (and on first use create or migrate) the archive named by `db`."""
    from archive.store.migrate import upgrade_to_head

    url = resolve_url(db)
    engine = make_engine(url)
    if upgrade:
        upgrade_to_head(engine)
    return Archive(engine, Path(data_dir) if data_dir else default_data_dir(url))
