"""Hanweb (大汉) JCMS: columns `/col/col<id>/index.html` whose list is an XML datastore in the page, further
pages from `POST /module/web/jpage/dataproxy.jsp?startrecord=&endrecord=&perpage=` (or the older
`GET /module/jpage/dataproxy.jsp?page=`), browser paging `?uid=<unit>&pageNum=<n>`, articles
`/art/YYYY/M/D/art_<col>_<id>.html` (domain.md §5). Portals with the information-disclosure module publish some
reports only at `/module/xxgk/xxgkAnnualReport.jsp?fbtime=<year>&area=<统一社会信用代码>`, reached through a year
selector (`?fbtime=<year>` lists a year's reports) on the 信息公开 page and the report column.
"""
from __future__ import annotations

import datetime as dt
import re
from urllib.parse import quote

from sandbox.articles import Attachment, attachments
from sandbox.content import ANNUAL_JSP, Column, Item, Site
from sandbox.http import Request, Response, xml_response
from sandbox.platforms.base import Call, Ctx, Platform, pages
from sandbox.platforms.chrome import Frame, e, li
from sandbox.seeding import digest, rng
from sandbox.world import Agency

COL_BASE = 1229000000
PROXY = "/module/web/jpage/dataproxy.jsp"
OLD_PROXY = "/module/jpage/dataproxy.jsp"
DOWNLOAD = "/module/download/downfile.jsp"
JSP = "/module/xxgk/xxgkAnnualReport.jsp"
MAX_RECORDS = 1000
COLUMN = re.compile(r"^/col/col(\d+)/index\.html$")
ITEM = re.compile(r"^/art/\d{4}/\d{1,2}/\d{1,2}/art_(\d+)_(\d+)\.html$")
PICTURE = re.compile(r"^/picture/0/([0-9a-f]{8})(\d{8})(\d)\.png$")
TOKEN = re.compile(r"^([0-9a-f]{8})(\d{8})(\d)\.\w+$")


def web_id(site: Site) -> int:
    return 1000 + digest(site.world.seed, "webid", site.portal.host) % 9000


def unit_id(col: Column) -> int:
    return 4_000_000 + col.cid * 7


CODE_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # GB 32100-2015: no I, O, S, V, Z


def credit_code(seed: int, unit: Agency, division: str) -> str:
    """The unit's 统一社会信用代码: 1 (机构编制) + 1 (机关) + division code + 9-character body + check character."""
    r = rng(seed, "uscc", unit.name)
    stem = "11" + (unit.division_code or division)[:6] + "".join(r.choice(CODE_CHARS[:10]) for _ in range(8)) + \
        r.choice(CODE_CHARS)
    total = sum(CODE_CHARS.index(c) * pow(3, i, 31) for i, c in enumerate(stem))
    return stem + CODE_CHARS[(31 - total % 31) % 31]


def _token(site: Site, item: Item, att: Attachment) -> str:
    return f"{digest(site.world.seed, 'hanweb-file', item.id) & 0xFFFFFFFF:08x}{item.id:08d}{att.index}"


