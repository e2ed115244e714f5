"""Scrapy's HttpProxyMiddleware with one more source: NIANBAO_PROXY, the proxy of every request (`--proxy URL`, the
sandbox's for `nianbao demo`). Scrapy's reads proxies from the environment only, and a crawl run in a process must
not change that process's environment to reach one. https goes through it as a CONNECT tunnel."""
from __future__ import annotations

from scrapy.downloadermiddlewares.httpproxy import HttpProxyMiddleware


class SettingsProxy(HttpProxyMiddleware):
    @classmethod
    def from_crawler(cls, crawler):
        middleware = super().from_crawler(crawler)
        if proxy := crawler.settings.get("NIANBAO_PROXY"):
            # As if it were $http_proxy and $https_proxy: what Scrapy does with those is done with this one.
            for scheme in ("http", "https"):
                middleware.proxies[scheme] = middleware._get_proxy(proxy, scheme)
        return middleware
