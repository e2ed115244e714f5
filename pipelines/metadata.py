"""Title, agency, year reported on and publication date of a report.

The year is the year *reported on*: from the title, else the stated 统计期限, else the first year the overview
talks about — never the publication date alone (a 2023 report is published in 2024, sometimes years later).
"""
from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Iterator

from pipelines.dates import find_dates, labelled_date, parse_date

_CN_YEAR_DIGITS = str.maketrans("〇○零Ｏ一二三四五六七八九", "0000123456789")
_CN_DIGIT = "〇○零一二三四五六七八九"
# A year is four digits standing alone: the 9999 of "99999年" is no year (it made the agency "某局99999年").
_YEAR = rf"(?<![\d{_CN_DIGIT}])((?:19|20)\d{{2}}|[{_CN_DIGIT}]{{4}})(?![\d{_CN_DIGIT}])"
FIRST_YEAR = 2000  # years before are no report's (the disclosure regulations date from 2008)
REPORT_PHRASE = re.compile(
    r"(?:政府|政务)?信息公开(?:工作)?\s*(?:(?:19|20)\d{2}\s*年度?)?\s*(?:年度)?(?:报告|年报)|信息公开年报")
_TITLE_YEAR = re.compile(_YEAR + r"\s*年度?")
_PERIOD = re.compile(r"(?:统计|期限|时限)[^。]{0,30}?" + _YEAR + r"\s*年\s*(?:1|一)\s*月\s*(?:1|一)\s*日")
_COVER_LETTER = re.compile(r"关于报送|报送.{0,30}的函|的函$")
# Words an agency name ends with (人民政府, 行政审批服务局, 街道办事处, 镇, …).
_AGENCY_END = re.compile(r"(?:政府|局|委|委员会|办|办公室|办事处|院|厅|部|中心|街道|镇|乡|馆|所|站|队|会|署|处|"
                         r"集团|公司)$")
_SIGNATURE_MAX = 30
# The body naming its author: "本报告由XX局根据…编制", "XX局根据《条例》…编制本报告", "请与XX局办公室联系".
_AGENCY_NAME = (r"([\u4e00-\u9fff（）()]{2,30}?"
                r"(?:人民政府|政府|局|委员会|委|办公室|办事处|院|厅|中心|街道|镇|乡|管委会))")
_BODY_AGENCY = (re.compile(r"本(?:年度)?报告由" + _AGENCY_NAME + r"(?:根据|依据|按照|编制|负责|会同)"),
                re.compile(r"请与" + _AGENCY_NAME + r"(?:办公室|党政办|综合股|政务公开办)?联系"))
_BODY_LINES = 12
_TITLE_LINES = 40  # the title is within the first lines; further down it is a quotation


def _year_value(text: str) -> int:
    return int(text.translate(_CN_YEAR_DIGITS))


def plausible_year(year: int, today: dt.date | None = None) -> bool:
    """A year a report may be about: from FIRST_YEAR to next year (a title may name the year under way)."""
    return FIRST_YEAR <= year <= (today or dt.date.today()).year + 1


def years_named(text: str, pattern: re.Pattern[str] | str = _YEAR) -> Iterator[int]:
    """The plausible years `text` names (group 1 of `pattern`), in order."""
    found = (_year_value(m.group(1)) for m in re.finditer(pattern, text))
    return (year for year in found if plausible_year(year))


def collapse(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def find_title_line(lines: list[str]) -> tuple[int, str] | None:
    """The report's title in the first lines (skipping a cover letter), joined with the line above it when the
    title is broken after the agency name or the year. Returns (index of its first line, title)."""
    for n, line in enumerate(lines[:_TITLE_LINES]):
        text = line.strip()
        if len(text) > 60 or not REPORT_PHRASE.search(text) or _COVER_LETTER.search(text):
            continue
        if "。" in text or "《" in text:
            continue
        if (n > 0 and REPORT_PHRASE.match(text)) or re.match(_YEAR + r"\s*年", text):
            above = lines[n - 1].strip() if n > 0 else ""
            if above and len(above) <= 30 and not re.search(r"[。：:，,]", above) and not find_dates(above) \
                    and not _COVER_LETTER.search(above):
                return n - 1, collapse(above + text)
        return n, collapse(text)
    return None


def agency_from_title(title: str) -> str | None:
    """"岚皋县行政审批服务局2023年政府信息公开工作年度报告" → "岚皋县行政审批服务局"."""
    text = re.sub(r"^[\s\d年度〇○零一二三四五六七八九]*年度?", "", title)  # a leading year
    match = REPORT_PHRASE.search(text)
    head = text[: match.start()] if match else text
    if match and head.endswith("人民") and text[match.start():].startswith("政府"):
        head += "政府"  # "XX市人民政府信息公开年度报告": the 政府 belongs to the agency
    head = re.sub(r"\d+\s*年度?$", "", _TITLE_YEAR.sub("", head))  # a year, or a number posing as one
    head = re.sub(r"^关于|关于$|的$|[《》“”\"]", "", head.strip()).strip(" -—_:：")
    return collapse(head) or None


def agency_from_lines(lines: Iterable[str]) -> str | None:
    """An agency name standing on its own line (the line above the title, or the signature at the end)."""
    for line in lines:
        text = line.strip()
        if 2 < len(text) <= _SIGNATURE_MAX and _AGENCY_END.search(text) and not re.search(r"[。，,：:；]", text):
            return text
    return None


def agency_from_body(lines: list[str]) -> str | None:
    """The agency the first paragraphs name as the report's author (a page without the title that names it)."""
    for line in lines[:_BODY_LINES]:
        for pattern in _BODY_AGENCY:
            match = pattern.search(line)
            if match:
                return match.group(1)
    return None


def report_year(title: str | None, text: str) -> int | None:
    for source, pattern in ((title or "", _TITLE_YEAR), (text, _PERIOD), (text, _YEAR + r"\s*年")):
        year = next(years_named(source, pattern), None)
        if year:
            return year
    return None


def signature_date(text: str, year: int | None) -> dt.date | None:
    """The date signed at the end of the report, when plausible as its publication date (after the year ends)."""
    tail = [line.strip() for line in text.strip().split("\n")[-4:]]
    for line in reversed(tail):
        if len(line) <= _SIGNATURE_MAX:
            date = parse_date(line) if find_dates(line) else None
            if date and (year is None or year < date.year <= year + 3):
                return date
    return None


def publication_date(stated: str | None, text: str, year: int | None) -> str | None:
    if stated:
        return stated
    date = labelled_date(text[:2000]) or signature_date(text, year)
    return date.isoformat() if date else None
