"""The files an article page links to, in every form portals use (domain.md §5 "Attachments"): <a href>, an
"附件：" or "相关附件" block, <iframe>/<embed>/<object> viewers, onclick handlers, strings in scripts, and tables
published only as images inside the article body. Which files are documents is decided later from their bytes."""
from __future__ import annotations

import re
from collections.abc import Iterator

from lxml.html import HtmlElement

from crawler.discovery.urls import canonical, is_document_file, is_image
from crawler.platforms.base import Page, in_chrome

_QUOTED = re.compile(r"""["']([^"'\s<>]{4,400})["']""")
# Site chrome images: logos, icons, spacers, buttons.
_CHROME_IMAGE = re.compile(r"/(?:images?|img|static|css|skin|style|template|res)/|logo|icon|banner|btn|spacer|"
                           r"\.gif$", re.IGNORECASE)


def attachments(page: Page) -> list[str]:
    """The URLs of the files `page` links to, in every form above, once each, in the page's order of kinds."""
    tree = page.tree
    found: dict[str, None] = {}
    for url in (*_links(tree), *_viewers(tree), *_scripted(tree), *_pictures(tree)):
        if url and not url.startswith(("javascript:", "mailto:", "#", "data:")):
            found.setdefault(canonical(url, page.url))
    return list(found)


def _links(tree: HtmlElement) -> Iterator[str]:
    """<a href> to a file, and files named in a link's onclick handler."""
    for a in tree.iter("a"):
        href = (a.get("href") or "").strip()
        if href and is_document_file(href):
            yield href
        yield from (m[1] for m in _QUOTED.finditer(a.get("onclick") or "") if is_document_file(m[1]))


def _viewers(tree: HtmlElement) -> Iterator[str]:
    for tag, attr in (("iframe", "src"), ("embed", "src"), ("object", "data")):
        for element in tree.iter(tag):
            if (src := element.get(attr)) and is_document_file(src):
                yield src


def _scripted(tree: HtmlElement) -> Iterator[str]:
    """Paths of files quoted in scripts."""
    for script in tree.iter("script"):
        yield from (m[1] for m in _QUOTED.finditer(script.text or "") if is_document_file(m[1]) and "/" in m[1])


def _pictures(tree: HtmlElement) -> Iterator[str]:
    """Pictures in the article (tables published as images), not the site's chrome."""
    for img in tree.iter("img"):
        src = (img.get("src") or "").strip()
        if src and is_image(src) and not _CHROME_IMAGE.search(src) and not in_chrome(img):
            yield src
