"""VSB (Visual SiteBuilder, 博达): columns are `.htm` files (`/xxgk/zfxxgknb.htm`), further pages
`/xxgk/zfxxgknb/<n>.htm` numbered downwards so that old pages keep their numbers (page 2 of 7 is `6.htm`),
articles `/info/<col>/<id>.htm`, files through `download.jsp` (domain.md §5).
"""
from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache

from sandbox.articles import Attachment, attachments
from sandbox.content import Column, Item, Site
from sandbox.http import Request, Response
from sandbox.platforms.base import Call, Ctx, Platform, page_count, shown_children
from sandbox.platforms.chrome import e
from sandbox.seeding import digest

DOWNLOAD = "/system/_content/download.jsp"
ITEM = re.compile(r"^/info/(\d+)/(\d+)\.htm$")
LOCAL = re.compile(r"^/__local/[0-9A-F]/[0-9A-F]{2}/(\d{8})(\d)\.png$")
PAGE = re.compile(r"^(?P<base>/.+)/(?P<n>\d+)\.htm$")


@lru_cache(maxsize=512)
def bases(site: Site) -> dict[str, str]:
    """Column key → its path without `.htm`."""
    out: dict[str, str] = {}
    for key, col in site.columns.items():
        if col.parent:
            out[key] = f"{out[col.parent]}/{col.slug}"
        else:
            out[key] = f"/{col.slug}" if key == "news" else f"/{site.portal.openness[1]}/{col.slug}"
    return out


@lru_cache(maxsize=512)
def by_base(site: Site) -> dict[str, str]:
    return {b: k for k, b in bases(site).items()}


def owner_id(site: Site) -> int:
    return 1_200_000_000 + digest(site.world.seed, "vsb-owner", site.portal.host) % 99_999_999


class Vsb(Platform):
    name = "vsb"

    def openness(self, site: Site) -> str:
        return f"/{site.portal.openness[1]}.htm"

    def column(self, site: Site, key: str, page: int = 1) -> str:
        if page != 1:
            raise ValueError("VSB page URLs depend on the page count: use page_url")
        return f"{bases(site)[key]}.htm"

    def page_url(self, site: Site, key: str, page: int, total: int) -> str:
        return self.column(site, key) if page == 1 else f"{bases(site)[key]}/{total - page + 1}.htm"

    def listing_calls(self, site: Site, key: str, today: dt.date) -> list[Call]:
        total = page_count(site, site.columns[key], site.visible(key, today))
        return [Call("GET", self.page_url(site, key, n, total)) for n in range(1, total + 1)]

    def item(self, site: Site, item: Item) -> str:
        return f"/info/{site.columns[item.column].cid}/{item.id}.htm"

    def file(self, site: Site, item: Item, att: Attachment) -> str:
        if att.role == "image":
            h = f"{digest(site.world.seed, 'vsb-local', item.id):X}"
            return f"/__local/{h[0]}/{h[1:3]}/{item.id:08d}{att.index}.png"
        return (f"{DOWNLOAD}?urltype=news.DownloadAttachUrl&owner={owner_id(site)}"
                f"&wbfileid={item.id * 10 + att.index}")

    def frame_head(self, site: Site) -> str:
        return ('<!--Announced by Visual SiteBuilder 9-->\n<script language="javascript" '
                'src="/system/resource/js/dynclicks.js"></script>')

    def child_links(self, title: str, links: list[tuple[str, str]]) -> str:
        """VSB's link-box component: a title and one span per site."""
        spans = "".join(f'<span><a href="{h}" target="_blank">{e(t)}</a></span>' for t, h in links)
        return f'<div class="link-box"><h4>{e(title)}</h4><div class="link-list">{spans}</div></div>'

    def pager(self, site: Site, col: Column, page: int, total: int, count: int) -> str:
        name = bases(site)[col.key].rsplit("/", 1)[1]

        def link(n: int) -> str:  # relative to the page being shown
            here_is_first = page == 1
            if n == 1:
                return f"{name}.htm" if here_is_first else f"../{name}.htm"
            return f"{name}/{total - n + 1}.htm" if here_is_first else f"{total - n + 1}.htm"
        parts = [f'<span class="p_t">共{count}条</span><span class="p_t">{page}/{total}</span>']
        if page > 1:
            parts.append(f'<span class="p_first p_fun"><a href="{link(1)}">首页</a></span>'
                         f'<span class="p_prev p_fun"><a href="{link(page - 1)}">上页</a></span>')
        if page < total:
            parts.append(f'<span class="p_next p_fun"><a href="{link(page + 1)}">下页</a></span>'
                         f'<span class="p_last p_fun"><a href="{link(total)}">尾页</a></span>')
        return ('<div class="pb_sys_common pb_sys_normal pb_sys_style1">'
                f'<span class="p_pages">{"".join(parts)}</span></div>')

    def column_page(self, ctx: Ctx, col: Column, page: int) -> Response | None:
        site, items = ctx.site, ctx.visible(col.key)
        size = site.portal.page_size
        total = page_count(site, col, items)
        if not 1 <= page <= total:
            return None
        depth = bases(site)[col.key].count("/") - (1 if page == 1 else 0)
        up = "../" * depth
        return self.list_page(ctx, col, items[(page - 1) * size: page * size],
                              self.pager(site, col, page, total, len(items)),
                              href=lambda i: up + self.item(site, i).lstrip("/"),
                              children=shown_children(site, col, items, page))

    def route(self, ctx: Ctx, req: Request) -> Response | None:
        site, path = ctx.site, req.path
        if path in ("/", "/index.htm"):
            return self.home_page(ctx)
        if path == self.openness(site):
            return self.openness_page(ctx)
        if m := ITEM.match(path):
            item = self.find_item(ctx, int(m[2]), path)
            return self.article_page(ctx, item) if item else None
        if m := LOCAL.match(path):
            found = self.find_file(ctx, int(m[1]), int(m[2]), path)
            return self.file_response(ctx, *found) if found else None
        if path == DOWNLOAD:
            fileid = req.query.get("wbfileid", "")
            if req.query.get("owner") == str(owner_id(site)) and fileid.isdigit():
                item = site.item(int(fileid) // 10, ctx.today)
                files = attachments(item) if item else []
                if item and int(fileid) % 10 < len(files):
                    return self.file_response(ctx, item, files[int(fileid) % 10], disposition=True)
            return None
        if path.endswith(".htm") and (key := by_base(site).get(path[:-4])):
            return self.column_page(ctx, site.columns[key], 1)
        if m := PAGE.match(path):
            key = by_base(site).get(m["base"])
            if key:
                total = page_count(site, site.columns[key], ctx.visible(key))
                return self.column_page(ctx, site.columns[key], total - int(m["n"]) + 1)
        return None
