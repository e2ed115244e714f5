"""What became of an agency's report for a year, on a given day: the statuses, their order and labels, deadlines,
and the one rule deciding among them — as a Python function for single cells and as the SQL expression the
dashboard and the roll-ups filter, sort and count by (tests/integration/test_statuses.py checks that the two agree
on every combination of facts).

Deadlines (条例 Art. 49, domain.md §1): departments 31 January of Y+1, governments of county level and above 31
March; townships and street offices are not named in Art. 49 and follow local rules (configurable; the default is
the latest common local date, so that none is called late by a rule it may not have had). Reports on 2018 and
earlier had one deadline, 31 March, for all.

The rule, first match wins:
- a report with a stated publication date is on time or late by that date;
- a report without one is on time if the archive saw it by the deadline (it was out by then), else its date is
  unknown: the day an import or a crawl first saw it says nothing about when it was published;
- no report: not yet due while the deadline has not passed on the as-of day (the deadline day included);
- then found but unparsed; then by the portal publishing for the agency (its own, else its parent's or grandparent's,
  where a department's or township's reports are): unreachable, none known, not crawled for that year; else missing.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import NamedTuple
from urllib.parse import urlsplit

from sqlalchemy import (
    ColumnElement,
    Connection,
    Date,
    Integer,
    Subquery,
    Table,
    and_,
    bindparam,
    case,
    cast,
    func,
    literal,
    or_,
    select,
)

from archive.models import T


class Status(StrEnum):
    ON_TIME = "on_time"
    LATE = "late"
    PUBLISHED_DATE_UNKNOWN = "published_date_unknown"
    NOT_YET_DUE = "not_yet_due"
    MISSING = "missing"
    FOUND_UNPARSED = "found_unparsed"
    PORTAL_UNREACHABLE = "portal_unreachable"
    NO_PORTAL_KNOWN = "no_portal_known"
    NOT_CRAWLED = "not_crawled"


# Worst first: the order of "sort by status", of every legend and of the stacked bars.
ORDER = (Status.MISSING, Status.PORTAL_UNREACHABLE, Status.FOUND_UNPARSED, Status.NO_PORTAL_KNOWN,
         Status.NOT_CRAWLED, Status.LATE, Status.PUBLISHED_DATE_UNKNOWN, Status.NOT_YET_DUE, Status.ON_TIME)
LABELS = {Status.ON_TIME: "按时", Status.LATE: "逾期", Status.PUBLISHED_DATE_UNKNOWN: "发布日期不明",
          Status.NOT_YET_DUE: "未到期", Status.MISSING: "未发现", Status.FOUND_UNPARSED: "已发现未解析",
          Status.PORTAL_UNREACHABLE: "网站无法访问", Status.NO_PORTAL_KNOWN: "网站未知", Status.NOT_CRAWLED: "未抓取"}
# What each status means, as the dashboard's statuses page says it.
EXPLAINED = {
    Status.ON_TIME: "截止日前发布（按报告写明的发布日期；未写明的，归档在截止日前已见到）",
    Status.LATE: "按报告写明的发布日期，晚于截止日",
    Status.PUBLISHED_DATE_UNKNOWN: "已归档，报告未写明发布日期，截止日后才首次见到：不按发现日计算逾期",
    Status.NOT_YET_DUE: "尚无报告，截至日期时截止日未过",
    Status.MISSING: "截止日已过，网站已为该年度抓取，未发现报告",
    Status.FOUND_UNPARSED: "发现了列为年报的文件，但未能读作年报",
    Status.PORTAL_UNREACHABLE: "网站在各次抓取中都无法访问",
    Status.NO_PORTAL_KNOWN: "该机关及其上两级政府都没有已知网站",
    Status.NOT_CRAWLED: "网站已知，但未为该年度抓取",
}
assert set(ORDER) == set(Status) == set(LABELS) == set(EXPLAINED)

# Most county notices ask townships for their reports with the departments' or by the end of February; the later
# date is the default so that a township is not called late by a rule it may not have had.
DEFAULT_TOWNSHIP_DEADLINE = (2, 28)
# How far up the parent tree a portal publishes for an agency: a department's or township's reports are on its
# government's portal, a township department's on its county's.
PORTAL_LEVELS = 2


def deadline(year: int, kind: str, level: str | None,
             township: tuple[int, int] = DEFAULT_TOWNSHIP_DEADLINE) -> date:
    if year <= 2018:
        return date(year + 1, 3, 31)
    if level == "township":
        return date(year + 1, *township)
    return date(year + 1, 1, 31) if kind == "department" else date(year + 1, 3, 31)


def government_deadline(year: int) -> date:
    """The day a year's government reports fall due: which units of the national registry count for the year."""
    return deadline(year, "government", "county")


