"""Running the `reports` spider in this process (`nianbao crawl`, `nianbao demo`, the benchmark).

A Twisted reactor runs once per process: callers that need several crawls run each in its own process.
"""
from __future__ import annotations

import logging
import sys
from dataclasses import dataclass
from pathlib import Path

from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings

from archive.registry.bindings import Conflict, Discovered
from archive.runs import RunRecord
from crawler import settings as defaults
from crawler.discovery.findings import Findings


@dataclass
class CrawlResult:
    record: RunRecord
    record_path: Path | None
    stats: dict


def settings(overrides: dict | None = None) -> Settings:
    s = Settings()
    s.setmodule("crawler.settings", priority="project")
    for name, value in (overrides or {}).items():
        s.set(name, value, priority="cmdline")
    return s


def crawl(registry: str | Path, years: str = defaults.NIANBAO_YEARS, run_id: str | None = None,
          overrides: dict | None = None) -> CrawlResult:
    """Crawl every portal of `registry` into the archive named by NIANBAO_DB / NIANBAO_DATA in `overrides`."""
    from crawler.run_record import progress_log
    from crawler.spiders.reports import ReportsSpider

    process = CrawlerProcess(settings(overrides))
    _show_progress(process.settings, progress_log)
    crawler = process.create_crawler(ReportsSpider)
    process.crawl(crawler, registry=str(registry), years=years, run_id=run_id)
    process.start()
    spider = crawler.spider
    assert isinstance(spider, ReportsSpider)  # the crawler made it (create_crawler above) and keeps it
    return CrawlResult(spider.record, getattr(spider, "record_path", None), dict(crawler.stats.get_stats()))


@dataclass
class DiscoveryResult:
    discovered: list[Discovered]
    conflicts: list[Conflict]
    findings: Findings
    fetched: int  # pages fetched this run
    recalled: int  # pages routed from memory (read within the revisit interval)
    stats: dict


def discover(province: str, levels: str = defaults.NIANBAO_DISCOVERY_LEVELS, start: str | None = None,
             overrides: dict | None = None) -> DiscoveryResult:
    """Discover the portals, report columns and units of `province` (`crawler.spiders.discover`)."""
    from crawler.run_record import progress_log
    from crawler.spiders.discover import DiscoverSpider

    process = CrawlerProcess(settings({**defaults.PRESETS["discover"], **(overrides or {})}))
    _show_progress(process.settings, progress_log)
    crawler = process.create_crawler(DiscoverSpider)
    process.crawl(crawler, province=province, levels=levels, start=start)
    process.start()
    spider = crawler.spider
    assert isinstance(spider, DiscoverSpider)  # the crawler made it (create_crawler above) and keeps it
    discovered, conflicts = spider.findings.assemble(spider.gaz, spider.levels)
    return DiscoveryResult(discovered, conflicts, spider.findings, spider.fetched, spider.recalled,
                           dict(crawler.stats.get_stats()))


def _show_progress(s: Settings, progress: logging.Logger) -> None:
    """Progress on stderr also when the log level hides INFO (`nianbao demo` logs warnings only): a long crawl must
    not look hung. `--quiet` turns progress off instead (NIANBAO_PROGRESS_SECONDS=0)."""
    level = logging.getLevelName(s.get("LOG_LEVEL"))
    if s.getfloat("NIANBAO_PROGRESS_SECONDS") <= 0 or not isinstance(level, int) or level <= logging.INFO:
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(s.get("LOG_FORMAT"), s.get("LOG_DATEFORMAT")))
    progress.addHandler(handler)
    progress.setLevel(logging.INFO)
    progress.propagate = False
