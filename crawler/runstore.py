"""Run records in the archive: written when a crawl closes, read back by `nianbao health`.

The ingestor already counts, per run and portal, the captures archived, new / updated / unchanged reports and the
documents that were not reports, unreadable or unattributed (`archive.ingest`); the crawler adds its own account.
Counts are added to what a row holds, so workers of one run sharing a run id add up instead of overwriting.
"""
from __future__ import annotations

from collections import Counter
from datetime import datetime, timezone

from sqlalchemy import Connection, func, select, update

from archive.ingest import ERROR_OUTCOMES, INGESTED_ERRORS, ensure_run
from archive.models import T
from archive.sql import insert
from crawler.runrecord import OUTCOME_COLUMN, PortalRecord, RunRecord

ADDED = ("responses", "listed", "documents", "columns")
# run_errors kinds that say something about the portal rather than being one: `no_reports` marks a portal whose
# record showed nothing (the dashboard's agency page reads it); the record's own fields carry that.
DERIVED = {"no_reports"}


def _utc(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, timezone.utc).replace(tzinfo=None)


def save_record(conn: Connection, record: RunRecord) -> None:
    ensure_run(conn, record.run_id, "crawl")
    runs, rp, re_ = T["runs"], T["run_portals"], T["run_errors"]
    conn.execute(update(runs).where(runs.c.id == record.run_id).values(
        years=f"{record.years[0]}-{record.years[1]}", reason=record.reason,
        requests=func.coalesce(runs.c.requests, 0) + record.requests,
        started_at=func.min(runs.c.started_at, _utc(record.started)) if conn.dialect.name == "sqlite"
        else func.least(runs.c.started_at, _utc(record.started)),
        finished_at=_utc(record.finished)))
    rows = [{"run_id": record.run_id, "portal": p.portal, "pages": 0, "new": 0, "updated": 0, "unchanged": 0,
             "agency": p.agency, "family": p.family or None, "responses": p.pages, "listed": p.listed,
             "documents": p.documents, "columns": p.columns, "attention": p.attention}
            for p in record.portals.values()]
    if rows:
        stmt = insert(conn, rp)
        conn.execute(stmt.on_conflict_do_update(index_elements=["run_id", "portal"], set_={
            **{c: func.coalesce(rp.c[c], 0) + stmt.excluded[c] for c in ADDED},
            "agency": stmt.excluded.agency, "family": func.coalesce(stmt.excluded.family, rp.c.family),
            "attention": stmt.excluded.attention}), rows)
    errors = [{"run_id": record.run_id, "portal": p.portal, "kind": kind, "count": count}
              for p in record.portals.values() for kind, count in sorted(p.errors.items())
              if count and kind not in INGESTED_ERRORS]
    errors += [{"run_id": record.run_id, "portal": p.portal, "kind": "no_reports", "count": 1}
               for p in record.portals.values() if p.attention and not p.errors]
    if errors:
        stmt = insert(conn, re_)
        conn.execute(stmt.on_conflict_do_update(index_elements=["run_id", "portal", "kind"],
                                                set_={"count": re_.c.count + stmt.excluded["count"]}), errors)


def load_records(conn: Connection, since: datetime | None = None, last: int | None = None) -> list[RunRecord]:
    """Crawl runs that kept a record (oldest first): those started since `since`, or the `last` ones."""
    runs, rp, re_ = T["runs"], T["run_portals"], T["run_errors"]
    query = select(runs).where(runs.c.kind == "crawl", runs.c.years.is_not(None)).order_by(runs.c.started_at.desc())
    if since is not None:
        query = query.where(runs.c.started_at >= since)
    if last is not None:
        query = query.limit(last)
    rows = list(reversed(conn.execute(query).all()))
    records = {}
    for row in rows:
        first, _, final = row.years.partition("-")
        started = row.started_at.replace(tzinfo=timezone.utc).timestamp()
        finished = row.finished_at.replace(tzinfo=timezone.utc).timestamp() if row.finished_at else started
        records[row.id] = RunRecord(row.id, (int(first), int(final or first)), {}, row.requests or 0, started,
                                    finished, row.reason or "")
    if not records:
        return []
    for row in conn.execute(select(rp).where(rp.c.run_id.in_(records), rp.c.responses.is_not(None))):
        records[row.run_id].portals[row.portal] = PortalRecord(
            row.portal, row.agency or "", row.responses, row.listed or 0, row.documents or 0, row.columns or 0,
            Counter({"new": row.new, "updated": row.updated, "unchanged": row.unchanged}), Counter(),
            row.family or "")
    for row in conn.execute(select(re_).where(re_.c.run_id.in_(records))):
        portal = records[row.run_id].portals.get(row.portal)
        if portal is None or row.kind in DERIVED:
            continue
        if row.kind in ERROR_OUTCOMES:
            portal.outcomes[OUTCOME_COLUMN[row.kind]] += row.count
        else:
            portal.errors[row.kind] += row.count
    return list(records.values())
