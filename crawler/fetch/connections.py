"""Scrapy's HTTP/1.1 download handler, keeping as many connections alive as requests run at once.

Scrapy keeps CONCURRENT_REQUESTS_PER_DOMAIN idle connections per pool key, and every request through an HTTP proxy
shares one key (the proxy's): behind `http_proxy` all but two of the crawl's concurrent connections were closed after
each response and opened anew for the next request. Direct connections gain nothing and lose nothing: no more than
the per-host limit of them are ever open at once.
"""
from __future__ import annotations

from scrapy.core.downloader.handlers.http11 import HTTP11DownloadHandler


class PooledDownloadHandler(HTTP11DownloadHandler):
    def __init__(self, crawler):
        super().__init__(crawler)
        self._pool.maxPersistentPerHost = max(self._pool.maxPersistentPerHost,
                                              crawler.settings.getint("CONCURRENT_REQUESTS"))
