"""Host-level hazards of the real government web (domain.md §5, issue 4), applied around the CMS pages.

Each hazard is a pure function of the portal and the request, except `flaky_500`, which must remember which URLs
already failed once: a bounded LRU, so memory stays bounded however long a crawl runs.
"""
from __future__ import annotations

import datetime as dt
import re
from collections import OrderedDict
from dataclasses import dataclass, field
from urllib.parse import quote

from sandbox.http import Request, Response, html, redirect
from sandbox.seeding import digest
from sandbox.world import Portal

TRAP_PATHS = ("/calendar/", "/search/")
SESSION = re.compile(r";jsessionid=[0-9a-f]*", re.IGNORECASE)
# What a crawler meets, and what a perfect crawler does about it (recorded in the manifest).
DESCRIPTIONS = {
    "calendar_trap": "活动日历 links each day to the next and previous day without end; never follow /calendar/",
    "infinite_pagination": "site search for 年报 offers 下一页 on every page forever; stop when a page adds nothing",
    "session_ids": "every internal link carries a fresh ;jsessionid=…; strip it before deduplicating URLs",
    "soft_404": "missing pages, and one deleted report still listed, answer 200 with a 页面不存在 page",
    "waf_200": "without its cookie every request gets a 200 challenge page (script); retry with the Set-Cookie cookie",
    "waf_412": "瑞数-style 412 challenge with a script; retry with the Set-Cookie cookie",
    "waf_521": "加速乐-style 521 challenge with a script; retry with the Set-Cookie cookie",
    "slow": "one response in three takes `slow_seconds`",
    "flaky_500": "the first request for each URL answers 500; the second succeeds",
    "redirect_loop": "专题专栏 redirects /zt/index.html ↔ /zt/index.htm forever",
    "huge_attachment": "a 100 MB scan linked from the report column; a size limit must stop it, it is not a report",
    "robots": "robots.txt disallows the news section and the trap paths",
    "robots_all": "robots.txt disallows everything but Baiduspider; the same reports are on the county portal",
    "https_home": "the home page redirects to https, which the sandbox cannot serve; start from the registry's "
                  "column URL",
    "down": "the portal does not answer (502 from the proxy)",
    "spam_clone": "a non-government domain copies the portal's pages (same titles, same reports); the portal's "
                  "footer links it and a report list carries an injected link to its copy: never request it",
    "ip_host": "the portal lives at a public IP address and port, not a domain; the registry row names it so",
    "poison_documents": "its report column lists, under report titles, files that take parsers down (an XLSX that "
                        "aborts its reader, a damaged one, a zip bomb, a span bomb): archive each as what `expect` "
                        "says, an error capture or not a report, and every report beside them",
}
WAF = {  # hazard → (status, cookie name)
    "waf_200": (200, "yd_cookie"),
    "waf_412": (412, "FSSBBIl1UgzbN7NS"),
    "waf_521": (521, "__jsluid_h"),
}


@dataclass
class HazardState:
    failed: OrderedDict = field(default_factory=OrderedDict)  # (host, target) of URLs that already failed once
    limit: int = 100_000

    def first_failure(self, key: tuple[str, str]) -> bool:
        if key in self.failed:
            return False
        self.failed[key] = None
        if len(self.failed) > self.limit:
            self.failed.popitem(last=False)
        return True


def cookie_value(portal: Portal, seed: int) -> str:
    return f"{digest(seed, 'waf', portal.host):016x}"


def robots_txt(portal: Portal, news_dir: str) -> Response:
    if "robots_all" in portal.hazards:
        return Response(200, b"User-agent: Baiduspider\nAllow: /\n\nUser-agent: *\nDisallow: /\n", "text/plain")
    if "robots" in portal.hazards:
        text = f"User-agent: *\nDisallow: {news_dir}\nDisallow: /search/\nDisallow: /calendar/\nDisallow: /zt/\n"
        return Response(200, text.encode(), "text/plain")
    # Most government sites have no robots.txt at all.
    return Response(404, b"<html><body><h1>404 Not Found</h1></body></html>", "text/html")


def challenge(portal: Portal, seed: int, kind: str) -> Response:
    status, name = WAF[kind]
    value = cookie_value(portal, seed)
    script = "".join(f"('{c}')+" for c in f"{name}={value}") + "''"
    if kind == "waf_412":
        body = (f"<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=utf-8\">"
                f"<script type=\"text/javascript\" r=\"m\">$_ts=window['$_ts'];if(!$_ts)$_ts={{}};$_ts.nsd=8721;"
                f"document.cookie={script};location.reload();</script></head><body></body></html>")
    elif kind == "waf_521":
        body = f"<script>document.cookie={script};location.href=location.pathname+location.search</script>"
    else:
        body = ("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>安全验证</title></head><body>"
                "<div class=\"yd-box\"><p>正在进行安全检测，请稍候……</p><p>创宇云防御</p></div>"
                f"<script>setTimeout(function(){{document.cookie={script};location.reload();}},1000);</script>"
                "</body></html>")
    return Response(status, body.encode(), "text/html; charset=utf-8",
                    [("Set-Cookie", f"{name}={value}; path=/; HttpOnly"), ("Cache-Control", "no-cache")])


