"""An extension for crawls in tests (EXTENSIONS): records in $NIANBAO_TEST_PROBE the most requests any request found
ahead of it in its host's download slot, i.e. handed to the downloader before the host could take them."""
from __future__ import annotations

import os

from scrapy import signals


class SlotQueueProbe:
    def __init__(self, crawler):
        self.crawler, self.most = crawler, 0
        crawler.signals.connect(self.reached, signals.request_reached_downloader)
        crawler.signals.connect(self.closed, signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def reached(self, request, spider):
        downloader = self.crawler.engine.downloader
        self.most = max(self.most, len(downloader.slots[downloader.get_slot_key(request)].queue))

    def closed(self, spider):
        with open(os.environ["NIANBAO_TEST_PROBE"], "w") as out:
            out.write(str(self.most))
