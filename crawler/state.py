"""The crawl's memory between runs: what each listing and article led to, and when it was last asked for.

One SQLite file beside the archive. A node is any fetched page that leads somewhere (home, 政务公开 page, column,
list page, API page, gkmlpt shell, article): its validators (ETag, Last-Modified), a digest of what it listed, and
its children (the requests it led to). With that a re-run can
- ask with If-None-Match / If-Modified-Since, and on 304 or an unchanged digest replay the stored children instead
  of re-walking the list;
- skip a node altogether while it is *complete* (every child done: documents archived, nodes complete) and within
  its TTL — navigation pages and columns of past years are revisited only on a TTL;
- resume after SIGKILL: nothing is marked done before the archive has committed it, so a killed run's unfinished
  branches are incomplete and walked again, and its finished ones are not.
Documents are "done" when the archive holds a capture of their URL, or when they failed for good (soft 404, 404,
too large): the archive is the truth for the first, this file for the second.

Workers of a distributed crawl (`crawler.distributed`) run on several machines: `SharedState` keeps the same two
tables in the archive's database (PostgreSQL there), so that what one worker learnt the others and later runs see.
"""
from __future__ import annotations

import json
import sqlite3
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from sqlalchemy import Column, Float, Integer, MetaData, Table, Text, func, select

from archive.models import T
from archive.sql import insert

SCHEMA = """
CREATE TABLE IF NOT EXISTS nodes (
  key TEXT PRIMARY KEY, url TEXT NOT NULL, role TEXT NOT NULL, fetched_at REAL NOT NULL,
  etag TEXT, last_modified TEXT, digest TEXT, cold INTEGER NOT NULL DEFAULT 0, children TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS failed_documents (url TEXT PRIMARY KEY, reason TEXT NOT NULL, at REAL NOT NULL);
"""


@dataclass(frozen=True)
class Child:
    """A request a node led to, with what the spider needs to make it again without the node's page."""

    url: str
    role: str  # doc | file | column | page | api | shell | nav
    method: str = "GET"
    body: str | None = None
    title: str = ""
    agency: str | None = None
    year: int | None = None
    date: str | None = None
    family: str = ""  # the CMS family whose API answers (role api)

    @property
    def key(self) -> str:
        return node_key(self.method, self.url, self.body)

    @property
    def is_document(self) -> bool:
        return self.role in ("doc", "file")


@dataclass
class Node:
    key: str
    url: str
    role: str
    fetched_at: float
    etag: str | None = None
    last_modified: str | None = None
    digest: str | None = None
    cold: bool = False
    children: list[Child] = field(default_factory=list)

    def as_row(self) -> tuple:
        """The node as a row of `nodes` / `crawl_nodes` (same columns, in `COLUMNS` order)."""
        return (self.key, self.url, self.role, self.fetched_at, self.etag, self.last_modified, self.digest,
                int(self.cold), json.dumps([asdict(c) for c in self.children], ensure_ascii=False))

    @classmethod
    def from_row(cls, row) -> Node:
        *head, cold, children = row
        return cls(*head, bool(cold), [Child(**c) for c in json.loads(children)])


COLUMNS = ("key", "url", "role", "fetched_at", "etag", "last_modified", "digest", "cold", "children")


@dataclass(frozen=True)
class Known:
    """The archive's latest capture of a document URL."""

    fetched_at: float
    etag: str | None
    last_modified: str | None


def node_key(method: str, url: str, body: str | None) -> str:
    return f"{method} {url}" + (f" {body}" if body else "")


