"""The files an article page links to, in every form portals use (domain.md §5 "Attachments"): <a href>, an
"附件：" or "相关附件" block, <iframe>/<embed>/<object> viewers, onclick handlers, strings in scripts, and tables
published only as images inside the article body. Which files are documents is decided later from their bytes."""
from __future__ import annotations

import re

from crawler.platforms.base import Page, in_chrome
from crawler.urls import canonical, is_document_file, is_image

_QUOTED = re.compile(r"""["']([^"'\s<>]{4,400})["']""")
# Site chrome images: logos, icons, spacers, buttons.
_CHROME_IMAGE = re.compile(r"/(?:images?|img|static|css|skin|style|template|res)/|logo|icon|banner|btn|spacer|"
                           r"\.gif$", re.IGNORECASE)


def attachments(page: Page) -> list[str]:
    found: dict[str, None] = {}

    def add(url: str) -> None:
        if url and not url.startswith(("javascript:", "mailto:", "#", "data:")):
            found.setdefault(canonical(url, page.url))

    tree = page.tree
    for a in tree.iter("a"):
        href = (a.get("href") or "").strip()
        if href and is_document_file(href):
            add(href)
        for match in _QUOTED.finditer(a.get("onclick") or ""):
            if is_document_file(match[1]):
                add(match[1])
    for tag, attr in (("iframe", "src"), ("embed", "src"), ("object", "data")):
        for element in tree.iter(tag):
            if element.get(attr) and is_document_file(element.get(attr)):
                add(element.get(attr))
    for script in tree.iter("script"):
        for match in _QUOTED.finditer(script.text or ""):
            if is_document_file(match[1]) and "/" in match[1]:
                add(match[1])
    for img in tree.iter("img"):
        src = (img.get("src") or "").strip()
        if src and is_image(src) and not _CHROME_IMAGE.search(src) and not in_chrome(img):
            add(src)
    return list(found)
