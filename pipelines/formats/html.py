"""HTML article pages: main text by trafilatura, tables, links and the gov meta tags by lxml directly.

lxml is used rather than BeautifulSoup on this hot path: on the fixture pages it parses ~4× faster than
BeautifulSoup(html, "lxml") (bench/extraction.py measures both). trafilatura drops tables' spans and attachment
links, so those come from the raw tree: the tree trafilatura parses the page into, parsed once for both.
"""
from __future__ import annotations

import copy
import re
from urllib.parse import urljoin

import lxml.html
import trafilatura
import trafilatura.external
from lxml import etree
from trafilatura.settings import Extractor

from pipelines import limits
from pipelines.dates import labelled_date, parse_date
from pipelines.decoding import decode
from pipelines.document import Cell, Document, ExtractionError, Grid, Link

_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")
_SPACES = re.compile(r"[\s\u00a0\u3000]+")
_CJK_GAP = re.compile(r"(?<=[\u3000-\u9fff\uff00-\uffef]) (?=[\u3000-\u9fff\uff00-\uffef])")
_ATTACHMENT = re.compile(r"""["']([^"'\s]+?\.(?:pdf|docx?|wps|xlsx?|ofd|zip|rar)(?:\?[^"'\s]*)?)["']""", re.IGNORECASE)
_PUBDATE_META = ("pubdate", "publishdate", "firstpublishedtime", "published", "article:published_time", "date")
_TITLE_META = ("articletitle", "title", "og:title")
_MAX_SPAN = 100  # a colspan of 1000 on a spacer cell must not blow up the grid
# Built once: trafilatura.extract() builds its options from keyword arguments on every call.
_MAIN_TEXT = Extractor(recall=True, comments=False, tables=False, links=False, dedup=False)


class _Stoplist(tuple[str, ...]):
    """trafilatura's jusText stoplist (every language's stopwords, ~150,000), the same words with the hash computed
    once: jusText looks the stoplist up in an lru_cache on each page, and hashing the plain tuple anew took ~1 ms of
    the ~8 ms trafilatura spends on a page."""

    _hash: int

    def __new__(cls, words: tuple[str, ...]) -> _Stoplist:
        stoplist = super().__new__(cls, words)
        stoplist._hash = tuple.__hash__(stoplist)
        return stoplist

    def __hash__(self) -> int:
        return self._hash


# trafilatura internals (2.x); a release without them keeps its own stoplist, only slower.
if hasattr(trafilatura.external, "jt_stoplist_init") and hasattr(trafilatura.external, "JT_STOPLIST"):
    trafilatura.external.JT_STOPLIST = _Stoplist(  # type: ignore[assignment]  # declared None until first use
        trafilatura.external.jt_stoplist_init())


def cell_text(element: etree._Element) -> str:
    """Text of a table cell: paragraphs and line breaks inside a cell join without spaces between CJK characters
    ("商业<br>企业" → "商业企业"), spaces inside latin text survive."""
    # Joining every piece with a space and collapsing the runs after is the same as stripping each piece (re's \s is
    # str.isspace()), and a cell without children, the common one, is its own text.
    text = _SPACES.sub(" ", " ".join(element.itertext()) if len(element) else element.text or "").strip()
    return _CJK_GAP.sub("", text) if " " in text else text


def _span(element: etree._Element, name: str) -> int:
    value = element.get(name)
    if value is None:
        return 1
    try:
        return max(1, min(_MAX_SPAN, int(value.strip() or 1)))
    except ValueError:
        return 1


def table_grid(table: etree._Element, source: str) -> Grid | None:
    """Expand a <table> into a grid, each merged cell's positions pointing at its origin."""
    rows = [tr for tr in table.iter("tr") if tr.getparent() is not None]
    placed: dict[tuple[int, int], Cell] = {}
    width = 0
    for r, tr in enumerate(rows):
        c = 0
        for td in tr:
            if not isinstance(td.tag, str) or td.tag not in ("td", "th"):
                continue
            while (r, c) in placed:
                c += 1
            cell = Cell(cell_text(td), (r, c))
            # A rowspan ends with the table, as in a browser; what a table may expand to has a limit.
            rowspan, colspan = min(_span(td, "rowspan"), len(rows) - r), _span(td, "colspan")
            limits.check("table_cells", len(placed) + rowspan * colspan, f"positions in {source}")
            for dr in range(rowspan):
                for dc in range(colspan):
                    placed.setdefault((r + dr, c + dc), cell)
            c += colspan
            width = max(width, c)
    limits.check("table_cells", len(rows) * width, f"positions in {source}")
    if not placed or width == 0:
        return None
    grid = [[placed.get((r, c)) or Cell("", (r, c)) for c in range(width)] for r in range(len(rows))]
    return Grid(grid, source)


