"""Guangdong 政府信息公开目录管理平台 (gkmlpt): every agency on a county portal has a directory
`/{agency}/gkmlpt/index`, a Vue shell whose `window._CONFIG` carries the site id (`SID: '662021'`) and the
column tree; lists come only from `/{agency}/gkmlpt/api/all/<columnId>?page=<n>&sid=<SID>` (JSON), details are
`…/gkmlpt/content/<a>/<b>/post_<id>.html`, files `/{agency}/attachment/…` (domain.md §5). The rest of the portal
(home, news) is an ordinary static site.
"""
from __future__ import annotations

import datetime as dt
import json
import re

from sandbox.articles import Attachment
from sandbox.content import Item, Site
from sandbox.http import Request, Response, html, json_response
from sandbox.platforms.base import Call, Ctx, pages
from sandbox.platforms.chrome import e
from sandbox.platforms.trs_static import TrsStatic
from sandbox.seeding import digest

PAGE_SIZE = 100
SHELL = re.compile(r"^(?P<prefix>(?:/[a-z]+)?)/gkmlpt/index$")
API = re.compile(r"^(?P<prefix>(?:/[a-z]+)?)/gkmlpt/api/all/(?P<cid>\d+)$")
POST = re.compile(r"^(?P<prefix>(?:/[a-z]+)?)/gkmlpt/content/\d+/\d+/post_(?P<id>\d+)\.html$")
FILE = re.compile(r"^(?P<prefix>(?:/[a-z]+)?)/attachment/\d+/\d+/\d+/(?P<id>\d{8})(?P<n>\d)\.\w+$")


def site_id(site: Site) -> str:
    return str(600000 + digest(site.world.seed, "sid", site.portal.host) % 99999)


def prefix(site: Site, key: str) -> str:
    """A directory's path prefix: the county government's is the root, each other agency's its slug."""
    unit = site.columns[key].unit
    assert unit is not None  # every gkmlpt directory is an agency's
    return "" if unit is site.portal.owner else f"/{unit.slug}"


