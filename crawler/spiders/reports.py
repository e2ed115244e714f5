"""The discovery spider: from each registry portal to every annual report of the requested years.

    scrapy crawl reports -a registry=crawler/data/registry.csv -a years=2019-2025

Per portal: the home page (or the registry's known columns) → the 政务公开 section → the 年报 column(s), chosen by
link scores (`crawler.discovery.navigation`); then each column through its CMS family's adapter (`crawler.platforms`):
entries, sub-columns (years, groups, units), further pages or API pages. Entries whose titles are reports of the
requested years (`crawler.discovery.recognise`) are fetched with their attachments and handed to the archive;
near-misses are never fetched. What each page led to is remembered (`crawler.state`), which makes re-runs cheap and
a killed run resumable.

The spider routes only: what to ask for, and what a page or a document leads to. Around it, each with one job: the
run record and progress (`crawler.run_record`, an extension), the per-portal budget (`crawler.fetch.budget`, a spider
middleware), typed refusals and their classification (`crawler.fetch.failures`), joining a paged article's parts
(`crawler.platforms.trs_article`), the crawl's memory (`crawler.state`, kept in the archive's database).
"""
from __future__ import annotations

import hashlib
import logging
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import scrapy
from scrapy.http import TextResponse
from scrapy.spidermiddlewares.httperror import HttpError

from archive.ingest.ingestor import Capture
from archive.registry.agencies import register_agencies
from archive.runs import Failure, RunRecord, new_run_id
from archive.store.db import Archive, open_archive
from crawler import settings as defaults
from crawler.constants import DEPTH_ROLES, LIST_ROLES, NAV_ROLES, PAGING_ROLES, PRIORITY, Kind, Role
from crawler.discovery import registry as reg
from crawler.discovery.attachments import attachments
from crawler.discovery.blocking import is_soft_404
from crawler.discovery.navigation import OPENNESS_MIN, REPORT_MIN, best, openness_score, report_score
from crawler.discovery.recognise import judge_title, likely_year, wanted
from crawler.discovery.urls import host, other_scheme
from crawler.fetch.failures import classify
from crawler.fetch.tls import response_outcome
from crawler.items import Fetched
from crawler.platforms import BY_NAME, Listing, Page, detect
from crawler.platforms.trs_article import Parts, next_part
from crawler.run_record import documents_committed
from crawler.state import Child, Node, State, open_state
from crawler.years import parse_years
from pipelines.metadata import years_named

if TYPE_CHECKING:
    from crawler.distributed import Frontier  # loaded (with redis) by a distributed crawl only

log = logging.getLogger(__name__)
DAY = 86400.0
MAX_COLUMN_DEPTH = 4


def _title_year(title: str) -> int | None:
    """The one year a column's title names ("2024年度"); None for none or several ("2019-2024年")."""
    years = set(years_named(title or ""))
    return int(years.pop()) if len(years) == 1 else None


