"""Runs: their ids, a crawl's run record and its rows in the archive.

The run record: per portal, pages, documents, reports new / updated / unchanged and errors by kind, and the
portals needing attention — a zero is a failure unless the portal said why (unreachable, robots.txt, …). It is
written when a crawl closes (to `runs/RUN.json` and the run tables) and read back by `nianbao health`.

The ingestor already counts, per run and portal, the captures archived, new / updated / unchanged reports and the
documents that were not reports, unreadable or unattributed (`archive.ingest.ingestor`); the crawler adds its own
account. Counts are added to what a row holds, so workers of one run sharing a run id add up instead of overwriting.
"""
from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path

from sqlalchemy import Connection, Row, func, select, update

from archive.ingest.ingestor import ERROR_OUTCOMES, INGESTED_ERRORS
from archive.run_tables import add_errors, add_portal_counts, ensure_run
from archive.store.models import T


def new_run_id(kind: str) -> str:
    """A run's name: its kind and its UTC start to the microsecond (`crawl-20260115T030000123456Z`)."""
    return f"{kind}-{datetime.now(UTC):%Y%m%dT%H%M%S%fZ}"


class Failure(StrEnum):
    """Why a crawler's request came to nothing, as the run record counts it (besides `http_<status>`, see
    `http_failure`)."""

    ROBOTS = "robots"  # robots.txt forbids it
    HOST_GUARD = "host_guard"  # neither a registry host nor an allowed domain, or a private address
    BLOCKED = "blocked"  # a WAF challenge answered again after its cookie
    BUDGET = "budget"  # the portal's request budget is spent (counted once per portal)
    IGNORED = "ignored"  # dropped by a middleware for another reason
    TOO_LARGE = "too_large"  # over DOWNLOAD_MAXSIZE
    UNREACHABLE = "unreachable"  # a portal's entry that cannot be reached
    NETWORK = "network"  # any other connection failure
    SOFT_404 = "soft_404"  # a page answering 200 that says it does not exist
    PARTS_NOT_JOINED = "parts_not_joined"  # a paged article whose parts had no pager to cut at


def http_failure(status: int) -> str:
    """The run record's kind for a response the HttpError middleware dropped."""
    return f"http_{status}"


# What `Ingestor` outcomes mean for the run record.
OUTCOME_COLUMN = {"inserted": "new", "updated": "updated", "unchanged": "unchanged", "noop": "unchanged",
                  "not_report": "not_report", "failed": "unreadable", "unattributed": "unattributed"}


@dataclass
class PortalRecord:
    portal: str
    agency: str
    pages: int = 0  # responses of any kind
    listed: int = 0  # report candidates found in its lists (requested years)
    documents: int = 0  # documents handed to the archive
    columns: int = 0  # report columns reached
    outcomes: Counter = field(default_factory=Counter)
    errors: Counter = field(default_factory=Counter)
    family: str = ""

    @property
    def attention(self) -> str | None:
        """Why this portal needs a person to look at it, or None."""
        if self.errors.get(Failure.UNREACHABLE) and not self.pages:
            return "unreachable"
        if self.errors.get(Failure.ROBOTS) and not self.listed:
            return "robots.txt forbids crawling it"
        if self.errors.get(Failure.BLOCKED) and not self.listed:
            return "blocked by a WAF challenge"
        if not self.columns and not self.listed:
            return "report column not found (no 年报 link on its home or 政务公开 pages)"
        if not self.listed:
            return "its report column lists no report of the requested years"
        if self.outcomes.get("unreadable"):
            return f"{self.outcomes['unreadable']} documents could not be read"
        return None

    def as_dict(self) -> dict:
        return {"portal": self.portal, "agency": self.agency, "family": self.family, "pages": self.pages,
                "listed": self.listed, "documents": self.documents, "columns": self.columns,
                "outcomes": dict(self.outcomes), "errors": dict(self.errors), "attention": self.attention}

    @classmethod
    def from_dict(cls, d: dict) -> PortalRecord:
        return cls(d["portal"], d.get("agency") or "", d.get("pages") or 0, d.get("listed") or 0,
                   d.get("documents") or 0, d.get("columns") or 0, Counter(d.get("outcomes") or {}),
                   Counter(d.get("errors") or {}), d.get("family") or "")


