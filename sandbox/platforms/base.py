"""What every CMS family module provides, and the pages they share.

A family maps the CMS-independent site (`sandbox.content`) to URLs and markup both ways: forward (`column`,
`item`, `file`: the URLs the manifest records and the pages link to) and backward (`route`: a request to a
response). Routing is strict: a page answers only at its canonical URL, as a real CMS's generated files do.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote

from sandbox.articles import HUGE_SIZE, Attachment, attachments, body, report_ref, split_body
from sandbox.content import Column, Item, Site, unit_columns
from sandbox.documents import CONTENT_TYPES, DocumentStore, restamped
from sandbox.http import Request, Response
from sandbox.platforms import chrome
from sandbox.platforms.chrome import Frame, e
from sandbox.poison import PAYLOADS
from sandbox.world import Agency


@dataclass(frozen=True, slots=True)
class Call:
    """One request a crawler makes: the unit of the manifest's minimum request set."""
    method: str
    url: str
    body: str | None = None
    years: tuple[int, ...] | None = None  # report years it serves, when narrower than its column's


@dataclass(frozen=True)
class Ctx:
    site: Site
    today: dt.date
    store: DocumentStore
    links: tuple[tuple[str, str], ...] = ()  # footer links every page shows (trap entrances among them)

    def visible(self, key: str) -> list[Item]:
        return self.site.visible(key, self.today)