class Verdict(NamedTuple):
    status: Status
    days_late: int | None
    published: date | None  # the date shown: stated, else first seen
    date_source: str | None  # "stated" | "first_seen"
    note: str | None


def publication(published: date | None, first_seen: datetime | None) -> tuple[date | None, str | None]:
    if published is not None:
        return published, "stated"
    if first_seen is not None:
        return first_seen.date(), "first_seen"
    return None, None


def status_of(due: date, as_of: date, has_report: bool, published: date | None, first_seen: datetime | None,
              unparsed: bool, unreachable: bool, portal_known: bool, crawled: bool) -> Verdict:
    """The rule (module doc) for one agency and year."""
    when, source = publication(published, first_seen)
    if has_report and published is not None:
        late = (published - due).days
        return Verdict(Status.LATE, late, when, source, None) if late > 0 else \
            Verdict(Status.ON_TIME, None, when, source, None)
    if has_report and when is not None and when <= due:
        return Verdict(Status.ON_TIME, None, when, source, "first seen before the deadline")
    if has_report:
        return Verdict(Status.PUBLISHED_DATE_UNKNOWN, None, when, source, "first seen after the deadline")
    if due >= as_of:
        return Verdict(Status.NOT_YET_DUE, None, None, None, f"due {due.isoformat()}")
    if unparsed:
        return Verdict(Status.FOUND_UNPARSED, None, None, None, None)
    if unreachable:
        return Verdict(Status.PORTAL_UNREACHABLE, None, None, None, None)
    if not portal_known:
        return Verdict(Status.NO_PORTAL_KNOWN, None, None, None, None)
    if not crawled:
        return Verdict(Status.NOT_CRAWLED, None, None, None, None)
    return Verdict(Status.MISSING, None, None, None, None)


# -- facts beyond the reports table, computed once per archive state and year -----------------------------------

def _unparsed(conn: Connection, year: int) -> set[int]:
    """Agencies with a document for `year` (by the listing's word) that no parser version has read as a report."""
    cap, ex, al, src = T["captures"], T["extractions"], T["aliases"], T["sources"]
    query = (select(al.c.agency_id).distinct()
             .join(cap, cap.c.agency_hint == al.c.alias).join(ex, ex.c.sha256 == cap.c.sha256)
             .where(cap.c.year_hint == year, ~select(src.c.sha256).where(src.c.sha256 == cap.c.sha256).exists(),
                    (ex.c.error.is_not(None)) | (ex.c.is_report & (ex.c.year.is_(None) | ex.c.agency.is_(None)))))
    return set(conn.execute(query).scalars())


def _unreachable(conn: Connection) -> set[str]:
    """Portals some run could not reach and no run ever fetched a page from."""
    po, rp, re_ = T["portals"], T["run_portals"], T["run_errors"]
    query = (select(po.c.url).distinct().join(re_, re_.c.portal == po.c.url)
             .where(re_.c.kind == "unreachable",
                    ~select(rp.c.portal).where(rp.c.portal == po.c.url, rp.c.pages > 0).exists()))
    return set(conn.execute(query).scalars())


def _years(text: str | None) -> range | None:
    """A run's years ("2019-2025", "2023", "2019-"); None when the run did not say (imports, older runs)."""
    if not text:
        return None
    first, _, last = text.partition("-")
    try:
        return range(int(first), int(last or 9999) + 1) if "-" in text else range(int(first), int(first) + 1)
    except ValueError:
        return None


