"""Discovery measured against a sandbox's ground truth (issue 16): of the portals, report columns and reporting units
the manifest's `discovery` section binds to an agency, how many the discovered registry found, and how many of its
bindings are wrong — a URL the truth gives to another agency, or a decoy (a spam clone, a dead portal, an abolished
unit's site). Requests are set against the section's minimum.

Pure: the rows (the registry rows of `nianbao registry discover --out`, the crawler's `Discovered` records, the
archive's entries: anything with a name, a division code, a portal URL and column URLs) and the manifest in, a
`Score` out.
An agency is known by its normalised name (the registry's names are unique across the release) and, where both
sides give one, its division code; URLs compare canonically and without their scheme, since one site answers on both.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Protocol

from archive.ingest.identity import normalise_agency
from crawler.discovery.urls import canonical

KINDS = ("portals", "columns", "units")


class Bound(Protocol):
    """What a discovered row says: who, and where its reports are (crawler.discovery.registry.Row and Discovered both
    do)."""

    @property
    def name(self) -> str: ...
    @property
    def division_code(self) -> str: ...
    @property
    def portal_url(self) -> str: ...
    @property
    def column_urls(self) -> tuple[str, ...]: ...


@dataclass
class Tally:
    expected: int = 0
    found: int = 0
    missed: list[tuple[str, str]] = field(default_factory=list)  # (agency, url) the truth has and no row bound
    wrong: list[tuple[str, str, str]] = field(default_factory=list)  # (row's agency, url, why)

    @property
    def rate(self) -> float:
        return self.found / self.expected if self.expected else 1.0


@dataclass
class Score:
    tallies: dict[str, Tally] = field(default_factory=lambda: {kind: Tally() for kind in KINDS})
    unknown: list[str] = field(default_factory=list)  # rows naming an agency the truth does not have
    requests: int = 0
    minimum_requests: int = 0

    @property
    def cost(self) -> float:
        return self.requests / self.minimum_requests if self.minimum_requests else 0.0

    @property
    def wrong(self) -> int:
        return sum(len(t.wrong) for t in self.tallies.values())

    def line(self, kind: str) -> str:
        t = self.tallies[kind]
        return f"discovery {kind}: {t.found}/{t.expected} found ({t.rate * 100:.1f} %), {len(t.wrong)} bound wrongly"

    def lines(self) -> list[str]:
        out = [self.line(kind) for kind in KINDS]
        if self.unknown:
            out.append(f"discovery rows naming no agency of the manifest: {len(self.unknown)} "
                       f"({', '.join(self.unknown[:5])}{' …' if len(self.unknown) > 5 else ''})")
        out.append(f"discovery requests: {self.requests} = {self.cost:.2f} × the manifest minimum "
                   f"({self.minimum_requests})")
        return out


def _url(url: str) -> str:
    return canonical(url).split("://", 1)[-1]


def _key(name: str) -> str:
    return normalise_agency(name)


class _Truth:
    """The manifest's discovery section as lookups: who owns each URL, what each agency should be bound to.

    Entries with `counts: false` (a dead portal; the columns and units behind a robots.txt that forbids everything)
    are outside the expected counts, but their URLs still belong to their agency."""

    def __init__(self, section: dict):
        self.portal: dict[str, str] = {}  # agency key → its own portal
        self.columns: dict[str, set[str]] = {}  # agency key → its report columns
        self.units: dict[str, str] = {}  # unit key → its report column (where its reports are)
        self.counted: set[tuple[str, str]] = set()  # (agency key, URL) of the entries in the denominators
        self.carriers: dict[str, set[str]] = {}  # agency key → hosts of the portals carrying its reports
        self.codes: dict[str, str] = {}  # agency key → division code
        self.owners: dict[str, set[str]] = {}  # URL → the agencies the truth gives it to
        self.decoys = {_url(d["url"]): d for d in section.get("decoys", ())}
        for p in section.get("portals", ()):
            key = self._entry(p["agency"], p["url"], p)
            self.portal[key] = _url(p["url"])
        for c in section.get("columns", ()):
            key = self._entry(c["agency"], c["url"], c)
            self.columns.setdefault(key, set()).add(_url(c["url"]))
        for u in section.get("units", ()):
            url = u.get("column_url") or u["portal_url"]
            key = self._entry(u["name"], url, u)
            self.units[key] = _url(url)
            self.carriers[key].add(_host(_url(u["portal_url"])))

    def _entry(self, name: str, raw: str, entry: dict) -> str:
        key, url = _key(name), _url(raw)
        self.owners.setdefault(url, set()).add(key)
        self.carriers.setdefault(key, set()).add(_host(url))
        if entry.get("counts", True):
            self.counted.add((key, url))
        if entry.get("division_code"):
            self.codes[key] = entry["division_code"]
        return key

    def knows(self, key: str) -> bool:
        return key in self.carriers

    def why_wrong(self, key: str, code: str, url: str, portal: bool) -> str | None:
        """Why binding `url` (as its portal, or as a report column) to the agency `key` (of division `code`) is
        wrong, or None when the truth allows it. An agency without a portal of its own (a unit, a county on its
        prefecture's platform) is bound rightly to the portal carrying its reports."""
        owners = self.owners.get(url, set())
        if key in owners or (portal and key not in self.portal and _host(url) in self.carriers.get(key, ())):
            if code and self.codes.get(key) and code != self.codes[key]:
                return f"division code {code}, the truth's {self.codes[key]}"
            return None
        # (A dead portal or one closed by robots.txt is a decoy too, but its own agency's: that binding is right.)
        if url in self.decoys:
            d = self.decoys[url]
            return f"decoy ({d.get('kind', '?')}, claims {d.get('claims', '?')})"
        if owners:
            return "the truth gives it to " + ", ".join(sorted(owners))
        return None


def _host(url: str) -> str:
    return url.split("/", 1)[0]


def _minimum(value: object) -> int:
    """The section's minimum: a count, or the list of the requests it is made of."""
    if isinstance(value, int):
        return value
    return len(value) if isinstance(value, list) else 0


def score(rows: Iterable[Bound], manifest: dict, requests: int = 0) -> Score:
    """`rows` against the manifest (the whole manifest or its `discovery` section)."""
    section = manifest.get("discovery", manifest)
    truth = _Truth(section)
    result = Score(requests=requests, minimum_requests=_minimum(section.get("minimum_requests")))
    portals, columns, units = (result.tallies[k] for k in KINDS)
    bound: dict[str, set[str]] = {}  # agency key → the URLs rows bound to it, rightly
    for row in rows:
        key, code = _key(row.name), row.division_code or ""
        if not truth.knows(key):
            result.unknown.append(row.name)
        unit = key in truth.units
        places = [(row.portal_url, True)] if row.portal_url else []
        places += [(u, False) for u in row.column_urls]
        for raw, portal in places:
            url = _url(raw)
            why = truth.why_wrong(key, code, url, portal)
            if not why:
                bound.setdefault(key, set()).add(url)
                continue
            # A unit's portal is the one carrying its reports, not a portal of its own: a wrong one is the unit's
            # error; a wrong column is a column's error, and the unit's too.
            for tally in ([] if unit and portal else [portals if portal else columns]) + ([units] if unit else []):
                tally.wrong.append((row.name, raw, why))
    for key, url in truth.portal.items():
        _count(portals, truth, key, url, bound)
    for key, urls in truth.columns.items():
        for url in sorted(urls):
            _count(columns, truth, key, url, bound)
    for key, url in truth.units.items():
        _count(units, truth, key, url, bound)
    return result


def _count(tally: Tally, truth: _Truth, key: str, url: str, bound: dict[str, set[str]]) -> None:
    if (key, url) not in truth.counted:
        return
    tally.expected += 1
    if url in bound.get(key, ()):
        tally.found += 1
    else:
        tally.missed.append((key, url))
