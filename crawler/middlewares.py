"""Downloader middlewares: the host guard, encoding repair and challenge pages, each one job.

Order (see settings): the host guard first, so that nothing leaves for a host that is not allowed; challenge
detection after the cookies middleware has stored the challenge's Set-Cookie and before retries; encoding repair
last on the way back, so every callback's `response.text` is the truth.
"""
from __future__ import annotations

import ipaddress
import logging
import os
from urllib.parse import urlsplit

from scrapy.exceptions import IgnoreRequest, UsageError
from scrapy.http import TextResponse

from crawler.blocking import is_challenge, spelled_cookie
from pipelines.decoding import decode

log = logging.getLogger(__name__)


def _private(hostname: str) -> bool:
    if hostname in ("localhost", "localhost.localdomain") or hostname.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(hostname.strip("[]"))
    except ValueError:
        return False
    return address.is_private or address.is_loopback or address.is_link_local or address.is_reserved


class HostGuard:
    """Only registry hosts and allowed suffixes (*.gov.cn by default): spam clones of government pages live on
    other domains (domain.md §4). Loopback and private addresses — as targets, or as the proxy — only when
    NIANBAO_ALLOW_PRIVATE is set (the sandbox is a proxy on loopback)."""

    def __init__(self, suffixes: list[str], allow_private: bool):
        self.suffixes = tuple(s.lower().lstrip("*") for s in suffixes)
        self.allow_private = allow_private
        if not allow_private:
            for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY"):
                proxy = os.environ.get(name)
                if proxy and _private(urlsplit(proxy if "://" in proxy else "http://" + proxy).hostname or ""):
                    raise UsageError(f"{name}={proxy} is a loopback or private address; allow it explicitly "
                                     "(--allow-private / NIANBAO_ALLOW_PRIVATE) if that is intended")

    @classmethod
    def from_crawler(cls, crawler):  # type: ignore[no-untyped-def]
        s = crawler.settings
        return cls(s.getlist("NIANBAO_ALLOWED_SUFFIXES"), s.getbool("NIANBAO_ALLOW_PRIVATE"))

    def allowed(self, hostname: str, registry_hosts: set[str]) -> bool:
        hostname = hostname.lower()
        if _private(hostname):
            return self.allow_private
        return hostname in registry_hosts or hostname.endswith(self.suffixes) or \
            any(hostname == s.lstrip(".") for s in self.suffixes)

    def process_request(self, request, spider):  # type: ignore[no-untyped-def]
        hostname = urlsplit(request.url).hostname or ""
        if not self.allowed(hostname, getattr(spider, "registry_hosts", set())):
            raise IgnoreRequest(f"host guard: {hostname} is neither a registry host nor an allowed domain")
        return None


class ChallengePages:
    """A WAF challenge (200/412/521 with a cookie-setting script) is retried once with the cookie it hands out;
    a second challenge means the site is blocking us, and the page is dropped — never archived as content."""

    def process_response(self, request, response, spider):  # type: ignore[no-untyped-def]
        if not is_challenge(response.status, response.body):
            return response
        spider.crawler.stats.inc_value("nianbao/challenges")
        if request.meta.get("nianbao_challenged"):
            raise IgnoreRequest(f"challenge page again after its cookie: {request.url}")
        cookies = dict(request.cookies) if isinstance(request.cookies, dict) else {}
        spelled = spelled_cookie(response.body)
        if spelled:
            cookies.setdefault(*spelled)
        return request.replace(dont_filter=True, cookies=cookies, meta={**request.meta, "nianbao_challenged": True})


class EncodingRepair:
    """Chinese pages declare GBK as UTF-8 or Latin-1, or nothing: the body is decoded by `pipelines.decoding`
    (never by the declaration alone) and the response carries the encoding that actually worked."""

    def process_response(self, request, response, spider):  # type: ignore[no-untyped-def]
        if not isinstance(response, TextResponse) or not response.body:
            return response
        _, encoding = decode(response.body, response.headers.get("Content-Type", b"").decode("latin-1"))
        return response.replace(encoding=encoding)
