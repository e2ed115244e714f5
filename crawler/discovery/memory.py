"""Discovery's memory between runs: each page's `Reading`, kept in the archive's crawl state (`archive.crawl_state`,
the `crawl_nodes` table) under keys of its own (`discover <url>`), never met by the report crawl's.

Within the revisit interval (NIANBAO_DISCOVERY_REVISIT_DAYS) the spider routes from the stored reading instead of
fetching the page: a re-run on an unchanged web costs only the pages whose readings have expired, and a killed run
resumes from the pages it had read. Saves are batched; a kill loses at most the last batch, which is fetched again.
"""
from __future__ import annotations

import json
import time

from archive import crawl_state
from archive.crawl_state import NODE_COLUMNS
from archive.store.db import Archive
from crawler.discovery.reading import Reading

PREFIX = "discover "
SAVE_BATCH = 50


class Memory:
    def __init__(self, archive: Archive, revisit_seconds: float):
        self.engine = archive.engine
        self.conn = archive.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        self.revisit = revisit_seconds
        self.unsaved: dict[str, dict] = {}

    def recall(self, url: str, step: str) -> Reading | None:
        """The reading of `url` (as requested) for `step`, when it is younger than the revisit interval."""
        key = PREFIX + url
        row = self.unsaved.get(key)
        if row is None:
            found = crawl_state.node(self.conn, key)
            row = dict(zip(NODE_COLUMNS, found)) if found is not None else None
        if row is None or row["role"] != step or time.time() - row["fetched_at"] >= self.revisit:
            return None
        try:
            return Reading.from_json(json.loads(row["children"]))
        except (ValueError, TypeError, KeyError):
            return None  # written by another version: read the page again

    def keep(self, url: str, step: str, reading: Reading) -> None:
        key = PREFIX + url
        self.unsaved[key] = dict(zip(NODE_COLUMNS, (key, url, step, time.time(), None, None, None, 0,
                                                    json.dumps(reading.as_json(), ensure_ascii=False))))
        if len(self.unsaved) >= SAVE_BATCH:
            self.flush()

    def flush(self) -> None:
        if self.unsaved:
            with self.engine.begin() as conn:
                crawl_state.save_nodes(conn, list(self.unsaved.values()))
            self.unsaved = {}

    def close(self) -> None:
        self.flush()
        self.conn.close()
