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


def classify(title: str | None, headings_found: int, cells_found: int) -> tuple[bool, str | None]:
    """(is_report, reason when not). A report has the report title, or the national outline and its tables."""
    body = headings_found >= _MIN_HEADINGS or cells_found >= _MIN_CELLS
    if title:
        for pattern, reason in NEAR_MISSES:
            if pattern.search(title):
                return False, reason
        if REPORT_PHRASE.search(title) and ("年" in title or body):
            return True, None
    if body:
        return True, None
    return False, "no annual-report title, outline or tables found"
