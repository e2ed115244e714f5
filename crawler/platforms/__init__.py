"""CMS family adapters, chosen by detecting the family from the page itself (a registry hint only breaks ties)."""
from __future__ import annotations

from crawler.platforms.base import Call, Entry, Listing, Page, Platform
from crawler.platforms.generic import Generic
from crawler.platforms.gkmlpt import Gkmlpt
from crawler.platforms.hanweb import Hanweb
from crawler.platforms.trs_dynamic import TrsDynamic
from crawler.platforms.trs_static import TrsStatic
from crawler.platforms.vsb import Vsb

# Most specific first: a 动静结合 page is also a TRS page; a gkmlpt portal's other pages are TRS pages.
ORDER: tuple[Platform, ...] = (Gkmlpt(), TrsDynamic(), Hanweb(), TrsStatic(), Vsb(), Generic())
BY_NAME: dict[str, Platform] = {p.name: p for p in ORDER}


def detect(page: Page, hint: str | None = None) -> Platform:
    for platform in ORDER:
        if platform.detect(page):
            if platform.name == "generic" and hint in BY_NAME:
                return BY_NAME[hint]
            return platform
    return BY_NAME["generic"]


__all__ = ["BY_NAME", "Call", "Entry", "Listing", "Page", "Platform", "detect"]
