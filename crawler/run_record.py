"""The run record of a crawl, kept by an extension on Scrapy's signals: created when the spider opens, told of every
document the archive commits, logged as progress every NIANBAO_PROGRESS_SECONDS, and saved when the spider closes
(into the archive's run tables through `archive.runs.save_record`, and as `runs/RUN.json`).

The spider counts what only it can tell (pages, lists, columns, documents handed on, errors); this extension counts
what the archive reports and owns the record's life.
"""
from __future__ import annotations

import logging
import time

from scrapy import signals
from twisted.internet import task

from archive.ingest.ingestor import failure_error
from archive.runs import OUTCOME_COLUMN, PortalRecord, RunRecord, save_record

log = logging.getLogger(__name__)
# Progress lines have a logger of their own, shown whatever the log level (crawler.process).
progress_log = logging.getLogger("crawler.progress")

# Sent by the item pipeline on the reactor thread with `done`, a list of (capture, outcome, failure kind) the
# archive has committed.
documents_committed = object()


class RunRecorder:
    record: RunRecord  # from the moment the spider opens

    def __init__(self, crawler):
        self.crawler = crawler
        self.every = crawler.settings.getfloat("NIANBAO_PROGRESS_SECONDS")
        self.ticker: task.LoopingCall | None = None
        crawler.signals.connect(self.opened, signal=signals.spider_opened)
        crawler.signals.connect(self.committed, signal=documents_committed)
        crawler.signals.connect(self.closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def opened(self, spider) -> None:
        record = self.record = spider.record = RunRecord(spider.run_id, (spider.years.start, spider.years.stop - 1))
        record.portals = {t.portal: PortalRecord(t.portal, t.agency) for t in spider.targets}
        record.started = time.time()
        if self.every > 0:
            self.ticker = task.LoopingCall(self.progress)
            self.ticker.start(self.every, now=False)

    def committed(self, done) -> None:
        for capture, outcome, failure in done:
            portal = self.record.portals.get(capture.portal)
            if portal is not None:
                portal.outcomes[OUTCOME_COLUMN[outcome]] += 1
                if error := failure_error(failure):
                    portal.errors[error] += 1

    def progress(self) -> None:
        t = self.record.totals()
        seconds = max(0.1, time.time() - self.record.started)
        progress_log.info("progress: %d pages (%.0f/s), %d documents, reports %d new / %d updated / %d unchanged",
                 t["pages"], t["pages"] / seconds, t["documents"], t["new"], t["updated"], t["unchanged"])

    def closed(self, spider, reason: str) -> None:
        if self.ticker is not None and self.ticker.running:
            self.ticker.stop()
        record = self.record
        record.finished = time.time()
        record.reason = reason
        record.requests = self.crawler.stats.get_value("downloader/request_count", 0)
        with spider.archive.engine.begin() as conn:
            save_record(conn, record)
        spider.record_path = record.write(spider.archive.data_dir / "runs" / (spider.worker or ""))
        log.info("%s", record.summary())
