"""The run record: per portal, pages, documents, reports new / updated / unchanged and errors by kind, and the
portals needing attention — a zero is a failure unless the portal said why (unreachable, robots.txt, …)."""
from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from archive.ingest import INGESTED_ERRORS

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
        if self.errors.get("unreachable") and not self.pages:
            return "unreachable"
        if self.errors.get("robots") and not self.listed:
            return "robots.txt forbids crawling it"
        if self.errors.get("blocked") and not self.listed:
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
                 f"  reports: {t['new']} new, {t['updated']} updated, {t['unchanged']} unchanged; "
                 f"{t['not_report']} not reports, {t['unreadable']} unreadable, {t['unattributed']} unattributed"]
        failures = Counter()
        for p in self.portals.values():
            failures.update({k: v for k, v in p.errors.items() if k in INGESTED_ERRORS})
        if failures:
            lines.append("  extraction failures: " + ", ".join(f"{n} {k}" for k, n in sorted(failures.items())))
        attention = [(p, p.attention) for p in self.portals.values() if p.attention]
        if attention:
            lines.append(f"  portals needing attention ({len(attention)}):")
            lines += [f"    {p.agency} {p.portal}: {why}" for p, why in attention]
        return "\n".join(lines)