class Gkmlpt(TrsStatic):
    name = "gkmlpt"
    html_lists = False

    def directory_keys(self, site: Site) -> list[str]:
        return list(site.columns["nb"].children)

    def column(self, site: Site, key: str, page: int = 1) -> str:
        if key == "nb":
            return self.openness(site)
        if key.startswith("gk/"):
            base = f"{prefix(site, key)}/gkmlpt/index"
            return base if key.count("/") == 1 else f"{base}#{site.columns[key].cid}"
        return super().column(site, key, page)

    def api(self, site: Site, key: str, page: int) -> str:
        return f"{prefix(site, key)}/gkmlpt/api/all/{site.columns[key].cid}?page={page}&sid={site_id(site)}"

    def item(self, site: Site, item: Item) -> str:
        if not item.column.startswith("gk/"):
            return super().item(site, item)
        base = f"{prefix(site, item.column)}/gkmlpt/content"
        return f"{base}/{item.id // 1_000_000}/{item.id // 1000}/post_{item.id}.html"

    def file(self, site: Site, item: Item, att: Attachment) -> str:
        if not item.column.startswith("gk/"):
            return super().file(site, item, att)
        a = item.id * 3 + att.index
        folder = f"{prefix(site, item.column)}/attachment/{a // 1_000_000}/{a // 1000 % 1000}/{a}"
        return f"{folder}/{item.id:08d}{att.index}.{att.fmt}"

    def openness_links(self, site: Site) -> list[tuple[str, str]]:
        others = ("notice",) + (("wzbb",) if "wzbb" in site.columns else ())
        return [(f"{site.columns[k].title}信息公开目录", self.column(site, k)) for k in self.directory_keys(site)] + \
            [(site.columns[k].title, self.column(site, k)) for k in others]

    def listing_calls(self, site: Site, key: str, today: dt.date) -> list[Call]:
        if not key.startswith("gk/"):
            return super().listing_calls(site, key, today)
        count = len(site.visible(key, today))
        shell = Call("GET", f"{prefix(site, key)}/gkmlpt/index")
        return [shell] + [Call("GET", self.api(site, key, n)) for n in range(1, pages(count, PAGE_SIZE) + 1)]

    def shell(self, ctx: Ctx, key: str) -> Response:
        site, directory = ctx.site, site_id(ctx.site)
        col = ctx.site.columns[key]
        tree = [{"id": site.columns[k].cid, "name": site.columns[k].title, "parent": 0, "jump_url": "",
                 "post_count": len(ctx.visible(k)), "children": []} for k in col.children]
        tree.append({"id": 0, "name": "依申请公开", "parent": 0, "jump_url": "/ysqgk/", "children": []})
        config = (f"window._CONFIG = {{SID: '{directory}', SITE_NAME: '{e(col.title)}', "
                  f"TREE: {json.dumps(tree, ensure_ascii=False)}, "
                  f"SERVICE_AREA_ID: '{site.portal.owner.division_code}', IS_PREVIEW: false}};")
        text = (f"<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>{e(col.title)}政府信息公开目录</title>"
                f"<meta name=\"SiteIDCode\" content=\"{site.portal.site_code}\">"
                f"<link href=\"/gkmlpt/gkml/pc/css/app.css\" rel=\"stylesheet\"></head><body>"
                f"<div id=\"app\"></div><script>{config}</script>"
                "<script src=\"/gkmlpt/gkml/pc/js/chunk-vendors.js\"></script>"
                "<script src=\"/gkmlpt/gkml/pc/js/app.js\"></script></body></html>")
        return html(text)

    def articles(self, ctx: Ctx, key_prefix: str, req: Request) -> Response:
        site = ctx.site
        if req.query.get("sid") != site_id(site):
            return json_response({"code": 1, "msg": "站点不存在"})
        cid = int(req.path.rsplit("/", 1)[1])
        keys = [k for k in site.columns if k.startswith("gk/") and prefix(site, k) == key_prefix and k.count("/") == 2]
        chosen = keys if cid == 0 else [k for k in keys if site.columns[k].cid == cid]
        if not chosen:
            return json_response({"code": 1, "msg": "栏目不存在"})
        items = sorted((i for k in chosen for i in ctx.visible(k)), key=lambda i: (i.published, i.id), reverse=True)
        page = int(req.query.get("page", "1")) if req.query.get("page", "1").isdigit() else 1
        host = f"http://{site.portal.netloc}"
        code = site.portal.owner.division_code
        articles = [{"id": i.id, "title": i.title, "url": host + self.item(site, i),
                     "created_at": f"{i.published.isoformat()} 09:30:00", "publisher": i.unit.name if i.unit else "",
                     "identifier": f"{code}/{i.published.year}-{i.id % 100000:05d}"}
                    for i in items[(page - 1) * PAGE_SIZE: page * PAGE_SIZE]]
        classify = {"id": cid, "name": site.columns[chosen[0]].title if cid else "全部", "post_count": len(items)}
        return json_response({"total": len(items), "articles": articles, "classify": classify})

    def route(self, ctx: Ctx, req: Request) -> Response | None:
        site, path = ctx.site, req.path
        if m := SHELL.match(path):
            key = next((k for k in self.directory_keys(site) if prefix(site, k) == m["prefix"]), None)
            return self.shell(ctx, key) if key else None
        if m := API.match(path):
            return self.articles(ctx, m["prefix"], req)
        if m := POST.match(path):
            item = self.find_item(ctx, int(m["id"]), path)
            if item is None:
                return None
            detail = json.dumps({"id": item.id, "title": item.title, "created_at": item.published.isoformat()},
                                ensure_ascii=False)
            return self.article_page(ctx, item, f"<script>window._CONFIG = {{SID: '{site_id(site)}', "
                                                f"DETAIL: {detail}}};</script>")
        if m := FILE.match(path):
            found = self.find_file(ctx, int(m["id"]), int(m["n"]), path)
            return self.file_response(ctx, *found) if found else None
        return super().route(ctx, req)

    def directory(self, ctx: Ctx, directory: str, page: int, req: Request) -> Response | None:
        key = next((k for k, d in _static_dirs(self, ctx.site).items() if d == directory), None)
        if directory == self.openness(ctx.site) and page == 1:
            return self.openness_page(ctx)
        return self.column_page(ctx, ctx.site.columns[key], page) if key else None


def _static_dirs(platform: Gkmlpt, site: Site) -> dict[str, str]:
    return {k: platform.column(site, k) for k in site.columns if not k.startswith("gk/") and k != "nb"}
