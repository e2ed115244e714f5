"""Scrapy's downloader, holding every slot (host) to its concurrency, CONCURRENT_REQUESTS_PER_DOMAIN.

Scrapy 2.19 on the asyncio reactor starts each download from a slot's queue as a task, and a request only counts as
transferring once its task runs; `_process_queue` therefore saw the slot's room unchanged and handed out its whole
queue at once. Without a download delay (AutoThrottle off) a host got up to ten requests at a time where two were
allowed (tests/e2e/test_crawler_politeness.py counts them on the server). Here a request counts as transferring as
soon as it is handed out; `Downloader._download` adds it again (a set) and removes it when its response is in.

A slot counts a request only once it has passed the downloader middlewares' way in (robots.txt, the host guard);
`in_flight` counts a host's requests from the moment the engine hands them to the downloader until their response is
in (or a middleware drops them): what the scheduler must know not to hand a host more than it may take
(crawler/fetch/host_queue.py). A retry waiting out its backoff on the way back holds no connection and is not counted:
the engine is woken to fill its place.
"""
from __future__ import annotations

from collections import Counter
from time import monotonic

from scrapy import Request
from scrapy.core.downloader import Downloader, Slot
from scrapy.http import Response
from scrapy.utils.asyncio import call_later
from scrapy.utils.defer import _schedule_coro


class PoliteDownloader(Downloader):
    def __init__(self, crawler):
        super().__init__(crawler)
        self.in_flight: Counter[str] = Counter()
        self._counted: dict[Request, str] = {}

    def fetch(self, request):
        key = self.get_slot_key(request)
        self.in_flight[key] += 1
        self._counted[request] = key

        def left(result):
            self._release(request)
            return result

        return super().fetch(request).addBoth(left)

    async def _enqueue_request(self, request: Request) -> Response:
        try:
            return await super()._enqueue_request(request)
        finally:
            self._release(request)
            # The engine asks the scheduler again only once a request has passed every middleware: a host's room
            # would otherwise stay empty while a retry waits out its backoff.
            if self.crawler.engine._slot:
                self.crawler.engine._slot.nextcall.schedule()

    def _release(self, request: Request) -> None:
        key = self._counted.pop(request, None)
        if key is not None:
            self.in_flight[key] -= 1
            if not self.in_flight[key]:
                del self.in_flight[key]

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
