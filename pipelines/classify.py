"""Is this document an annual report on government information disclosure, or one of its look-alikes?

Look-alikes (domain.md §4) share the words 年度报告 and 政府信息公开 and are published in the same columns around
the same deadlines; archiving one as a report would be a false report, so each is named by its own reason.
"""
from __future__ import annotations

import re

from pipelines.metadata import REPORT_PHRASE

# (pattern on the title, reason). Order matters: the first match names the document.
NEAR_MISSES: tuple[tuple[re.Pattern[str], str], ...] = tuple((re.compile(p), reason) for p, reason in (
    (r"解读|图解|一图读懂|图说", "年报解读 (an explanation of a report, not the report)"),
    (r"网站.{0,6}年度报表|网站工作年度报表|政务新媒体.{0,6}报表", "政府网站工作年度报表"),
    (r"法治政府建设", "法治政府建设年度报告"),
    (r"政府工作报告", "政府工作报告"),
    (r"绩效评价|绩效自评|支出绩效", "部门整体支出绩效评价报告"),
    (r"评估(?:报告|结果|情况)|第三方评估|测评|评议", "third-party evaluation report"),
    (r"年度报告制度|报告制度", "年度报告制度 document"),
    (r"年度报告格式|60号|30号", "copy of the national report format notice"),
    (r"通知|会议|培训|部署|编制|工作方案|安排", "部署通知 (a deployment notice about compiling the reports)"),
    (r"关于报送|的函$", "cover letter only"),
))
_MIN_HEADINGS = 3
_MIN_CELLS = 20
NO_BODY = "a report's title over a body without its sections, tables or any sentence naming the report"
# The report named in a sentence of the body (not in a heading, which may be the page's title repeated): the page
# announcing a report published as its attachment ("……年度报告已经编制完成，现予以公布。详见附件。") says so.
_SENTENCE = re.compile(r"[。，；,;]")


def names_report(text: str) -> bool:
    """Whether a sentence of `text` names the annual report."""
    return any(REPORT_PHRASE.search(line) and _SENTENCE.search(line) for line in text.split("\n"))


def report_verdict(title: str | None, headings_found: int, cells_found: int,
             body_names_report: bool) -> tuple[bool, str | None]:
    """(is_report, reason when not). A report has the report title and evidence in its body (one of the outline's
    sections, a table cell, or a sentence naming the report), or the national outline and its tables. A title alone
    is not enough: a portal's "页面正在建设中" or "404 页面不存在" under a report's title would be archived as a report
    with no fields, and coverage would count its agency as published."""
    outline = headings_found >= _MIN_HEADINGS or cells_found >= _MIN_CELLS
    if title:
        for pattern, reason in NEAR_MISSES:
            if pattern.search(title):
                return False, reason
        if REPORT_PHRASE.search(title) and ("年" in title or outline):
            if outline or headings_found or cells_found or body_names_report:
                return True, None
            return False, NO_BODY
    if outline:
        return True, None
    return False, "no annual-report title, outline or tables found"
