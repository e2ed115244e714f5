"""What a discovery run found, gathered as the spider reads pages, and turned at the end into the archive's records
(`Discovered`, `Conflict`) by the binding rules. Bindings are decided only at the end because some rules need the
whole run: two sites claiming one government are seen one after the other."""
from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from archive.registry.bindings import Conflict, Discovered, Evidence, Signal
from crawler.discovery.binding import bind_unit, one_per_government, with_columns
from crawler.discovery.directories import UnitEntry, unit_name
from crawler.discovery.gazetteer import Gazetteer, clean

LEVELS = ("prefecture", "county", "township", "department")  # what a run may look for below its province


@dataclass
class Findings:
    sites: list[Discovered] = field(default_factory=list)  # governments bound to a site (before one per government)
    conflicts: list[Conflict] = field(default_factory=list)
    columns: dict[str, dict[str, str]] = field(default_factory=lambda: defaultdict(dict))  # code → url → title
    entries: dict[str, dict[str, tuple[UnitEntry, str]]] = field(default_factory=lambda: defaultdict(dict))
    unit_columns: dict[str, dict[str, list[str]]] = field(default_factory=lambda: defaultdict(dict))  # code → title
    platforms: dict[str, str] = field(default_factory=dict)  # code → CMS family of its report column
    errors: Counter = field(default_factory=Counter)  # failure kind → count
    failed: list[tuple[str, str]] = field(default_factory=list)  # (url, kind)

    def site(self, verdict: Discovered | Conflict | None) -> None:
        if isinstance(verdict, Discovered):
            self.sites.append(verdict)
        elif isinstance(verdict, Conflict):
            self.conflicts.append(verdict)

    def column(self, code: str, url: str, title: str, platform: str = "") -> None:
        self.columns[code].setdefault(url, title)
        if platform:  # the CMS family of the report column, which the report crawl reads (the home page's may differ)
            self.platforms.setdefault(code, platform)

    def units(self, code: str, entries: list[UnitEntry], source: str) -> None:
        for entry in entries:
            self.entries[code].setdefault(entry.name, (entry, source))

    def unit_column(self, code: str, title: str, url: str) -> None:
        urls = self.unit_columns[code].setdefault(title, [])
        if url not in urls:
            urls.append(url)

    def failure(self, url: str, kind: str) -> None:
        self.errors[kind] += 1
        self.failed.append((url, kind))

    def assemble(self, gaz: Gazetteer, levels: Iterable[str] = LEVELS) -> tuple[list[Discovered], list[Conflict]]:
        """The run's records of the province and `levels`: each government once with its columns, then the units
        of each."""
        governments, conflicts = one_per_government(self.sites)
        conflicts = [*self.conflicts, *conflicts]
        out: list[Discovered] = []
        for gov in governments:
            gov = replace(gov, platform=self.platforms.get(gov.division_code) or gov.platform)
            units, unbound = self._units(gaz, gov)
            conflicts.extend(unbound)
            columns = self._columns(gaz, gov.division_code, units)
            out.append(with_columns(gov, columns, (Evidence(u, Signal.COLUMN, t) for u, t in columns.items())))
            out.extend(units.values())
        wanted = {"province", *levels}
        return [d for d in out if d.level in wanted], conflicts

    def _units(self, gaz: Gazetteer, gov: Discovered) -> tuple[dict[str, Discovered], list[Conflict]]:
        """The units `gov`'s directories list, by name, each once and never `gov` itself, and the conflicts of the
        entries that name no current unit."""
        units: dict[str, Discovered] = {}
        conflicts: list[Conflict] = []
        for entry, source in self.entries.get(gov.division_code, {}).values():
            unit = bind_unit(gaz, gov, entry, source)
            if isinstance(unit, Conflict):
                conflicts.append(unit)
            elif unit is not None and unit.name not in units and unit.name != gov.name:
                units[unit.name] = unit
        return units, conflicts

    def _columns(self, gaz: Gazetteer, code: str, units: dict[str, Discovered]) -> dict[str, str]:
        """The report columns (url → title) of the government of `code`: its own, and the sub-columns titled with
        its name; a sub-column titled for one of its `units` is given to that unit instead (in `units`)."""
        own = gaz.get(code)
        columns = dict(self.columns.get(code, {}))
        for title, urls in self.unit_columns.get(code, {}).items():
            if own is not None and gaz.names(own, title):
                columns.update((u, title) for u in urls)
            elif (unit := _unit_titled(units, title)) is not None:
                units[unit.name] = with_columns(unit, urls, (Evidence(u, Signal.COLUMN, title) for u in urls))
        return columns

def _key(name: str) -> str:
    return re.sub(r"(?:人民政府|办事处)$", "", clean(unit_name(name) or name))


def _unit_titled(units: dict[str, Discovered], title: str) -> Discovered | None:
    """The unit a report sub-column is titled for: by its full name or the name its directory lists it under."""
    key = _key(title)
    if not key:
        return None
    for unit in units.values():
        if _key(unit.name) == key or any(_key(e.value) == key for e in unit.evidence if e.signal == Signal.DIRECTORY):
            return unit
    return None
