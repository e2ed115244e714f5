"""Guangdong 政府信息公开目录 (gkmlpt): `/{agency}/gkmlpt/index` is a Vue shell whose `window._CONFIG` carries
the site id (`SID`) and the column tree; lists come only from `/{agency}/gkmlpt/api/all/<col>?page=&sid=` (JSON)
(domain.md §5). The 政务公开 page links one such directory per agency on a consolidated county portal."""
from __future__ import annotations

import json
import re
from urllib.parse import parse_qsl, urlencode, urlsplit

from crawler.constants import Role
from crawler.discovery.navigation import report_score
from crawler.discovery.urls import canonical
from crawler.platforms.base import Call, Entry, Listing, Page, Platform, anchor_text

SHELL = re.compile(r"/gkmlpt/index$")
SID = re.compile(r"SID\s*:\s*['\"](\w+)['\"]")
TREE = re.compile(r"TREE\s*:\s*")


def _nodes(tree: list) -> list[dict]:
    out = []
    for node in tree:
        out.append(node)
        out += _nodes(node.get("children") or [])
    return out


def tree_nodes(page: Page) -> list[dict]:
    """Every category of a shell's `window._CONFIG` TREE, nested ones included ([] when it has none)."""
    start = TREE.search(page.text)
    if not start:
        return []
    try:
        tree, _ = json.JSONDecoder().raw_decode(page.text, start.end())
    except ValueError:
        return []
    return _nodes(tree) if isinstance(tree, list) else []


class Gkmlpt(Platform):
    name = "gkmlpt"

    def detect(self, page: Page) -> bool:
        return "gkmlpt" in page.text and ("_CONFIG" in page.text or "/gkmlpt/index" in page.text)

    def listing(self, page: Page) -> Listing:
        if SHELL.search(urlsplit(page.url).path):
            return Listing(self.name, [], self.shell(page))
        # The 政务公开 page: every agency's directory.
        calls: dict[str, Call] = {}
        for a, url in page.anchors(main_only=False):
            if SHELL.search(urlsplit(url).path):
                calls.setdefault(url, Call(url, Role.SHELL, title=anchor_text(a)))
        return Listing(self.name, [], list(calls.values()))

    def shell(self, page: Page) -> list[Call]:
        sid = SID.search(page.text)
        if not sid:
            return []
        base = canonical(page.url).rsplit("/gkmlpt/index", 1)[0]
        return [Call(f"{base}/gkmlpt/api/all/{node['id']}?{urlencode({'page': 1, 'sid': sid[1]})}", Role.API,
                     title=node.get("name", ""))
                for node in tree_nodes(page) if node.get("id") and report_score(node.get("name", ""), "") >= 6]

    def api(self, page: Page) -> Listing:
        data = json.loads(page.text)
        articles = data.get("articles") or []
        entries = [Entry(a["url"], a.get("title", ""), a.get("created_at")) for a in articles if a.get("url")]
        parts = urlsplit(page.url)
        query = dict(parse_qsl(parts.query))
        n = int(query.get("page", "1"))
        calls = []
        if articles and n * len(articles) < int(data.get("total") or 0):
            query["page"] = str(n + 1)
            calls.append(Call(f"{parts.scheme}://{parts.netloc}{parts.path}?{urlencode(query)}", Role.API))
        return Listing(self.name, entries, calls)
