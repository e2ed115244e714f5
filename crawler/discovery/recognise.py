"""Is a listed title a report of a requested year? Decided from the listing alone, before any request.

The listing's title is the cheapest evidence there is: a near-miss recognised here is never fetched, which is
what keeps the crawl near the minimum request set. Titles are judged with the extraction pipeline's own patterns
(`pipelines.metadata.REPORT_PHRASE`, `pipelines.classify.NEAR_MISSES`) so that crawler and parser agree, plus the
look-alikes only a listing shows (a compilation of everyone's reports as one scan is not anyone's report).
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from pipelines.classify import NEAR_MISSES
from pipelines.metadata import REPORT_PHRASE, agency_from_title, report_year

LISTING_NEAR_MISSES = (
    (re.compile(r"汇编|合集|扫描件"), "汇编 (a compilation of several agencies' reports)"),
    (re.compile(r"^关于.*的(?:通知|公告)$|征求意见|公示$"), "notice"),
)


@dataclass(frozen=True)
class Verdict:
    is_report: bool
    reason: str | None = None
    year: int | None = None  # the year reported on, from the title; None when the title does not say
    agency: str | None = None


def judge_title(title: str) -> Verdict:
    title = re.sub(r"\s+", "", title or "")
    if not title or not REPORT_PHRASE.search(title):
        return Verdict(False, "not a report title")
    for pattern, reason in (*NEAR_MISSES, *LISTING_NEAR_MISSES):
        if pattern.search(title):
            return Verdict(False, reason)
    return Verdict(True, None, report_year(title, ""), agency_from_title(title))


def likely_year(verdict: Verdict, listed: str | None) -> int | None:
    """The year a report covers: the title's, else the year before its listing date (reports follow their year)."""
    if verdict.year:
        return verdict.year
    day = parse_listed_date(listed)
    return day.year - 1 if day else None


_DATE = re.compile(r"((?:19|20)\d{2})[-/.年](\d{1,2})[-/.月](\d{1,2})")


def parse_listed_date(text: str | None) -> dt.date | None:
    match = _DATE.search(text or "")
    if not match:
        return None
    try:
        return dt.date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return None


def wanted(verdict: Verdict, listed: str | None, years: range) -> bool:
    """Fetch a report candidate when its year is requested; a title without a year is fetched when its listing
    date falls in the season of a requested year (or is unknown), since only its text can tell."""
    if verdict.year:
        return verdict.year in years
    year = likely_year(verdict, listed)
    return year is None or (years.start - 1) <= year <= years.stop
