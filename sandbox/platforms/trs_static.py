"""TRS WCM (拓尔思) static sites: columns are directories, lists are `index.html`, `index_1.html`, … with the
page count only in `createPageHTML(count, current, "index", "html")`, articles `./YYYYMM/tYYYYMMDD_<docid>.html`
linked relatively, attachments `./YYYYMM/P0<date><n>.pdf` beside them (domain.md §5).
"""
from __future__ import annotations

import re
from functools import lru_cache

from sandbox.articles import Attachment
from sandbox.content import Column, Item, Site
from sandbox.http import Request, Response
from sandbox.platforms.base import Ctx, Platform, page_count, shown_children
from sandbox.seeding import rng

ITEM = re.compile(r"^(?P<dir>/(?:[^/]+/)*)(?P<ym>\d{6})/t(?P<day>\d{8})_(?P<id>\d+)(?:_(?P<part>\d+))?\.s?html?$")
FILE = re.compile(r"^(?P<dir>/(?:[^/]+/)*)(?P<ym>\d{6})/[PW]0(?P<day>\d{8})(?P<id>\d{8})(?P<n>\d)\.\w+$")
LIST = re.compile(r"^(?P<dir>/(?:[^/]+/)*)(?:index(?:_(?P<page>\d+))?\.s?html?)?$")


@lru_cache(maxsize=512)
def directories(site: Site) -> dict[str, str]:
    """Column key → directory path; news sits at the root, everything else under the 政务公开 section."""
    out: dict[str, str] = {}
    for key, col in site.columns.items():  # parents come before their children
        if col.parent:
            out[key] = out[col.parent] + col.slug + "/"
        else:
            out[key] = f"/{col.slug}/" if key == "news" else f"/{site.portal.openness[1]}/{col.slug}/"
    return out


@lru_cache(maxsize=512)
def by_directory(site: Site) -> dict[str, str]:
    return {d: k for k, d in directories(site).items()}


@lru_cache(maxsize=512)
def extension(site: Site) -> str:
    return rng(site.world.seed, "trs-ext", site.portal.host).choice(("html", "shtml", "htm"))


class TrsStatic(Platform):
    name = "trs_static"

    def column(self, site: Site, key: str, page: int = 1) -> str:
        base = directories(site)[key]
        return base if page == 1 else f"{base}index_{page - 1}.{extension(site)}"

    def _dated(self, site: Site, item: Item) -> str:
        day = item.url_day
        return f"{directories(site)[item.column]}{day:%Y%m}/"

    def item(self, site: Site, item: Item) -> str:
        return f"{self._dated(site, item)}t{item.url_day:%Y%m%d}_{item.id}.{extension(site)}"

    def parts(self, site: Site, item: Item) -> list[str]:
        first = self.item(site, item)
        stem, ext = first.rsplit(".", 1)
        return [f"{stem}_{n}.{ext}" for n in range(1, item.parts)]

    def article_pager(self, site: Site, item: Item, part: int) -> str:
        """TRS writes an article's pager with the list's script (or, in older templates, as plain links)."""
        stem = f"t{item.url_day:%Y%m%d}_{item.id}"
        if item.id % 2:
            return (f'<div id="page_div" class="page"><script type="text/javascript">createPageHTML({item.parts}, '
                    f'{part}, "{stem}", "{extension(site)}");</script></div>')
        name = lambda n: f"./{stem}{f'_{n}' if n else ''}.{extension(site)}"  # noqa: E731
        links = [f'<a href="{name(part - 1)}">上一页</a>'] if part else []
        links += [f'<span>{n + 1}</span>' if n == part else f'<a href="{name(n)}">{n + 1}</a>'
                  for n in range(item.parts)]
        links += [f'<a href="{name(part + 1)}">下一页</a>'] if part + 1 < item.parts else []
        return f'<div id="page_div" class="page">{" ".join(links)}</div>'

    def file(self, site: Site, item: Item, att: Attachment) -> str:
        prefix = "W0" if att.role == "image" else "P0"
        return f"{self._dated(site, item)}{prefix}{item.url_day:%Y%m%d}{item.id:08d}{att.index}.{att.fmt}"

    def frame_head(self, site: Site) -> str:
        return '<meta name="generator" content="TRS WCM">\n<script src="/images/trs_page.js"></script>'

    def relative(self, site: Site, col: Column, item: Item) -> str:
        """The list's link to an item: relative to the column directory, as TRS templates write them."""
        return "./" + self.item(site, item)[len(directories(site)[col.key]):]

    def pager(self, site: Site, col: Column, page: int, count: int) -> str:
        return (f'<div class="page"><script type="text/javascript">createPageHTML({count}, {page - 1}, "index", '
                f'"{extension(site)}");</script></div>')

    def column_page(self, ctx: Ctx, col: Column, page: int) -> Response | None:
        items = ctx.visible(col.key)
        size = ctx.site.portal.page_size
        count = page_count(ctx.site, col, items)
        if page > count:
            return None
        shown = items[(page - 1) * size: page * size]
        return self.list_page(ctx, col, shown, self.pager(ctx.site, col, page, count),
                              href=lambda i: self.relative(ctx.site, col, i),
                              children=shown_children(ctx.site, col, items, page))

    def route(self, ctx: Ctx, req: Request) -> Response | None:
        site, path = ctx.site, req.path
        if m := ITEM.match(path):
            part = int(m["part"] or 0)
            first = path[:m.start("part") - 1] + path[m.end("part"):] if part else path
            item = self.find_item(ctx, int(m["id"]), first)
            return self.article_page(ctx, item, part=part) if item and part < item.parts else None
        if m := FILE.match(path):
            found = self.find_file(ctx, int(m["id"]), int(m["n"]), path)
            return self.file_response(ctx, *found) if found else None
        if path in ("/", f"/index.{extension(site)}"):
            return self.home_page(ctx)
        if m := LIST.match(path):
            return self.directory(ctx, m["dir"], int(m["page"] or 0) + 1, req)
        return None

    def directory(self, ctx: Ctx, directory: str, page: int, req: Request) -> Response | None:
        if directory == self.openness(ctx.site) and page == 1:
            return self.openness_page(ctx)
        key = by_directory(ctx.site).get(directory)
        return self.column_page(ctx, ctx.site.columns[key], page) if key else None
