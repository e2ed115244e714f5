"""The crawl's memory between runs: what each listing and article led to, and when it was last asked for.

Kept in the archive's database (`archive.crawl_state`, tables made by migration 0007), on SQLite as on PostgreSQL,
for a crawl on one machine as for the workers of a distributed one (`crawler.distributed`), who so see what the
others and earlier runs learnt. A node is any fetched page that leads somewhere (home, 政务公开 page, column,
list page, API page, gkmlpt shell, article): its validators (ETag, Last-Modified), a digest of what it listed, and
its children (the requests it led to). With that a re-run can
- ask with If-None-Match / If-Modified-Since, and on 304 or an unchanged digest replay the stored children instead
  of re-walking the list;
- skip a node altogether while it is *complete* (every child done: documents archived, nodes complete) and within
  its TTL — navigation pages and columns of past years are revisited only on a TTL;
- resume after SIGKILL: nothing is marked done before the archive has committed it, so a killed run's unfinished
  branches are incomplete and walked again, and its finished ones are not.
Documents are "done" when the archive holds a capture of their URL, or when they failed for good (soft 404, 404,
too large): the archive is the truth for the first, this memory for the second.

Saves are written a batch at a time, by a thread of their own, so that the crawl's event loop never waits for the
archive's writer: a run killed before writing them only loses the shortcut they would give a later run (the node is
fetched again), never a document.
"""
from __future__ import annotations

import json
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field

from archive import crawl_state
from archive.crawl_state import NODE_COLUMNS
from archive.store.db import Archive
from crawler.constants import DOCUMENT_ROLES, Role


@dataclass(frozen=True)
class Child:
    """A request a node led to, with what the spider needs to make it again without the node's page."""

    url: str
    role: Role
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
        return self.role in DOCUMENT_ROLES


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

    def as_row(self) -> dict:
        """The node as a row of `crawl_nodes`."""
        return dict(zip(NODE_COLUMNS, (
            self.key, self.url, str(self.role), self.fetched_at, self.etag, self.last_modified, self.digest,
            int(self.cold), json.dumps([asdict(c) for c in self.children], ensure_ascii=False))))

    @classmethod
    def from_row(cls, row) -> Node:
        key, url, role, fetched_at, etag, last_modified, digest, cold, children = row  # NODE_COLUMNS
        return cls(key, url, role, fetched_at, etag, last_modified, digest, bool(cold),
                   [Child(**c) for c in json.loads(children)])



@dataclass(frozen=True)
class Known:
    """The archive's latest capture of a document URL."""

    fetched_at: float
    etag: str | None
    last_modified: str | None


def node_key(method: str, url: str, body: str | None) -> str:
    return f"{method} {url}" + (f" {body}" if body else "")


SAVE_BATCH = 50


class State:
    def __init__(self, archive: Archive):
        crawl_state.adopt_file(archive, archive.data_dir / crawl_state.LEGACY_FILE)
        self.engine = archive.engine
        # Lookups on one connection, each statement its own transaction: one round trip to a server, and on SQLite
        # never a snapshot held (a node saved since is seen at once).
        self.conn = archive.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        self.known: dict[str, Known] = {}
        self.failed: set[str] = crawl_state.failed_urls(self.conn)
        self._complete: set[str] = set()
        self.unsaved: dict[str, Node] = {}
        self.unsaved_failures: list[dict] = []
        # Batches handed to the writer and not yet committed, which lookups must still see.
        self.writing: dict[Future, dict[str, Node]] = {}
        self.writer = ThreadPoolExecutor(1, thread_name_prefix="crawl-state")

    def load_archive(self, archive: Archive) -> None:
        """Every document URL the archive holds a capture of, with its latest validators."""
        with archive.reader.connect() as conn:
            for url, at, etag, modified in crawl_state.latest_captures(conn):
                self.known[url] = Known(at, etag, modified)

    # -- nodes ------------------------------------------------------------------------------------------------
    def node(self, key: str) -> Node | None:
        if key in self.unsaved:
            return self.unsaved[key]
        for batch in list(self.writing.values()):
            if key in batch:
                return batch[key]
        row = crawl_state.node(self.conn, key)
        return Node.from_row(row) if row is not None else None

    def save(self, node: Node) -> None:
        self.unsaved[node.key] = node
        self._complete.discard(node.key)
        # A document's attachments are known only from its node, and its capture reaches the archive right after:
        # a kill must not leave the capture (so the document counts as done) without the node (so its pictures and
        # files are never asked for on resume).
        if len(self.unsaved) >= SAVE_BATCH or (node.role == Role.DOC and node.children):
            self.flush()

    def flush(self) -> None:
        """Hand the unsaved nodes and failures to the writer thread."""
        if not self.unsaved and not self.unsaved_failures:
            return
        nodes, failures = self.unsaved, self.unsaved_failures
        self.unsaved, self.unsaved_failures = {}, []
        future = self.writer.submit(self._write, [n.as_row() for n in nodes.values()], failures)
        self.writing[future] = nodes
        future.add_done_callback(self._written)

    def _write(self, nodes: list[dict], failures: list[dict]) -> None:
        with self.engine.begin() as conn:
            crawl_state.save_nodes(conn, nodes)
            crawl_state.save_failures(conn, failures)

    def _written(self, future: Future) -> None:
        self.writing.pop(future, None)

    # -- documents --------------------------------------------------------------------------------------------
    def archived(self, url: str, at: float, etag: str | None = None, modified: str | None = None) -> None:
        self.known[url] = Known(at, etag, modified)

    def fail(self, url: str, reason: str) -> None:
        self.failed.add(url)
        self.unsaved_failures.append({"url": url, "reason": str(reason), "at": time.time()})

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
        if node.role == Role.DOC and not self.document_done(node.url):
            return False
        for child in node.children:
            if child.role == Role.FILE or (child.role == Role.DOC and child.key == key):
                if not self.document_done(child.url):
                    return False
            elif not self.complete(child.key, _path | {key}):
                return False
        self._complete.add(key)
        return True

    def close(self) -> None:
        self.flush()
        self.writer.shutdown(wait=True)
        for future in list(self.writing):
            future.result()  # a failed write is an error of the crawl, not lost silently
        self.conn.close()


def open_state(archive: Archive) -> State:
    """The crawl's memory, in the archive's database."""
    return State(archive)
