"""Links from a government's portal to the portals below it (domain.md §5, §8): the 政府网站 / 地方政府 / 网站群
blocks, the `<select>` of 县市区政府网站 that opens the chosen value, and lists that exist only in scripts (JS-only
navigation: a JSON array of {name, url}, or `document.write` of anchors). Pure: a page in, `Link`s out, each with the
text that names its target, which the binding rules hold against the registry's names.

Only links shaped like a site's entrance are kept: a host's root or a short folder path (a county on its prefecture's
platform sits at `www.fuzhou.gov.cn/mhx/`), never an article or a file.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from crawler.discovery.urls import canonical, is_article, is_document_file
from crawler.platforms.base import Page

MAX_SEGMENTS = 2  # /xxgk/ or /zwgk/mhx/: deeper paths are pages of a site, not its entrance
_INDEX = re.compile(r"^(?:index|default|main|home)\.\w+$", re.IGNORECASE)
_NAME_KEYS = ("name", "title", "text", "siteName", "sitename", "label")
_URL_KEYS = ("url", "href", "link", "siteUrl", "siteurl", "value")
_SCRIPT_ANCHOR = re.compile(r"""<a\s[^>]*?href\s*=\s*\\?["']([^"'\\]+)\\?["'][^>]*>([^<]{2,40})</a>""", re.IGNORECASE)
_JSON_ARRAY = re.compile(r"\[\s*\{.*?\}\s*\]", re.DOTALL)
_OBJECT = re.compile(r"\{[^{}]*\}")
_PAIR = re.compile(r"""["']?(\w+)["']?\s*:\s*["']([^"']*)["']""")


@dataclass(frozen=True, slots=True)
class Link:
    url: str
    text: str  # the name the link gives its target ("鼓楼区", "福州市人民政府")
    source: str  # anchor | option | script


def is_entrance(url: str) -> bool:
    """Whether `url` looks like a site's entrance (root or short folder), not a page inside it."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or is_article(url) or is_document_file(url):
        return False
    segments = [s for s in parts.path.split("/") if s]
    if segments and _INDEX.match(segments[-1]):
        segments.pop()
    return len(segments) <= MAX_SEGMENTS and not parts.query


def portal_links(page: Page) -> list[Link]:
    """Every link of `page` shaped like a site's entrance, with its text, once per URL (the first text wins)."""
    found: dict[str, Link] = {}
    for url, text, source in (*_anchors(page), *_options(page), *_scripted(page)):
        text = re.sub(r"\s+", "", text or "")
        if not text or url in found:
            continue
        url = canonical(url, page.url)
        if url != canonical(page.url) and is_entrance(url):
            found.setdefault(url, Link(url, text, source))
    return list(found.values())


def _anchors(page: Page):
    for a, url in page.anchors(main_only=False):
        yield url, "".join(a.itertext()) or a.get("title") or "", "anchor"


def _options(page: Page):
    """`<select onchange="window.open(this.value)"><option value="http://…">鼓楼区</option>`."""
    for option in page.tree.iter("option"):
        value = (option.get("value") or "").strip()
        if value.startswith(("http://", "https://", "//")):
            yield value, "".join(option.itertext()), "option"


def _scripted(page: Page):
    """Lists only in scripts: arrays of objects with a name and a URL, and anchors written by `document.write`."""
    for script in page.tree.iter("script"):
        text = script.text or ""
        if not text.strip():
            continue
        for match in _SCRIPT_ANCHOR.finditer(text):
            yield match[1], match[2], "script"
        for block in _JSON_ARRAY.findall(text):
            for obj in _objects(block):
                name = next((str(obj[k]) for k in _NAME_KEYS if obj.get(k)), "")
                url = next((str(obj[k]) for k in _URL_KEYS if str(obj.get(k, "")).startswith(("http", "//", "/"))),
                           "")
                if name and url:
                    yield url, name, "script"


def _objects(block: str) -> list[dict]:
    """The flat objects of a script's array literal: as JSON when it is JSON, else pair by pair (unquoted keys,
    single quotes)."""
    try:
        data = json.loads(block)
        return [d for d in data if isinstance(d, dict)]
    except ValueError:
        return [dict(_PAIR.findall(obj)) for obj in _OBJECT.findall(block)]
