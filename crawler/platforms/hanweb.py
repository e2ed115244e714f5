"""Hanweb (大汉) JCMS: a column's list is an XML datastore inside the page; the rest comes from
`POST /module/web/jpage/dataproxy.jsp?startrecord=&endrecord=&perpage=` with the form fields the page's `jpage`
script names (domain.md §5). One proxy call asks for every record at once (the proxy serves up to 1,000).

Portals with Hanweb's information-disclosure module also publish reports at
`/module/xxgk/xxgkAnnualReport.jsp?fbtime=YYYY&area=<统一社会信用代码>`, reached only through a year selector
(`<select onchange="location.href='…xxgkAnnualReport.jsp?fbtime='+this.value">`): each offered year is a column.
"""
from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit

import lxml.html

from crawler.constants import Role
from crawler.discovery.urls import canonical
from crawler.platforms.base import Call, Entry, Listing, Page, Platform, anchor_title, listed_date

RECORD = re.compile(r"<record>\s*<!\[CDATA\[(.*?)\]\]>\s*</record>", re.DOTALL)
TOTAL = re.compile(r"totalRecord\s*:\s*(\d+)|<totalrecord>(\d+)</totalrecord>", re.IGNORECASE)
PER_PAGE = re.compile(r"perPage\s*:\s*(\d+)")
PROXY = re.compile(r"proxyUrl\s*:\s*[\"']([^\"']+)[\"']")
AJAX = re.compile(r"ajaxParam\s*:\s*\{(.*?)\}", re.DOTALL)
PARAM = re.compile(r"(\w+)\s*:\s*(?:\"([^\"]*)\"|'([^']*)'|([^,}\s]+))")
MAX_RECORDS = 1000
ANNUAL = re.compile(r"""location\.href\s*=\s*['"]([^'"]*xxgkAnnualReport\.jsp\?(?:[^'"]*&)?fbtime=)['"]\s*\+\s*"""
                    r"""this\.(?:value|options\[this\.selectedIndex\]\.value)""", re.IGNORECASE)


def annual_years(page: Page) -> list[Call]:
    """The year pages of an xxgkAnnualReport.jsp year selector (columns titled by their year)."""
    calls = []
    for select in page.tree.iter("select"):
        match = ANNUAL.search(select.get("onchange") or "")
        if not match:
            continue
        for option in select.iter("option"):
            year = (option.get("value") or "").strip()
            if year.isdigit():
                calls.append(Call(canonical(match[1] + year, page.url), Role.COLUMN, title=f"{year}年"))
    return calls


def records(page: Page, text: str) -> list[Entry]:
    out = []
    for cdata in RECORD.findall(text):
        fragment = lxml.html.fragment_fromstring(cdata, create_parent="div")
        for a in fragment.iter("a"):
            if href := a.get("href"):
                out.append(Entry(canonical(href, page.url), anchor_title(a), listed_date(a)))
    return out


class Hanweb(Platform):
    name = "hanweb"

    def detect(self, page: Page) -> bool:
        return "dataproxy.jsp" in page.text or "<datastore>" in page.text or "xxgkAnnualReport.jsp" in page.text

    def entries(self, page: Page, pairs) -> list[Entry]:
        return records(page, page.text) + super().entries(page, pairs)

    def more(self, page: Page, pairs) -> list[Call]:
        return annual_years(page) + self._proxy_calls(page)

    def _proxy_calls(self, page: Page) -> list[Call]:
        total, shown = TOTAL.search(page.text), len(RECORD.findall(page.text))
        proxy, ajax = PROXY.search(page.text), AJAX.search(page.text)
        if not (total and proxy and ajax):
            return []
        count = int(total[1] or total[2])
        if count <= shown:
            return []
        form = {m[0]: m[1] or m[2] or m[3] for m in PARAM.findall(ajax[1])}
        per = PER_PAGE.search(page.text)
        return [self._call(urljoin(page.url, proxy[1]), form, 1, count, int(per[1]) if per else 20)]

    @staticmethod
    def _call(url: str, form: dict[str, str], start: int, total: int, per: int) -> Call:
        end = min(total, start + MAX_RECORDS - 1)
        query = urlencode({"startrecord": start, "endrecord": end, "perpage": per})
        return Call(f"{url.split('?')[0]}?{query}", Role.API, "POST", urlencode(form))

    def api(self, page: Page) -> Listing:
        entries = records(page, page.text)
        total = TOTAL.search(page.text)
        query = dict(parse_qsl(urlsplit(page.url).query))
        end, per = int(query.get("endrecord", "0")), int(query.get("perpage", "20"))
        calls = []
        if entries and total and end < int(total[1] or total[2]):
            calls.append(self._call(page.url, dict(parse_qsl(page.body or "")), end + 1, int(total[1] or total[2]),
                                    per))
        return Listing(self.name, entries, calls)
