"""Scrapy's downloader, holding every slot (host) to its concurrency, CONCURRENT_REQUESTS_PER_DOMAIN.

Scrapy 2.19 on the asyncio reactor starts each download from a slot's queue as a task, and a request only counts as
transferring once its task runs; `_process_queue` therefore saw the slot's room unchanged and handed out its whole
queue at once. Without a download delay (AutoThrottle off) a host got up to ten requests at a time where two were
allowed (tests/test_crawler_politeness.py counts them on the server). Here a request counts as transferring as soon as
it is handed out; `Downloader._download` adds it again (a set) and removes it when its response is in.
"""
from __future__ import annotations

from time import monotonic

from scrapy.core.downloader import Downloader, Slot
from scrapy.utils.asyncio import call_later
from scrapy.utils.defer import _schedule_coro


class PoliteDownloader(Downloader):
    def _process_queue(self, slot: Slot) -> None:
        # Scrapy's own method but for the line marked.
        if slot.latercall:
            return
        now = monotonic()
        delay = slot.download_delay()
        if delay:
            penalty = delay - now + slot.lastseen
            if penalty > 0:
                slot.latercall = call_later(penalty, self._latercall, slot)
                return
        while slot.queue and slot.free_transfer_slots() > 0:
            slot.lastseen = now
            request, queue_dfd = slot.queue.popleft()
            slot.transferring.add(request)  # the line
            _schedule_coro(self._wait_for_download(slot, request, queue_dfd))
            if delay:  # one request at a time when requests are spaced out
                self._process_queue(slot)
                break
