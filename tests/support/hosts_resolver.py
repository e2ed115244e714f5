"""A DNS resolver for crawls in tests (Scrapy's DNS_RESOLVER): names listed in NIANBAO_TEST_HOSTS
("name=address,…") resolve to the given addresses, as split-horizon DNS would make them; others go to the system."""
from __future__ import annotations

import os

from scrapy.resolver import CachingThreadedResolver
from twisted.internet import defer


class HostsResolver(CachingThreadedResolver):
    def getHostByName(self, name: str, timeout=()):  # noqa: N802 (Twisted's name)
        table = dict(pair.split("=", 1) for pair in os.environ.get("NIANBAO_TEST_HOSTS", "").split(",") if pair)
        if name in table:
            return defer.succeed(table[name])
        return super().getHostByName(name, timeout)
