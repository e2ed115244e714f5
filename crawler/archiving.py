"""The item pipeline: every exchange into the WARC file, every report candidate into the archive.

Listing and navigation pages are provenance, not documents: they go to the WARC file only. Pages and files that
may be reports become captures and are ingested with extraction. Extraction is CPU work and runs in supervised
worker processes (`pipelines.workers`: a document that crashes, hangs or bloats its parser is archived with its
error, alone); ingestion (`Ingestor.ingest_many`, one transaction per batch) runs in a writer thread, so the crawl's
event loop does not wait for either — until the documents waiting for them pass NIANBAO_EXTRACT_BACKLOG_MB: then an
item waits too, its response keeps its place in Scrapy's scraper, and the engine stops downloading once those fill
SCRAPER_SLOT_MAX_ACTIVE_SIZE, so memory stays bounded however far the crawl runs ahead of extraction. The spider
and the run record learn of each committed document through the `documents_committed` signal, sent on the reactor
thread: only then is the document done for resumption.
"""
from __future__ import annotations

import logging
import queue
import threading
from dataclasses import replace
from typing import Protocol, runtime_checkable

from scrapy.crawler import Crawler
from scrapy.utils.asyncio import sleep
from twisted.internet import reactor, task

from archive.ingest.ingestor import Ingestor
from archive.registry.discovered import attach_discovered
from archive.store.db import Archive, open_archive
from archive.store.warc import WarcFile
from crawler.constants import Kind
from crawler.items import Fetched
from crawler.run_record import documents_committed
from pipelines.document import Failure
from pipelines.extract import PARSER_VERSION
from pipelines.limits import Limits
from pipelines.workers import ExtractionPool

log = logging.getLogger(__name__)
_STOP = object()


# The crawl's event loop goes first: with both at one priority, responses waited their turn behind extraction (a
# hundred of them in Scrapy's scraper), slow portals' next steps with them, and those portals ended the crawl alone
# with the cores idle. Extraction's backlog is done meanwhile (bench.crawl at scale 150, A/B on one machine: 97, 99,
# 102 pages/s at one priority; 102, 108, 115, 111 with the workers niced).
WORKER_NICENESS = 10


@runtime_checkable
class ArchivingSpider(Protocol):
    """What the pipeline reads of its spider (`ReportsSpider` sets them)."""

    archive: Archive | None  # the spider's open archive, shared; None: the pipeline opens NIANBAO_DB itself
    run_id: str
    worker: str | None  # a distributed worker's name: its own WARC file


