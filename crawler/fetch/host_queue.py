"""The scheduler's choice of host: every portal started at once, then the hosts with the most requests waiting, and
never a request for a host that already has all it may take.

With two requests at most per host, a portal with much to fetch — dozens of departments' sites, slow or flaky
responses — takes long whatever the crawler does, and fair shares (Scrapy's DownloaderAwarePriorityQueue: the hosts
with the fewest downloads under way first) left those portals to end the crawl alone: at scale 150 one gkmlpt portal
of 56 requests walked its departments one after another for 50 s while the rest was done by 40. Serving the host
with the longest queue first (among hosts under their limit) keeps the big portals' two connections busy from the
start; a host not yet started goes before any, since its work is unknown, and an idle host before a busy one.
Within a host, requests keep their priority order.

A host's count is the downloader's `in_flight` (fetch/downloader.py), from hand-out to the end of the middlewares,
not Scrapy's slot count, which misses requests still in the middlewares: the engine took a dozen requests of one
idle host in a row, and they waited in its slot holding CONCURRENT_REQUESTS places while a hundred and fifty other
hosts had work in the scheduler and nothing under way (measured at scale 150: ~45 downloads transferring of 128).
When every host with work waiting is at its limit, nothing is handed out; the next response asks again.
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import cast

from scrapy.pqueues import DownloaderAwarePriorityQueue, DownloaderInterface

from crawler.fetch.downloader import PoliteDownloader


class _HostsUnderLimit(DownloaderInterface):
    def __init__(self, crawler, limit: int):
        super().__init__(crawler)
        self.limit = limit

    def stats(self, possible_slots: Iterable[str]) -> list[tuple[int, str]]:
        # Scrapy types the engine's downloader as its base class; the DOWNLOADER setting makes it PoliteDownloader.
        in_flight = cast(PoliteDownloader, self.downloader).in_flight
        return [(in_flight[slot], slot) for slot in possible_slots if in_flight[slot] < self.limit]


class BusiestHostFirst(DownloaderAwarePriorityQueue):
    def __init__(self, crawler, *args, **kwargs):
        super().__init__(crawler, *args, **kwargs)
        per_host = crawler.settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN")
        self._downloader_interface = _HostsUnderLimit(crawler, per_host)
        self._begun: set[str] = set()

    def _next_slot(self, stats: list[tuple[int, str]], *, update_state: bool) -> str:
        # A host with nothing under way goes before one with a download under way: a flaky portal's retry or next
        # step, alone in its queue, otherwise waited behind the second requests of every busier host.
        _, slot = max(stats, key=lambda s: (s[1] not in self._begun, s[0] == 0, len(self.pqueues[s[1]])))
        if update_state:
            self._begun.add(slot)
        return slot
