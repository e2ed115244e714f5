"""TRS "动静结合" lists (Fujian): a static first page, the rest from a search API whose parameters the page's
script names (`channelid`, `classsql: "chnlid=…"`, `prepage`, `recordCount`). Older reports exist only there, so
the API is asked for everything at its largest page size."""
from __future__ import annotations

import json
import re
from urllib.parse import parse_qsl, urlencode, urljoin

from crawler.constants import Role
from crawler.platforms.base import Call, Entry, Listing, Page, Platform

CONFIG = re.compile(r"var\s+pageConfig\s*=\s*(\{.*?\})\s*;", re.DOTALL)
MAX_PREPAGE = 100


class TrsDynamic(Platform):
    name = "trs_dynamic"

    def detect(self, page: Page) -> bool:
        return bool(CONFIG.search(page.text)) and "classsql" in page.text

    def more(self, page: Page, pairs) -> list[Call]:
        match = CONFIG.search(page.text)
        try:
            config = json.loads(match[1]) if match else None
        except ValueError:
            config = None
        if not config or int(config.get("recordCount", 0)) <= int(config.get("prepage", 0) or 0):
            return []
        return [self._call(urljoin(page.url, config.get("url") or "/search"), config["channelid"],
                           config["classsql"], 1)]

    @staticmethod
    def _call(url: str, channel: str, classsql: str, n: int) -> Call:
        body = urlencode({"channelid": channel, "classsql": classsql, "page": n, "prepage": MAX_PREPAGE})
        return Call(url, Role.API, "POST", body)

    def api(self, page: Page) -> Listing:
        data = json.loads(page.text)
        rows = data.get("data") or []
        entries = [Entry(r.get("docpuburl") or r.get("chnldocurl"), r.get("doctitle", ""), r.get("docreltime"))
                   for r in rows if r.get("docpuburl") or r.get("chnldocurl")]
        calls = []
        form = dict(parse_qsl(page.body or ""))
        n = int(form.get("page", "1"))
        if rows and n < int(data.get("pagecount") or 0):
            calls.append(self._call(page.url, form["channelid"], form["classsql"], n + 1))
        return Listing(self.name, entries, calls)
