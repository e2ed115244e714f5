"""Which portals need a person, worst first: each portal's latest run against its earlier ones.

Regressions are changes for the worse between runs of the same portal:
- reports_gone: it listed reports before and lists none now, though it answers (a site redesign, a moved column);
  the detail says whether its CMS adapter stopped matching or the report column was not found at all;
- adapter_lost: a CMS adapter (gkmlpt, hanweb, …) read it before, only the generic reader does now;
- errors_jump: its errors grew past a factor of what earlier runs counted (and by at least a minimum).
A portal with no regression can still need attention for its latest run alone (unreachable, robots.txt, …: see
`PortalRecord.attention`); how many runs in a row it has needed it is its streak.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from statistics import median

from archive.runs import Failure, PortalRecord, RunRecord

# How bad each regression is: the order of the list, worst first.
SEVERITY = {"reports_gone": 3, "adapter_lost": 2, "errors_jump": 2}
GENERIC = {"", "generic"}
# Errors that mean the portal could not be read at all: then finding nothing is no sign of a redesign.
NOT_ANSWERED = (Failure.UNREACHABLE, Failure.ROBOTS, Failure.BLOCKED)


@dataclass(frozen=True)
class Thresholds:
    error_factor: float = 3.0  # errors now ≥ factor × the earlier runs' median …
    error_increase: int = 10  # … and at least this many more


@dataclass(frozen=True)
class Regression:
    kind: str
    detail: str

    def as_dict(self) -> dict:
        return {"kind": self.kind, "detail": self.detail}


@dataclass
class Finding:
    portal: str
    agency: str
    run_id: str  # the portal's latest run
    runs: int  # runs of this portal compared
    regressions: list[Regression] = field(default_factory=list)
    attention: str | None = None
    streak: int = 0  # the latest runs in a row with `attention`

    @property
    def severity(self) -> int:
        return max((SEVERITY[r.kind] for r in self.regressions), default=1 if self.attention else 0)

    def sort_key(self) -> tuple:
        return (-self.severity, -len(self.regressions), -self.streak, self.agency, self.portal)

    def as_dict(self) -> dict:
        return {"portal": self.portal, "agency": self.agency, "run_id": self.run_id, "runs": self.runs,
                "severity": self.severity, "regressions": [r.as_dict() for r in self.regressions],
                "attention": self.attention, "streak": self.streak}


def history(records: list[RunRecord]) -> dict[str, list[tuple[str, PortalRecord]]]:
    """Per portal, (run id, its record) of every run that visited it, oldest first (`records` are oldest first)."""
    out: dict[str, list[tuple[str, PortalRecord]]] = {}
    for run in records:
        for portal in run.portals.values():
            out.setdefault(portal.portal, []).append((run.run_id, portal))
    return out


def error_count(p: PortalRecord) -> int:
    return sum(p.errors.values())


def regressions(before: list[PortalRecord], now: PortalRecord, limits: Thresholds = Thresholds()) -> list[Regression]:
    """What got worse in `now` against the portal's earlier records `before` (oldest first)."""
    if not before:
        return []
    found = [_reports_gone(before, now), _adapter_lost(before, now), _errors_jump(before, now, limits)]
    return [r for r in found if r is not None]


def _reports_gone(before: list[PortalRecord], now: PortalRecord) -> Regression | None:
    listed_before = [p for p in before if p.listed]
    # Pages are no sign of life in an incremental run (fresh pages are not fetched again); errors are.
    answered = not any(now.errors.get(kind) for kind in NOT_ANSWERED)
    if not listed_before or now.listed or not answered:
        return None
    last = listed_before[-1]
    if not now.columns:
        why = "its report column was not found"
    elif last.family not in GENERIC and now.family and now.family != last.family:
        why = f"its {last.family} adapter no longer matches (read as {now.family})"
    else:
        why = "its report column lists none of the requested years"
    return Regression("reports_gone", f"listed {last.listed} reports before, none now: {why} (a redesign?)")


def _adapter_lost(before: list[PortalRecord], now: PortalRecord) -> Regression | None:
    families = [p.family for p in before if p.family not in GENERIC]
    if families and now.family == "generic" and now.listed:
        return Regression("adapter_lost", f"read by its {families[-1]} adapter before, by the generic reader now")
    return None


def _errors_jump(before: list[PortalRecord], now: PortalRecord, limits: Thresholds) -> Regression | None:
    baseline = median(error_count(p) for p in before)
    errors = error_count(now)
    if errors >= limits.error_factor * max(baseline, 1) and errors - baseline >= limits.error_increase:
        kinds = ", ".join(f"{k} {v}" for k, v in now.errors.most_common(3))
        return Regression("errors_jump", f"{errors} errors against {baseline:g} before ({kinds})")
    return None


def assess(records: list[RunRecord], limits: Thresholds = Thresholds()) -> list[Finding]:
    """Portals needing attention, worst first; `records` oldest first."""
    findings = []
    for portal, seen in history(records).items():
        run_id, now = seen[-1]
        before = [p for _, p in seen[:-1]]
        streak = 0
        for _, p in reversed(seen):
            if not p.attention:
                break
            streak += 1
        finding = Finding(portal, now.agency, run_id, len(seen), regressions(before, now, limits), now.attention,
                          streak)
        if finding.severity:
            findings.append(finding)
    return sorted(findings, key=Finding.sort_key)


@dataclass(frozen=True)
class Verdict:
    findings: list[Finding]
    runs: list[str]
    portals: int
    crossed: list[str]  # the thresholds crossed, in words; empty: all is within bounds

    def as_dict(self) -> dict:
        return {"runs": self.runs, "portals": self.portals, "crossed": self.crossed,
                "regressed": sum(1 for f in self.findings if f.regressions),
                "attention": len(self.findings), "findings": [f.as_dict() for f in self.findings]}


def verdict(records: list[RunRecord], max_regressions: int | None = 0, max_attention: int | None = None,
            limits: Thresholds = Thresholds()) -> Verdict:
    """The findings and which of the limits (None: no limit) they cross."""
    findings = assess(records, limits)
    regressed = sum(1 for f in findings if f.regressions)
    # No run at all is worth an alert too: the scheduled crawl stopped running, or this looks in the wrong archive.
    crossed = [] if records else ["no crawl runs to check"]
    if max_regressions is not None and regressed > max_regressions:
        crossed.append(f"{regressed} portals regressed (more than {max_regressions})")
    if max_attention is not None and len(findings) > max_attention:
        crossed.append(f"{len(findings)} portals need attention (more than {max_attention})")
    return Verdict(findings, [r.run_id for r in records], len(history(records)), crossed)


def render(v: Verdict) -> str:
    lines = [f"{v.portals} portals in {len(v.runs)} runs ({v.runs[0]} … {v.runs[-1]})" if v.runs else "no runs",
             f"{sum(1 for f in v.findings if f.regressions)} regressed, {len(v.findings)} need attention"]
    for f in v.findings:
        lines.append(f"{f.agency} {f.portal} [{f.run_id}]")
        lines += [f"  ✗ {r.kind}: {r.detail}" for r in f.regressions]
        if f.attention:
            lines.append(f"  ! {f.attention}" + (f" ({f.streak} runs in a row)" if f.streak > 1 else ""))
    lines += [f"THRESHOLD CROSSED: {c}" for c in v.crossed]
    return "\n".join(lines)