class Hanweb(Platform):
    name = "hanweb"
    html_lists = False

    def openness(self, site: Site) -> str:
        return f"/col/col{COL_BASE + 1}/index.html"

    def column(self, site: Site, key: str, page: int = 1) -> str:
        if key == ANNUAL_JSP:
            return JSP
        col = site.columns[key]
        base = f"/col/col{COL_BASE + col.cid}/index.html"
        return base if page == 1 else f"{base}?uid={unit_id(col)}&pageNum={page}"

    def item(self, site: Site, item: Item) -> str:
        if item.column == ANNUAL_JSP:
            assert item.unit is not None  # the module lists reports, each a unit's
            area = credit_code(site.world.seed, item.unit, site.portal.owner.division_code)
            return f"{JSP}?fbtime={item.year}&area={area}"
        d = item.published
        return f"/art/{d.year}/{d.month}/{d.day}/art_{COL_BASE + site.columns[item.column].cid}_{item.id}.html"

    def file(self, site: Site, item: Item, att: Attachment) -> str:
        token = _token(site, item, att)
        if att.role == "image":
            return f"/picture/0/{token}.png"
        return f"{DOWNLOAD}?classid=0&showname={quote(att.name)}&filename={token}.{att.fmt}"

    def frame_head(self, site: Site) -> str:
        return ('<meta name="generator" content="hanweb">\n'
                '<script type="text/javascript" src="/module/web/jpage/jpage.js"></script>')

    def child_links(self, title: str, links: list[tuple[str, str]]) -> str:
        """Hanweb templates offer the child sites in a drop-down that opens the chosen one."""
        options = "".join(f'<option value="{h}">{e(t)}</option>' for t, h in links)
        return (f'<div class="wzq"><select id="zfwz" onchange="if(this.value){{window.open(this.value);}}">'
                f'<option value="">——{e(title)}——</option>{options}</select></div>')

    def record(self, site: Site, item: Item) -> str:
        return f"<record><![CDATA[\n{li(self.item(site, item), item.title, item.published)}\n]]></record>"

    def datastore(self, site: Site, col: Column, items: list[Item], total: int) -> str:
        records = "\n".join(self.record(site, i) for i in items)
        size = site.portal.page_size
        return (f"<datastore>\n<nextgroup><![CDATA[<a href=\"{OLD_PROXY}?page=2&appid=1&webid={web_id(site)}&path=/"
                f"&columnid={COL_BASE + col.cid}&unitid={unit_id(col)}&webname={quote(site.portal.owner.name)}"
                f"&permissiontype=0\"></a>]]></nextgroup>\n<recordset>\n{records}\n</recordset>\n"
                f"<totalrecord>{total}</totalrecord><totalpage>{pages(total, size)}</totalpage></datastore>")

    def column_page(self, ctx: Ctx, col: Column, page: int) -> Response | None:
        site, items = ctx.site, ctx.visible(col.key)
        size = site.portal.page_size
        if page > pages(len(items), size):
            return None
        shown = items[(page - 1) * size: page * size]
        div = unit_id(col)
        script = (f'<div id="{div}"><script type="text/xml">\n{self.datastore(site, col, shown, len(items))}\n'
                  "</script></div>\n<script type=\"text/javascript\">$(function(){$(\"#" + str(div) + "\").jpage({"
                  f'dataStore: dataStore, perPage: {size}, totalRecord: {len(items)}, proxyUrl: "{PROXY}", '
                  f'groupSize: 3, barPosition: "bottom", ajaxParam: {{col: 1, appid: 1, webid: {web_id(site)}, '
                  f'path: "/", columnid: {COL_BASE + col.cid}, sourceContentType: 1, unitid: {div}, '
                  f'webname: "{e(site.portal.owner.name)}", permissiontype: 0}}}});}});</script>')
        subnav = "".join(f'<li><a href="{self.entry(site, col, k)}">{e(site.columns[k].title)}</a></li>'
                         for k in col.children)
        main = (f'<div class="sub-nav"><ul>{subnav}</ul></div>' if subnav else "") + \
            f'<div class="list-box"><div class="list-title">{e(col.title)}</div>{script}</div>' + \
            (self.year_selector(ctx) if col.key == "nb" else "")
        return self.page(ctx, Frame(f"{col.title}_{site.portal.owner.name}", main, self.crumbs(site, col.key),
                                    {"ColumnName": col.title}))

    def entry(self, site: Site, col: Column, key: str) -> str:
        """The 信息公开部门目录 links each department with its unit id, as Hanweb's does."""
        url = self.column(site, key)
        return f"{url}?uid={unit_id(site.columns[key])}&pageNum=1" if col.key == "bmxxgk" else url

    def annual_years(self, site: Site, today: dt.date) -> list[int]:
        """Years the xxgkAnnualReport.jsp module has reports for (its year selector offers just these)."""
        return sorted({i.year for i in site.visible(ANNUAL_JSP, today) if i.year is not None}, reverse=True)

    def year_selector(self, ctx: Ctx, chosen: int | None = None) -> str:
        years = self.annual_years(ctx.site, ctx.today)
        if not years:
            return ""
        options = "".join(f'<option value="{y}"{" selected" if y == chosen else ""}>{y}年</option>' for y in years)
        return (f'<div class="xxgk-nb">政府信息公开年度报告：<select id="fbtime" name="fbtime" '
                f"onchange=\"window.location.href='{JSP}?fbtime='+this.value\">"
                f'<option value="">请选择年份</option>{options}</select></div>')

    def openness_page(self, ctx: Ctx, extra: str = "") -> Response:
        return super().openness_page(ctx, extra + self.year_selector(ctx))

    def annual_page(self, ctx: Ctx, req: Request) -> Response | None:
        """`?fbtime=Y&area=X`: the report; `?fbtime=Y`: the year's reports; no year: the newest year's."""
        site, query = ctx.site, req.query
        years = self.annual_years(site, ctx.today)
        year = int(query["fbtime"]) if query.get("fbtime", "").isdigit() else (years[0] if years else None)
        items = [i for i in ctx.visible(ANNUAL_JSP) if i.year == year]
        if "area" in query:
            item = next((i for i in items if self.item(site, i) == req.target), None)
            return self.article_page(ctx, item) if item else None
        if year not in years or set(query) - {"fbtime"}:
            return None
        return self.list_page(ctx, site.columns[ANNUAL_JSP], items, self.year_selector(ctx, year))

    def listing_calls(self, site: Site, key: str, today: dt.date) -> list[Call]:
        if key == ANNUAL_JSP:
            return [Call("GET", f"{JSP}?fbtime={y}", years=(y,)) for y in self.annual_years(site, today)]
        calls = [Call("GET", self.column(site, key))]
        count = len(site.visible(key, today))
        if count > site.portal.page_size:
            col = site.columns[key]
            calls.append(Call("POST", f"{PROXY}?startrecord=1&endrecord={count}&perpage={site.portal.page_size}",
                              self.form(site, col)))
        return calls

    def form(self, site: Site, col: Column) -> str:
        return (f"col=1&appid=1&webid={web_id(site)}&path=%2F&columnid={COL_BASE + col.cid}&sourceContentType=1"
                f"&unitid={unit_id(col)}&webname={quote(site.portal.owner.name)}&permissiontype=0")

    def proxy(self, ctx: Ctx, req: Request, old: bool) -> Response:
        site, form = ctx.site, req.form
        columnid = form.get("columnid", "")
        col = site.by_cid(int(columnid) - COL_BASE) if columnid.isdigit() else None
        listed = col and col.key != ANNUAL_JSP and form.get("webid") == str(web_id(site))
        items = ctx.visible(col.key) if col and listed else []
        size = site.portal.page_size
        try:
            if old:
                page = max(1, int(form.get("page", "1")))
                start, end = (page - 1) * size + 1, page * size
            else:
                start = max(1, int(form.get("startrecord", "1")))
                end = min(start + MAX_RECORDS - 1, int(form.get("endrecord", str(start + size - 1))))
        except ValueError:
            return Response(400, b"", None)
        records = "\n".join(self.record(site, i) for i in items[start - 1:end])
        return xml_response(f'<?xml version="1.0" encoding="UTF-8"?>\n<datastore>\n<totalrecord>{len(items)}'
                            f"</totalrecord>\n<totalpage>{pages(len(items), size)}</totalpage>\n<recordset>\n"
                            f"{records}\n</recordset>\n</datastore>")

    def route(self, ctx: Ctx, req: Request) -> Response | None:
        site, path = ctx.site, req.path
        if path in ("/", "/index.html"):
            return self.home_page(ctx)
        if path == PROXY and req.method == "POST":
            return self.proxy(ctx, req, old=False)
        if path == OLD_PROXY:
            return self.proxy(ctx, req, old=True)
        if path == JSP and site.portal.annual_jsp:
            return self.annual_page(ctx, req)
        if m := COLUMN.match(path):
            if path == self.openness(site):
                return self.openness_page(ctx)
            col = site.by_cid(int(m[1]) - COL_BASE)
            if col is None or col.key == ANNUAL_JSP or (req.query_string and req.query.get("uid") != str(unit_id(col))):
                return None
            page = req.query.get("pageNum", "1")
            return self.column_page(ctx, col, int(page)) if page.isdigit() else None
        if m := ITEM.match(path):
            item = self.find_item(ctx, int(m[2]), path)
            return self.article_page(ctx, item) if item else None
        if m := PICTURE.match(path):
            found = self.find_file(ctx, int(m[2]), int(m[3]), path)
            return self.file_response(ctx, *found) if found else None
        if path == DOWNLOAD and (m := TOKEN.match(req.query.get("filename", ""))):
            item = site.item(int(m[2]), ctx.today)
            files = attachments(item) if item else []
            n = int(m[3])
            # The token decides; `showname` is only what the browser saves the file as.
            if item and n < len(files) and _token(site, item, files[n]) == req.query["filename"].rsplit(".", 1)[0]:
                return self.file_response(ctx, item, files[n], disposition=True)
        return None
