"""A government's directory of the units that publish under it (domain.md §8 "Directories of units"): the pages
listing its departments and townships, and the entries on them. Pure: a page in, `Link`s to directory pages or
`UnitEntry`s out.

Per CMS family:
- gkmlpt: the 政务公开 page links one directory per unit, a Vue shell at the unit's sub-path
  (`/yjzjj/gkmlpt/index`, "阳江市住房和城乡建设局信息公开目录"); the shell's `window._CONFIG` names the unit
  (`SITE_NAME`) beside its `SID` and category `TREE`;
- Hanweb: "信息公开部门目录" column pages (`col/col{N}/index.html`) whose entries carry the unit's id
  (`?uid=`, `unitid=`);
- TRS: department folders `bmxxgk/<slug>/`, township folders `xzjd/<slug>/`;
- VSB: `xxgk_content.jsp?wbtreeid=…` and `/info/{tree}/…` trees;
- otherwise: anchors in the page's content titled like a unit.
Whether an entry is a unit of the government, and which, is the binding rules' decision
(`crawler.discovery.binding`); here an entry only has to be titled like a unit.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlsplit

from crawler.discovery.links import Link
from crawler.discovery.navigation import REPORT_MIN, report_score
from crawler.discovery.urls import canonical, host, is_article, is_document_file
from crawler.platforms.base import PAGER_WORDS, Page, anchor_title
from crawler.platforms.gkmlpt import SHELL, SID, tree_nodes
from crawler.platforms.hanweb import records

# Links to a directory of units, by their text or their path.
_DIRECTORY_TEXT = re.compile(r"部门(?:信息|政府信息|政务)?公开|信息公开部门目录|部门目录|部门(?:信息)?公开目录|"
                             r"(?:乡镇|镇街|街道|乡镇街道|乡镇（街道）|乡镇\(街道\))(?:信息|政府信息|政务)?公开|"
                             r"(?:乡镇|街道|镇街)(?:信息)?公开目录|机构设置|政府机构|组织机构|信息公开目录$")
# The directory itself (…/bmxxgk/ or …/bmgk.htm), not the unit folders beneath it.
_DIRECTORY_PATH = re.compile(r"/(?:bmxxgk|bmgk|bmxx|bmml|xzjd|xzjdxxgk|jdxxgk|zjxxgk|bmzfxxgk|jgsz|zzjg)"
                             r"(?:/|/index\.\w+|\.s?html?)?$", re.IGNORECASE)
_NOT_DIRECTORY = re.compile(r"指南|规定|制度|年报|年度报告|申请|意见箱|监督")
# What a unit's name ends with: departments (局, 委员会, 办公室, 中心 …) and townships (镇, 乡, 街道, 办事处).
UNIT_SUFFIX = re.compile(r"(?:局|委员会|委|办公室|办公厅|办|中心|院|所|站|队|会|馆|厅|署|处|公司|管委会|"
                         r"管理委员会|人民政府|政府|镇|乡|街道|办事处|苏木)$")
_UNIT_NOISE = re.compile(r"(?:信息公开目录|信息公开|政务公开|目录)$")
_DIRECTORY_GOVERNMENT = re.compile(r"(?<=[局委办院所站队会馆厅署处])政府$")  # 福州市财政局政府信息公开目录
_NOT_UNIT = re.compile(r"通知|公告|政策|文件|解读|新闻|动态|要闻|指南|制度|搜索|年报|报告|规划|计划|总结|"
                       r"意见|办法|决定|批复|函$|^(?:首页|更多|返回)")
_TRS_FOLDER = re.compile(r"/(bmxxgk|xzjd|jdxxgk|zjxxgk)/([A-Za-z0-9_]+)/")
_CONFIG_NAME = re.compile(r"SITE_NAME\s*:\s*['\"]([^'\"]+)['\"]")
MAX_NAME = 30


@dataclass(frozen=True, slots=True)
class UnitEntry:
    name: str  # as listed, cleaned of "信息公开目录" and the like: 福州市财政局, 鼓东街道
    url: str  # the unit's page in the directory (its sub-site, column or folder)
    unit_id: str = ""  # the CMS's id of the unit: Hanweb uid/unitid, VSB wbtreeid, gkmlpt SID, TRS folder slug
    family: str = "generic"


def directory_links(page: Page) -> list[Link]:
    """Links from a government's home or 政务公开 page to its directories of units, on its own host."""
    here = host(page.url)
    out: dict[str, Link] = {}
    for a, url in page.anchors(main_only=False):
        text = re.sub(r"\s+", "", "".join(a.itertext()) or a.get("title") or "")
        if host(url) != here or url == canonical(page.url) or is_article(url) or is_document_file(url):
            continue
        if not text or len(text) > 16 or _NOT_DIRECTORY.search(text) or SHELL.search(urlsplit(url).path):
            continue
        if _DIRECTORY_TEXT.search(text) or _DIRECTORY_PATH.search(urlsplit(url).path):
            out.setdefault(url, Link(url, text, "anchor"))
    return list(out.values())


