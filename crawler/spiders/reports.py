"""The discovery spider: from each registry portal to every annual report of the requested years.

    scrapy crawl reports -a registry=crawler/data/registry.csv -a years=2019-2025

Per portal: the home page (or the registry's known columns) → the 政务公开 section → the 年报 column(s), chosen by
link scores (`crawler.navigation`); then each column through its CMS family's adapter (`crawler.platforms`):
entries, sub-columns (years, groups, units), further pages or API pages. Entries whose titles are reports of the
requested years (`crawler.recognise`) are fetched with their attachments and handed to the archive; near-misses
are never fetched. What each page led to is remembered (`crawler.state`), which makes re-runs cheap and a killed
run resumable.
"""
from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import replace
from datetime import UTC, datetime
from urllib.parse import urlsplit, urlunsplit

import scrapy
from scrapy.exceptions import IgnoreRequest
from scrapy.http import TextResponse
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet import task

from archive.agencies import register_agencies
from archive.db import open_archive
from archive.ingest import Capture, failure_error
from archive.runs import OUTCOME_COLUMN, PortalRecord, RunRecord, new_run_id, save_record
from crawler import registry as reg, settings as defaults
from crawler.attachments import attachments
from crawler.blocking import is_soft_404
from crawler.items import Fetched
from crawler.navigation import OPENNESS_MIN, REPORT_MIN, best, openness_score, report_score
from crawler.platforms import BY_NAME, Page, detect
from crawler.platforms.trs_article import join_parts, next_part
from crawler.recognise import judge_title, likely_year, wanted
from crawler.state import Child, Node, open_state
from crawler.tls import response_outcome
from crawler.urls import host
from crawler.years import parse_years
from pipelines.metadata import years_named

log = logging.getLogger(__name__)
# Progress lines have a logger of their own, shown whatever the log level (crawler.process).
progress_log = logging.getLogger("crawler.progress")
DAY = 86400.0
LIST_ROLES = ("column", "page", "api")
NAV_ROLES = ("home", "nav", "shell")
# Documents first: a run's finished work is what survives a kill, and the queue stays short.
PRIORITY = {"file": 30, "doc": 20, "page": 10, "api": 10, "column": 5, "shell": 5, "nav": 0, "home": 0}
MAX_COLUMN_DEPTH = 4


def _title_year(title: str) -> int | None:
    """The one year a column's title names ("2024年度"); None for none or several ("2019-2024年")."""
    years = set(years_named(title or ""))
    return int(years.pop()) if len(years) == 1 else None


