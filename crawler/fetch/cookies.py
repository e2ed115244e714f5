"""Scrapy's cookie middleware, deciding public suffixes with the list bundled in tldextract, never downloaded.

Scrapy builds its suffix splitter when its cookie module is imported, with tldextract's defaults: on first use they
fetch the Public Suffix List from publicsuffix.org and a GitHub mirror, hosts outside what a crawl may reach (and,
offline, a page of tracebacks before tldextract falls back to its snapshot anyway). The snapshot is what answers here.
"""
from __future__ import annotations

from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares import cookies
from tldextract import TLDExtract

# No URLs to fetch, no cache to write: the snapshot shipped with the installed tldextract.
BUNDLED_SUFFIXES = TLDExtract(suffix_list_urls=(), cache_dir=None, include_psl_private_domains=True)


class BundledSuffixCookies(cookies.CookiesMiddleware):
    @classmethod
    def from_crawler(cls, crawler: Crawler) -> BundledSuffixCookies:
        # Scrapy offers no setting for it: its module's splitter is replaced, for every crawl of this process.
        cookies._split_domain = BUNDLED_SUFFIXES
        return super().from_crawler(crawler)
