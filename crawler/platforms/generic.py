"""Everything else: anchors with titles for entries, the "下一页" link for the rest (`?page=`, `pageNo=`,
`column-index-N.shtml` … all end up behind one)."""
from __future__ import annotations

from crawler.platforms.base import Page, Platform


class Generic(Platform):
    name = "generic"

    def detect(self, page: Page) -> bool:
        return True
