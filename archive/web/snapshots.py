"""Archive-wide figures computed once per state of the archive, refreshed in the background when it changes.

The overview aggregates every agency of every year; on SQLite at 150,000 agencies that is about a second of work,
while the archive changes only when a crawl or an import commits. So such figures are kept with the archive's
*stamp* — a handful of indexed maxima and small counts that move whenever ingest, a re-parse, the registry or the
crawl-error counts write — and served from memory while the stamp holds. When it moves, the figures already held
are still served (with the time they were computed) while one background thread recomputes them: a crawl that
commits every second must not turn every page view into a second of aggregation. Figures older than `max_age`
are refreshed whatever the stamp says, which also catches in-place registry edits the stamp cannot see.
"""
from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import Connection, Engine, func, select

from archive.store.models import T

V = TypeVar("V")


def archive_stamp(conn: Connection) -> tuple[Any, ...]:
    """Moves whenever anything the dashboard aggregates may have changed (see the module docstring)."""
    t = T
    return tuple(conn.execute(select(
        select(func.max(t["captures"].c.id)).scalar_subquery(),
        select(func.max(t["extractions"].c.id)).scalar_subquery(),
        select(func.max(t["versions"].c.id)).scalar_subquery(),
        select(func.max(t["agencies"].c.id)).scalar_subquery(),
        select(func.max(t["portals"].c.id)).scalar_subquery(),
        select(func.count()).select_from(t["neardups"]).scalar_subquery(),
        select(func.coalesce(func.sum(t["run_errors"].c.count), 0)).scalar_subquery(),
    )).one())


@dataclass(frozen=True)
class Snapshot(Generic[V]):
    value: V
    stamp: tuple[Any, ...]
    computed_at: datetime  # UTC
    monotonic: float


class Snapshots:
    def __init__(self, engine: Engine, stamp_interval: float = 2.0, max_age: float = 300.0, capacity: int = 256):
        self.engine = engine
        self.stamp_interval = stamp_interval  # a burst of requests reads the stamp once
        self.max_age = max_age
        self.capacity = capacity  # keys include user-chosen regions: bounded, least recently used goes first
        self._entries: OrderedDict[Hashable, Snapshot[Any]] = OrderedDict()
        self._lock = threading.Lock()
        self._key_locks: dict[Hashable, threading.Lock] = {}
        self._refreshing: set[Hashable] = set()
        self._stamp: tuple[float, tuple[Any, ...]] | None = None
        # One worker: a refresh must not take both cores from the requests it is meant to keep fast.
        self._worker = ThreadPoolExecutor(1, thread_name_prefix="dashboard-refresh")

    def stamp(self) -> tuple[Any, ...]:
        now = time.monotonic()
        held = self._stamp
        if held is not None and now - held[0] < self.stamp_interval:
            return held[1]
        with self.engine.connect() as conn:
            value = archive_stamp(conn)
        self._stamp = (now, value)
        return value

    def get(self, key: Hashable, compute: Callable[[Connection], V]) -> Snapshot[V]:
        stamp = self.stamp()
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
        if entry is None:
            return self._compute(key, compute)
        if not self._current(entry, stamp):
            self._refresh_later(key, compute)
        return entry

    def _current(self, entry: Snapshot[Any], stamp: tuple[Any, ...]) -> bool:
        return entry.stamp == stamp and time.monotonic() - entry.monotonic <= self.max_age

    def _compute(self, key: Hashable, compute: Callable[[Connection], V]) -> Snapshot[V]:
        with self._lock:
            key_lock = self._key_locks.setdefault(key, threading.Lock())
        with key_lock:  # concurrent first requests for one key wait for a single computation
            with self._lock:
                entry = self._entries.get(key)
            if entry is not None and self._current(entry, self.stamp()):
                return entry
            # The stamp is read in the transaction that computes, so it never claims more than the figures saw.
            with self.engine.connect() as conn:
                stamp = archive_stamp(conn)
                value = compute(conn)
            entry = Snapshot(value, stamp, datetime.now(UTC), time.monotonic())
            with self._lock:
                self._entries[key] = entry
                self._entries.move_to_end(key)
                while len(self._entries) > self.capacity:
                    old, _ = self._entries.popitem(last=False)
                    self._key_locks.pop(old, None)
            return entry

    def _refresh_later(self, key: Hashable, compute: Callable[[Connection], V]) -> None:
        with self._lock:
            if key in self._refreshing:
                return
            self._refreshing.add(key)

        def run() -> None:
            try:
                self._compute(key, compute)
            finally:
                with self._lock:
                    self._refreshing.discard(key)

        self._worker.submit(run)

    def background(self, work: Callable[[], object]) -> None:
        """Run `work` on the refresh thread (warming the cache at start-up)."""
        self._worker.submit(work)

    def close(self) -> None:
        self._worker.shutdown(wait=True, cancel_futures=True)
