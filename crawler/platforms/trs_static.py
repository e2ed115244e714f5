"""TRS WCM static lists: `index.html`, then `index_1.html` …; the page count only in the inline script
`createPageHTML(<pageCount>, <currentPage>, "index", "html")` (domain.md §5)."""
from __future__ import annotations

import re

from crawler.constants import Role
from crawler.discovery.urls import directory
from crawler.platforms.base import Call, Page, Platform, next_link

PAGER = re.compile(r"createPageHTML\(\s*(\d+)\s*,\s*(\d+)\s*,\s*[\"'](\w+)[\"']\s*,\s*[\"'](\w+)[\"']")
MARKERS = re.compile(r"createPageHTML|TRS WCM|trs_page|TRS_Editor|/t\d{8}_\d+\.s?html?", re.IGNORECASE)


class TrsStatic(Platform):
    name = "trs_static"

    def detect(self, page: Page) -> bool:
        return bool(MARKERS.search(page.text))

    def more(self, page: Page, pairs) -> list[Call]:
        match = PAGER.search(page.text)
        if not match:
            return next_link(pairs)
        count, current, stem, ext = int(match[1]), int(match[2]), match[3], match[4]
        if current + 1 >= count:
            return []
        return [Call(f"{directory(page.url)}{stem}_{current + 1}.{ext}", Role.PAGE)]
