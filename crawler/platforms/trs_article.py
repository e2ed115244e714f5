"""TRS multi-page articles: a long article continues in `t…_1.html`, `t…_2.html` … (domain.md §5), announced inside
the article by `createPageHTML(<pages>, <current>, "t…", "html")` or by plain "下一页" links.

The crawler fetches every part and joins them into one page, so that the extractor reads the report as one
document: each later part's article body is appended to the first part's, and a table the CMS cut at a page break
(closed on one page, reopened on the next) is made one table again.
"""
from __future__ import annotations

import copy
import re

import lxml.html
from lxml import etree

from crawler.platforms.base import Page, anchor_text
from crawler.urls import canonical, directory, last_segment

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


def _pager(tree: etree._Element) -> etree._Element | None:
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


def _body(tree: etree._Element) -> etree._Element | None:
    """The article body of a part (the pager's container), with the pager taken out."""
    pager = _pager(tree)
    if pager is None or pager.getparent() is None:
        return None
    body = pager.getparent()
    pager.drop_tree()
    return body


def _last_element(parent: etree._Element) -> etree._Element | None:
    children = [c for c in parent if isinstance(c.tag, str)]
    return children[-1] if children else None


def _rows(table: etree._Element) -> list[etree._Element]:
    return [tr for tr in table.iter("tr") if tr.getparent() is table or tr.getparent().getparent() is table]


def _append(body: etree._Element, more: etree._Element) -> None:
    """`more`'s content after `body`'s; a table opening `more` continues a table closing `body`."""
    elements = [c for c in more if isinstance(c.tag, str)]
    last = _last_element(body)
    if elements and elements[0].tag == "table" and last is not None and last.tag == "table" and \
            not (more.text or "").strip() and not (last.tail or "").strip():
        target = last.find("tbody") if last.find("tbody") is not None else last
        for row in _rows(elements[0]):
            target.append(row)
        elements[0].drop_tree()
    if (more.text or "").strip():
        if last is not None:
            last.tail = (last.tail or "") + more.text
        else:
            body.text = (body.text or "") + more.text
    for child in list(more):
        body.append(child)


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
        head.insert(0, etree.Element("meta", charset="utf-8"))
    return lxml.html.tostring(tree, encoding="utf-8", doctype="<!DOCTYPE html>")
