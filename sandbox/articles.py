"""Article bodies: what a report or near-miss page shows, and the files it links to, whatever the CMS.

Attachment links take the forms of domain.md §5: an "附件：" block, a "相关附件" list, a PDF viewer <iframe>,
an onclick handler, or only a string in a script.
"""
from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from html import escape

from sandbox import texts
from sandbox.content import Item, Site
from sandbox.documents import BODY, PICTURE, DocumentStore, Rendering, ReportRef, image_body
from sandbox.seeding import rng

HUGE_SIZE = 100 * 1024 * 1024
_ROW = re.compile(r"<tr[\s>]", re.IGNORECASE)
_TABLE = re.compile(r"<table[^>]*>", re.IGNORECASE)
LINK_STYLES = ("block", "block", "related", "onclick", "script", "iframe")


@dataclass(frozen=True, slots=True)
class Attachment:
    role: str  # report (the report document) | image (a table drawn as a picture) | scan (the huge file)
    fmt: str
    name: str  # the file name shown
    index: int = 0  # images: which table


def report_ref(seed: int, item: Item, today: dt.date) -> ReportRef:
    version = 2 if item.revised and today >= item.revised else 1
    if item.unit is None or item.year is None or item.template is None:
        raise ValueError(f"item {item.id} ({item.kind}) has no unit, year or template: not a report")
    return ReportRef(seed, item.unit, item.year, item.template, item.title, item.published.isoformat(), version)


def renderings(seed: int, item: Item, today: dt.date) -> list[Rendering]:
    """What the report's page and files as shown on `today` are made of, as DocumentStore names them: the article
    body in the item's editor's markup, the table pictures, the attachment."""
    if item.kind != "report":
        return []
    ref = report_ref(seed, item, today)
    made = [(ref, BODY, item.editor)] if item.form in ("html", "html+att") else []
    return made + [(ref, PICTURE, str(a.index)) if a.role == "image" else (ref, a.fmt, "") for a in attachments(item)]


def attachments(item: Item) -> list[Attachment]:
    if item.kind == "compilation":
        return [Attachment("scan", "pdf", f"{item.title}.pdf")]
    if item.kind != "report":
        return []
    if item.form == "image":
        return [Attachment("image", "png", f"table{n + 1}.png", n) for n in range(3)]
    if item.has_attachment:
        assert item.fmt is not None  # the world gives every report with an attachment its format
        return [Attachment("report", item.fmt, f"{item.title}.{item.fmt}")]
    return []


def _link(style: str, href: str, name: str) -> str:
    n = escape(name)
    if style == "related":
        return f'<div class="xgfj"><h4>相关附件</h4><ul><li><a href="{href}" target="_blank">{n}</a></li></ul></div>'
    if style == "onclick":
        return f'<p>附件：<a href="javascript:void(0);" onclick="window.open(\'{href}\')">{n}</a></p>'
    if style == "script":
        return (f'<p>附件：<span class="fj" id="fj1">{n}</span></p>\n<script type="text/javascript">'
                f'var fjurl = "{href}";document.getElementById("fj1").onclick=function(){{location.href=fjurl;}};'
                "</script>")
    if style == "iframe" and href.endswith(".pdf"):
        return f'<iframe src="{href}" width="100%" height="800" frameborder="0"></iframe>'
    return f'<p class="fj">附件：<a href="{href}" target="_blank">{n}</a></p>'


def _paragraphs(lines: list[str]) -> str:
    return "\n".join(f'<p style="text-indent: 2em;">{escape(p)}</p>' for p in lines)


def body(site: Site, item: Item, today: dt.date, href: Callable[[Attachment], str], store: DocumentStore) -> str:
    """The article body of `item` as shown on `today`; `href` gives each attachment's URL."""
    seed = site.world.seed
    files = attachments(item)
    style = rng(seed, "link-style", site.portal.host, item.id).choice(LINK_STYLES)
    if item.kind == "report":
        ref = report_ref(seed, item, today)
        if item.form == "image":
            return image_body(ref.spec, lambda n: href(files[n]))
        if item.form == "att":
            intro = _paragraphs([f"{item.title}已经编制完成，现予以公布。", "详见附件。"])
            return intro + "\n" + _link(style, href(files[0]), files[0].name)
        text = store.body(ref, item.editor)
        return text + ("\n" + _link(style, href(files[0]), files[0].name) if files else "")
    if item.kind == "compilation":
        return _paragraphs([f"{item.title}（文件较大，约100MB，请耐心下载）"]) + "\n" + \
            _link("block", href(files[0]), files[0].name)
    r = rng(seed, "body", site.portal.host, item.id)
    agency = item.unit.name if item.unit else site.portal.owner.name
    text = _paragraphs(texts.body(item.kind, r, agency, item.year))
    if item.kind == "website_report":
        rows = texts.website_report_rows(r, site.portal.owner.name, site.portal.host, site.portal.site_code)
        cells = "".join(f"<tr><td>{escape(a)}</td><td>{escape(b)}</td></tr>" for a, b in rows)
        text += f'\n<table border="1" cellspacing="0" cellpadding="4" width="100%"><tbody>{cells}</tbody></table>'
    return text


def split_body(text: str, parts: int) -> list[str]:
    """A long article body cut into `parts` pages the way a CMS pages it: at row boundaries, so that a table runs
    on over the break (each page closes the table, the next reopens it with the same tag)."""
    rows = [m.start() for m in _ROW.finditer(text)]
    if len(rows) < parts:
        raise ValueError("too few table rows to page the article")
    out, start, carry = [], 0, ""
    for k in range(1, parts):
        cut = rows[k * len(rows) // parts]
        table = list(_TABLE.finditer(text, 0, cut))[-1]
        tbody = "<tbody" in text[table.end():cut].lower()
        out.append(carry + text[start:cut] + ("</tbody>" if tbody else "") + "</table>")
        carry, start = table.group(0) + ("<tbody>" if tbody else ""), cut
    out.append(carry + text[start:])
    return out
