"""CMS-style article pages: site chrome around a report body written by one of several editors.

Editors differ the way real pages do: `plain` (a CMS rich-text box), `word` (pasted from Word: MsoNormal spans,
`<p>` inside cells, `&nbsp;` in blank cells), `wps` (pasted from WPS: p0 classes, digits in their own runs) and
`layout` (an old template whose whole page, report included, sits in layout tables). Encodings cover the
hazards of domain.md §5: GBK bytes declared as UTF-8 or ISO-8859-1, or not declared at all.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from html import escape

from sandbox.reports.layout import (
    RUN_BREAK,
    Article,
    Block,
    Cell,
    Paragraph,
    Table,
    heading_level,
    letter_blocks,
    report_blocks,
)
from sandbox.reports.site import Site, site_for, stable_hash
from sandbox.reports.spec import ReportSpec

EDITORS = ("plain", "word", "wps", "layout")
ENCODINGS = ("utf-8", "gbk-declared-utf-8", "gbk-declared-latin1", "gbk-undeclared")
DATE_STYLES = ("date", "datetime", "chinese")


@dataclass(frozen=True)
class HtmlStyle:
    editor: str = "plain"
    encoding: str = "utf-8"
    date_style: str = "date"


def _t(text: str) -> str:
    if RUN_BREAK in text:
        return "".join(f"<span>{escape(part, quote=False)}</span>" for part in text.split(RUN_BREAK))
    return escape(text, quote=False)


def _runs(text: str, attrs: str, digit_attrs: str) -> str:
    # Word and WPS put Latin digits in their own runs with another font; the text arrives in pieces.
    parts = [p for p in re.split(r"(\d+(?:\.\d+)?)", text) if p]
    return "".join(f'<span {digit_attrs if p[0].isdigit() else attrs}>{_t(p)}</span>' for p in parts)


# --- editors: a paragraph and a table cell each ---------------------------------------------------------------

def _plain_paragraph(p: Paragraph) -> str:
    level, text = heading_level(p.text)
    if level:  # a Markdown-rendered report: its headings and sub-headings become HTML headings
        return f"<h{min(level, 6)}>{_t(text)}</h{min(level, 6)}>"
    if p.role in ("heading", "title"):
        align = ' style="text-align: center;"' if p.role == "title" else ' style="text-indent: 2em;"'
        return f"<p{align}><strong>{_t(text)}</strong></p>"
    return f'<p style="text-indent: 2em;">{_t(text)}</p>'


def _plain_cell(cell: Cell) -> str:
    text = "<br />".join(_t(line) for line in cell.text.split("\n"))
    return f"<strong>{text}</strong>" if cell.header and text else text


def _word_paragraph(p: Paragraph) -> str:
    _, text = heading_level(p.text)
    font = {"title": "方正小标宋简体", "heading": "黑体"}.get(p.role, "仿宋_GB2312")
    size = "22.0pt" if p.role == "title" else "16.0pt"
    style = ("text-align:center" if p.role == "title" else
             "text-indent:32.0pt;mso-char-indent-count:2.0;line-height:28.0pt;mso-line-height-rule:exactly")
    align = ' align="center"' if p.role == "title" else ""
    body = _runs(text, f'style="font-size:{size};font-family:{font}"',
                 f'lang="EN-US" style="font-size:{size};font-family:仿宋_GB2312;mso-hansi-font-family:'
                 f'&quot;Times New Roman&quot;"') if text else '<span lang="EN-US">&nbsp;</span>'
    return f'<p class="MsoNormal"{align} style="{style}">{body}<span lang="EN-US"><o:p></o:p></span></p>'


def _word_cell(cell: Cell) -> str:
    lines = cell.text.split("\n") if cell.text else [""]
    out = []
    for line in lines:
        body = (_runs(line, 'style="font-size:10.5pt;font-family:宋体"', 'lang="EN-US" style="font-size:10.5pt"')
                if line else '<span lang="EN-US" style="font-size:10.5pt">&nbsp;</span>')
        out.append(f'<p class="MsoNormal" align="center" style="text-align:center">{body}</p>')
    return "".join(out)


def _wps_paragraph(p: Paragraph) -> str:
    _, text = heading_level(p.text)
    font = {"title": "宋体", "heading": "黑体"}.get(p.role, "仿宋_GB2312")
    style = "margin-bottom:0pt;margin-top:0pt;" + (
        "text-align:center;" if p.role == "title" else "text-indent:32.0000pt;line-height:28.0000pt;")
    size = "22.0000pt" if p.role == "title" else "16.0000pt"
    body = _runs(text, f"style=\"mso-spacerun:'yes';font-family:{font};font-size:{size};\"",
                 f"style=\"mso-spacerun:'yes';font-family:'Times New Roman';font-size:{size};\"")
    return f'<p class="p0" style="{style}">{body}</p>'


def _wps_cell(cell: Cell) -> str:
    lines = cell.text.split("\n") if cell.text else [""]
    return "".join(
        '<p class="p0" style="text-align:center;">'
        + (_runs(line, "style=\"mso-spacerun:'yes';font-family:宋体;font-size:10.5000pt;\"",
                 "style=\"mso-spacerun:'yes';font-family:'Times New Roman';font-size:10.5000pt;\"") if line else "")
        + "<span style=\"font-family:宋体;font-size:10.5000pt;\"><o:p></o:p></span></p>"
        for line in lines)


def _layout_cell(cell: Cell) -> str:
    return "<br>".join(_t(line) for line in cell.text.split("\n")) if cell.text else "&nbsp;"


_TABLE_OPEN = {
    "plain": '<table border="1" cellspacing="0" cellpadding="0" style="border-collapse: collapse; width: 100%;">',
    "word": '<table class="MsoNormalTable" border="1" cellspacing="0" cellpadding="0" width="100%" '
            'style="width:100.0%;border-collapse:collapse;border:none;mso-border-alt:solid windowtext .5pt;'
            'mso-yfti-tbllook:1184;mso-padding-alt:0cm 5.4pt 0cm 5.4pt">',
    "wps": '<table style="border-collapse:collapse;width:100%;mso-table-layout-alt:fixed;border:none;'
           'mso-border-left-alt:0.5000pt solid rgb(0,0,0);mso-padding-alt:0.0000pt 5.4000pt 0.0000pt 5.4000pt;">',
    "layout": '<table width="96%" border="1" align="center" cellpadding="2" cellspacing="0" bordercolor="#000000">',
}
_TD_STYLE = {
    "plain": "",
    "word": ' valign="center" style="border:solid windowtext 1.0pt;padding:0cm 5.4pt 0cm 5.4pt"',
    "wps": ' valign="center" style="padding:0.0000pt 5.4000pt 0.0000pt 5.4000pt;border-left:0.5000pt solid rgb(0,0,0);'
           'border-right:0.5000pt solid rgb(0,0,0);border-top:0.5000pt solid rgb(0,0,0);'
           'border-bottom:0.5000pt solid rgb(0,0,0);"',
    "layout": ' align="center" class="xl65"',
}
_CELL = {"plain": _plain_cell, "word": _word_cell, "wps": _wps_cell, "layout": _layout_cell}
_PARAGRAPH = {"plain": _plain_paragraph, "word": _word_paragraph, "wps": _wps_paragraph, "layout": _plain_paragraph}


def _table(table: Table, editor: str) -> str:
    rows = []
    for i, row in enumerate(table.rows()):
        tds = []
        for cell in row:
            span = (f' rowspan="{cell.rowspan}"' if cell.rowspan > 1 else "") + (
                f' colspan="{cell.colspan}"' if cell.colspan > 1 else "")
            tds.append(f"<td{span}{_TD_STYLE[editor]}>{_CELL[editor](cell)}</td>")
        attrs = f' style="mso-yfti-irow:{i}"' if editor == "word" else ""
        rows.append(f"<tr{attrs}>" + "".join(tds) + "</tr>")
    return _TABLE_OPEN[editor] + "<tbody>" + "\n".join(rows) + "</tbody></table>"


def body_html(blocks: list[Block], editor: str) -> str:
    parts = []
    for block in blocks:
        if isinstance(block, Table):
            parts.append(_table(block, editor))
        elif block.role == "page_break":
            continue
        elif block.role == "title":
            if editor in ("word", "wps"):  # pasted documents repeat their title; CMS pages show it as the heading
                parts += [_PARAGRAPH[editor](Paragraph(line, "title")) for line in block.text.split("\n")]
        else:
            parts.append(_PARAGRAPH[editor](block))
    inner = "\n".join(parts)
    if editor == "word":
        return f'<div class="WordSection1" style="layout-grid:15.6pt">\n{inner}\n</div>'
    return inner


# --- the page -----------------------------------------------------------------------------------------------

def _date_line(published: str, style: str, title: str) -> tuple[str, str]:
    """(the line under the title, the PubDate meta value)."""
    h = stable_hash(title)
    time = f"{8 + h % 10:02d}:{h % 60:02d}"
    y, m, d = published.split("-")
    line = {"date": f"发布日期：{published}", "datetime": f"发布时间：{published} {time}",
            "chinese": f"{y}年{m}月{d}日"}[style]
    return line, f"{published} {time}"


def _head(article: Article, site: Site, style: HtmlStyle, pubdate: str | None) -> str:
    charset = {"utf-8": '<meta charset="utf-8">',
               "gbk-declared-utf-8": '<meta http-equiv="Content-Type" content="text/html; charset=utf-8">',
               "gbk-declared-latin1": '<meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1">',
               "gbk-undeclared": ""}[style.encoding]
    metas = [("SiteName", site.name), ("SiteIDCode", site.code), ("ColumnName", site.column),
             ("ArticleTitle", article.title), ("PubDate", pubdate), ("ContentSource", article.source)]
    meta = "\n".join(f'<meta name="{n}" content="{escape(v)}">' for n, v in metas if v)
    return (f"<head>\n{charset}\n<title>{_t(article.title)}_{_t(site.name)}</title>\n{meta}\n"
            '<link rel="stylesheet" type="text/css" href="/images/public.css">\n'
            '<script type="text/javascript" src="/js/jquery-1.11.3.min.js"></script>\n</head>')


def _nav(site: Site) -> str:
    items = ["首页", "政务公开", "政务服务", "互动交流", "走进" + site.name.removesuffix("人民政府")]
    return "".join(f'<li><a href="/{"" if i == 0 else f"col{i}/"}">{_t(t)}</a></li>' for i, t in enumerate(items))


def _breadcrumb(site: Site) -> str:
    return ('当前位置：<a href="/">首页</a> &gt; <a href="/zwgk/">政务公开</a> &gt; '
            f'<a href="/zwgk/zfxxgk/">政府信息公开</a> &gt; <a href="../">{_t(site.column)}</a>')


def _footer(site: Site) -> str:
    return (f"<p>主办：{_t(site.office)}&nbsp;&nbsp;网站标识码：{site.code}</p>"
            f'<p><a href="https://beian.miit.gov.cn/" target="_blank">{site.icp}</a>&nbsp;&nbsp;'
            "建议使用1920×1080分辨率浏览</p>")


def page_html(article: Article, style: HtmlStyle, site: Site) -> str:
    date_line, pubdate = (_date_line(article.published, style.date_style, article.title) if article.published
                          else ("", None))
    info = " ".join(f"<span>{_t(s)}</span>" for s in (date_line, f"来源：{article.source}") if s)
    body = body_html(article.blocks, style.editor)
    if style.editor == "layout":
        page = (
            '<table width="980" border="0" align="center" cellpadding="0" cellspacing="0">\n'
            f'<tr><td height="120" class="top_bg"><a href="/">{_t(site.name)}</a></td></tr>\n'
            f'<tr><td><table width="100%" border="0" cellspacing="0" cellpadding="0"><tr>'
            + "".join(f"<td>{li}</td>" for li in re.findall(r"<li>(.*?)</li>", _nav(site)))
            + "</tr></table></td></tr>\n"
            f'<tr><td class="dqwz">{_breadcrumb(site)}</td></tr>\n'
            '<tr><td><table width="100%" border="0" cellspacing="0" cellpadding="0">\n'
            f'<tr><td align="center" class="bt_title">{_t(article.title)}</td></tr>\n'
            f'<tr><td align="center" class="bt_info">{info}</td></tr>\n'
            f'<tr><td class="bt_content" id="zoom">\n{body}\n</td></tr>\n</table></td></tr>\n'
            f'<tr><td class="foot" align="center">{_footer(site)}</td></tr>\n</table>')
    else:
        page = (
            f'<div class="header"><div class="logo"><a href="/">{_t(site.name)}</a></div>'
            f'<ul class="nav">{_nav(site)}</ul></div>\n'
            f'<div class="position">{_breadcrumb(site)}</div>\n'
            '<div class="article">\n'
            f'<h1 class="article-title">{_t(article.title)}</h1>\n'
            f'<div class="article-info">{info} <span>【字体：<a href="javascript:;">大</a> '
            '<a href="javascript:;">中</a> <a href="javascript:;">小</a>】</span></div>\n'
            f'<div class="article-content TRS_Editor" id="zoom">\n{body}\n</div>\n'
            '<div class="article-tools"><a href="javascript:window.print()">【打印本页】</a>'
            '<a href="javascript:window.close()">【关闭窗口】</a></div>\n</div>\n'
            f'<div class="footer">{_footer(site)}</div>')
    doctype = ('<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" '
               '"http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">' if style.editor == "layout"
               else "<!DOCTYPE html>")
    return f'{doctype}\n<html>\n{_head(article, site, style, pubdate)}\n<body>\n{page}\n</body>\n</html>\n'


def encode_page(html: str, encoding: str) -> bytes:
    return html.encode("utf-8" if encoding == "utf-8" else "gbk")


def render_article(article: Article, style: HtmlStyle, site: Site) -> bytes:
    return encode_page(page_html(article, style, site), style.encoding)


def render_html(spec: ReportSpec, style: HtmlStyle = HtmlStyle()) -> bytes:
    blocks: list[Block] = [*letter_blocks(spec), *report_blocks(spec)]
    article = Article(spec.title, spec.agency, spec.published, blocks)
    return render_article(article, style, site_for(spec.agency))
