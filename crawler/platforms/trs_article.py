"""TRS multi-page articles: a long article continues in `t…_1.html`, `t…_2.html` … (domain.md §5), announced inside
the article by `createPageHTML(<pages>, <current>, "t…", "html")` or by plain "下一页" links.

The crawler fetches every part (each into the WARC file as fetched), collecting them in `Parts`, and after the last
joins them into one page, so that the extractor reads the report as one document: each later part's article body is
appended to the first part's, and a table the CMS cut at a page break (closed on one page, reopened on the next) is
made one table again.
"""
from __future__ import annotations

import copy
import re
from dataclasses import dataclass, replace

import lxml.html
from lxml.html import HtmlElement

from crawler.constants import Kind
from crawler.discovery.urls import canonical, directory, last_segment
from crawler.items import Fetched
from crawler.platforms.base import Page, anchor_text
from crawler.state import Child

PAGER = re.compile(r"createPageHTML\(\s*(\d+)\s*,\s*(\d+)\s*,\s*[\"'](t\d{8}_\d+)[\"']\s*,\s*[\"'](\w+)[\"']")
PART = re.compile(r"^(t\d{8}_\d+)(?:_(\d+))?\.(s?html?)$", re.IGNORECASE)
NEXT_WORDS = ("下一页", "下页", "下一頁")
PAGER_WORDS = (*NEXT_WORDS, "上一页", "上页", "首页", "尾页")
MAX_PARTS = 50  # a pager promising more is broken or a trap


def _part(url: str) -> tuple[str, int] | None:
    match = PART.match(last_segment(url))
    return (match[1], int(match[2] or 0)) if match else None


def next_part(page: Page) -> str | None:
    """The URL of the article's next part, when `page` is a part of a paged TRS article that has one."""
    here = _part(page.url)
    if here is None or here[1] + 1 >= MAX_PARTS:
        return None
    script = PAGER.search(page.text)
    if script:
        count, current, stem, ext = int(script[1]), int(script[2]), script[3], script[4]
        return f"{directory(page.url)}{stem}_{current + 1}.{ext}" if current + 1 < count else None
    for a, url in page.anchors():
        if anchor_text(a) in NEXT_WORDS and directory(url) == directory(page.url) and \
                _part(url) == (here[0], here[1] + 1):
            return url
    return None


def _pager(tree: HtmlElement) -> HtmlElement | None:
    """The pager block inside the article: the element around the paging script or the 下一页 links."""
    for element in tree.iter("script", "a"):
        if (element.tag == "script" and PAGER.search(element.text or "")) or \
                (element.tag == "a" and anchor_text(element) in PAGER_WORDS and
                 _part(canonical(element.get("href") or ""))):  # ";jsessionid=…" and the like taken off
            block = element.getparent()
            # The block holds nothing but the pager (its links and page numbers); otherwise the element alone.
            if block is not None and block.find(".//table") is None and len(block.text_content()) < 200:
                return block
            return element
    return None


def _body(tree: HtmlElement) -> HtmlElement | None:
    """The article body of a part (the pager's container), with the pager taken out."""
    pager = _pager(tree)
    if pager is None or pager.getparent() is None:
        return None
    body = pager.getparent()
    pager.drop_tree()
    return body


def _last_element(parent: HtmlElement) -> HtmlElement | None:
    children = [c for c in parent if isinstance(c.tag, str)]
    return children[-1] if children else None


def _rows(table: HtmlElement) -> list[HtmlElement]:
    # A row's parent is the table or its tbody/thead: never none.
    return [tr for tr in table.iter("tr") if (parent := tr.getparent()) is table
            or (parent is not None and parent.getparent() is table)]


def _append(body: HtmlElement, more: HtmlElement) -> None:
    """`more`'s content after `body`'s; a table opening `more` continues a table closing `body`."""
    last = _last_element(body)
    _continue_table(last, more)
    text = more.text or ""
    if text.strip():
        if last is not None:
            last.tail = (last.tail or "") + text
        else:
            body.text = (body.text or "") + text
    for child in list(more):
        body.append(child)


def _continue_table(last: HtmlElement | None, more: HtmlElement) -> None:
    """A table the CMS cut at a page break: the rows of the table opening `more` go to `last`, the table closing the
    body before it, when nothing stands between the two."""
    elements = [c for c in more if isinstance(c.tag, str)]
    if not elements or elements[0].tag != "table" or last is None or last.tag != "table" or \
            (more.text or "").strip() or (last.tail or "").strip():
        return
    tbody = last.find("tbody")
    target = tbody if tbody is not None else last
    for row in _rows(elements[0]):
        target.append(row)
    elements[0].drop_tree()


def join_parts(pages: list[Page]) -> bytes:
    """The parts as one UTF-8 page: the first part's page with every later part's article body appended."""
    tree = copy.deepcopy(pages[0].tree)
    body = _body(tree)
    if body is None:
        raise ValueError(f"no article pager found in {pages[0].url}")
    for page in pages[1:]:
        more = _body(copy.deepcopy(page.tree))
        if more is None:
            raise ValueError(f"no article pager found in {page.url}")
        _append(body, more)
    # The parts were decoded already (whatever they declared): the joined page says what it is.
    head = tree.find("head")
    if head is not None:
        for meta in head.findall("meta"):
            if meta.get("charset") or (meta.get("http-equiv") or "").lower() == "content-type":
                head.remove(meta)
        head.insert(0, lxml.html.Element("meta", charset="utf-8"))
    return lxml.html.tostring(tree, encoding="utf-8", doctype="<!DOCTYPE html>")


@dataclass(frozen=True)
class Parts:
    """A paged article being fetched: the request of its first part, the parts fetched so far and the attachments
    they link. Plain values, not parsed pages: it travels in request meta, which must pickle (JOBDIR, the
    distributed frontier)."""

    first: Child
    pages: tuple[tuple[str, str, str, Fetched], ...] = ()  # url, text, content type, the exchange
    files: tuple[Child, ...] = ()

    def add(self, page: Page, fetched: Fetched, files: list[Child]) -> Parts:
        return Parts(self.first, (*self.pages, (page.url, page.text, page.content_type, fetched)),
                     (*self.files, *(f for f in files if f not in self.files)))

    def fetched(self, url: str) -> bool:
        return any(url == fetched for fetched, *_ in self.pages)

    def joined(self, missing: str | None = None) -> tuple[Fetched, str | None]:
        """The parts as the one document the archive ingests, and why they could not be joined (None when they
        were: otherwise the first part is kept as it came). `missing` names a part that could not be fetched."""
        head = self.pages[0][3]
        error = None
        try:
            body = join_parts([Page(url, text, content_type) for url, text, content_type, _ in self.pages])
        except ValueError as exc:  # no pager to cut at
            body, error = head.body, str(exc)
        kept = [(k, v) for k, v in head.headers if k.lower() not in ("content-type", "content-length")]
        headers = [*kept, ("Content-Type", "text/html; charset=utf-8"),
                   ("X-Nianbao-Parts", " ".join(url for url, *_ in self.pages))]
        if missing:
            headers.append(("X-Nianbao-Parts-Missing", missing))
        return replace(head, kind=Kind.DOCUMENT, body=body, headers=headers,
                       capture=replace(head.capture, headers=dict(headers))), error
