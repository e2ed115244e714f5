"""What every CMS family adapter provides: a fetched page in, a `Listing` out (documents listed, requests to make).

The anchors of a list are read the same way on every family (a link with a title, a date beside it); what differs
is where the rest of the list comes from — more static pages, a JSON search API, an XML data proxy, a Vue shell's
API — and that is each adapter's `more()`. A portal is a registry row, never a subclass: adapters hold no
per-portal state, everything they need is in the page.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property

import lxml.html
from lxml import etree
from lxml.html import HtmlElement

from crawler.constants import Role
from crawler.discovery.urls import canonical, host, is_article, is_document_file, under

# Containers of site chrome: links there are navigation, never list entries or sub-columns.
_CHROME = re.compile(r"^(?:header|head|top|topbar|nav|navbar|menu|mainnav|position|crumbs?|breadcrumb|location|dqwz|"
                     r"footer|foot|bottom|copyright|links|friendlink|yqlj)$", re.IGNORECASE)
PAGER_WORDS = re.compile(r"^(?:首页|上一?页|下一?页|尾页|末页|最后一?页|第?\d+页?|>>?|<<?|»|«|更多.*|more)$",
                         re.IGNORECASE)
_DATE = re.compile(r"(?:19|20)\d{2}[-/.年]\d{1,2}[-/.月]\d{1,2}")
# Sub-columns of a report column: years, groups of units, units (domain.md §5 "Aggregation").
_SUBCOLUMN_TITLE = re.compile(r"(?:19|20)\d{2}|年报|年度|部门|乡镇|街道|本级|县直|区直|市直|镇|乡|局|委|办|"
                              r"中心|院|所|站|政府|公司|馆|会|队")
# (Unit names may contain these words' neighbours: 政务服务和大数据管理局 is a unit, 政务服务 a site section.)
_NOT_SUBCOLUMN = re.compile(r"通知|公告|政策|文件|报表|解读|新闻|动态|要闻|指南|制度|搜索|日历|专题|互动|首页|"
                            r"留言|信箱|返回|^(?:政务服务|办事服务|便民服务|网上办事|依申请公开)$")


@dataclass(frozen=True)
class Entry:
    """A document a list names: its URL, full title (the title attribute when the text is cut) and date."""

    url: str
    title: str
    date: str | None = None


@dataclass(frozen=True)
class Call:
    """A request for more of the list: the next page, an API page, a sub-column, a gkmlpt directory."""

    url: str
    role: Role  # page | api | column | shell
    method: str = "GET"
    body: str | None = None
    title: str = ""


@dataclass
class Listing:
    family: str
    entries: list[Entry] = field(default_factory=list)
    calls: list[Call] = field(default_factory=list)


@dataclass
class Page:
    """A fetched response as the adapters see it: decoded text (never Scrapy's guess) and the request behind it."""

    url: str
    text: str
    content_type: str = ""
    method: str = "GET"
    body: str | None = None

    @cached_property
    def tree(self) -> HtmlElement:
        try:
            return lxml.html.document_fromstring(self.text or "<html></html>")
        except (etree.ParserError, ValueError):
            return lxml.html.document_fromstring("<html></html>")

    def anchors(self, main_only: bool = True) -> list[tuple[HtmlElement, str]]:
        """(element, absolute URL) of every <a href>, outside the chrome containers when `main_only`."""
        out = []
        for a in self.tree.iter("a"):
            href = (a.get("href") or "").strip()
            if not href or href.startswith(("javascript:", "mailto:", "#", "tel:")):
                continue
            if main_only and in_chrome(a):
                continue
            out.append((a, canonical(href, self.url)))
        return out


def in_chrome(element: HtmlElement) -> bool:
    for parent in element.iterancestors():
        names = [*(parent.get("class") or "").split(), parent.get("id") or ""]
        if any(_CHROME.match(n) for n in names if n):
            return True
    return False


def anchor_text(a: HtmlElement) -> str:
    return re.sub(r"\s+", "", a.text_content() or "")


def anchor_title(a: HtmlElement) -> str:
    """The full title: lists cut long titles and keep the whole one in the title attribute (TRS, VSB)."""
    title = re.sub(r"\s+", "", a.get("title") or "")
    text = anchor_text(a)
    return title if len(title) >= len(text.rstrip("….")) else text


def listed_date(a: HtmlElement) -> str | None:
    """The date printed beside a list entry (in its <li> or row)."""
    parent = a.getparent()
    for _ in range(2):
        if parent is None:
            break
        match = _DATE.search(parent.text_content() or "")
        if match:
            return match.group(0)
        parent = parent.getparent()
    return None


def entries_from_anchors(page: Page, pairs: list[tuple[HtmlElement, str]]) -> list[Entry]:
    out: dict[str, Entry] = {}
    for a, url in pairs:
        if (is_article(url) or is_document_file(url)) and url not in out:
            title = anchor_title(a)
            if title:
                out[url] = Entry(url, title, listed_date(a))
    return list(out.values())


def subcolumns(page: Page, pairs: list[tuple[HtmlElement, str]]) -> list[Call]:
    """Links to columns beneath this one: below its path, or titled like a year, a group or a unit."""
    here = host(page.url)
    out: dict[str, Call] = {}
    for a, url in pairs:
        text = anchor_text(a)
        if (host(url) != here or url == page.url or is_article(url) or is_document_file(url) or not text
                or len(text) > 30 or PAGER_WORDS.match(text) or _NOT_SUBCOLUMN.search(text)):
            continue
        if under(url, page.url) or _SUBCOLUMN_TITLE.search(text):
            out.setdefault(url, Call(url, Role.COLUMN, title=text))
    return list(out.values())


class Platform:
    name = "generic"

    def detect(self, page: Page) -> bool:
        raise NotImplementedError

    def listing(self, page: Page) -> Listing:
        """Entries, sub-columns and further pages of an HTML column page."""
        pairs = page.anchors()
        return Listing(self.name, self.entries(page, pairs), subcolumns(page, pairs) + self.more(page, pairs))

    def entries(self, page: Page, pairs: list[tuple[HtmlElement, str]]) -> list[Entry]:
        return entries_from_anchors(page, pairs)

    def more(self, page: Page, pairs: list[tuple[HtmlElement, str]]) -> list[Call]:
        """The request(s) for the rest of this column's list."""
        return next_link(pairs)

    def api(self, page: Page) -> Listing:
        """A response of this family's list API (JSON or XML)."""
        raise NotImplementedError(f"{self.name} has no list API")


def next_link(pairs: list[tuple[HtmlElement, str]]) -> list[Call]:
    """The "下一页" / "下页" link of a pager."""
    for a, url in pairs:
        if anchor_text(a) in ("下一页", "下页", "下一頁", ">", "»"):
            return [Call(url, Role.PAGE)]
    return []
