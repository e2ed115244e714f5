"""Progress of a discovery run, an extension on Scrapy's signals (as `crawler.run_record` is for report crawls): every
NIANBAO_PROGRESS_SECONDS a line with the pages fetched and recalled, the governments bound, the units listed, the
conflicts and the failures so far; and the run's summary."""
from __future__ import annotations

import logging
import time
from collections import Counter

from scrapy import signals
from twisted.internet import task

from crawler.run_record import progress_log

log = logging.getLogger(__name__)
LEVEL_ORDER = ("province", "prefecture", "county", "township", "department")
MAX_LISTED = 20


def line(spider) -> str:
    f = spider.findings
    units = sum(len(v) for v in f.entries.values())
    return (f"discovery: {spider.fetched} pages fetched, {spider.recalled} recalled; {len(f.sites)} portals bound, "
            f"{sum(1 for c in f.columns.values() if c)} with a report column, {units} units listed, "
            f"{len(f.conflicts)} conflicts, {sum(f.errors.values())} failed requests")


class DiscoveryProgress:
    def __init__(self, crawler):
        self.every = crawler.settings.getfloat("NIANBAO_PROGRESS_SECONDS")
        self.ticker: task.LoopingCall | None = None
        self.spider = None
        self.started = time.monotonic()
        crawler.signals.connect(self.opened, signal=signals.spider_opened)
        crawler.signals.connect(self.closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def opened(self, spider) -> None:
        self.spider = spider
        self.started = time.monotonic()
        if self.every > 0:
            self.ticker = task.LoopingCall(self.progress)
            self.ticker.start(self.every, now=False)

    def progress(self) -> None:
        progress_log.info("[%5.0f s] %s", time.monotonic() - self.started, line(self.spider))

    def closed(self, spider, reason: str) -> None:
        if self.ticker is not None and self.ticker.running:
            self.ticker.stop()
        log.info("%s (%s)", line(spider), reason)


def summary(discovered, conflicts, findings, fetched: int, recalled: int, requests: int) -> list[str]:
    """The run's closing lines: what was found per level, the conflicts (each with its reason), the failures."""
    by_level = Counter(d.level for d in discovered)
    with_columns = Counter(d.level for d in discovered if d.column_urls)
    levels = ", ".join(f"{by_level[lv]} {lv}" + (f" ({with_columns[lv]} with report columns)" if lv in with_columns
                                                   else "") for lv in LEVEL_ORDER if by_level[lv])
    out = [f"discovered {len(discovered)} agencies: {levels or 'none'}",
           (f"requests: {requests} sent (robots.txt and retries included): {fetched} pages read, {recalled} "
            "recalled from earlier runs")]
    out.append(f"{len(conflicts)} conflicts (bound to nothing)" + (":" if conflicts else ""))
    out += [f"  {c.url}: {c.claims}: {c.reason}" for c in conflicts[:MAX_LISTED]]
    if len(conflicts) > MAX_LISTED:
        out.append(f"  … {len(conflicts) - MAX_LISTED} more")
    if findings.errors:
        out.append("failed requests: " + ", ".join(f"{n} {kind}" for kind, n in findings.errors.most_common()))
    return out