def _host(portal: str) -> str:
    """A portal's host name; run records of hand ingests name the host alone."""
    return urlsplit(portal).hostname or portal.lower()


def _crawled(conn: Connection, year: int) -> frozenset[str]:
    """Portal URLs some run fetched pages from while looking for `year`'s reports (runs that do not say which
    years they looked for count for every year). A run records a portal by its URL, a hand ingest by its host."""
    po, rp, runs = T["portals"], T["run_portals"], T["runs"]
    seen = set()
    for portal, years in conn.execute(select(rp.c.portal, runs.c.years).join(runs, runs.c.id == rp.c.run_id)
                                      .where(rp.c.pages > 0)):
        span = _years(years)
        if span is None or year in span:
            seen.add(portal)
            seen.add(_host(portal))
    return frozenset(url for url in conn.execute(select(po.c.url)).scalars() if url in seen or _host(url) in seen)


@dataclass(frozen=True)
class YearFacts:
    """What a year's statuses need beyond the reports table, on the as-of day."""

    year: int
    as_of: date
    unparsed: frozenset[int]  # agency ids
    unreachable: frozenset[str]  # portal URLs
    crawled: frozenset[str]  # portal URLs crawled for the year
    street_offices: bool = True  # whether 街道办事处 are counted among those who must publish

    @classmethod
    def load(cls, conn: Connection, year: int, as_of: date, street_offices: bool = True) -> YearFacts:
        return cls(year, as_of, frozenset(_unparsed(conn, year)), frozenset(_unreachable(conn)),
                   _crawled(conn, year), street_offices)

    def verdict(self, agency_id: int, due: date, has_report: bool, published: date | None,
                first_seen: datetime | None, portal: str | None) -> Verdict:
        return status_of(due, self.as_of, has_report, published, first_seen, agency_id in self.unparsed,
                         portal in self.unreachable, portal is not None, portal in self.crawled)


def nearest_portals(conn: Connection, agency_ids: list[int]) -> dict[int, str]:
    """Agency id → the portal publishing for it: its own, else its parent's or grandparent's (PORTAL_LEVELS)."""
    view = agency_view()
    out: dict[int, str] = {}
    for start in range(0, len(agency_ids), 5000):
        query = select(view.c.id, view.c.portal).where(view.c.id.in_(agency_ids[start:start + 5000]))
        out.update({i: url for i, url in conn.execute(query) if url is not None})
    return out


# -- the same rule in SQL ---------------------------------------------------------------------------------------

def date_of(conn: Connection, moment: ColumnElement) -> ColumnElement:
    """The calendar date of a timestamp column (SQLite keeps both as ISO text, compared as text)."""
    return func.date(moment) if conn.dialect.name == "sqlite" else cast(moment, Date)


def days_between(conn: Connection, later: ColumnElement, earlier: ColumnElement) -> ColumnElement:
    if conn.dialect.name == "sqlite":
        return cast(func.julianday(later) - func.julianday(earlier), Integer)
    return later - earlier


def publication_expr(conn: Connection, reports: Table) -> ColumnElement:
    """`publication`: the stated date, else the day the archive first saw the report."""
    return func.coalesce(reports.c.published, date_of(conn, reports.c.first_seen))


def deadline_expr(year: int, agencies: Table) -> ColumnElement:
    """`deadline` (townships at its default date) for every agency: townships by level, then by kind."""
    return case(
        (agencies.c.level == "township", literal(deadline(year, "government", "township"), Date)),
        (agencies.c.kind == "department", literal(deadline(year, "department", "department"), Date)),
        else_=literal(deadline(year, "government", None), Date),
    )


def _ids(name: str, ids: frozenset) -> ColumnElement:
    # Rendered into the statement: an unreachable province can put more ids here than SQLite takes parameters.
    return bindparam(name, sorted(ids), expanding=True, literal_execute=True)


