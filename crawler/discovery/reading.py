"""One fetched page, read once for everything discovery may want of it: whose site it claims to be, the portals it
links below, the way to its report column (政务公开 pages, report columns, scored by `crawler.discovery.navigation`),
its directories of units and their entries, and a column's sub-columns. Pure: a page in, a `Reading` out.

A `Reading` is plain values and round-trips through JSON: the discovery spider stores it in the crawl's memory
(`crawler.discovery.memory`) and, within the revisit interval, routes from the stored reading instead of fetching the
page again.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

from crawler.constants import Role
from crawler.discovery.directories import UnitEntry, directory_links, shell_columns, shell_unit, unit_entries
from crawler.discovery.evidence import SiteFacts, site_facts
from crawler.discovery.links import Link, portal_links
from crawler.discovery.navigation import OPENNESS_MIN, REPORT_MIN, best, openness_score, report_score
from crawler.discovery.urls import host
from crawler.platforms import Page, detect
from crawler.platforms.base import subcolumns

COLUMNS = 3  # report columns kept per page (政府信息公开年报 and 部门年报 may both qualify)
NAV = 2  # 政务公开 pages kept per page


@dataclass
class Reading:
    url: str  # after redirects
    facts: SiteFacts
    platform: str = "generic"
    portals: list[Link] = field(default_factory=list)  # entrances of other sites, with their names
    columns: list[Link] = field(default_factory=list)  # report columns on this host
    nav: list[Link] = field(default_factory=list)  # 政务公开 pages on this host
    directories: list[Link] = field(default_factory=list)  # directories of units on this host
    units: list[UnitEntry] = field(default_factory=list)  # units this page lists
    subcolumns: list[Link] = field(default_factory=list)  # columns below this one (years, groups, units)
    more: list[Link] = field(default_factory=list)  # the next page of this list

    def as_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> Reading:
        links = {k: [Link(**v) for v in data.get(k) or ()] for k in
                 ("portals", "columns", "nav", "directories", "subcolumns", "more")}
        return cls(data["url"], SiteFacts(**data["facts"]), data.get("platform") or "generic", **links,
                   units=[UnitEntry(**u) for u in data.get("units") or ()])


def read(page: Page) -> Reading:
    here = host(page.url)
    pairs = page.anchors(main_only=False)
    links = [(url, ("".join(a.itertext()) or a.get("title") or "").strip()) for a, url in pairs if host(url) == here]
    columns = [Link(s.url, s.text.strip(), "anchor") for s in best(links, report_score, REPORT_MIN, COLUMNS)]
    nav = [Link(s.url, s.text.strip(), "anchor") for s in best(links, openness_score, OPENNESS_MIN, NAV)]
    main = page.anchors()
    # The next page of a list, as its CMS family pages it (TRS createPageHTML, 下一页 links); not API calls.
    platform = detect(page)
    pager = [Link(c.url, "", "anchor") for c in platform.more(page, main)
             if c.role == Role.PAGE and c.method == "GET" and host(c.url) == here]
    units = unit_entries(page)
    if shell := shell_unit(page):
        units.insert(0, shell)
        columns = shell_columns(page) + columns
    return Reading(page.url, site_facts(page), platform.name, portal_links(page), columns, nav,
                   directory_links(page), units,
                   [Link(c.url, c.title, "anchor") for c in subcolumns(page, main)],
                   pager)
