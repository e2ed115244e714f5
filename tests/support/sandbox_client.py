"""Helpers for the sandbox tests: a polite in-process client that passes WAF challenges and retries 500s the way a
crawler must, and link extraction from every kind of listing the sandbox serves."""
from __future__ import annotations

import json
import re
from urllib.parse import urljoin

from sandbox import hazards
from sandbox.app import Sandbox
from sandbox.http import Response
from sandbox.server import make_request

LINK = re.compile(r"""(?:href|src)\s*=\s*["']([^"'#]+)["']""")
SCRIPT_URL = re.compile(r"""(?:window\.open\(|fjurl = )['"]([^'"]+)['"]""")


def fetch(sb: Sandbox, url: str, method: str = "GET", body: str | None = None, raw: bool = False) -> Response:
    """One URL as a careful crawler gets it: with the WAF cookie a challenge hands out, after one retry on a 500."""
    host = url.split("/")[2]
    portal = sb.world.portal(host)
    cookie = ""
    if portal is not None and not raw:
        cookie = "; ".join(f"{n}={hazards.cookie_value(portal, sb.world.seed)}" for _, n in hazards.WAF.values())
    headers = {"cookie": cookie, "content-type": "application/x-www-form-urlencoded"}
    response = sb.handle(make_request(method, url, headers, (body or "").encode()))
    if response.status == 500 and not raw:
        response = sb.handle(make_request(method, url, headers, (body or "").encode()))
    return response


def text(response: Response) -> str:
    return response.body.decode("utf-8") if response.content_type and "utf-8" in response.content_type.lower() \
        else response.body.decode("gb18030")


def links(url: str, response: Response) -> set[str]:
    """Every URL a page, an XML datastore or a JSON list points to, absolute and without session ids."""
    body = text(response)
    found: set[str] = set()
    if response.content_type and response.content_type.startswith("application/json"):
        data = json.loads(body)
        for entry in data.get("articles") or data.get("data") or []:
            found.add(entry.get("url") or entry.get("docpuburl"))
    else:
        found.update(LINK.findall(body))
        found.update(SCRIPT_URL.findall(body))
    out = set()
    for link in found:
        if link.startswith(("javascript:", "mailto:")):
            continue
        absolute = urljoin(url, link.replace("&amp;", "&"))
        out.add(hazards.SESSION.sub("", absolute))
    return out