def status_expr(conn: Connection, facts: YearFacts, agencies: Table, reports: Table,
                portal: ColumnElement) -> ColumnElement:
    """`status_of` over `agencies` LEFT JOIN `reports` (that year's) JOIN `agency_view` (its `portal` column)."""
    due = deadline_expr(facts.year, agencies)
    seen = date_of(conn, reports.c.first_seen)
    has_report = reports.c.id.is_not(None)
    return case(
        (and_(has_report, reports.c.published.is_not(None), reports.c.published > due), literal(Status.LATE.value)),
        (and_(has_report, reports.c.published.is_not(None)), literal(Status.ON_TIME.value)),
        (and_(has_report, seen.is_not(None), seen <= due), literal(Status.ON_TIME.value)),
        (has_report, literal(Status.PUBLISHED_DATE_UNKNOWN.value)),
        (due >= literal(facts.as_of, Date), literal(Status.NOT_YET_DUE.value)),
        (agencies.c.id.in_(_ids(f"unparsed_{facts.year}", facts.unparsed)), literal(Status.FOUND_UNPARSED.value)),
        (portal.in_(_ids(f"unreachable_{facts.year}", facts.unreachable)), literal(Status.PORTAL_UNREACHABLE.value)),
        (portal.is_(None), literal(Status.NO_PORTAL_KNOWN.value)),
        (portal.not_in(_ids(f"crawled_{facts.year}", facts.crawled)), literal(Status.NOT_CRAWLED.value)),
        else_=literal(Status.MISSING.value),
    )


def status_rank_expr(status: ColumnElement) -> ColumnElement:
    return case(*((status == s.value, literal(n)) for n, s in enumerate(ORDER)), else_=literal(len(ORDER)))


def must_publish(year: int, agencies: Table, street_offices: bool = True) -> ColumnElement:
    """The agencies that had to publish for `year`: every agency that is no unit of the national registry, and the
    registry's units that publish and existed on the year's government deadline (street offices only if
    `street_offices`). A WHERE clause: the registry's agencies none of whose units counts make a short list, looked
    up once per row."""
    gov = T["governments"]
    due = literal(government_deadline(year), Date)
    existed = and_(gov.c.publisher, or_(gov.c.valid_from.is_(None), gov.c.valid_from <= due),
                   or_(gov.c.valid_to.is_(None), gov.c.valid_to > due))
    if not street_offices:
        existed = and_(existed, gov.c.kind != "街道办事处")
    linked = gov.c.agency_id.is_not(None)
    return agencies.c.id.not_in(
        select(gov.c.agency_id).where(linked).except_(select(gov.c.agency_id).where(linked, existed)))


def agency_view() -> Subquery:
    """(id, portal, code) of every agency. portal: its own, else its parent's or grandparent's (PORTAL_LEVELS);
    code: its division code, else the nearest of its parent's and grandparent's (a department's region). Joins rather
    than correlated subqueries: the dashboard's status counts and the roll-ups run over all 190,000 agencies."""
    ag, po = T["agencies"], T["portals"]
    parent, grandparent = ag.alias("view_parent"), ag.alias("view_grandparent")
    own = (select(po.c.agency_id, func.min(po.c.url).label("url")).where(po.c.agency_id.is_not(None))
           .group_by(po.c.agency_id).subquery("own_portal"))
    p0, p1, p2 = own.alias("portal0"), own.alias("portal1"), own.alias("portal2")
    return (select(ag.c.id.label("id"), func.coalesce(p0.c.url, p1.c.url, p2.c.url).label("portal"),
                   func.coalesce(ag.c.division_code, parent.c.division_code, grandparent.c.division_code)
                   .label("code"))
            .select_from(ag).outerjoin(parent, parent.c.id == ag.c.parent_id)
            .outerjoin(grandparent, grandparent.c.id == parent.c.parent_id)
            .outerjoin(p0, p0.c.agency_id == ag.c.id).outerjoin(p1, p1.c.agency_id == ag.c.parent_id)
            .outerjoin(p2, p2.c.agency_id == parent.c.parent_id)).subquery("agency_view")
