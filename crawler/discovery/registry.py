"""The registry of agencies and portals: a CSV file (UTF-8, header below), read, checked and turned into crawl
targets and archive agency records.

A row is one agency: where its reports are published (`portal_url`, or known report columns in `column_urls`,
space-separated), an optional platform hint, and whether to crawl it. Many agencies share one portal (a county
portal carries its departments' and townships' reports), so the crawl targets are the distinct portals, each with
the union of the columns its rows name and the agency that owns it (the row at the top of the portal's tree).
"""
from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from archive.registry.agencies import KINDS, LEVELS, AgencyRecord, aliases
from archive.registry.discoveries import Entry
from crawler.discovery.urls import canonical, host

HEADER = ("name", "level", "kind", "division_code", "parent", "portal_url", "column_urls", "platform", "enabled")
PLATFORMS = ("trs_static", "trs_dynamic", "hanweb", "gkmlpt", "vsb", "generic")
_FALSE = {"false", "0", "no", "n", "off", "disabled"}


@dataclass(frozen=True)
class Row:
    name: str
    level: str = ""
    kind: str = ""
    division_code: str = ""
    parent: str = ""
    portal_url: str = ""
    column_urls: tuple[str, ...] = ()
    platform: str = ""
    enabled: bool = True
    verified: str = ""  # bundled registry only: how the row was checked ("" when the file has no such column)
    line: int = 0


@dataclass
class Target:
    """One portal to crawl: where to start and whose portal it is."""

    portal: str  # the portal's URL as the registry gives it (the key of run records and coverage)
    agency: str  # the agency owning the portal
    entries: list[str] = field(default_factory=list)  # report columns named by the registry
    platform: str = ""
    agencies: list[str] = field(default_factory=list)  # every registry agency published here

    @property
    def host(self) -> str:
        return host(self.portal or self.entries[0])


class RegistryError(ValueError):
    pass


def parse(text: str, source: str = "registry") -> tuple[list[Row], list[str]]:
    """Rows and the problems found (each naming its line). Rows with problems are left out."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    missing = [h for h in HEADER if h not in (reader.fieldnames or [])]
    if missing:
        raise RegistryError(f"{source}: header lacks {', '.join(missing)} (expected {','.join(HEADER)})")
    rows, problems = [], []
    for n, raw in enumerate(reader, start=2):
        cell = {k: (v or "").strip() for k, v in raw.items() if k}
        columns = tuple(canonical(u) for u in cell["column_urls"].split())
        row = Row(cell["name"], cell["level"], cell["kind"], cell["division_code"], cell["parent"],
                  canonical(cell["portal_url"]) if cell["portal_url"] else "", columns, cell["platform"],
                  cell["enabled"].lower() not in _FALSE, cell.get("verified", ""), n)
        problem = check_row(row)
        if problem:
            problems.append(f"{source}:{n}: {problem}")
        else:
            rows.append(row)
    return rows, problems


def check_row(row: Row) -> str | None:
    if not row.name:
        return "name is empty"
    if not row.portal_url and not row.column_urls:
        return f"{row.name}: neither portal_url nor column_urls"
    for url in (row.portal_url, *row.column_urls):
        if url and not url.startswith(("http://", "https://")):
            return f"{row.name}: not an http(s) URL: {url}"
    if row.level and row.level not in LEVELS:
        return f"{row.name}: level {row.level!r} is not one of {', '.join(LEVELS)}"
    if row.kind and row.kind not in KINDS:
        return f"{row.name}: kind {row.kind!r} is not one of {', '.join(KINDS)}"
    if row.platform and row.platform not in PLATFORMS:
        return f"{row.name}: platform {row.platform!r} is not one of {', '.join(PLATFORMS)}"
    return None


def load(path: str | Path) -> tuple[list[Row], list[str]]:
    return parse(Path(path).read_text(encoding="utf-8"), str(path))


def from_entries(entries: Iterable[Entry], source: str = "accepted registry") -> tuple[list[Row], list[str]]:
    """The rows of the archive's accepted (or discovered) registry, checked as a file's rows are."""
    rows, problems = [], []
    for n, e in enumerate(entries, start=1):
        row = Row(e.name, e.level, e.kind, e.division_code, e.parent,
                  canonical(e.portal_url) if e.portal_url else "", tuple(canonical(u) for u in e.column_urls),
                  e.platform, line=n)
        problem = check_row(row)
        if problem:
            problems.append(f"{source}: {problem}")
        else:
            rows.append(row)
    return rows, problems


def write(rows: Iterable[Row], out: TextIO) -> None:
    """Rows as a registry file (HEADER), which `load` reads back as the same rows."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER)
    writer.writerows((r.name, r.level, r.kind, r.division_code, r.parent, r.portal_url, " ".join(r.column_urls),
                      r.platform, "true" if r.enabled else "false") for r in rows)


def targets(rows: Iterable[Row]) -> list[Target]:
    """The distinct portals of the enabled rows, in registry order."""
    by_portal: dict[str, Target] = {}
    rows = [r for r in rows if r.enabled]
    for row in rows:
        key = row.portal_url or row.column_urls[0]
        target = by_portal.setdefault(key, Target(key, row.name))
        target.agencies.append(row.name)
        target.entries += [u for u in row.column_urls if u not in target.entries]
        target.platform = target.platform or row.platform
    for target in by_portal.values():
        # The owner: the agency whose parent is not published on the same portal.
        here = set(target.agencies)
        target.agency = next((r.name for r in rows if r.name in here and r.parent not in here), target.agency)
    return list(by_portal.values())


def agency_records(rows: Iterable[Row]) -> list[AgencyRecord]:
    rows = list(rows)
    owners = {t.portal: t.agency for t in targets(rows)}
    out = []
    for row in rows:
        kind = row.kind or ("government" if row.level in ("central", "province", "prefecture", "county", "township")
                            and row.name.endswith(("政府", "办事处")) else "department")
        portal = row.portal_url or (row.column_urls[0] if row.column_urls else "")
        out.append(AgencyRecord(row.name, kind, row.level or None, row.division_code or None, row.parent or None,
                                aliases(row.name, kind), (portal,) if owners.get(portal) == row.name else ()))
    return out
