"""The coverage a sandbox world's ground truth implies, set against the archive's (issue 16: "the coverage roll-up
for the province matching the manifest exactly").

Each agency of a province gets the status the archive's own rule (`archive.queries.statuses.status_of`, its
deadlines included) gives it from the truth, as a perfect discovery and a polite, perfect crawl leave the archive:
- every government counts (the national registry names it), a department only when discovery can know it (the
  discovery section's units that count: not those behind a dead portal or a robots.txt that forbids everything);
- a report counts as it was published, unless it is only on a portal whose robots.txt forbids everything: discovery
  binds that portal by its parent's link, and no polite crawl reads it (not crawled);
- a dead portal is bound by nothing (it never answers), so its agencies fall to the portal above them, which is
  crawled: without a report they are missing.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from archive.queries.rollup import Rollup
from archive.queries.statuses import ORDER, deadline, status_of


def _host(url_or_host: str) -> str:
    return url_or_host.split("/")[2 if "//" in url_or_host else 0].split(":")[0]


def expected(truth: dict, province: str, year: int, as_of: date) -> dict[str, tuple[str, str]]:
    """Agency → (level, status) for the agencies whose division code starts with `province` (two digits)."""
    closed = {_host(p["host"]) for p in truth["portals"] if "robots_all" in p["hazards"]}
    published = {(r["agency"], r["year"]): date.fromisoformat(r["published"]) for r in truth["reports"]
                 if not {_host(d["url"]) for d in r["documents"]} <= closed}
    unknowable = {u["name"] for u in truth.get("discovery", {}).get("units", ()) if not u.get("counts", True)}
    out = {}
    for a in truth["agencies"]:
        if not (a["division_code"] or "").startswith(province):
            continue
        if a["kind"] != "government" and a["name"] in unknowable:
            continue
        when = published.get((a["name"], year))
        verdict = status_of(deadline(year, a["kind"], a["level"]), as_of, when is not None, when, None,
                            unparsed=False, unreachable=False, portal_known=True,
                            crawled=_host(a["portal"]) not in closed)
        out[a["name"]] = (a["level"], verdict.status.value)
    return out


def by_level(statuses: Mapping[str, tuple[str, str]]) -> dict[str, Counter[str]]:
    out: dict[str, Counter[str]] = {}
    for level, status in statuses.values():
        out.setdefault(level, Counter())[status] += 1
    return out


@dataclass(frozen=True)
class Difference:
    level: str
    status: str
    expected: int
    archived: int


def differences(want: Mapping[str, tuple[str, str]], rows: Iterable[Rollup], province: str) -> list[Difference]:
    """Every (level, status) whose count in the archive's roll-up (`rollup(…, by="province-level")`) differs from
    the truth's; none when they match exactly."""
    counts = by_level(want)
    got = {r.level: Counter({s: n for s, n in r.statuses.items() if n}) for r in rows if r.province == province}
    out = []
    for level in sorted(set(counts) | set(got)):
        for status in (s.value for s in ORDER):
            e, a = counts.get(level, Counter())[status], got.get(level, Counter())[status]
            if e != a:
                out.append(Difference(level, status, e, a))
    return out


def disagreeing(want: Mapping[str, tuple[str, str]], got: Mapping[str, str]) -> list[tuple[str, str, str]]:
    """(agency, status in the truth, status in the archive: "" when the archive lacks it) where they differ, and the
    archive's agencies the truth lacks (status in the truth "")."""
    out = [(name, status, got.get(name, "")) for name, (_, status) in want.items() if got.get(name) != status]
    return sorted(out + [(name, "", status) for name, status in got.items() if name not in want])
