"""Dates as Chinese government pages write them.

dateparser alone misreads "二〇二四年一月二十九日" and "发布时间：2024-01-29 10:30", so the common forms are parsed
here directly and dateparser (languages=['zh']) is only the fallback for whatever else turns up.
"""
from __future__ import annotations

import datetime as dt
import re

_CN_DIGITS = {"〇": 0, "○": 0, "零": 0, "Ｏ": 0, "O": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6,
              "七": 7, "八": 8, "九": 9}
_NUMERIC = re.compile(r"((?:19|20)\d{2})\s*(?:[-/.]|年)\s*(\d{1,2})\s*(?:[-/.]|月)\s*(\d{1,2})(?!\d)")
_CHINESE = re.compile(r"([〇○零Ｏ一二三四五六七八九]{4})年"
                      r"([一二三四五六七八九十]{1,2})月([一二三四五六七八九十]{1,3})日")
_DATE_LABEL = re.compile(r"(?:发布|公开|成文|生成|印发)(?:日期|时间)\s*[:：]?\s*")


def _chinese_number(text: str) -> int:
    """一 … 三十一, as written in dates."""
    if "十" not in text:
        return _CN_DIGITS[text]
    tens, _, units = text.partition("十")
    return (_CN_DIGITS[tens] if tens else 1) * 10 + (_CN_DIGITS[units] if units else 0)


def _valid(year: int, month: int, day: int) -> dt.date | None:
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def find_dates(text: str) -> list[tuple[int, dt.date]]:
    """Every date written in `text`, with its position, in order."""
    found = []
    for match in _NUMERIC.finditer(text):
        date = _valid(*(int(g) for g in match.groups()))
        if date:
            found.append((match.start(), date))
    for match in _CHINESE.finditer(text):
        year = int("".join(str(_CN_DIGITS[c]) for c in match.group(1)))
        date = _valid(year, _chinese_number(match.group(2)), _chinese_number(match.group(3)))
        if date:
            found.append((match.start(), date))
    return sorted(found)


def parse_date(text: str) -> dt.date | None:
    """The first date in a short text such as a meta tag or a "发布日期：" line."""
    dates = find_dates(text)
    if dates:
        return dates[0][1]
    text = text.strip()
    if not text or len(text) > 40:
        return None
    import dateparser  # slow to import; most inputs never get here

    parsed = dateparser.parse(text, languages=["zh"], settings={"PREFER_DAY_OF_MONTH": "first"})
    return parsed.date() if parsed else None


def labelled_date(text: str) -> dt.date | None:
    """The date after a label such as "发布日期：" or "发布时间：" anywhere in `text`."""
    for match in _DATE_LABEL.finditer(text):
        date = parse_date(text[match.end(): match.end() + 30])
        if date:
            return date
    return None
