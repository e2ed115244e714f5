"""VSB (博达 Visual SiteBuilder): lists `<col>.htm`, further pages `<col>/<n>.htm` numbered downwards, reached
through the pager's "下页" link; articles `/info/<col>/<id>.htm` (domain.md §5)."""
from __future__ import annotations

import re

from crawler.platforms.base import Page, Platform

MARKERS = re.compile(r"Visual\s*SiteBuilder|/system/resource/js/|pb_sys_common|/info/\d+/\d+\.htm", re.IGNORECASE)


class Vsb(Platform):
    name = "vsb"

    def detect(self, page: Page) -> bool:
        return bool(MARKERS.search(page.text))