def pages(count: int, size: int) -> int:
    return max(1, -(-count // size))


DIRECTORY_PAGE = 15  # entries a page of a long unit directory shows (province worlds)


def directory_paged(site: Site, col: Column, items: list[Item]) -> bool:
    """Province worlds page a long unit directory (a column of sub-columns without items) as the family pages a
    list; the scale-based world shows every sub-column on one page."""
    return site.world.discovery is not None and not items and len(col.children) > DIRECTORY_PAGE


def page_count(site: Site, col: Column, items: list[Item]) -> int:
    """How many pages the column's list (or its paged directory) runs to."""
    if directory_paged(site, col, items):
        return pages(len(col.children), DIRECTORY_PAGE)
    return pages(len(items), site.portal.page_size)


def shown_children(site: Site, col: Column, items: list[Item], page: int) -> tuple[str, ...]:
    if directory_paged(site, col, items):
        return col.children[(page - 1) * DIRECTORY_PAGE: page * DIRECTORY_PAGE]
    return col.children


class Platform:
    name = ""
    html_lists = True  # report lists are HTML <ul> pages (not a datastore, a JSON API or a Vue shell)

    # --- URLs -------------------------------------------------------------------------------------------------
    def home(self, site: Site) -> str:
        return "/"

    def openness(self, site: Site) -> str:
        return f"/{site.portal.openness[1]}/"

    def column(self, site: Site, key: str, page: int = 1) -> str:
        raise NotImplementedError

    def item(self, site: Site, item: Item) -> str:
        raise NotImplementedError

    def entry(self, site: Site, col: Column, key: str) -> str:
        """The link a column's page gives its sub-column `key` (Hanweb's directory adds the unit id)."""
        return self.column(site, key)

    def file(self, site: Site, item: Item, att: Attachment) -> str:
        raise NotImplementedError

    def parts(self, site: Site, item: Item) -> list[str]:
        """The URLs an article continues at after its first page (only TRS pages long articles)."""
        return []

    def listing_calls(self, site: Site, key: str, today: dt.date) -> list[Call]:
        """The fewest requests that enumerate a column's visible items, discovery of its parameters included."""
        count = page_count(site, site.columns[key], site.visible(key, today))
        return [Call("GET", self.column(site, key, n)) for n in range(1, count + 1)]

    def column_url(self, site: Site) -> str:
        """The report column's URL, as a registry row names it."""
        return f"http://{site.portal.netloc}{self.column(site, 'nb')}"

    # --- serving ----------------------------------------------------------------------------------------------
    def serve(self, ctx: Ctx, req: Request) -> Response | None:
        """The response at `req`'s URL, or None when the site has no such page."""
        if req.path in (self.openness(ctx.site) + "zn.html", self.openness(ctx.site) + "zd.html"):
            return self.guide_page(ctx, req.path[-7:-5])
        return self.route(ctx, req)

    def route(self, ctx: Ctx, req: Request) -> Response | None:
        raise NotImplementedError

    def nav(self, site: Site) -> list[tuple[str, str]]:
        news = site.columns["news"]
        return [("首页", "/"), (news.title, self.column(site, "news")), (site.portal.openness[0], self.openness(site)),
                ("政务服务", "/zwfw/"), ("互动交流", "/hdjl/")]

    def frame_head(self, site: Site) -> str:
        """Markers a family's templates leave in every page (generator metas, its scripts)."""
        return ""

    def page(self, ctx: Ctx, frame: Frame) -> Response:
        frame = Frame(frame.title, frame.main, frame.crumbs, frame.metas, self.frame_head(ctx.site) + frame.head,
                      frame.tail)
        return chrome.page(ctx.site, frame, self.nav(ctx.site), list(ctx.links))

    def crumbs(self, site: Site, key: str) -> tuple[tuple[str, str], ...]:
        chain: list[tuple[str, str]] = []
        k: str | None = key
        while k:
            chain.append((site.columns[k].title, self.column(site, k)))
            k = site.columns[k].parent
        top = () if key == "news" else ((site.portal.openness[0], self.openness(site)),)
        return top + tuple(reversed(chain))

    def home_page(self, ctx: Ctx) -> Response:
        site = ctx.site
        blocks = []
        for key in ("news", "notice", "policy"):
            items = "".join(chrome.li(self.item(site, i), i.title, i.published) for i in ctx.visible(key)[:8])
            blocks.append(chrome.column_block(site.columns[key].title, items, self.column(site, key)))
        entries = [(site.portal.openness[0], self.openness(site)),
                   ("政府信息公开指南", self.openness(site) + "zn.html")]
        entry = "".join(f'<li><a href="{h}">{e(t)}</a></li>' for t, h in entries)
        main = f'<div class="entries"><ul>{entry}</ul></div>\n' + "\n".join(blocks) + self.linked_sites(site)
        return self.page(ctx, Frame(site.portal.owner.name, main))

    def linked_sites(self, site: Site) -> str:
        """Province worlds: the home page's list of child sites (政府网站) and its 友情链接."""
        found = site.world.discovery
        if found is None:
            return ""
        host, out = site.portal.host, ""
        if children := found.children.get(host):
            title = "设区市政府网站" if site.portal.owner.level == "province" else "县（市、区）政府网站"
            links = [(c.title, self.shared_column(site, c.column_of) if c.column_of else c.url) for c in children]
            out += "\n" + (chrome.scripted_links(title, links) if host in found.scripted
                           else self.child_links(title, links))
        if friends := found.friends.get(host):
            out += "\n" + chrome.link_list("友情链接", "yqlj", list(friends))
        return out

    def shared_column(self, site: Site, unit: Agency) -> str:
        """The column a government on this portal's shared platform has here (its newest year's)."""
        return self.column(site, unit_columns(site.portal, unit, site.world.years)[0])

    def child_links(self, title: str, links: list[tuple[str, str]]) -> str:
        """A family's list of child sites (its templates' form)."""
        return chrome.link_list(title, "zfwz", links)

    def openness_links(self, site: Site) -> list[tuple[str, str]]:
        keys = ["policy", "notice", "nb"] + [k for k in ("wzbb", "bmxxgk") if k in site.columns]
        return [(site.columns[k].title, self.column(site, k)) for k in keys]

    def openness_page(self, ctx: Ctx, extra: str = "") -> Response:
        site = ctx.site
        links = [("政府信息公开指南", self.openness(site) + "zn.html"),
                 ("政府信息公开制度", self.openness(site) + "zd.html"),
                 *self.openness_links(site)]
        main = '<div class="zwgk-nav"><ul>' + "".join(f'<li><a href="{h}">{e(t)}</a></li>' for t, h in links) + \
            "</ul></div>" + extra
        return self.page(ctx, Frame(f"{site.portal.openness[0]}_{site.portal.owner.name}", main,
                                    ((site.portal.openness[0], self.openness(site)),)))

    def guide_page(self, ctx: Ctx, which: str) -> Response:
        site = ctx.site
        title = {"zn": "政府信息公开指南", "zd": "政府信息公开制度"}[which]
        text = (f"<p>为了更好地提供政府信息公开服务，根据《中华人民共和国政府信息公开条例》，"
                f"编制{e(site.portal.owner.name)}"
                f"{title}。</p><p>本机关每年1月31日前公布上一年度政府信息公开工作年度报告。</p>")
        return self.page(ctx, Frame(title, f'<div class="article"><h1>{title}</h1>{text}</div>',
                                    ((site.portal.openness[0], self.openness(site)), (title, ""))))

    def list_page(self, ctx: Ctx, col: Column, items: list[Item], pager: str, head: str = "", tail: str = "",
                  href: Callable[[Item], str] | None = None, children: tuple[str, ...] | None = None) -> Response:
        site = ctx.site
        href = href or (lambda i: self.item(site, i))
        rows = "\n".join(chrome.li(href(i), i.title, i.published) for i in items)
        if items and (hacked := self.injected(site, col, ctx.today)) is items[0]:
            rows = chrome.li(f"http://{site.portal.clone}{self.item(site, hacked)}", hacked.title,
                             hacked.published) + "\n" + rows
        shown = col.children if children is None else children
        main = (chrome.sub_nav(site, shown, lambda k: self.entry(site, col, k)) +
                f'<div class="list-box"><div class="list-title">{e(col.title)}</div>'
                f'<ul class="list">\n{rows}\n</ul>\n{pager}</div>')
        return self.page(ctx, Frame(f"{col.title}_{site.portal.owner.name}", main, self.crumbs(site, col.key),
                                    {"ColumnName": col.title}, head, tail))

    def injected(self, site: Site, col: Column, today: dt.date) -> Item | None:
        """A hacked list (domain.md §4): on a cloned portal, the first page of each HTML report list shows its
        newest entry twice, once pointing at the spam clone's copy."""
        if not (site.portal.clone and self.html_lists and col in site.report_columns()):
            return None
        visible = site.visible(col.key, today)
        return visible[0] if visible else None

    def article_page(self, ctx: Ctx, item: Item, extra_head: str = "", part: int = 0) -> Response:
        """The article, or page `part` of a paged one (its body cut between table rows, and the pager)."""
        if item.poison:
            payload, suffix, _ = PAYLOADS[item.poison]
            return Response(200, payload(), "text/html; charset=utf-8" if suffix == "html" else CONTENT_TYPES[suffix],
                            cacheable=True)
        site = ctx.site
        col = site.columns[item.column]
        url = f"http://{site.portal.netloc}{self.item(site, item)}"
        text = body(site, item, ctx.today, lambda att: self.file(site, item, att), ctx.store)
        if item.parts > 1:
            text = split_body(text, item.parts)[part] + self.article_pager(site, item, part)
        source = item.unit.name if item.unit else site.portal.owner.name
        resp = self.page(ctx, Frame(f"{item.title}_{site.portal.owner.name}", chrome.article_main(item, text, source),
                                    self.crumbs(site, col.key), chrome.article_metas(site, item, col, url),
                                    extra_head))
        resp.headers.append(("Last-Modified", _http_date(item.revised if item.revised and ctx.today >= item.revised
                                                         else item.published)))
        return resp

    def article_pager(self, site: Site, item: Item, part: int) -> str:
        raise NotImplementedError(f"{self.name} does not page articles")

    def file_response(self, ctx: Ctx, item: Item, att: Attachment, disposition: bool = False) -> Response:
        headers = [("Content-Disposition", f"attachment; filename*=UTF-8''{quote(att.name)}")] if disposition else []
        ctype = "application/octet-stream" if disposition else CONTENT_TYPES[att.fmt]
        if att.role == "scan":
            return Response(200, b"", ctype, headers, stream=_huge_pdf, length=HUGE_SIZE)
        ref = report_ref(ctx.site.world.seed, item, ctx.today)
        if att.role == "image":
            return Response(200, ctx.store.picture(ref, att.index), ctype, headers, cacheable=True)
        stamp = item.reuploaded.isoformat() if item.reuploaded and ctx.today >= item.reuploaded else None
        data = ctx.store.ready(ref, att.fmt)
        if data is not None:
            return Response(200, restamped(data, att.fmt, stamp) if stamp else data, ctype, headers, cacheable=True)

        async def later() -> bytes:
            made = await ctx.store.get(ref, att.fmt)
            return restamped(made, att.fmt, stamp) if stamp else made
        return Response(200, b"", ctype, headers, later=later, cacheable=True)

    def find_file(self, ctx: Ctx, item_id: int, index: int, path: str) -> tuple[Item, Attachment] | None:
        """The visible item's attachment `index`, if `path` is its canonical URL."""
        item = ctx.site.item(item_id, ctx.today)
        if item is None:
            return None
        files = attachments(item)
        if not 0 <= index < len(files) or self.file(ctx.site, item, files[index]).split("?")[0] != path:
            return None
        return item, files[index]

    def find_item(self, ctx: Ctx, item_id: int, path: str) -> Item | None:
        item = ctx.site.item(item_id, ctx.today)
        if item is None or item.kind == "dead" or self.item(ctx.site, item) != path:
            return None
        return item


def _http_date(day: dt.date) -> str:
    return dt.datetime(day.year, day.month, day.day, 9, 30).strftime("%a, %d %b %Y %H:%M:%S GMT")


async def _huge_pdf():
    """A 100 MB scan, generated chunk by chunk: never held in memory."""
    chunk = b"%" + b"0" * 65534 + b"\n"
    head = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"
    yield head + chunk[len(head):]
    for _ in range(HUGE_SIZE // len(chunk) - 1):
        yield chunk
    rest = HUGE_SIZE - (HUGE_SIZE // len(chunk)) * len(chunk)
    yield b"%" * rest
