"""The per-portal request budget, a spider middleware: a portal that asks for more than NIANBAO_PORTAL_BUDGET
requests is a trap (an endless calendar, a list that pages forever) and the rest of its requests are cut off.

Requests are counted as the spider makes them (meta["portal"]), before the duplicate filter, as the spider did when
it kept the count itself; a distributed crawl counts in the shared frontier, so that the budget is the run's and not
each worker's. The cut is counted once per portal in the run record (`budget`).
"""
from __future__ import annotations

import logging
from collections import Counter

from scrapy import Request

from archive.runs import Failure

log = logging.getLogger(__name__)


class PortalBudget:
    def __init__(self, crawler):
        self.crawler = crawler
        self.budget = crawler.settings.getint("NIANBAO_PORTAL_BUDGET")
        self.spent: Counter = Counter()

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def admit(self, portal: str) -> bool:
        """Whether one more request for `portal` is within its budget."""
        spider = self.crawler.spider
        if spider.frontier is not None:
            count = spider.frontier.spend(portal)
        else:
            self.spent[portal] += 1
            count = self.spent[portal]
        if count == self.budget + 1:
            spider.record.portals[portal].errors[Failure.BUDGET] += 1
            log.warning("%s: page budget of %d requests spent; the rest is cut off", portal, self.budget)
        return count <= self.budget

    async def process_spider_output(self, response, result):
        async for out in result:
            if isinstance(out, Request) and "portal" in out.meta and not self.admit(out.meta["portal"]):
                continue
            yield out
