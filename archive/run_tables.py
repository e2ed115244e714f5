"""The one writer of the run tables' rows: a run's row, and its per-portal counts and errors, which the ingestor (pages
and outcomes, as captures commit) and the crawl's run record (responses, listings, errors) both add to."""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, func

from archive.store.models import T
from archive.store.sql import insert, utcnow


def ensure_run(conn: Connection, run_id: str, kind: str, parser_version: str | None = None) -> None:
    conn.execute(insert(conn, T["runs"]).values(
        id=run_id, kind=kind, started_at=utcnow(), parser_version=parser_version,
    ).on_conflict_do_nothing(index_elements=["id"]))


def add_portal_counts(conn: Connection, rows: Sequence[Mapping[str, Any]], added: Iterable[str],
                      replaced: Mapping[str, Any] | None = None) -> None:
    """Upsert per-(run, portal) rows: the `added` columns add to what the row holds (a null counts as 0); `replaced`
    maps other columns to the expressions that set them on conflict (given the insert statement's `excluded`)."""
    if not rows:
        return
    rp = T["run_portals"]
    stmt = insert(conn, rp)
    values = {c: func.coalesce(rp.c[c], 0) + stmt.excluded[c] for c in added}
    values.update({c: expression(stmt.excluded) for c, expression in (replaced or {}).items()})
    conn.execute(stmt.on_conflict_do_update(index_elements=["run_id", "portal"], set_=values), list(rows))


def add_errors(conn: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
    """Add per-(run, portal, kind) error counts."""
    if not rows:
        return
    re_ = T["run_errors"]
    stmt = insert(conn, re_)
    conn.execute(stmt.on_conflict_do_update(index_elements=["run_id", "portal", "kind"],
                                            set_={"count": re_.c.count + stmt.excluded["count"]}), list(rows))


def record_error(conn: Connection, run_id: str, portal: str, kind: str, count: int = 1) -> None:
    """Count an error of `kind` for a run and portal (the crawler reports `unreachable` portals through this)."""
    ensure_run(conn, run_id, "crawl")
    add_errors(conn, [{"run_id": run_id, "portal": portal, "kind": kind, "count": count}])
