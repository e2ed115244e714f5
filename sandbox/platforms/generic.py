"""Everything else: home-grown and minor CMSs with a query-parameter or `column-index-N` pager and a "下一页"
link, and the article URL shapes of domain.md §5 (`/c<col>/<YYYYMM>/<32hex>.shtml`, 19-digit snowflake ids,
`Pages_<col>_<id>.aspx`, `/nw<col>/<YYYYMMDD>/<32hex>.html`, `/zfxxgk/public/<col>/<id>.html`). Each portal
picks one article shape and one pager.
"""
from __future__ import annotations

import re
from functools import lru_cache

from sandbox.articles import Attachment
from sandbox.content import Column, Item, Site
from sandbox.http import Request, Response
from sandbox.platforms.base import Ctx, Platform, page_count, shown_children
from sandbox.platforms.trs_static import by_directory, directories
from sandbox.seeding import digest, rng

ARTICLE_STYLES = ("c_hex", "snowflake", "aspx", "dated_hex", "public")
PAGERS = ("page", "pageNo", "pageNum", "PageIndex", "currPage", "column_index")
SNOWFLAKE_BASE = 1_600_000_000_000_000_000
ARTICLE = re.compile(r"^(?:/c\d+/\d{6}/[0-9a-f]{24}(?P<a>\d{8})\.shtml|/(?:[^/]+/)*(?P<b>\d{19})\.html"
                     r"|/Pages_\d+_(?P<c>\d+)\.aspx|/nw\d+/\d{8}/[0-9a-f]{24}(?P<d>\d{8})\.html"
                     r"|/zfxxgk/public/\d+/(?P<e>\d+)\.html)$")
FILE = re.compile(r"^/uploadfiles/\d{6}/[0-9a-f]{8}(?P<id>\d{8})(?P<n>\d)\.\w+$")
COLUMN_INDEX = re.compile(r"^(?P<dir>/(?:[^/]+/)*)column-index-(?P<n>\d+)\.shtml$")


@lru_cache(maxsize=512)
def style(site: Site) -> tuple[str, str]:
    r = rng(site.world.seed, "generic-style", site.portal.host)
    return r.choice(ARTICLE_STYLES), r.choice(PAGERS)


def _hex(site: Site, item_id: int) -> str:
    high = digest(site.world.seed, "hex", site.portal.host, item_id)
    return f"{high:016x}{digest(site.world.seed, item_id) & 0xFFFFFFFF:08x}"


class Generic(Platform):
    name = "generic"

    def column(self, site: Site, key: str, page: int = 1) -> str:
        base = directories(site)[key]
        if page == 1:
            return base
        pager = style(site)[1]
        return f"{base}column-index-{page}.shtml" if pager == "column_index" else f"{base}?{pager}={page}"

    def item(self, site: Site, item: Item) -> str:
        kind, cid, day = style(site)[0], site.columns[item.column].cid, item.published
        if kind == "c_hex":
            return f"/c{cid}/{day:%Y%m}/{_hex(site, item.id)}{item.id:08d}.shtml"
        if kind == "snowflake":
            return f"{directories(site)[item.column]}{SNOWFLAKE_BASE + item.id * 4_194_304}.html"
        if kind == "aspx":
            return f"/Pages_{cid}_{item.id}.aspx"
        if kind == "dated_hex":
            return f"/nw{cid}/{day:%Y%m%d}/{_hex(site, item.id)}{item.id:08d}.html"
        return f"/zfxxgk/public/{cid}/{item.id}.html"

    def file(self, site: Site, item: Item, att: Attachment) -> str:
        return f"/uploadfiles/{item.published:%Y%m}/{_hex(site, item.id)[:8]}{item.id:08d}{att.index}.{att.fmt}"

    def pager(self, site: Site, col: Column, page: int, total: int) -> str:
        links = [f'<span>共{total}页</span>', f'<span>当前第{page}页</span>']
        if page > 1:
            links.append(f'<a href="{self.column(site, col.key, 1)}">首页</a>'
                         f'<a href="{self.column(site, col.key, page - 1)}">上一页</a>')
        if page < total:
            links.append(f'<a href="{self.column(site, col.key, page + 1)}">下一页</a>'
                         f'<a href="{self.column(site, col.key, total)}">尾页</a>')
        return f'<div class="pagination">{"".join(links)}</div>'

    def column_page(self, ctx: Ctx, col: Column, page: int) -> Response | None:
        items = ctx.visible(col.key)
        size = ctx.site.portal.page_size
        total = page_count(ctx.site, col, items)
        if not 1 <= page <= total:
            return None
        return self.list_page(ctx, col, items[(page - 1) * size: page * size], self.pager(ctx.site, col, page, total),
                              children=shown_children(ctx.site, col, items, page))

    def route(self, ctx: Ctx, req: Request) -> Response | None:
        site, path = ctx.site, req.path
        if path in ("/", "/index.html") and not req.query_string:
            return self.home_page(ctx)
        if m := ARTICLE.match(path):
            digits = next(g for g in m.groups() if g)
            item_id = (int(digits) - SNOWFLAKE_BASE) // 4_194_304 if m["b"] else int(digits)
            item = self.find_item(ctx, item_id, path)
            return self.article_page(ctx, item) if item else None
        if m := FILE.match(path):
            found = self.find_file(ctx, int(m["id"]), int(m["n"]), path)
            return self.file_response(ctx, *found) if found else None
        if path == self.openness(site) and not req.query_string:
            return self.openness_page(ctx)
        pager = style(site)[1]
        if (m := COLUMN_INDEX.match(path)) and pager == "column_index":
            key, page = by_directory(site).get(m["dir"]), int(m["n"])
        else:
            key = by_directory(site).get(path)
            value = req.query.get(pager, "1") if pager != "column_index" else "1"
            if set(req.query) - {pager} or not value.isdigit():
                return None
            page = int(value)
        return self.column_page(ctx, site.columns[key], page) if key else None
