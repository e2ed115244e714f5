"""TRS "动静结合" lists (Fujian portals): the first page is static HTML, everything older comes from a search API
that the page's script calls with `channelid`, `classsql: "chnlid=<id>"`, `prepage` and the `recordCount`
(domain.md §5). Older reports are reachable only through the API: `POST /fjdzapp/search`.
"""
from __future__ import annotations

import datetime as dt
import json

from sandbox.content import Column, Site
from sandbox.http import Request, Response, json_response
from sandbox.platforms.base import Call, Ctx, pages
from sandbox.platforms.trs_static import TrsStatic
from sandbox.seeding import digest

API = "/fjdzapp/search"
MAX_PREPAGE = 100


def channel_id(site: Site) -> int:
    """The search index's id for the whole site (the page script's `channelid`)."""
    return 220000 + digest(site.world.seed, "channel", site.portal.host) % 9999


class TrsDynamic(TrsStatic):
    name = "trs_dynamic"

    def column(self, site: Site, key: str, page: int = 1) -> str:
        return super().column(site, key, 1)  # one static page per column; the rest is the API's

    def pager(self, site: Site, col: Column, page: int, count: int) -> str:
        return ('<div class="page" id="page"></div>\n<script type="text/javascript">'
                "$(function(){ fjdzSearch.renderPager(pageConfig); });</script>")

    def column_page(self, ctx: Ctx, col: Column, page: int) -> Response | None:
        if page != 1:
            return None
        site, items = ctx.site, ctx.visible(col.key)
        size = site.portal.page_size
        config = {"channelid": str(channel_id(site)), "classsql": f"chnlid={col.cid}", "prepage": size,
                  "recordCount": len(items), "sortfield": "-docorderpri,-docreltime", "url": API}
        head = ('<script src="/images/jquery.min.js"></script>\n<script src="/images/fjdzsearch.js"></script>\n'
                f"<script type=\"text/javascript\">var pageConfig = {json.dumps(config, ensure_ascii=False)};</script>")
        return self.list_page(ctx, col, items[:size], self.pager(site, col, 1, pages(len(items), size)), head=head,
                              href=lambda i: self.relative(site, col, i))

    def listing_calls(self, site: Site, key: str, today: dt.date) -> list[Call]:
        calls = [Call("GET", self.column(site, key))]
        count = len(site.visible(key, today))
        if count > site.portal.page_size:
            col = site.columns[key]
            for n in range(1, pages(count, MAX_PREPAGE) + 1):
                calls.append(Call("POST", API, f"channelid={channel_id(site)}&classsql=chnlid%3D{col.cid}"
                                                f"&page={n}&prepage={MAX_PREPAGE}"))
        return calls

    def route(self, ctx: Ctx, req: Request) -> Response | None:
        if req.path == API:
            return self.search(ctx, req)
        return super().route(ctx, req)

    def search(self, ctx: Ctx, req: Request) -> Response:
        site, form = ctx.site, req.form
        col = None
        if form.get("channelid") == str(channel_id(site)) and form.get("classsql", "").startswith("chnlid="):
            cid = form["classsql"][len("chnlid="):]
            col = site.by_cid(int(cid)) if cid.isdigit() else None
        try:
            page = max(1, int(form.get("page", "1")))
            prepage = min(MAX_PREPAGE, max(1, int(form.get("prepage", "10"))))
        except ValueError:
            return json_response({"code": "400", "msg": "参数错误"}, 400)
        items = ctx.visible(col.key) if col else []
        shown = items[(page - 1) * prepage: page * prepage]
        host = f"http://{site.portal.netloc}"
        data = [{"docid": i.id, "doctitle": i.title, "docreltime": f"{i.published.isoformat()} 09:30:00",
                 "docpuburl": host + self.item(site, i), "chnldocurl": host + self.item(site, i),
                 "chnlid": col.cid} for i in shown] if col else []
        return json_response({"page": page, "pagesize": prepage, "total": len(items),
                              "pagecount": pages(len(items), prepage), "data": data})