def unit_name(text: str) -> str:
    """The unit a directory entry names, or "" when the text is not titled like a unit."""
    text = re.sub(r"[\s\xa0]+", "", text or "")
    text = _DIRECTORY_GOVERNMENT.sub("", _UNIT_NOISE.sub("", text))
    if not text or len(text) > MAX_NAME or PAGER_WORDS.match(text) or _NOT_UNIT.search(text):
        return ""
    return text if UNIT_SUFFIX.search(text) else ""


def unit_entries(page: Page) -> list[UnitEntry]:
    """The units a directory page lists (see the module's doc for the families), once per name."""
    found: dict[str, UnitEntry] = {}
    for entry in (*_gkmlpt(page), *_anchored(page), *_datastore(page)):
        found.setdefault(entry.name, entry)
    return list(found.values())


def shell_unit(page: Page) -> UnitEntry | None:
    """The unit a gkmlpt shell is the directory of: `window._CONFIG`'s SITE_NAME, and its SID."""
    name, sid = _CONFIG_NAME.search(page.text), SID.search(page.text)
    if not name or not SHELL.search(urlsplit(page.url).path):
        return None
    unit = unit_name(json.loads(f'"{name[1]}"') if "\\u" in name[1] else name[1])
    return UnitEntry(unit, canonical(page.url), sid[1] if sid else "", "gkmlpt") if unit else None


def shell_columns(page: Page) -> list[Link]:
    """A gkmlpt shell's report columns: the categories of its `window._CONFIG` TREE titled like one, each as the
    shell's URL with the category's id as fragment (`/fgj/gkmlpt/index#6686`, as the portal itself links them)."""
    if not SHELL.search(urlsplit(page.url).path):
        return []
    base = canonical(page.url)
    return [Link(f"{base}#{node['id']}", node.get("name", ""), "script") for node in tree_nodes(page)
            if node.get("id") and report_score(node.get("name", ""), "") >= REPORT_MIN]


def _gkmlpt(page: Page):
    for a, url in page.anchors(main_only=False):
        if SHELL.search(urlsplit(url).path):
            name = unit_name(anchor_title(a))
            slug = urlsplit(url).path.rsplit("/gkmlpt/", 1)[0].strip("/")
            if name:
                yield UnitEntry(name, url, slug, "gkmlpt")


def _datastore(page: Page):
    """Hanweb lists whose entries are only in the page's XML datastore (`<record><![CDATA[<a …>]]>`)."""
    for entry in records(page, page.text):
        name = unit_name(entry.title)
        if name and not is_article(entry.url) and host(entry.url) == host(page.url):
            query = dict(parse_qsl(urlsplit(entry.url).query))
            yield UnitEntry(name, entry.url, query.get("uid") or query.get("unitid") or "", "hanweb")


def _anchored(page: Page):
    here = host(page.url)
    for a, url in page.anchors(main_only=True):
        if host(url) != here or is_article(url) or is_document_file(url) or SHELL.search(urlsplit(url).path):
            continue
        name = unit_name(anchor_title(a))
        if not name:
            continue
        query = dict(parse_qsl(urlsplit(url).query))
        if unit_id := query.get("uid") or query.get("unitid") or query.get("unitId"):
            yield UnitEntry(name, url, unit_id, "hanweb")
        elif unit_id := query.get("wbtreeid"):
            yield UnitEntry(name, url, unit_id, "vsb")
        elif folder := _TRS_FOLDER.search(urlsplit(url).path):
            yield UnitEntry(name, url, folder[2], "trs")
        else:
            yield UnitEntry(name, url)