def before(portal: Portal, seed: int, req: Request, state: HazardState) -> Response | None:
    """A hazard's answer that replaces the page, if any."""
    hazards = portal.hazards
    if "https_home" in hazards and req.path in ("/", "/index.html", "/index.htm", "/index.shtml"):
        return redirect(f"https://{portal.netloc}{req.path}", 301)
    for kind in WAF:
        if kind in hazards and req.cookies.get(WAF[kind][1]) != cookie_value(portal, seed):
            return challenge(portal, seed, kind)
    if "flaky_500" in hazards and state.first_failure((portal.host, req.target)):
        return Response(500, b"<html><body><h1>500 Internal Server Error</h1></body></html>", "text/html")
    if "redirect_loop" in hazards and req.path in ("/zt/index.html", "/zt/index.htm"):
        return redirect("/zt/index.htm" if req.path.endswith("html") else "/zt/index.html")
    return None


def delay(portal: Portal, seed: int, req: Request, seconds: float) -> float:
    return seconds if "slow" in portal.hazards and digest(seed, "slow", req.target) % 3 == 0 else 0.0


def home_links(portal: Portal, today: dt.date) -> list[tuple[str, str]]:
    """The trap entrances a portal's pages link to (in the footer's link list)."""
    links = []
    if "calendar_trap" in portal.hazards:
        links.append(("活动日历", f"/calendar/?date={today.isoformat()}"))
    if "infinite_pagination" in portal.hazards:
        links.append(("热门搜索：年报", "/search/?keyword=" + quote("年报") + "&page=1"))
    if "redirect_loop" in portal.hazards:
        links.append(("专题专栏", "/zt/index.html"))
    if portal.clone:
        links.append(("友情链接：" + portal.owner.short + "政务信息网", f"http://{portal.clone}/"))
    return links


def trap_page(portal: Portal, req: Request, report_links: list[tuple[str, str]]) -> str | None:
    """The calendar and search traps' pages (HTML), or None when `req` is not one of them."""
    if req.path == "/calendar/" and "calendar_trap" in portal.hazards:
        try:
            day = dt.date.fromisoformat(req.query.get("date", ""))
        except ValueError:
            day = dt.date(2026, 1, 1)
        steps = (("上一天", -1), ("下一天", 1), ("上个月", -30), ("下个月", 30))
        links = "".join(f'<a href="/calendar/?date={(day + dt.timedelta(days=n)).isoformat()}">{t}</a> '
                        for t, n in steps)
        return (f"<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>活动日历 {day}</title></head><body>"
                f"<h1>{day.year}年{day.month}月{day.day}日 活动安排</h1><p>今日暂无活动安排。</p>{links}</body></html>")
    if req.path == "/search/" and "infinite_pagination" in portal.hazards:
        page = int(req.query.get("page", "1") or 1) if req.query.get("page", "1").isdigit() else 1
        shown = report_links[page % max(1, len(report_links)):][:5] or report_links[:5]
        rows = "".join(f'<li><a href="{h}">{t}</a></li>' for t, h in shown)
        keyword = quote(req.query.get("keyword", ""))
        return (f"<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>搜索结果</title></head><body>"
                f"<div class=\"search\"><p>找到相关结果约{900 + page}条</p><ul>{rows}</ul>"
                f'<a href="/search/?keyword={keyword}&page={page + 1}">下一页</a></div></body></html>')
    return None


def with_session_ids(portal: Portal, seed: int, req: Request, body: bytes) -> bytes:
    """Every internal link gets a fresh session id, derived from the page's own URL: an endless supply of URLs."""
    if "session_ids" not in portal.hazards:
        return body
    token = f"{digest(seed, 'session', req.url) & 0xFFFFFFFFFFFF:012X}".encode()
    return re.sub(rb'href="((?:/|\./)[^"?#;]*)', lambda m: b'href="' + m.group(1) + b";jsessionid=" + token, body)


def not_found(portal: Portal) -> Response:
    """A missing page: a soft 404 on portals that have them, otherwise a plain 404."""
    if "soft_404" in portal.hazards:
        return html(soft_404_page(portal))
    return Response(404, b"<html><head><title>404 Not Found</title></head><body><center><h1>404 Not Found</h1>"
                         b"</center><hr><center>nginx</center></body></html>", "text/html")


def soft_404_page(portal: Portal) -> str:
    return (f"<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>{portal.owner.name}</title></head><body>"
            "<div class=\"error\"><h2>很抱歉，您要访问的页面不存在或已被删除！</h2>"
            "<p><a href=\"/\">返回首页</a></p></div>"
            "</body></html>")
