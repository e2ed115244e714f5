"""Downloader middlewares: the host guard, robots.txt, retries with backoff, encoding repair and challenge pages, each
one job. A request they refuse fails with a typed `crawler.fetch.failures.Refused`.

Order (see settings): the host guard first, so that nothing leaves for a host that is not allowed; challenge
detection after the cookies middleware has stored the challenge's Set-Cookie and before retries; encoding repair
last on the way back, so every callback's `response.text` is the truth.
"""
from __future__ import annotations

import ipaddress
import logging
import os
import random
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit
from urllib.request import getproxies, proxy_bypass

from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.exceptions import IgnoreRequest, UsageError
from scrapy.http import Request, TextResponse
from scrapy.utils.asyncio import sleep
from scrapy.utils.defer import maybe_deferred_to_future

from crawler.discovery.blocking import is_challenge, spelled_cookie
from crawler.fetch.failures import ChallengeBlocked, HostRefused, RobotsForbidden
from pipelines.decoding import decode

log = logging.getLogger(__name__)


def _address(hostname: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The IP address a host name is written as, or None for a name."""
    try:
        return ipaddress.ip_address(hostname.strip("[]"))
    except ValueError:
        return None


def _private(hostname: str) -> bool:
    if hostname in ("localhost", "localhost.localdomain") or hostname.endswith(".localhost"):
        return True
    address = _address(hostname)
    return address is not None and _private_address(address)


def _private_address(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Not on the public internet: private, loopback, link-local, reserved, and what `is_private` leaves out —
    carrier-grade NAT (100.64.0.0/10, where clouds keep their metadata service, 100.100.100.200) and 6to4 addresses
    (2002::/16) that carry a private IPv4 address. (IPv4-mapped, Teredo and NAT64 addresses are private or reserved
    as they are.)"""
    if address.is_private or address.is_loopback or address.is_link_local or address.is_reserved \
            or not address.is_global:
        return True
    embedded = address.sixtofour if isinstance(address, ipaddress.IPv6Address) else None
    return embedded is not None and _private_address(embedded)


def _proxied(url: str) -> bool:
    """Whether the request goes through an environment proxy (which then resolves the name, not us; NIANBAO_PROXY
    carries every request)."""
    parts = urlsplit(url)
    return parts.scheme in getproxies() and not proxy_bypass(parts.hostname or "")


class HostGuard:
    """Only registry hosts and allowed suffixes (*.gov.cn by default): spam clones of government pages live on
    other domains (domain.md §4). Loopback and private addresses as targets only when NIANBAO_ALLOW_PRIVATE is set.
    A proxy is the user's own and may be on them: NIANBAO_PROXY (`--proxy URL`) always, $http_proxy/$https_proxy
    with NIANBAO_TRUST_ENV_PROXY (`--trust-env-proxy`) or NIANBAO_ALLOW_PRIVATE (an environment proxy on loopback is
    otherwise refused: it may have been set for something else)."""

    def __init__(self, suffixes: list[str], allow_private: bool, proxy: str | None = None,
                 trust_env_proxy: bool = False):
        self.suffixes = tuple(s.lower().lstrip("*") for s in suffixes)
        self.allow_private = allow_private
        self.proxy = proxy
        if not (allow_private or trust_env_proxy or proxy):
            for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY"):
                value = os.environ.get(name)
                if value and _private(urlsplit(value if "://" in value else "http://" + value).hostname or ""):
                    raise UsageError(f"{name}={value} is a loopback or private address: if it is your own proxy, "
                                     f"say so with --proxy {value} or --trust-env-proxy (NIANBAO_TRUST_ENV_PROXY)")

    @classmethod
    def from_crawler(cls, crawler):
        s = crawler.settings
        guard = cls(s.getlist("NIANBAO_ALLOWED_SUFFIXES"), s.getbool("NIANBAO_ALLOW_PRIVATE"), s.get("NIANBAO_PROXY"),
                    s.getbool("NIANBAO_TRUST_ENV_PROXY"))
        guard.crawler = crawler
        return guard

    def allowed(self, hostname: str, registry_hosts: set[str]) -> bool:
        hostname = hostname.lower()
        if _private(hostname):
            return self.allow_private
        return hostname in registry_hosts or hostname.endswith(self.suffixes) or \
            any(hostname == s.lstrip(".") for s in self.suffixes)

    async def process_request(self, request):
        hostname = urlsplit(request.url).hostname or ""
        if not self.allowed(hostname, getattr(self.crawler.spider, "registry_hosts", set())):
            raise HostRefused(f"host guard: {hostname} is neither a registry host nor an allowed domain")
        if not self.allow_private and not (self.proxy or _proxied(request.url)) and _address(hostname) is None:
            # A government name may point into a private network (split-horizon DNS, a hijacked record): ask the
            # resolver the downloader itself uses (cached), so the check sees the address that will be contacted.
            from twisted.internet import reactor

            address = await maybe_deferred_to_future(reactor.resolve(hostname))
            if _private(address):
                raise HostRefused(f"host guard: {hostname} resolves to the private address {address}")
        return


class _WithoutTraceback(logging.Filter):
    """Scrapy logs a robots.txt it could not fetch with the whole traceback (a refused TLS tunnel, a name that does not
    resolve: the web's fault, not a bug), which a user reads as a crash. Its message already names the error, and the
    host's failure is recorded with the run's other failures, so the line stays and the traceback goes."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.exc_info, record.exc_text = None, None
        return True


ROBOTS_LOG = logging.getLogger(RobotsTxtMiddleware.__module__)
ROBOTS_LOG.addFilter(_WithoutTraceback())


class RobotsTxt(RobotsTxtMiddleware):
    """Scrapy's robots.txt middleware, its refusal typed."""

    def process_request_2(self, rp, request) -> None:
        try:
            super().process_request_2(rp, request)
        except IgnoreRequest as exc:
            raise RobotsForbidden(*exc.args) from None


def backoff_delay(retry: int, base: float, cap: float, retry_after: str | None = None,
                  jitter: float | None = None) -> float:
    """Seconds to wait before retry number `retry` (1, 2, …): the server's Retry-After when it gives one (seconds or
    an HTTP date), else `base` doubled per retry, at most `cap`, with jitter in [½, 1] so that the retries of many
    requests to a struggling host do not arrive together."""
    if retry_after:
        wanted: float | None
        try:
            wanted = float(retry_after)
        except ValueError:
            try:
                wanted = (parsedate_to_datetime(retry_after) - datetime.now(UTC)).total_seconds()
            except (TypeError, ValueError):
                wanted = None  # unreadable: the exponential pause
        if wanted is not None:
            return min(cap, max(0.0, wanted))
    share = random.uniform(0.5, 1.0) if jitter is None else jitter
    return min(cap, base * 2 ** (retry - 1)) * share


class BackoffRetry(RetryMiddleware):
    """Scrapy's retries (RETRY_TIMES, RETRY_HTTP_CODES, network errors), each after an exponentially growing pause:
    a server answering 500/503 is usually overloaded, and an immediate retry only adds to it."""

    def __init__(self, settings):
        super().__init__(settings)
        self.base = settings.getfloat("NIANBAO_RETRY_BACKOFF")
        self.cap = settings.getfloat("NIANBAO_RETRY_BACKOFF_MAX")

    async def _paused(self, retry: Request | None, retry_after: str | None = None) -> Request | None:
        if retry is not None and self.base > 0:
            await sleep(backoff_delay(retry.meta.get("retry_times", 1), self.base, self.cap, retry_after))
        return retry

    async def process_response(self, request, response):
        result = super().process_response(request, response)
        if isinstance(result, Request):
            value = response.headers.get("Retry-After")
            return await self._paused(result, value.decode("latin-1") if value else None)
        return result

    async def process_exception(self, request, exception):
        return await self._paused(super().process_exception(request, exception))


class ChallengePages:
    """A WAF challenge (200/412/521 with a cookie-setting script) is retried once with the cookie it hands out;
    a second challenge means the site is blocking us, and the page is dropped — never archived as content."""

    def __init__(self, crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_response(self, request, response):
        if not is_challenge(response.status, response.body):
            return response
        self.crawler.stats.inc_value("nianbao/challenges")
        if request.meta.get("nianbao_challenged"):
            raise ChallengeBlocked(f"challenge page again after its cookie: {request.url}")
        cookies = dict(request.cookies) if isinstance(request.cookies, dict) else {}
        spelled = spelled_cookie(response.body)
        if spelled:
            cookies.setdefault(*spelled)
        return request.replace(dont_filter=True, cookies=cookies, meta={**request.meta, "nianbao_challenged": True})


class EncodingRepair:
    """Chinese pages declare GBK as UTF-8 or Latin-1, or nothing: the body is decoded by `pipelines.decoding`
    (never by the declaration alone) and the response carries the encoding that actually worked."""

    def process_response(self, request, response):
        if not isinstance(response, TextResponse) or not response.body:
            return response
        _, encoding = decode(response.body, response.headers.get("Content-Type", b"").decode("latin-1"))
        # Not response.replace(): it reads every attribute of the old response first, and reading its encoding makes
        # Scrapy decode the body (detecting the charset when nothing is declared) only to throw the result away.
        kept = {name: getattr(response, name) for name in response.attributes if name != "encoding"}
        return type(response)(**kept, encoding=encoding)
