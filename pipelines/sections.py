"""Prose → the six sections of the national outline, by their headings in every numbering style."""
from __future__ import annotations

import re

from pipelines.schema import SECTION_KEYS

# Top-level headings only: "一、" / "1、" / "1." / "4、 " / "第一部分" numbering; "（一）" is a sub-heading inside a
# section.
_NUMBER = r"(?:[一二三四五六七八]\s*[、.．,，]|[1-8]\s*[、.．]|[1-8]\s+(?=\S)|第[一二三四五六七八]部分\s*[、:：]?)"
_NUMBER_ALONE = re.compile(rf"^\s*{_NUMBER}\s*$")
_KEYWORDS = {
    "overview": r"总体情况|概述|总体",
    "active": r"主动公开",
    "applications": r"收到和处理|依申请公开|政府信息公开申请",
    "review_litigation": r"行政复议|行政诉讼",
    "problems": r"存在的主要问题|存在问题|主要问题|问题及改进|改进情况|改进措施",
    "other": r"其他需要报告|其他事项|需要报告的",
}
_HEADINGS = {key: re.compile(rf"^\s*{_NUMBER}\s*[^。；]{{0,16}}?(?:{pattern})") for key, pattern in _KEYWORDS.items()}
_HEADING_MAX = 45  # a heading is a short line; a sentence starting "一、…" is prose

# Portal chrome that a text extraction may carry after the report (footer, print/close links).
CHROME = re.compile(r"网站标识码|主办单位|承办单位|版权所有|ICP备|公网安备|技术支持|打印本页|关闭窗口|"
                    r"【打印】|【关闭】|扫一扫")


def heading_key(line: str, after: int = -1) -> str | None:
    """The section a line is the heading of, considering only sections after index `after`."""
    if len(line.strip()) > _HEADING_MAX:
        return None
    for index, key in enumerate(SECTION_KEYS):
        if index > after and _HEADINGS[key].match(line):
            return key
    return None


def split_sections(text: str) -> tuple[dict[str, str], int]:
    """Section key → its prose (headings left out), and the line index where the first section starts
    (-1 when no heading is found). Sections must appear in the outline's order; a missing one stays absent."""
    lines = text.split("\n")
    found: dict[str, list[str]] = {}
    current: str | None = None
    current_index = -1
    first = -1
    joined = -1  # a line taken into the heading above it
    for n, line in enumerate(lines):
        if n == joined:
            continue
        key = heading_key(line, current_index)
        if key is None and n + 1 < len(lines) and _NUMBER_ALONE.match(line):
            # A heading whose number stands on a line of its own (a PDF's wrapped heading, Word's numbering).
            key = heading_key(line.strip() + lines[n + 1].strip(), current_index)
            joined = n + 1 if key else -1
        if key:
            current, current_index = key, SECTION_KEYS.index(key)
            found[key] = []
            if first < 0:
                first = n
            continue
        if current is None:
            continue
        if CHROME.search(line):
            current = None
            current_index = len(SECTION_KEYS)
            continue
        found[current].append(line)
    return {key: "\n".join(found[key]).strip() for key in SECTION_KEYS if key in found}, first


def headings_in_tables(captions: list[str]) -> set[str]:
    """Sections whose heading a table prints as a row of its own (the 2019 form's captions, or a heading moved into
    the table): found, though their prose, if any, cannot be told from the section's before them."""
    return {key for text in captions if (key := heading_key(text.replace("\n", ""))) is not None}