class ArchivePipeline:
    crawler: Crawler  # set by from_crawler

    def __init__(self, db: str | None, data: str | None, workers: int, batch: int, backlog: int,
                 limits: Limits | None = None):
        self.db, self.data, self.workers, self.batch, self.backlog = db, data, workers, batch, backlog
        self.limits = limits or Limits()
        self.waiting = 0  # bytes of documents handed to extraction and not yet committed

    @classmethod
    def from_crawler(cls, crawler):
        s = crawler.settings
        pipeline = cls(s.get("NIANBAO_DB"), s.get("NIANBAO_DATA"), s.getint("NIANBAO_EXTRACT_WORKERS"),
                       s.getint("NIANBAO_INGEST_BATCH"), int(s.getfloat("NIANBAO_EXTRACT_BACKLOG_MB") * 2**20),
                       Limits.from_settings(s))
        pipeline.crawler = crawler
        return pipeline

    def open_spider(self) -> None:
        spider = self.crawler.spider
        if not isinstance(spider, ArchivingSpider):
            raise TypeError(f"the archive pipeline needs a spider with archive, run_id and worker, not {spider!r}")
        self.spider: ArchivingSpider = spider
        self.archive: Archive = spider.archive or open_archive(self.db, self.data)
        # Records are fsynced once per batch, by the writer thread, before the batch's rows are committed.
        self.warc: WarcFile = WarcFile(self.archive.warc_dir, ".".join(filter(None, (spider.run_id, spider.worker))),
                                       sync_each=False)
        # Without workers (NIANBAO_EXTRACT_WORKERS=0) the ingestor extracts in this process, unguarded.
        self.pool: ExtractionPool | None = (ExtractionPool(self.workers, self.limits, WORKER_NICENESS) if self.workers
                                            else None)
        self.ingestor: Ingestor = Ingestor(self.archive, spider.run_id, extractor=self.pool,
                                           parser_version=PARSER_VERSION if self.pool else None)
        self.queue: queue.Queue = queue.Queue()
        self.error: BaseException | None = None
        self.thread: threading.Thread = threading.Thread(target=self._writer, name="archive-writer", daemon=True)
        self.results: queue.Queue = queue.Queue()
        self.thread.start()
        # Committed documents reach the spider on the reactor thread, not from the writer thread.
        self.drainer: task.LoopingCall = task.LoopingCall(self.drain)
        self.drainer.start(0.5, now=False)

    def drain(self) -> None:
        done = []
        while True:
            try:
                done += self.results.get_nowait()
            except queue.Empty:
                break
        if done:
            self.waiting -= sum(capture.size for capture, _, _ in done)
            self.crawler.signals.send_catch_log(documents_committed, done=done)

    async def process_item(self, item: Fetched) -> Fetched:
        if self.waiting > self.backlog:
            self.crawler.stats.inc_value("nianbao/extraction_backlog_waits")
            while self.waiting > self.backlog and self.error is None:
                await sleep(0.1)
        exchange = item.capture
        # The spider records every exchange's final URL and status (a capture imported from a file has neither).
        assert exchange.final_url is not None and exchange.status is not None
        ref = self.warc.write_exchange(exchange.final_url, exchange.status, item.headers, item.body,
                                       exchange.fetched_at, request_headers=item.request_headers or None,
                                       method=item.method)
        if item.kind == Kind.DOCUMENT:
            size = len(item.body)
            capture = replace(exchange, size=size, warc_file=ref.file, warc_record_id=ref.record_id,
                              warc_offset=ref.offset)
            future = self.pool.submit(item.body, exchange.final_url) if self.pool else None
            self.queue.put((capture, item.body, future))
            self.waiting += size
        return item

    def _writer(self) -> None:
        try:
            # Joint readings of pages and their table pictures that a killed run left undone (archive.ingest.pictures).
            self.ingestor.join_all_pictures()
        except BaseException as exc:
            self._failed(exc)
            return
        done = False
        while not done:
            batch = [self.queue.get()]
            while len(batch) < self.batch:
                try:
                    batch.append(self.queue.get(timeout=0.2))
                except queue.Empty:
                    break
            if batch[-1] is _STOP:
                batch.pop()
                done = True
            if not batch:
                continue
            try:
                work = [(c, data, f.result() if f else None) for c, data, f in batch]
                self.warc.sync()
                outcomes = self.ingestor.ingest_many(work, batch=self.batch)
                kinds = [result.kind if isinstance(result, Failure) else None for _, _, result in work]
            except BaseException as exc:
                self._failed(exc)
                return
            self.results.put([(c, o, k) for (c, _, _), o, k in zip(batch, outcomes, kinds)])

    def _failed(self, exc: BaseException) -> None:
        """The crawl must stop, not lose documents silently."""
        log.error("archiving failed", exc_info=exc)
        self.error = exc
        reactor.callFromThread(self.crawler.engine.close_spider, self.spider, "archive_failed")

    async def close_spider(self) -> None:
        self.queue.put(_STOP)
        # The documents still extracting are committed while the event loop runs on: a long backlog (hundreds of
        # documents at the end of a crawl) goes on showing progress instead of freezing the crawl.
        while self.thread.is_alive():
            await sleep(0.5)
        self.thread.join()
        if self.drainer.running:
            self.drainer.stop()
        self.drain()
        if self.pool:
            self.pool.close()
        self.ingestor.finish()
        self.warc.close()
        attach_discovered(self.archive, self.spider.run_id)
        if self.error:
            raise self.error
