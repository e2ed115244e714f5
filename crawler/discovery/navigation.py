"""From a portal's home to its 年报 column: links scored by their text and URL segments (domain.md §5).

Two scores, both pure functions of (link text, URL): how much a link looks like the report column itself
(政府信息公开年报, 年度报告专栏, /zfxxgknb/, /xxgknb/, /ndbg/ …), and how much it looks like the 政务公开 section
that holds it. Negative words keep the crawler off the look-alike columns (政府网站工作年度报表, 年报解读) and the
traps that carry the same words (热门搜索：年报).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from crawler.discovery.urls import is_article, is_document_file

REPORT_MIN = 6.0
OPENNESS_MIN = 4.0
_REPORT_WORDS = re.compile(r"年报|年度报告")
_OPENNESS_WORDS = re.compile(r"政务公开|信息公开|公开目录|政府公开|法定主动公开")
_REPORT_SEGMENT = re.compile(r"/(?:[a-z]*x(?:x)?gk(?:gz)?n(?:d|b)\w*|gknb\w*|ndbg\w*|xxgknb\w*|zfxxgkn\w*|bmxxgknb\w*|"
                             r"annualreport\w*|nb)(?:/|\.s?html?$|$)", re.IGNORECASE)
_OPENNESS_SEGMENT = re.compile(r"/(?:zwgk|xxgk|zfxxgk|gkml|zfxxgkml|openness|govinfo|zwgk_\w+)(?:/|\.s?html?$|$)",
                               re.IGNORECASE)
# Words of the look-alikes and of the pages around the column (guides, rules, applications), and of traps.
_NEGATIVE = re.compile(r"网站|报表|解读|搜索|法治|政府工作报告|统计|预算|决算|指南|制度|依申请|申请|规定|目录管理|"
                       r"日历|专题|新闻|动态|要闻|通知|公告")
_NEGATIVE_URL = re.compile(r"search|calendar|rili|/zt/|login|javascript", re.IGNORECASE)


@dataclass(frozen=True)
class Scored:
    url: str
    text: str
    score: float


def report_score(text: str, url: str) -> float:
    text = re.sub(r"\s+", "", text)
    if not text or len(text) > 24 or is_article(url) or is_document_file(url) or _NEGATIVE_URL.search(url):
        return 0.0
    if _NEGATIVE.search(text):
        return -10.0
    score = 0.0
    if _REPORT_WORDS.search(text):
        score += 5
        score += 2 if "信息公开" in text else 0
        score += 1 if "政府" in text or "政务" in text or len(text) <= 12 else 0  # a column's short title
    if _REPORT_SEGMENT.search(urlsplit(url).path):
        score += 2
    return score


def openness_score(text: str, url: str) -> float:
    text = re.sub(r"\s+", "", text)
    if not text or len(text) > 16 or is_article(url) or is_document_file(url) or _NEGATIVE_URL.search(url):
        return 0.0
    if _NEGATIVE.search(text):
        return -10.0
    score = 0.0
    if _OPENNESS_WORDS.search(text):
        score += 4 + (1 if text in ("政务公开", "信息公开", "政府信息公开", "政府信息公开平台") else 0)
    if _OPENNESS_SEGMENT.search(urlsplit(url).path):
        score += 1.5
    return score


def best(links: list[tuple[str, str]], score, minimum: float, limit: int) -> list[Scored]:
    """The highest-scoring distinct URLs at or above `minimum`, best first (at most `limit`)."""
    scored: dict[str, Scored] = {}
    for url, text in links:
        s = score(text, url)
        if s >= minimum and (url not in scored or scored[url].score < s):
            scored[url] = Scored(url, text, s)
    ranked = sorted(scored.values(), key=lambda x: (-x.score, len(x.url)))
    if not ranked:
        return []
    # Several columns may qualify (政府信息公开年报 and 部门年报): keep those close to the best.
    return [s for s in ranked if s.score >= ranked[0].score - 1][:limit]