def _meta(tree: etree._Element) -> dict[str, str]:
    found: dict[str, str] = {}
    for meta in tree.iter("meta"):
        name = (meta.get("name") or meta.get("property") or "").strip().lower()
        content = (meta.get("content") or "").strip()
        if name and content and name not in found:
            found[name] = content
    return found


def _links(tree: etree._Element, base: str | None) -> list[Link]:
    links: list[Link] = []
    seen: set[str] = set()

    def add(url: str, text: str) -> None:
        url = url.strip()
        if not url or url.startswith(("javascript:", "mailto:", "#")):
            return
        full = urljoin(base, url) if base else url
        if full not in seen:
            seen.add(full)
            links.append(Link(full, text))

    for a in tree.iter("a"):
        if href := a.get("href"):
            add(href, cell_text(a))
        for match in _ATTACHMENT.finditer(a.get("onclick") or ""):
            add(match.group(1), cell_text(a))
    for tag, attr in (("iframe", "src"), ("embed", "src"), ("object", "data")):
        for element in tree.iter(tag):
            if target := element.get(attr):
                add(target, tag)
    for script in tree.iter("script"):
        for match in _ATTACHMENT.finditer(script.text or ""):
            add(match.group(1), "script")
    return links


def _page_title(tree: etree._Element, meta: dict[str, str]) -> str | None:
    for name in _TITLE_META:
        if meta.get(name):
            return _SPACES.sub(" ", meta[name]).strip()
    for tag in ("h1", "h2"):
        for element in tree.iter(tag):
            text = cell_text(element)
            if text:
                return text
    title = tree.find(".//title")
    if title is not None and title.text:
        # "<report title>_XX县人民政府": the site name follows a separator.
        return re.split(r"\s*[_|－—]\s*|\s+-\s+", title.text.strip())[0] or None
    return None


def _published(meta: dict[str, str], body: etree._Element | None) -> str | None:
    for name in _PUBDATE_META:
        if meta.get(name):
            date = parse_date(meta[name])
            if date:
                return date.isoformat()
    # Only without a meta date is the page text flattened (the whole body: too costly to do for every page).
    date = labelled_date(cell_text(body)[:3000]) if body is not None else None
    return date.isoformat() if date else None


def read(data: bytes, url: str | None = None, content_type: str | None = None) -> Document:
    text, encoding = decode(data, content_type)
    text = _XML_DECLARATION.sub("", text)
    if not text.strip():
        raise ExtractionError("HTML page is empty")
    tree, page = _parse(text)
    meta = _meta(tree)
    # Innermost tables only: a layout table wrapping the article is not a report table.
    grids = []
    for n, table in enumerate(tree.iter("table")):
        if table.find(".//table") is not None:
            continue
        grid = table_grid(table, f"html table {n + 1}")
        if grid is not None:
            grids.append(grid)
    published = _published(meta, tree.find("body"))
    main = trafilatura.extract(page, options=_MAIN_TEXT)  # trafilatura works on a copy of a tree it is given
    warnings = [] if encoding == "utf-8" else [f"decoded as {encoding}"]
    if not main:
        main = _fallback_text(tree)
        warnings.append("main text not found by trafilatura; used the page body")
    return Document(
        format="html",
        text=main,
        grids=grids,
        title=_page_title(tree, meta),
        published=published,
        meta=meta,
        links=_links(tree, url or meta.get("url")),
        warnings=warnings,
    )


def _parse(text: str) -> tuple[lxml.html.HtmlElement, lxml.html.HtmlElement | str]:
    """The page's tree, and the page as trafilatura is to read it: that same tree when trafilatura's own parse of the
    page is a whole document (its parser drops comments, which trafilatura would print as text from a tree of lxml's
    default parser); else the whole document by lxml for the tables and links, and the text for trafilatura, which
    makes a fragment of it or rejects it."""
    tree = trafilatura.load_html(text)
    if tree is not None and tree.getparent() is None:
        return tree, tree
    try:
        return lxml.html.document_fromstring(text), text
    except (etree.ParserError, ValueError) as exc:
        raise ExtractionError(f"HTML cannot be parsed: {exc}") from exc


def _fallback_text(tree: lxml.html.HtmlElement) -> str:
    body = tree.find("body")
    if body is None:
        return ""
    body = copy.deepcopy(body)  # the title, links and date are read from the page's own tree, tables included
    for bad in body.xpath(".//script|.//style|.//table"):
        bad.getparent().remove(bad)
    lines = (line.strip() for line in body.text_content().split("\n"))
    return "\n".join(line for line in lines if line)
