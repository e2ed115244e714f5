"""What discovery found, as the archive takes it: one `Discovered` agency per registry row, with the evidence for it,
and the `Conflict`s it reported instead of guessing (issue 16).

The crawler builds these records (as it builds a `Capture`); the archive keeps them, with first and last seen, and
turns them into registry rows. A row is bound to a government only on evidence naming it (domain.md §8: the
SiteIDCode's division code *and* a name that agrees, since serial 0001 is not always the government's own portal and
clones copy both markup and code).
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Signal(StrEnum):
    """What on a page named its owner (domain.md §5 and §8)."""

    SITE_ID_CODE = "SiteIDCode"  # <meta name="SiteIDCode">: 6-digit division code + 4-digit serial
    SITE_NAME = "SiteName"  # <meta name="SiteName">
    FOOTER_CODE = "网站标识码"  # the footer's site code
    SPONSOR = "主办单位"  # the footer's sponsor line
    TITLE = "title"  # the page's <title>
    LINK = "link"  # a parent portal's link to it, by its text (政府网站 / 地方政府 lists)
    DIRECTORY = "directory"  # an entry of a government's unit directory (gkmlpt TREE, Hanweb 部门目录, TRS bmxxgk)
    COLUMN = "column"  # a report column or sub-column titled for it
    INDEX_NUMBER = "索引号"  # a document's 索引号 / 发布机构 (统一社会信用代码 or organisation code)


@dataclass(frozen=True, slots=True)
class Evidence:
    url: str  # the page that says it
    signal: Signal
    value: str  # the text that matched: "3501000001", "福州市人民政府", "部门目录: 福州市财政局"


@dataclass(frozen=True, slots=True)
class Discovered:
    """An agency, where its reports are published, and why discovery believes it."""

    name: str  # the full name as published (a government's: the registry's agency name for its division)
    level: str  # province | prefecture | county | township | department
    kind: str  # government | department
    division_code: str  # the government's, or the government a department belongs to; "" when unknown
    parent: str  # the agency above it
    portal_url: str  # its own portal, or the portal that carries its reports (a county's for its townships)
    column_urls: tuple[str, ...]  # its report column(s), when found
    platform: str  # the CMS family, when recognised
    evidence: tuple[Evidence, ...]
    confidence: float  # 0–1: 1 when code and name agree on the site itself; lower for a directory entry alone


@dataclass(frozen=True, slots=True)
class Conflict:
    """Evidence that could not be bound: two sites claiming one code, a clone, a site naming a unit that no longer
    exists. Reported, never resolved by guessing."""

    url: str
    claims: str  # the code or name the page claims
    reason: str  # one line a person can act on
    evidence: tuple[Evidence, ...]