class ReportsSpider(scrapy.Spider):
    name = "reports"

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
        self.record = RunRecord(self.run_id, (self.years.start, self.years.stop - 1))
        self.record.portals = {t.portal: PortalRecord(t.portal, t.agency) for t in self.targets}
        self.hints = {t.portal: t.platform for t in self.targets}
        self.requested: dict[str, int] = {}  # requests per portal (the budget)
        self.seen_entries: set[str] = set()  # documents visited this run
        self.listed: set[str] = set()  # every entry of every list this run (report or not)
        self.seen_nodes: set[str] = set()
        self.archive = None
        self.frontier = None  # a distributed crawl's shared frontier (crawler.distributed), set by its scheduler

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        s = crawler.settings
        spider.archive = open_archive(s.get("NIANBAO_DB"), s.get("NIANBAO_DATA"))
        with spider.archive.engine.begin() as conn:
            register_agencies(conn, reg.agency_records(spider.rows))
        spider.state = open_state(spider.archive, shared=bool(s.get("NIANBAO_REDIS")))
        spider.worker = s.get("NIANBAO_WORKER")  # a distributed worker: its own WARC file and run record file
        spider.state.load_archive(spider.archive)
        spider.budget = s.getint("NIANBAO_PORTAL_BUDGET")
        spider.nav_depth = s.getint("NIANBAO_NAV_DEPTH")
        spider.max_pages = s.getint("NIANBAO_MAX_PAGES")
        spider.nav_ttl = s.getfloat("NIANBAO_NAV_TTL_DAYS") * DAY
        spider.listing_ttl = s.getfloat("NIANBAO_LISTING_TTL_DAYS") * DAY
        spider.document_ttl = s.getfloat("NIANBAO_DOCUMENT_TTL_DAYS") * DAY
        spider.progress_every = s.getfloat("NIANBAO_PROGRESS_SECONDS")
        return spider

    # -- start --------------------------------------------------------------------------------------------------
    async def start(self):
        self.record.started = time.time()
        if self.progress_every > 0:
            self._progress = task.LoopingCall(self.progress)
            self._progress.start(self.progress_every, now=False)
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
        return [Child(u, "column") for u in target.entries] or [Child(target.portal, "home")]

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
        if child.role in ("page", "api") and parent_unchanged:
            return True  # the list's first page is unchanged, so are the pages behind it
        if child.role in NAV_ROLES:
            return age < self.nav_ttl
        return node.cold and age < self.listing_ttl

    def _visit_document(self, child: Child, portal: str, depth: int):
        if child.url in self.seen_entries and child.role == "file":
            return
        self.seen_entries.add(child.url)
        known = self.state.known.get(child.url)
        if child.url in self.state.failed:
            return
        if known is not None and time.time() - known.fetched_at < self.document_ttl:
            node = self.state.node(child.key) if child.role == "doc" else None
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
            yield from self.visit(child, portal, depth + (child.role in ("nav", "column")), unchanged)

    def _request(self, child: Child, portal: str, depth: int, node: Node | None, known=None):
        if self.frontier is not None:
            count = self.frontier.spend(portal)  # the budget is shared by every worker
        else:
            count = self.requested[portal] = self.requested.get(portal, 0) + 1
        if count > self.budget:
            if count == self.budget + 1:
                self.record.portals[portal].errors["budget"] += 1
                log.warning("%s: page budget of %d requests spent; the rest is cut off", portal, self.budget)
            return
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
        self.record.requests += 1
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
                record.errors["soft_404"] += 1
                return
            yield self._fetched(response, child, portal, "listing")
            children, cold = self.derive(page, child, portal, depth)
            digest = hashlib.sha256("\n".join(sorted(c.key for c in children)).encode()).hexdigest()
            unchanged = old is not None and old.digest == digest
            if not unchanged and old is not None:
                children = self._stop_paging(children)
        self.state.save(Node(key, child.url, child.role, now, _header(response, "ETag"),
                             _header(response, "Last-Modified"), digest, cold, children))
        for grandchild in children:
            step = 1 if grandchild.role in ("nav", "column") else 0
            yield from self.visit(grandchild, portal, depth + step, unchanged)

    def _recall(self, node: Node, portal: str) -> None:
        """A list not read again (still fresh, or answered 304) counts in the run record as `derive` counts a list
        it reads: an incremental run must not look like a portal whose report column vanished."""
        record = self.record.portals[portal]
        documents = [c for c in node.children if c.role == "doc"]
        record.columns += node.role in ("column", "shell") or (node.role in ("home", "nav") and bool(documents))
        record.listed += sum(1 for c in documents if c.url not in self.seen_entries)

    def _stop_paging(self, children: list[Child]) -> list[Child]:
        """A changed page of a list walked before: once it holds only known documents, the older pages behind
        it hold nothing new (lists are newest first), so paging stops here."""
        documents = [c for c in children if c.role == "doc"]
        if documents and all(self.state.document_done(c.url) for c in documents):
            return [c for c in children if c.role not in ("page", "api")]
        return children

    def derive(self, page: Page, child: Child, portal: str, depth: int) -> tuple[list[Child], bool]:
        """The children of a navigation or list page, and whether the page is a list of past years only."""
        record = self.record.portals[portal]
        if child.role in ("home", "nav"):
            platform = detect(page, self.hints.get(portal))
            if platform.name != "gkmlpt":
                return self._navigate(page, child, depth), False
        if child.role == "api":
            listing = BY_NAME[child.family].api(page)
        else:
            listing = detect(page, self.hints.get(portal)).listing(page)
        record.family = record.family or listing.family
        record.columns += child.role in ("column", "shell", "home", "nav")
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
            out.append(Child(entry.url, "doc", title=entry.title, agency=verdict.agency, year=year, date=entry.date))
        for call in listing.calls:
            if call.role in ("page", "api") and child.role in ("page", "api") and not new_entries:
                continue  # a page adding nothing new: the end of the list, or a trap
            if call.role == "column":
                year = _title_year(call.title)
                if (year and year not in self.years) or depth >= MAX_COLUMN_DEPTH:
                    continue
            out.append(Child(call.url, call.role, call.method, call.body, call.title, family=listing.family))
        title_year = _title_year(child.title)
        newest = max(years) if years else title_year
        # Done lists are revisited on a TTL only. A column of one year (its title says which) fills up until the newest
        # requested year's reports come out: the year before's were due the March before, late ones since out. A
        # mixed list may still get the newest year's first report, so it is done only when even its newest is older.
        if title_year:
            cold = title_year < self.years.stop - 1
        else:
            cold = newest is not None and 0 < newest < self.years.stop - 2
        return out, cold

    def _navigate(self, page: Page, child: Child, depth: int) -> list[Child]:
        links = [(url, a.text_content() or a.get("title") or "") for a, url in page.anchors(main_only=False)]
        here = host(page.url)
        links = [(u, t) for u, t in links if host(u) == here]
        columns = best(links, report_score, REPORT_MIN, 3)
        if columns:
            return [Child(s.url, "column", title=s.text.strip()) for s in columns]
        if depth + 1 >= self.nav_depth:
            return []
        return [Child(s.url, "nav", title=s.text.strip()) for s in best(links, openness_score, OPENNESS_MIN, 2)]

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
                record.errors["soft_404"] += 1
                self.state.fail(child.url, "soft 404")
                if response.meta.get("parts"):
                    yield from self._joined(response.meta["first"], response.meta["parts"], response.meta["files"],
                                            portal, depth, missing=child.url)
                return
            if child.role == "doc":
                children = [Child(u, "file", agency=child.agency, year=child.year, title=child.title)
                            for u in attachments(page) if u != child.url]
                following = next_part(page)
                if following or "parts" in response.meta:
                    yield from self._article_part(response, page, children, following, portal, depth)
                    return
        if child.role == "doc":
            self.state.save(Node(child.key, child.url, "doc", time.time(), _header(response, "ETag"),
                                 _header(response, "Last-Modified"), None, False, children))
        record.documents += 1
        yield self._fetched(response, child, portal, "document")
        for grandchild in children:
            yield from self.visit(grandchild, portal, depth + 1)

    def _article_part(self, response, page: Page, files: list[Child], following: str | None, portal: str,
                      depth: int):
        """A part of a paged TRS article: into the WARC as fetched; then the next part is asked for, or, after the
        last, the parts are joined into the one document the archive ingests (`crawler.platforms.trs_article`)."""
        child: Child = response.meta["child"]
        first: Child = response.meta.get("first", child)
        fetched = self._fetched(response, child, portal, "listing")
        yield fetched
        # Plain values, not the parsed page: request meta must pickle (JOBDIR, the distributed frontier).
        parts = [*response.meta.get("parts", []), (page.url, page.text, page.content_type, fetched)]
        files = [*response.meta.get("files", []), *(f for f in files if f not in response.meta.get("files", []))]
        if following and following not in {url for url, *_ in parts}:
            nxt = Child(following, "doc", title=first.title, agency=first.agency, year=first.year)
            for request in self._request(nxt, portal, depth, None):
                request.meta.update(first=first, parts=parts, files=files)
                yield request
            return
        yield from self._joined(first, parts, files, portal, depth)

    def _joined(self, first: Child, parts: list, files: list[Child], portal: str, depth: int,
                missing: str | None = None):
        """The parts fetched as one document; `missing` names a part that could not be fetched (the rest is kept)."""
        head: Fetched = parts[0][3]
        try:
            body = join_parts([Page(url, text, content_type) for url, text, content_type, _ in parts])
        except ValueError as exc:  # no pager to cut at: keep the first part as it came, and say so in the record
            log.warning("%s: parts not joined: %s", first.url, exc)
            self.record.portals[portal].errors["parts_not_joined"] += 1
            body = head.body
        kept = [(k, v) for k, v in head.headers if k.lower() not in ("content-type", "content-length")]
        headers = [*kept, ("Content-Type", "text/html; charset=utf-8"),
                   ("X-Nianbao-Parts", " ".join(url for url, *_ in parts))]
        if missing:
            headers.append(("X-Nianbao-Parts-Missing", missing))
        validators = {k.lower(): v for k, v in head.headers}
        self.state.save(Node(first.key, first.url, "doc", time.time(), validators.get("etag"),
                             validators.get("last-modified"), None, False, files))
        self.record.portals[portal].documents += 1
        yield replace(head, kind="document", body=body, headers=headers,
                      capture=replace(head.capture, headers=dict(headers)))
        for grandchild in files:
            yield from self.visit(grandchild, portal, depth + 1)

    # -- helpers ------------------------------------------------------------------------------------------------
    @staticmethod
    def _page(response, child: Child) -> Page:
        text = response.text if isinstance(response, TextResponse) else response.body.decode("utf-8", "replace")
        return Page(response.url, text, _header(response, "Content-Type") or "", child.method, child.body)

    def _fetched(self, response, child: Child, portal: str, kind: str) -> Fetched:
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
        request = failure.request
        child: Child = request.meta["child"]
        portal, depth = request.meta["portal"], request.meta["depth"]
        record = self.record.portals[portal]
        if request.meta.get("parts"):  # a later part of a paged article failed: the parts fetched are kept
            yield from self._joined(request.meta["first"], request.meta["parts"], request.meta["files"], portal, depth,
                                    missing=request.url)
        if failure.check(HttpError):
            status = failure.value.response.status
            # A portal whose entry answers only gateway errors (after retries) is down, as far as anyone can tell.
            kind = "unreachable" if depth == 0 and status in (502, 503, 504) else f"http_{status}"
            if child.is_document and status in (404, 410):
                self.state.fail(child.url, kind)
        elif failure.check(IgnoreRequest):
            message = str(failure.value)
            kind = "robots" if "robots" in message.lower() or "Forbidden by robots" in message else \
                "host_guard" if "host guard" in message else "blocked" if "challenge" in message else "ignored"
            if child.is_document and kind in ("robots", "host_guard"):
                self.state.fail(child.url, kind)
        else:
            kind = "unreachable" if depth == 0 else "network"
            if "Cancel" in type(failure.value).__name__ or "maxsize" in str(failure.value):
                kind = "too_large"
                if child.is_document:
                    self.state.fail(child.url, kind)
            elif depth == 0 and not request.meta.get("scheme_fallback"):
                # http↔https: a portal may answer on the other scheme only.
                parts = urlsplit(request.url)
                other = urlunsplit(("http" if parts.scheme == "https" else "https", *parts[1:]))
                self.seen_nodes.discard(child.key)
                yield request.replace(url=other, dont_filter=True,
                                      meta={**request.meta, "child": Child(other, child.role, child.method,
                                                                           child.body, child.title),
                                            "scheme_fallback": True})
                return
        record.errors[kind] += 1
        log.info("%s: %s %s", kind, request.method, request.url)
        if self.frontier is not None:
            self.frontier.done(request)

    # -- the archive's side -------------------------------------------------------------------------------------
    def archived(self, done) -> None:
        """Documents the archive has committed (called on the reactor thread by the item pipeline)."""
        for capture, outcome, failure in done:
            self.state.archived(capture.requested_url, capture.fetched_at.timestamp(), capture.header("ETag"),
                                capture.header("Last-Modified"))
            if self.frontier is not None:
                self.frontier.committed(capture.requested_url)
            record = self.record.portals.get(capture.portal)
            if record is not None:
                record.outcomes[OUTCOME_COLUMN[outcome]] += 1
                if error := failure_error(failure):
                    record.errors[error] += 1

    def archive_failed(self, exc: BaseException) -> None:
        self.crawler.engine.close_spider(self, "archive_failed")

    def progress(self) -> None:
        t = self.record.totals()
        seconds = max(0.1, time.time() - self.record.started)
        progress_log.info("progress: %d pages (%.0f/s), %d documents, reports %d new / %d updated / %d unchanged",
                 t["pages"], t["pages"] / seconds, t["documents"], t["new"], t["updated"], t["unchanged"])

    def closed(self, reason: str) -> None:
        if getattr(self, "_progress", None) is not None and self._progress.running:
            self._progress.stop()
        self.record.finished = time.time()
        self.record.reason = reason
        self.record.requests = self.crawler.stats.get_value("downloader/request_count", 0)
        with self.archive.engine.begin() as conn:
            save_record(conn, self.record)
        self.record_path = self.record.write(self.archive.data_dir / "runs" / (self.worker or ""))
        self.state.close()
        log.info("%s", self.record.summary())


def _header(response, name: str) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value else None
