"""The discovery spider: from a province's portal to the portals of its prefectures and counties, their report
columns and the units (departments, townships) in their directories (issue 16).

    nianbao registry discover --province 福建省

Routing only. What a page says is read once (`crawler.discovery.reading`); what it means is decided by the binding
rules at the end of the run (`crawler.discovery.findings`, `crawler.discovery.binding`). Per site: its entrance
(whose site it is; the portals it links below, each followed only when its link names a government below this one)
→ its report column (scored as the report crawl scores it) and its directories of units, through 政务公开 pages
when the home page does not link them. Politeness, the host guard, robots.txt, retries and typed failures are the
report crawl's (the same settings); the pages read are remembered (`crawler.discovery.memory`), so that a re-run
within the revisit interval routes from memory and a killed run resumes.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, replace

import scrapy
from scrapy.http import TextResponse
from scrapy.spidermiddlewares.httperror import HttpError

from archive.registry.bindings import Discovered
from archive.runs import Failure
from archive.store.db import Archive, open_archive
from crawler import settings as defaults
from crawler.constants import Step
from crawler.discovery import gazetteer
from crawler.discovery.binding import SiteSeen, allowed, bind_link, bind_site
from crawler.discovery.blocking import is_soft_404
from crawler.discovery.directories import UnitEntry, unit_name
from crawler.discovery.findings import LEVELS, Findings
from crawler.discovery.links import Link
from crawler.discovery.memory import Memory
from crawler.discovery.reading import Reading, read
from crawler.discovery.seeds import seed_for
from crawler.discovery.urls import canonical, host, other_scheme, under
from crawler.fetch.failures import classify
from crawler.platforms import Page

log = logging.getLogger(__name__)
DAY = 86400.0
UNIT_LEVELS = ("township", "department")
GOVERNMENT_SUFFIX = ("人民政府", "政府")
MAX_COLUMN_DEPTH = 2  # a report column → its year or group sub-columns → their unit sub-columns


@dataclass(frozen=True)
class Visit:
    """A page to read and why: its step, the government whose pages these are, how it was reached."""

    url: str
    step: Step
    government: str = ""  # division code ("" for a site's entrance not yet bound)
    parent: str = ""  # for an entrance: the government whose portal linked it
    link: Link | None = None  # for an entrance: that link
    depth: int = 0  # 政务公开 steps, or column levels
    unit: str = ""  # for a unit's page: the name its directory lists it under
    page: int = 0  # a further page of a list (0: its first)


def parse_levels(text: str) -> frozenset[str]:
    levels = frozenset(t.strip() for t in text.split(",") if t.strip())
    unknown = levels - set(LEVELS)
    if unknown or not levels:
        raise ValueError(f"unknown level(s) {', '.join(sorted(unknown)) or '(none)'}: choose among "
                         f"{', '.join(LEVELS)}")
    return levels


class DiscoverSpider(scrapy.Spider):
    name = "discover"
    # Set from the crawler's settings (from_crawler).
    archive: Archive
    memory: Memory
    suffixes: tuple[str, ...]
    nav_depth: int

    def __init__(self, province: str, levels: str = defaults.NIANBAO_DISCOVERY_LEVELS, start: str | None = None,
                 *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.seed = seed_for(province)
        self.start_url = canonical(start or self.seed.portal_url)
        self.levels = parse_levels(levels)
        self.gaz = gazetteer.province(self.seed.division_code)
        self.wants_units = bool(self.levels & set(UNIT_LEVELS))
        self.registry_hosts = {host(self.start_url)}  # the host guard's: the seed's host, whatever its domain
        self.findings = Findings()
        self.seen: set[tuple[str, Step]] = set()
        self.bound: dict[str, str] = {}  # division code → the entrance it was bound at this run
        self.fetched = self.recalled = 0
        self.frontier = None  # the budget middleware's question: no shared frontier here

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        s = crawler.settings
        spider.archive = open_archive(s.get("NIANBAO_DB"), s.get("NIANBAO_DATA"))
        spider.memory = Memory(spider.archive, s.getfloat("NIANBAO_DISCOVERY_REVISIT_DAYS") * DAY)
        spider.suffixes = tuple(s.getlist("NIANBAO_ALLOWED_SUFFIXES"))
        spider.nav_depth = s.getint("NIANBAO_DISCOVERY_NAV_DEPTH")
        return spider

    async def start(self):
        for request in self.visit(Visit(self.start_url, Step.SITE)):
            yield request

    # -- deciding what to fetch ---------------------------------------------------------------------------------
    def visit(self, v: Visit):
        """The request for `v`, or, when its page was read within the revisit interval, what its reading leads to."""
        if (v.url, v.step) in self.seen:
            return
        self.seen.add((v.url, v.step))
        reading = self.memory.recall(v.url, v.step)
        if reading is not None:
            self.recalled += 1
            yield from self.route(v, reading)
            return
        yield scrapy.Request(v.url, callback=self.parse, errback=self.failed, meta={"visit": v},
                             priority=-v.depth)

    def parse(self, response):
        v: Visit = response.meta["visit"]
        self.fetched += 1
        if not isinstance(response, TextResponse):
            self.findings.failure(response.url, "not_a_page")
            return
        try:
            page = Page(response.url, response.text, response.headers.get("Content-Type", b"").decode("latin-1"))
            if is_soft_404(page.text):
                self.findings.failure(response.url, Failure.SOFT_404)
                return
            reading = read(page)
        except Exception as exc:
            log.warning("%s: unreadable page: %r", response.url, exc)
            self.findings.failure(response.url, "unreadable")
            return
        self.memory.keep(v.url, v.step, reading)
        yield from self.route(v, reading)

    def follows(self, level: str) -> bool:
        """Whether to walk the portals of `level`: prefectures always (every level asked for is found through them),
        counties unless only prefectures are asked for."""
        return level == "prefecture" or self.levels != {"prefecture"}

    # -- routing ------------------------------------------------------------------------------------------------
    def route(self, v: Visit, reading: Reading):
        if v.step == Step.SITE:
            yield from self._entrance(v, reading)
        elif v.step == Step.COLUMN:
            yield from self._column(v, reading)
        elif v.step == Step.DIRECTORY:
            yield from self._directory(v, reading)
        elif v.step == Step.UNIT:
            self._unit(v, reading)
        else:
            yield from self._walk(v.government, reading, v.depth)

    def _entrance(self, v: Visit, reading: Reading):
        seen = SiteSeen(v.url, reading.url, reading.facts, v.link, v.parent, reading.platform)
        verdict = bind_site(self.gaz, self.seed.division_code, seen, self.suffixes)
        self.findings.site(verdict)
        if not isinstance(verdict, Discovered):
            return
        code = verdict.division_code
        if self.bound.get(code) == reading.url:
            return  # the same portal reached again (an old address redirecting to it)
        self.bound[code] = reading.url
        for link in reading.portals:
            child = self.gaz.child_named(code, link.text)
            if child is not None and self.follows(child.level) and allowed(link.url, self.suffixes):
                yield from self.visit(Visit(link.url, Step.SITE, parent=code, link=link))
        yield from self._walk(code, reading, 0)

    def _walk(self, code: str, reading: Reading, depth: int):
        """From a government's page: its report columns, its directories of units, and 政务公开 pages while either is
        still missing."""
        for link in reading.columns:
            yield from self.visit(Visit(link.url, Step.COLUMN, code))
        shells = [u for u in reading.units if u.family == "gkmlpt"]
        if self.wants_units:
            for link in reading.directories:
                yield from self.visit(Visit(link.url, Step.DIRECTORY, code))
        else:  # the governments' own directories only: theirs, and those of counties on this platform
            shells = [u for u in shells if u.name.endswith(GOVERNMENT_SUFFIX)]
        yield from self._entries(code, shells, reading.url)
        found = reading.columns or shells
        if depth + 1 < self.nav_depth and (not found or (self.wants_units and not (reading.directories or shells))):
            for link in reading.nav:
                yield from self.visit(Visit(link.url, Step.NAV, code, depth=depth + 1))

    def _entries(self, code: str, entries: list, source: str):
        """Units a directory lists: recorded, and each unit's page read for its report column."""
        self.findings.units(code, entries, source)
        for entry in entries:
            yield from self.visit(Visit(entry.url, Step.UNIT, code, unit=entry.name))

    def _directory(self, v: Visit, reading: Reading):
        yield from self._entries(v.government, reading.units, reading.url)
        for link in reading.more:
            yield from self.visit(replace(v, url=link.url, page=v.page + 1))

    def _column(self, v: Visit, reading: Reading):
        """A report column: the government's own at the top; below it, sub-columns of units (recorded) and of groups
        of units (read in turn)."""
        if v.depth == 0 and v.page == 0:
            self.findings.column(v.government, v.url, "", reading.platform)
        units = 0
        for sub in reading.subcolumns:
            if name := unit_name(sub.text):  # the sub-columns of units list them as a directory would
                self.findings.units(v.government, [UnitEntry(name, sub.url)], v.url)
                self.findings.unit_column(v.government, name, sub.url)
                units += 1
            elif v.depth + 1 <= MAX_COLUMN_DEPTH:
                yield from self.visit(Visit(sub.url, Step.COLUMN, v.government, depth=v.depth + 1))
        if units:  # a list of units goes on on its next page (a list of reports is the report crawl's)
            for link in reading.more:
                yield from self.visit(replace(v, url=link.url, page=v.page + 1))

    def _unit(self, v: Visit, reading: Reading) -> None:
        """A unit's page: its report column, the one beneath the page (a sub-column of its folder, a category of
        its gkmlpt TREE), never the portal's own linked from the page's chrome."""
        base = v.url.split("#")[0]
        beneath = {s.url for s in reading.subcolumns}
        columns = [c for c in reading.columns
                   if c.url.split("#")[0] == base or under(c.url, base) or c.url in beneath]
        if columns:
            self.findings.unit_column(v.government, v.unit, columns[0].url)

    # -- failures -----------------------------------------------------------------------------------------------
    def failed(self, failure):
        request = failure.request
        v: Visit = request.meta["visit"]
        status = failure.value.response.status if failure.check(HttpError) else None
        verdict = classify(failure.value, status, v.step == Step.SITE, False, bool(request.meta.get("fallback")))
        if verdict.other_scheme:  # http↔https: a portal may answer on the other scheme only
            yield request.replace(url=other_scheme(request.url), dont_filter=True,
                                  meta={**request.meta, "fallback": True})
            return
        self.findings.failure(request.url, verdict.kind)
        log.info("%s: %s", verdict.kind, request.url)
        if verdict.kind == Failure.ROBOTS and v.step == Step.SITE and v.link is not None:
            self.findings.site(bind_link(self.gaz, v.url, v.link, v.parent, self.suffixes))

    def closed(self, reason: str) -> None:
        self.memory.close()
