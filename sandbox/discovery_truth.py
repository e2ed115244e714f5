"""The manifest's `discovery` section of a province world (`sandbox.province`): the true binding of every portal,
report column and reporting unit, the decoys, and the fewest requests that find them all from the seed.

Entries that cannot be discovered by design carry `counts: false` and a `reason`; they stay out of the
denominators (found/total). A dead portal counts for nothing (it never answers). A portal whose robots.txt
disallows everything counts as a portal (its parent's link names it and gives its URL: that is the evidence) but
its columns and units do not (a polite crawler reads none of its pages).

The minimum request set is what a perfect crawler needs from the seed alone, in the order it meets them: per host
its robots.txt; the home page of every government portal (it names its owner in SiteIDCode, SiteName and footer,
and lists the child portals: the province its prefectures, a prefecture its counties); for a moved portal also the
old domain's home page that redirects; the 政务公开 page (it links the report column and the unit directory);
every page of every directory (the report column's sub-column groups, the department directory and each
department's folder; a directory of more than 15 entries pages as the family pages a list, except TRS 动静结合 and
Hanweb, which show it whole; gkmlpt: each unit's `gkmlpt/index`, whose `window._CONFIG` TREE holds the 年报
column) and every report column's first page. Decoys (clones, abolished units' portals, old domains) are not in it:
a crawler that knows them for what they are never asks them for more than the redirect.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

from sandbox.content import Site, unit_columns
from sandbox.world import Agency, Portal

REASONS = {
    "down": "the portal does not answer: nothing on it can be read",
    "robots": "robots.txt disallows every path: a polite crawler reads none of its pages",
}
RULES = {
    "counts": "entries with counts false are outside the denominators (found/total); reason says why",
    "portals": "every government with a portal of its own (counties on a shared platform have none)",
    "columns": "the report column of every government and unit, on the portal that carries it",
    "units": "every department and township that reports, with the portal that carries its reports and its report "
             "columns (column_urls; more than one where a portal files townships by year first: column_url is the "
             "newest year's)",
    "decoys": "sites that must not be bound as they claim (clone, abolished, moved: the old domain; dead and robots "
              "are truth portals that cannot be read)",
    "minimum_requests": "a perfect crawler's requests from the seed alone (robots.txt per host, home pages, the "
                        "政务公开 page, directory pages, report columns' first pages); decoys not included",
}


def _absolute(portal: Portal, path: str) -> str:
    return path if path.startswith("http") else f"http://{portal.netloc}{path}"


def _excluded(portal: Portal) -> str | None:
    if portal.down:
        return "down"
    return "robots" if "robots_all" in portal.hazards else None


def _counted(entry: dict, reason: str | None) -> dict:
    entry["counts"] = reason is None
    if reason:
        entry["reason"] = REASONS[reason]
    return entry


def column_urls(sb, portal: Portal, unit: Agency) -> list[str]:
    """The report columns of `unit` on `portal`, the newest year's first."""
    site, platform = sb.site(portal), sb.platform(portal)
    return [_absolute(portal, platform.column(site, key))
            for key in unit_columns(portal, unit, portal.years or sb.world.years)]


def _truth(sb) -> tuple[list[dict], list[dict], list[dict]]:
    portals, columns, units = [], [], []
    for portal in sb.world.portals:
        owner, reason = portal.owner, _excluded(portal)
        entry = {"agency": owner.name, "division_code": owner.division_code, "level": owner.level,
                 "parent": owner.parent, "url": portal.url, "platform": portal.family, "site_code": portal.site_code}
        if reason == "robots":
            entry["evidence"] = "link"
        portals.append(_counted(entry, "down" if reason == "down" else None))
        for unit in portal.units:
            urls = column_urls(sb, portal, unit)
            columns += [_counted({"agency": unit.name, "division_code": unit.division_code, "url": url}, reason)
                        for url in urls]
            if unit.level in ("township", "department"):
                units.append(_counted({"name": unit.name, "level": unit.level, "kind": unit.kind,
                                       "division_code": unit.division_code, "parent": unit.parent,
                                       "portal_url": portal.url, "column_url": urls[0], "column_urls": urls},
                                      reason))
    return portals, columns, units


def _directory_paths(sb, portal: Portal, site: Site) -> Iterator[tuple[str, str]]:
    """(path, purpose) of every page between the 政务公开 page and the report columns, columns included."""
    platform = sb.platform(portal)
    if portal.family == "gkmlpt":
        for key in site.columns["nb"].children:
            yield platform.column(site, key), "directory"
        return
    for key, col in site.columns.items():
        report = key == "nb" or key.startswith("nb/") or key.endswith("/nb")
        if report and (col.unit or key == "nb"):
            yield platform.column(site, key), "column"
        elif report or key == "bmxxgk" or (key.startswith("gk/") and key.count("/") == 1):
            calls = platform.listing_calls(site, key, sb.today)  # every page of a long directory
            # the first as its parent links it (Hanweb's directory: with the unit id)
            yield platform.entry(site, site.columns[col.parent], key) if col.parent else calls[0].url, "directory"
            for call in calls[1:]:
                yield call.url, "directory"


def minimum_requests(sb) -> list[dict]:
    world, found = sb.world, sb.world.discovery
    old_hosts = {new: old for old, new in found.moved.items()}
    out: list[dict] = []

    def add(host: str, path: str, purpose: str) -> None:
        out.append({"method": "GET", "url": f"http://{host}{path}", "purpose": purpose})

    for portal in world.portals:
        if portal.host in old_hosts:
            add(old_hosts[portal.host], "/robots.txt", "robots")
            add(old_hosts[portal.host], "/", "redirect")
        add(portal.netloc, "/robots.txt", "robots" if not portal.down else "unreachable portal")
        if _excluded(portal):
            continue
        site = sb.site(portal)
        add(portal.netloc, "/", "home")
        add(portal.netloc, sb.platform(portal).openness(site), "openness")
        for path, purpose in _directory_paths(sb, portal, site):
            add(portal.netloc, path.split("#")[0], purpose)
    return list({e["url"]: e for e in out}.values())  # a gkmlpt owner's column is its directory page


def section(sb) -> dict:
    """The manifest's `discovery` section (see the module's doc)."""
    found = sb.world.discovery
    portals, columns, units = _truth(sb)
    decoys = [{"url": d.url, "kind": d.kind, "claims": d.claims, "detail": d.detail} for d in found.decoys]
    minimum = minimum_requests(sb)
    counted = lambda rows: sum(1 for r in rows if r["counts"])  # noqa: E731
    return {
        "province": found.provinces[0], "provinces": list(found.provinces),
        "seed": found.seeds[0], "seeds": list(found.seeds), "rules": RULES,
        "summary": {"portals": len(portals), "portals_counted": counted(portals), "columns": len(columns),
                    "columns_counted": counted(columns), "units": len(units), "units_counted": counted(units),
                    "units_by_level": dict(Counter(u["level"] for u in units)), "decoys": dict(Counter(
                        d["kind"] for d in decoys)), "minimum_requests": len(minimum),
                    "families": dict(Counter(p["platform"] for p in portals))},
        "portals": portals, "columns": columns, "units": units, "decoys": decoys, "minimum_requests": minimum,
    }