class ReportsSpider(scrapy.Spider):
    name = "reports"
    record: RunRecord  # set by the run record's extension (crawler.run_record) when the spider opens
    # Set by from_crawler: the crawl's memory, and the settings the walk reads.
    state: State
    worker: str | None
    nav_depth: int
    max_pages: int
    nav_ttl: float
    listing_ttl: float
    document_ttl: float

    def __init__(self, registry: str, years: str = defaults.NIANBAO_YEARS, run_id: str | None = None, *args, **kwargs):
        super().__init__(*args, **kwargs)
        rows, problems = reg.load(registry)
        for problem in problems:
            log.warning("registry: %s", problem)
        self.rows = rows
        self.targets = reg.targets(rows)
        self.years = parse_years(years)
        self.run_id = run_id or new_run_id("crawl")
        self.registry_hosts = {t.host for t in self.targets} | {host(u) for t in self.targets for u in t.entries}
        self.hints = {t.portal: t.platform for t in self.targets}
        self.seen_entries: set[str] = set()  # documents visited this run
        self.listed: set[str] = set()  # every entry of every list this run (report or not)
        self.seen_nodes: set[str] = set()
        self.archive: Archive | None = None
        # A distributed crawl's shared frontier (crawler.distributed), set by its scheduler.
        self.frontier: Frontier | None = None

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        s = crawler.settings
        spider.archive = open_archive(s.get("NIANBAO_DB"), s.get("NIANBAO_DATA"))
        with spider.archive.engine.begin() as conn:
            register_agencies(conn, reg.agency_records(spider.rows))
        spider.state = open_state(spider.archive)
        spider.state.load_archive(spider.archive)
        spider.worker = s.get("NIANBAO_WORKER")  # a distributed worker: its own WARC file and run record file
        crawler.signals.connect(spider.archived, signal=documents_committed)
        spider.nav_depth = s.getint("NIANBAO_NAV_DEPTH")
        spider.max_pages = s.getint("NIANBAO_MAX_PAGES")
        spider.nav_ttl = s.getfloat("NIANBAO_NAV_TTL_DAYS") * DAY
        spider.listing_ttl = s.getfloat("NIANBAO_LISTING_TTL_DAYS") * DAY
        spider.document_ttl = s.getfloat("NIANBAO_DOCUMENT_TTL_DAYS") * DAY
        return spider

    # -- start --------------------------------------------------------------------------------------------------
    async def start(self):
        if self.settings.get("NIANBAO_REDIS"):
            return  # a distributed worker: `nianbao seed` has put the start requests into the shared frontier
        # Scheduled all at once: Scrapy takes one request from start() per turn of its loop, and on a busy loop the
        # last portals of a 2,000-agency registry began half a minute late (slow portals then ended the crawl alone).
        for target in self.targets:
            for child in self.start_children(target):
                for request in self.visit(child, target.portal, 0):
                    self.crawler.engine.crawl(request)
        return
        yield  # start() is an asynchronous generator

    @staticmethod
    def start_children(target: reg.Target) -> list[Child]:
        """Where a portal's walk starts: the registry's known columns, or its home page."""
        return [Child(u, Role.COLUMN) for u in target.entries] or [Child(target.portal, Role.HOME)]

    # -- deciding what to fetch ---------------------------------------------------------------------------------
    def visit(self, child: Child, portal: str, depth: int, parent_unchanged: bool = False):
        """Requests for `child`: none when it is done and fresh (its stored children are visited instead)."""
        if child.is_document:
            yield from self._visit_document(child, portal, depth)
            return
        if child.key in self.seen_nodes:
            return
        self.seen_nodes.add(child.key)
        node = self.state.node(child.key)
        if node is not None and self._fresh(node, child, parent_unchanged) and self.state.complete(child.key):
            yield from self.replay(node, portal, depth)
            return
        yield from self._request(child, portal, depth, node)

    def _fresh(self, node: Node, child: Child, parent_unchanged: bool) -> bool:
        age = time.time() - node.fetched_at
        if child.role in PAGING_ROLES and parent_unchanged:
            return True  # the list's first page is unchanged, so are the pages behind it
        if child.role in NAV_ROLES:
            return age < self.nav_ttl
        return node.cold and age < self.listing_ttl

    def _visit_document(self, child: Child, portal: str, depth: int):
        if child.url in self.seen_entries and child.role == Role.FILE:
            return
        self.seen_entries.add(child.url)
        known = self.state.known.get(child.url)
        if child.url in self.state.failed:
            return
        if known is not None and time.time() - known.fetched_at < self.document_ttl:
            node = self.state.node(child.key) if child.role == Role.DOC else None
            if node is not None:  # its attachments may be unfinished (a killed run)
                for grandchild in node.children:
                    for request in self.visit(grandchild, portal, depth + 1):
                        # Asked for from the listing walked again, but linked from the page: that is their referrer.
                        request.headers.setdefault("Referer", child.url)
                        yield request
            return
        yield from self._request(child, portal, depth, None, known)

    def replay(self, node: Node, portal: str, depth: int):
        self._recall(node, portal)
        unchanged = node.role in LIST_ROLES
        for child in node.children:
            yield from self.visit(child, portal, depth + (child.role in DEPTH_ROLES), unchanged)

    def _request(self, child: Child, portal: str, depth: int, node: Node | None, known=None):
        """The request for `child` (the per-portal budget is spent by `crawler.fetch.budget` as it is yielded)."""
        headers = {}
        validators = node or known
        if validators is not None:
            if validators.etag:
                headers["If-None-Match"] = validators.etag
            if validators.last_modified:
                headers["If-Modified-Since"] = validators.last_modified
        if child.method == "POST":
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        callback = self.parse_document if child.is_document else self.parse_node
        yield scrapy.Request(
            child.url, method=child.method, body=child.body or None, headers=headers, callback=callback,
            errback=self.failed, priority=PRIORITY.get(child.role, 0), dont_filter=child.method == "POST",
            meta={"portal": portal, "child": child, "depth": depth, "handle_httpstatus_list": [304]})

    # -- listings and navigation --------------------------------------------------------------------------------
    def parse_node(self, response):
        child: Child = response.meta["child"]
        portal, depth = response.meta["portal"], response.meta["depth"]
        record = self.record.portals[portal]
        record.pages += 1
        key = child.key
        old = self.state.node(key)
        now = time.time()
        if response.status == 304 and old is not None:
            self._recall(old, portal)
            children, unchanged, digest, cold = old.children, True, old.digest, old.cold
        else:
            page = self._page(response, child)
            if is_soft_404(page.text):
                record.errors[Failure.SOFT_404] += 1
                return
            yield self._fetched(response, child, portal, Kind.LISTING)
            children, cold = self.derive(page, child, portal, depth)
            digest = hashlib.sha256("\n".join(sorted(c.key for c in children)).encode()).hexdigest()
            unchanged = old is not None and old.digest == digest
            if not unchanged and old is not None:
                children = self._stop_paging(children)
        self.state.save(Node(key, child.url, child.role, now, _header(response, "ETag"),
                             _header(response, "Last-Modified"), digest, cold, children))
        for grandchild in children:
            step = 1 if grandchild.role in DEPTH_ROLES else 0
            yield from self.visit(grandchild, portal, depth + step, unchanged)

    def _recall(self, node: Node, portal: str) -> None:
        """A list not read again (still fresh, or answered 304) counts in the run record as `derive` counts a list
        it reads: an incremental run must not look like a portal whose report column vanished."""
        record = self.record.portals[portal]
        documents = [c for c in node.children if c.role == Role.DOC]
        record.columns += node.role in (Role.COLUMN, Role.SHELL) or \
            (node.role in (Role.HOME, Role.NAV) and bool(documents))
        record.listed += sum(1 for c in documents if c.url not in self.seen_entries)

    def _stop_paging(self, children: list[Child]) -> list[Child]:
        """A changed page of a list walked before: once it holds only known documents, the older pages behind
        it hold nothing new (lists are newest first), so paging stops here."""
        documents = [c for c in children if c.role == Role.DOC]
        if documents and all(self.state.document_done(c.url) for c in documents):
            return [c for c in children if c.role not in PAGING_ROLES]
        return children

    def derive(self, page: Page, child: Child, portal: str, depth: int) -> tuple[list[Child], bool]:
        """The children of a navigation or list page, and whether the page is a list of past years only."""
        record = self.record.portals[portal]
        if child.role in (Role.HOME, Role.NAV):
            platform = detect(page, self.hints.get(portal))
            if platform.name != "gkmlpt":
                return self._navigate(page, child, depth), False
        if child.role == Role.API:
            listing = BY_NAME[child.family].api(page)
        else:
            listing = detect(page, self.hints.get(portal)).listing(page)
        record.family = record.family or listing.family
        record.columns += child.role in (Role.COLUMN, Role.SHELL, Role.HOME, Role.NAV)
        documents, years, new_entries = self._entries(listing, portal)
        calls = self._calls(listing, child, depth, new_entries)
        return documents + calls, self._cold(child, years)

    def _entries(self, listing: Listing, portal: str) -> tuple[list[Child], set[int], int]:
        """The list's reports of the requested years, their years, and how many of its entries are new this run."""
        record = self.record.portals[portal]
        out: list[Child] = []
        new_entries = 0
        years: set[int] = set()
        for entry in listing.entries:
            new_entries += entry.url not in self.listed
            self.listed.add(entry.url)
            verdict = judge_title(entry.title)
            if not verdict.is_report or not wanted(verdict, entry.date, self.years):
                continue
            year = likely_year(verdict, entry.date)
            years.add(year or 0)
            if entry.url not in self.seen_entries:
                record.listed += 1
            out.append(Child(entry.url, Role.DOC, title=entry.title, agency=verdict.agency, year=year,
                             date=entry.date))
        return out, years, new_entries

    def _calls(self, listing: Listing, child: Child, depth: int, new_entries: int) -> list[Child]:
        out: list[Child] = []
        for call in listing.calls:
            if call.role in PAGING_ROLES and child.role in PAGING_ROLES and not new_entries:
                continue  # a page adding nothing new: the end of the list, or a trap
            if call.role == Role.COLUMN:
                year = _title_year(call.title)
                if (year and year not in self.years) or depth >= MAX_COLUMN_DEPTH:
                    continue
            out.append(Child(call.url, call.role, call.method, call.body, call.title, family=listing.family))
        return out

    def _cold(self, child: Child, years: set[int]) -> bool:
        """Whether a list is done, to be revisited on a TTL only. A column of one year (its title says which) fills
        up until the newest requested year's reports come out: the year before's were due the March before, late
        ones since out. A mixed list may still get the newest year's first report, so it is done only when even its
        newest is older."""
        title_year = _title_year(child.title)
        if title_year:
            return title_year < self.years.stop - 1
        newest = max(years) if years else None
        return newest is not None and 0 < newest < self.years.stop - 2

    def _navigate(self, page: Page, child: Child, depth: int) -> list[Child]:
        links = [(url, a.text_content() or a.get("title") or "") for a, url in page.anchors(main_only=False)]
        here = host(page.url)
        links = [(u, t) for u, t in links if host(u) == here]
        columns = best(links, report_score, REPORT_MIN, 3)
        if columns:
            return [Child(s.url, Role.COLUMN, title=s.text.strip()) for s in columns]
        if depth + 1 >= self.nav_depth:
            return []
        return [Child(s.url, Role.NAV, title=s.text.strip()) for s in best(links, openness_score, OPENNESS_MIN, 2)]

    # -- documents ----------------------------------------------------------------------------------------------
    def parse_document(self, response):
        child: Child = response.meta["child"]
        portal, depth = response.meta["portal"], response.meta["depth"]
        record = self.record.portals[portal]
        record.pages += 1
        if response.status == 304:
            self.state.archived(child.url, time.time(), _header(response, "ETag"), _header(response, "Last-Modified"))
            node = self.state.node(child.key)
            for grandchild in node.children if node else ():
                yield from self.visit(grandchild, portal, depth + 1)
            return
        children: list[Child] = []
        if isinstance(response, TextResponse) and response.body.lstrip()[:1] == b"<":
            page = self._page(response, child)
            if is_soft_404(page.text):
                record.errors[Failure.SOFT_404] += 1
                self.state.fail(child.url, Failure.SOFT_404)
                if parts := response.meta.get("parts"):
                    yield from self._joined(parts, portal, depth, missing=child.url)
                return
            if child.role == Role.DOC:
                children = [Child(u, Role.FILE, agency=child.agency, year=child.year, title=child.title)
                            for u in attachments(page) if u != child.url]
                following = next_part(page)
                if following or "parts" in response.meta:
                    yield from self._article_part(response, page, children, following, portal, depth)
                    return
        if child.role == Role.DOC:
            self.state.save(Node(child.key, child.url, Role.DOC, time.time(), _header(response, "ETag"),
                                 _header(response, "Last-Modified"), None, False, children))
        record.documents += 1
        yield self._fetched(response, child, portal, Kind.DOCUMENT)
        for grandchild in children:
            yield from self.visit(grandchild, portal, depth + 1)

    def _article_part(self, response, page: Page, files: list[Child], following: str | None, portal: str,
                      depth: int):
        """A part of a paged TRS article: into the WARC as fetched; then the next part is asked for, or, after the
        last, the parts are joined into the one document the archive ingests (`crawler.platforms.trs_article`)."""
        child: Child = response.meta["child"]
        fetched = self._fetched(response, child, portal, Kind.LISTING)
        yield fetched
        parts = (response.meta.get("parts") or Parts(child)).add(page, fetched, files)
        if following and not parts.fetched(following):
            first = parts.first
            nxt = Child(following, Role.DOC, title=first.title, agency=first.agency, year=first.year)
            for request in self._request(nxt, portal, depth, None):
                request.meta["parts"] = parts
                yield request
            return
        yield from self._joined(parts, portal, depth)

    def _joined(self, parts: Parts, portal: str, depth: int, missing: str | None = None):
        """The parts fetched as one document; `missing` names a part that could not be fetched (the rest is kept)."""
        document, error = parts.joined(missing)
        if error:
            log.warning("%s: parts not joined: %s", parts.first.url, error)
            self.record.portals[portal].errors[Failure.PARTS_NOT_JOINED] += 1
        validators = {k.lower(): v for k, v in parts.pages[0][3].headers}
        first = parts.first
        self.state.save(Node(first.key, first.url, Role.DOC, time.time(), validators.get("etag"),
                             validators.get("last-modified"), None, False, list(parts.files)))
        self.record.portals[portal].documents += 1
        yield document
        for grandchild in parts.files:
            yield from self.visit(grandchild, portal, depth + 1)

    # -- helpers ------------------------------------------------------------------------------------------------
    @staticmethod
    def _page(response, child: Child) -> Page:
        text = response.text if isinstance(response, TextResponse) else response.body.decode("utf-8", "replace")
        return Page(response.url, text, _header(response, "Content-Type") or "", child.method, child.body)

    def _fetched(self, response, child: Child, portal: str, kind: Kind) -> Fetched:
        request = response.request
        headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, vs in response.headers.items() for v in vs]
        request_headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, vs in request.headers.items()
                           for v in vs]
        referrer = request.headers.get("Referer")
        capture = Capture(
            requested_url=child.url, fetched_at=datetime.now(UTC), run_id=self.run_id, final_url=response.url,
            referrer=referrer.decode("latin-1") if referrer else None, status=response.status, headers=dict(headers),
            portal=portal, agency_hint=child.agency, year_hint=child.year,
            tls=response_outcome(response, self.settings.getbool("DOWNLOAD_VERIFY_CERTIFICATES")))
        return Fetched(capture, child.method, headers, response.body, kind, child.body, request_headers)

    def failed(self, failure):
        """A request that came to nothing: counted by kind (`crawler.fetch.failures.classify`), a document that will
        never be fetched remembered as done, a portal's entry tried once on the other scheme."""
        request = failure.request
        child: Child = request.meta["child"]
        portal, depth = request.meta["portal"], request.meta["depth"]
        if parts := request.meta.get("parts"):  # a later part of a paged article failed: the parts fetched are kept
            yield from self._joined(parts, portal, depth, missing=request.url)
        status = failure.value.response.status if failure.check(HttpError) else None
        verdict = classify(failure.value, status, depth == 0, child.is_document,
                           bool(request.meta.get("scheme_fallback")))
        if verdict.other_scheme:  # http↔https: a portal may answer on the other scheme only.
            yield self._other_scheme(request, child)
            return
        if verdict.permanent:
            self.state.fail(child.url, verdict.kind)
        self.record.portals[portal].errors[verdict.kind] += 1
        log.info("%s: %s %s", verdict.kind, request.method, request.url)
        if self.frontier is not None:
            self.frontier.done(request)

    def _other_scheme(self, request: scrapy.Request, child: Child) -> scrapy.Request:
        other = other_scheme(request.url)
        self.seen_nodes.discard(child.key)
        return request.replace(url=other, dont_filter=True,
                               meta={**request.meta, "child": Child(other, child.role, child.method, child.body,
                                                                    child.title),
                                     "scheme_fallback": True})

    # -- the archive's side -------------------------------------------------------------------------------------
    def archived(self, done) -> None:
        """Documents the archive has committed (`crawler.run_record.documents_committed`, on the reactor thread):
        only now are they done for resumption."""
        for capture, _, _ in done:
            self.state.archived(capture.requested_url, capture.fetched_at.timestamp(), capture.header("ETag"),
                                capture.header("Last-Modified"))
            if self.frontier is not None:
                self.frontier.committed(capture.requested_url)

    def closed(self, reason: str) -> None:
        self.state.close()


def _header(response, name: str) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None