@dataclass
class RunRecord:
    run_id: str
    years: tuple[int, int]
    portals: dict[str, PortalRecord] = field(default_factory=dict)
    requests: int = 0
    started: float = 0.0
    finished: float = 0.0
    reason: str = ""

    def totals(self) -> Counter:
        total: Counter = Counter()
        for p in self.portals.values():
            total["pages"] += p.pages
            total["documents"] += p.documents
            total["listed"] += p.listed
            total.update(p.outcomes)
        return total

    def archived(self) -> int:
        """Documents the archive committed (each with an outcome), whatever the outcome."""
        return sum(self.totals()[column] for column in set(OUTCOME_COLUMN.values()))

    def lost(self) -> int:
        """Documents handed to the archive and never committed: the run did not finish its work."""
        return max(0, self.totals()["documents"] - self.archived())

    def as_dict(self) -> dict:
        return {"run_id": self.run_id, "years": list(self.years), "requests": self.requests, "reason": self.reason,
                "started": self.started, "finished": self.finished,
                "seconds": round(self.finished - self.started, 1), "totals": dict(self.totals()),
                "portals": [p.as_dict() for p in self.portals.values()]}

    @classmethod
    def from_dict(cls, d: dict) -> RunRecord:
        """A record as `write` left it (records written before "started" was kept count as started at 0)."""
        first, last = d["years"]
        portals = [PortalRecord.from_dict(p) for p in d.get("portals", [])]
        started = d.get("started") or 0.0
        return cls(d["run_id"], (first, last), {p.portal: p for p in portals}, d.get("requests") or 0, started,
                   d.get("finished") or started + (d.get("seconds") or 0.0), d.get("reason") or "")

    @classmethod
    def read(cls, path: Path) -> RunRecord:
        return cls.from_dict(json.loads(path.read_text(encoding="utf-8")))

    def write(self, folder: Path) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{self.run_id}.json"
        path.write_text(json.dumps(self.as_dict(), ensure_ascii=False, indent=1), encoding="utf-8")
        return path

    def summary(self) -> str:
        t = self.totals()
        seconds = max(0.1, self.finished - self.started)
        lines = [f"run {self.run_id}: {len(self.portals)} portals, {self.requests} requests, {t['pages']} pages "
                 f"({t['pages'] / seconds:.0f}/s), {self.archived()} documents archived in {seconds:.0f} s"
                 + (f" ({self.lost()} more handed on and NOT archived)" if self.lost() else ""),
                 (f"  reports: {t['new']} new, {t['updated']} updated, {t['unchanged']} unchanged; "
                  f"{t['not_report']} not reports, {t['unreadable']} unreadable, {t['unattributed']} unattributed")]
        failures: Counter[str] = Counter()
        for p in self.portals.values():
            failures.update({k: v for k, v in p.errors.items() if k in INGESTED_ERRORS})
        if failures:
            lines.append("  extraction failures: " + ", ".join(f"{n} {k}" for k, n in sorted(failures.items())))
        attention = [(p, p.attention) for p in self.portals.values() if p.attention]
        if attention:
            lines.append(f"  portals needing attention ({len(attention)}):")
            lines += [f"    {p.agency} {p.portal}: {why}" for p, why in attention]
        return "\n".join(lines)


ADDED = ("responses", "listed", "documents", "columns")
# run_errors kinds that say something about the portal rather than being one: `no_reports` marks a portal whose
# record showed nothing (the dashboard's agency page reads it); the record's own fields carry that.
DERIVED = {"no_reports"}


def _utc(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC).replace(tzinfo=None)


def save_record(conn: Connection, record: RunRecord) -> None:
    ensure_run(conn, record.run_id, "crawl")
    runs, rp = T["runs"], T["run_portals"]
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
    add_portal_counts(conn, rows, ADDED, {"agency": lambda new: new.agency, "attention": lambda new: new.attention,
                                          "family": lambda new: func.coalesce(new.family, rp.c.family)})
    errors = [{"run_id": record.run_id, "portal": p.portal, "kind": kind, "count": count}
              for p in record.portals.values() for kind, count in sorted(p.errors.items())
              if count and kind not in INGESTED_ERRORS]
    errors += [{"run_id": record.run_id, "portal": p.portal, "kind": "no_reports", "count": 1}
               for p in record.portals.values() if p.attention and not p.errors]
    add_errors(conn, errors)


def load_records(conn: Connection, since: datetime | None = None, last: int | None = None) -> list[RunRecord]:
    """Crawl runs that kept a record (oldest first): those started since `since`, or the `last` ones."""
    runs = T["runs"]
    query = select(runs).where(runs.c.kind == "crawl", runs.c.years.is_not(None)).order_by(runs.c.started_at.desc())
    if since is not None:
        query = query.where(runs.c.started_at >= since)
    if last is not None:
        query = query.limit(last)
    records = {row.id: _run_record(row) for row in reversed(conn.execute(query).all())}
    if records:
        _load_portals(conn, records)
    return list(records.values())


def _run_record(row: Row) -> RunRecord:
    """A `runs` row's record, without its portals."""
    first, _, final = row.years.partition("-")
    started = row.started_at.replace(tzinfo=UTC).timestamp()
    finished = row.finished_at.replace(tzinfo=UTC).timestamp() if row.finished_at else started
    return RunRecord(row.id, (int(first), int(final or first)), {}, row.requests or 0, started, finished,
                     row.reason or "")


def _load_portals(conn: Connection, records: dict[str, RunRecord]) -> None:
    """The portals of these runs' records, with their outcomes and errors."""
    rp, re_ = T["run_portals"], T["run_errors"]
    for row in conn.execute(select(rp).where(rp.c.run_id.in_(records), rp.c.responses.is_not(None))):
        records[row.run_id].portals[row.portal] = PortalRecord(
            row.portal, row.agency or "", row.responses, row.listed or 0, row.documents or 0, row.columns or 0,
            Counter({"new": row.new, "updated": row.updated, "unchanged": row.unchanged}), Counter(),
            row.family or "")
    for row in conn.execute(select(re_).where(re_.c.run_id.in_(records))):
        portal = records[row.run_id].portals.get(row.portal)
        if portal is None or row.kind in DERIVED:
            continue
        count = row._mapping["count"]  # the column; to mypy `row.count` is the Sequence method
        if row.kind in ERROR_OUTCOMES:
            portal.outcomes[OUTCOME_COLUMN[row.kind]] += count
        else:
            portal.errors[row.kind] += count
