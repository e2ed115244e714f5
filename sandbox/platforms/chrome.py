"""Site chrome shared by the CMS families: the page frame, the home and 政务公开 pages, the article page.

Families differ in URLs, list markup, pagination and the scripts that load lists; the frame around the content
(header, navigation, breadcrumb, footer with the 网站标识码, the meta tags) is common to all of them, as it is
on real portals built from one provincial template.
"""
from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from html import escape

from sandbox.content import Column, Item, Site
from sandbox.http import Response, html

CHARSET_META = {"utf-8": '<meta charset="utf-8">',
                "gbk-declared-utf-8": '<meta http-equiv="Content-Type" content="text/html; charset=utf-8">',
                "gbk-declared-latin1": '<meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1">',
                "gbk-undeclared": ""}


def e(text: str) -> str:
    return escape(text, quote=True)


@dataclass(frozen=True)
class Frame:
    """One page's content for the common frame."""

    title: str
    main: str  # inner HTML of the main area
    crumbs: tuple[tuple[str, str], ...] = ()  # (title, href) after 首页
    metas: dict[str, str] = field(default_factory=dict)
    head: str = ""  # family markers: generator metas, list scripts
    tail: str = ""  # scripts at the end of the body


def page(site: Site, frame: Frame, nav: list[tuple[str, str]], extra_links: Sequence[tuple[str, str]] = ()) -> Response:
    p = site.portal
    metas = {"SiteName": p.owner.name, "SiteDomain": p.host, "SiteIDCode": p.site_code, **frame.metas}
    meta = "\n".join(f'<meta name="{k}" content="{e(v)}">' for k, v in metas.items() if v)
    crumbs = " &gt; ".join(['<a href="/">首页</a>'] + [f'<a href="{h}">{e(t)}</a>' for t, h in frame.crumbs])
    links = "".join(f'<li><a href="{h}" target="_blank">{e(t)}</a></li>' for t, h in extra_links)
    text = (
        f"<!DOCTYPE html>\n<html>\n<head>\n{CHARSET_META[p.encoding]}\n<title>{e(frame.title)}</title>\n{meta}\n"
        f'<link rel="stylesheet" href="/images/common.css">\n{frame.head}\n</head>\n<body>\n'
        f'<div class="header"><div class="logo"><a href="/">{e(p.owner.name)}</a></div>\n<ul class="nav">'
        + "".join(f'<li><a href="{h}">{e(t)}</a></li>' for t, h in nav)
        + f'</ul></div>\n<div class="position">当前位置：{crumbs}</div>\n<div class="main">\n{frame.main}\n</div>\n'
        f'<div class="footer"><ul class="links">{links}</ul>'
        f"<p>主办：{e(p.owner.name.replace('人民政府', '人民政府办公室'))}&nbsp;&nbsp;网站标识码：{p.site_code}</p>"
        f"<p>ICP备{p.site_code[:6]}{p.index % 97:02d}号</p></div>\n{frame.tail}\n</body>\n</html>\n")
    return html(text, encoding="utf-8" if p.encoding == "utf-8" else "gbk")


def date_str(day: dt.date) -> str:
    return day.isoformat()


def li(href: str, title: str, day: dt.date, limit: int = 40) -> str:
    # Lists truncate long titles and keep the whole one in the title attribute, as TRS and VSB templates do.
    shown = title if len(title) <= limit else title[:limit] + "…"
    return f'<li><a href="{href}" title="{e(title)}" target="_blank">{e(shown)}</a><span>{date_str(day)}</span></li>'


def column_block(title: str, items_html: str, more: str | None = None) -> str:
    more_link = f'<a class="more" href="{more}">更多&gt;&gt;</a>' if more else ""
    return (f'<div class="column"><div class="column-title"><h3>{e(title)}</h3>{more_link}</div>'
            f'<ul class="list">{items_html}</ul></div>')


def link_list(title: str, css: str, links: list[tuple[str, str]]) -> str:
    items = "".join(f'<li><a href="{h}" target="_blank">{e(t)}</a></li>' for t, h in links)
    return f'<div class="{css}"><div class="{css}-title">{e(title)}</div><ul>{items}</ul></div>'


def scripted_links(title: str, links: list[tuple[str, str]]) -> str:
    """A list of sites written by a script from its data only: no link in the HTML (JS-only navigation)."""
    data = json.dumps([{"name": t, "url": h} for t, h in links], ensure_ascii=False)
    return (f'<div class="zfwz"><div class="zfwz-title">{e(title)}</div><ul id="zfwz-list"></ul></div>\n'
            f'<script type="text/javascript">var zfwzData = {data};\n'
            "(function(){var h='';for(var i=0;i<zfwzData.length;i++){h+='<li><a href=\"'+zfwzData[i].url+"
            "'\" target=\"_blank\">'+zfwzData[i].name+'</a></li>';}"
            "document.getElementById('zfwz-list').innerHTML=h;})();</script>")


def sub_nav(site: Site, children: Sequence[str], href: Callable[[str], str]) -> str:
    if not children:
        return ""
    links = "".join(f'<li><a href="{href(k)}">{e(site.columns[k].title)}</a></li>' for k in children)
    return f'<div class="sub-nav"><ul>{links}</ul></div>'


def article_metas(site: Site, item: Item, column: Column, url: str) -> dict[str, str]:
    return {"ColumnName": column.title, "ArticleTitle": item.title, "PubDate": f"{item.published.isoformat()} 09:30",
            "ContentSource": item.unit.name if item.unit else site.portal.owner.name, "Url": url}


def article_main(item: Item, body: str, info_source: str) -> str:
    return (f'<div class="article"><h1 class="article-title">{e(item.title)}</h1>\n'
            f'<div class="article-info"><span>发布日期：{date_str(item.published)}</span>'
            f'<span>来源：{e(info_source)}</span><span>【字体：大 中 小】</span></div>\n'
            f'<div class="article-content TRS_Editor" id="zoom">\n{body}\n</div>\n'
            '<div class="article-tools"><a href="javascript:window.print()">【打印本页】</a>'
            '<a href="javascript:window.close()">【关闭窗口】</a></div></div>')