class State:
    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(SCHEMA)
        self.known: dict[str, Known] = {}
        self.failed: set[str] = {row[0] for row in self.db.execute("SELECT url FROM failed_documents")}
        self._complete: set[str] = set()

    def load_archive(self, archive) -> None:
        """Every document URL the archive holds a capture of, with its latest validators."""
        cap = T["captures"]
        latest = (select(cap.c.requested_url, func.max(cap.c.fetched_at).label("at"))
                  .group_by(cap.c.requested_url).subquery())
        query = (select(cap.c.requested_url, cap.c.fetched_at, cap.c.etag, cap.c.last_modified)
                 .join(latest, (latest.c.requested_url == cap.c.requested_url) & (latest.c.at == cap.c.fetched_at)))
        with archive.reader.connect() as conn:
            for url, at, etag, modified in conn.execute(query):
                self.known[url] = Known(at.timestamp() if at else 0.0, etag, modified)

    # -- nodes ------------------------------------------------------------------------------------------------
    def node(self, key: str) -> Node | None:
        row = self.db.execute(f"SELECT {', '.join(COLUMNS)} FROM nodes WHERE key = ?", (key,)).fetchone()
        return Node.from_row(row) if row is not None else None

    def save(self, node: Node) -> None:
        self.db.execute("INSERT OR REPLACE INTO nodes VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", node.as_row())
        self._complete.discard(node.key)

    # -- documents --------------------------------------------------------------------------------------------
    def archived(self, url: str, at: float, etag: str | None = None, modified: str | None = None) -> None:
        self.known[url] = Known(at, etag, modified)

    def fail(self, url: str, reason: str) -> None:
        self.failed.add(url)
        self.db.execute("INSERT OR REPLACE INTO failed_documents VALUES (?, ?, ?)", (url, reason, time.time()))

    def document_done(self, url: str) -> bool:
        return url in self.known or url in self.failed

    def complete(self, key: str, _path: frozenset[str] = frozenset()) -> bool:
        """Whether the node and everything below it is done (documents archived or failed for good)."""
        if key in self._complete:
            return True
        if key in _path:  # a cycle: nothing below it that is not checked elsewhere
            return True
        node = self.node(key)
        if node is None:
            return False
        if node.role == "doc" and not self.document_done(node.url):
            return False
        for child in node.children:
            if child.role == "file" or (child.role == "doc" and child.key == key):
                if not self.document_done(child.url):
                    return False
            elif not self.complete(child.key, _path | {key}):
                return False
        self._complete.add(key)
        return True

    def close(self) -> None:
        self.db.close()


# Outside the archive's own models and migrations: the crawl's working memory, not archived data.
SAVE_BATCH = 50
_shared = MetaData()
NODES = Table("crawl_nodes", _shared,
              Column("key", Text, primary_key=True), Column("url", Text, nullable=False),
              Column("role", Text, nullable=False), Column("fetched_at", Float, nullable=False),
              Column("etag", Text), Column("last_modified", Text), Column("digest", Text),
              Column("cold", Integer, nullable=False, default=0), Column("children", Text, nullable=False))
FAILED = Table("crawl_failed_documents", _shared, Column("url", Text, primary_key=True),
               Column("reason", Text, nullable=False), Column("at", Float, nullable=False))


class SharedState(State):
    """The same memory in the archive's database, shared by the workers of a distributed crawl."""

    def __init__(self, archive):
        _shared.create_all(archive.engine, checkfirst=True)
        # One connection for the spider's thread, each statement its own transaction: a lookup or a save is one
        # round trip to the server (a pooled connection per call costs a ping, BEGIN and COMMIT besides).
        self.conn = archive.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        self.known = {}
        self.failed = set(self.conn.execute(select(FAILED.c.url)).scalars())
        self._complete = set()
        # Saves are written a batch at a time: a worker killed before writing them only loses the shortcut they
        # would give a later run (the node is fetched again), never a document.
        self.unsaved: dict[str, Node] = {}

    def node(self, key: str) -> Node | None:
        if key in self.unsaved:
            return self.unsaved[key]
        row = self.conn.execute(select(*(NODES.c[c] for c in COLUMNS)).where(NODES.c.key == key)).first()
        return Node.from_row(row) if row is not None else None

    def save(self, node: Node) -> None:
        self.unsaved[node.key] = node
        self._complete.discard(node.key)
        if len(self.unsaved) >= SAVE_BATCH:
            self.flush()

    def flush(self) -> None:
        if not self.unsaved:
            return
        rows = [dict(zip(COLUMNS, n.as_row())) for n in self.unsaved.values()]
        stmt = insert(self.conn, NODES)
        self.conn.execute(stmt.on_conflict_do_update(
            index_elements=["key"], set_={c: stmt.excluded[c] for c in rows[0] if c != "key"}), rows)
        self.unsaved.clear()

    def fail(self, url: str, reason: str) -> None:
        self.failed.add(url)
        values = {"url": url, "reason": reason, "at": time.time()}
        stmt = insert(self.conn, FAILED).values(**values)
        self.conn.execute(stmt.on_conflict_do_update(index_elements=["url"],
                                                     set_={"reason": reason, "at": values["at"]}))

    def close(self) -> None:
        self.flush()
        self.conn.close()


def open_state(archive, shared: bool) -> State:
    """The crawl's memory: a file beside the archive, or the archive's database when workers share it."""
    return SharedState(archive) if shared else State(archive.data_dir / "crawl-state.sqlite")
