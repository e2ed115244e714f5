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

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import IntEnum, StrEnum
from typing import Literal, NamedTuple
from urllib.parse import urlsplit

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Connection,
    Date,
    FromClause,
    Integer,
    Table,
    and_,
    bindparam,
    case,
    cast,
    func,
    literal,
    null,
    or_,
    select,
)

from archive.store.models import T


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


class PortalState(IntEnum):
    """The portal publishing for an agency, as the rule sees it (and as the SQL computes it: a number)."""

    NONE = 0  # none known, neither its own nor its parent's or grandparent's
    KNOWN = 1  # known, not crawled for the year
    CRAWLED = 2  # some run fetched pages from it while looking for the year's reports
    UNREACHABLE = 3  # no run ever reached it


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
    """The day the reports of a year fall due for governments of county level and above."""
    return deadline(year, "government", "county")


# Where a publication date comes from: stated in the report, or the day the archive first saw it.
DateSource = Literal["stated", "first_seen"]


class Verdict(NamedTuple):
    status: Status
    days_late: int | None
    published: date | None  # the date shown: stated, else first seen
    date_source: DateSource | None
    note: str | None


def publication(published: date | None, first_seen: datetime | None) -> tuple[date | None, DateSource | None]:
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


def _portals(conn: Connection) -> dict[int, str]:
    """Agency id → its portal (the first URL of those it has): the few thousand agencies with a portal of their own."""
    po = T["portals"]
    return dict(conn.execute(select(po.c.agency_id, func.min(po.c.url)).where(po.c.agency_id.is_not(None))
                             .group_by(po.c.agency_id)).all())


@dataclass(frozen=True)
class YearFacts:
    """What a year's statuses need beyond the reports table, on the as-of day."""

    year: int
    as_of: date
    unparsed: frozenset[int]  # agency ids
    unreachable: frozenset[str]  # portal URLs
    crawled: frozenset[str]  # portal URLs crawled for the year
    street_offices: bool = True  # whether 街道办事处 are counted among those who must publish
    portals: Mapping[int, str] = field(default_factory=dict)  # agency id → its own portal (_portals)
    not_counted: frozenset[int] = frozenset()  # agencies that did not have to publish for the year (not_counted)

    @classmethod
    def load(cls, conn: Connection, year: int, as_of: date, street_offices: bool = True) -> YearFacts:
        return cls(year, as_of, frozenset(_unparsed(conn, year)), frozenset(_unreachable(conn)),
                   _crawled(conn, year), street_offices, _portals(conn), not_counted(conn, year, street_offices))

    def verdict(self, agency_id: int, due: date, has_report: bool, published: date | None,
                first_seen: datetime | None, portal: str | None) -> Verdict:
        return status_of(due, self.as_of, has_report, published, first_seen, agency_id in self.unparsed,
                         portal in self.unreachable, portal is not None, portal in self.crawled)

    def portal_for(self, *lineage: int | None) -> str | None:
        """The portal publishing for an agency, given its id, its parent's and its grandparent's (PORTAL_LEVELS):
        the first of them with a portal of its own."""
        return next((self.portals[a] for a in lineage if a is not None and a in self.portals), None)

    def portal_state(self, portal: str | None) -> PortalState:
        if portal is None:
            return PortalState.NONE
        if portal in self.unreachable:
            return PortalState.UNREACHABLE
        return PortalState.CRAWLED if portal in self.crawled else PortalState.KNOWN

    def owners(self, state: PortalState) -> frozenset[int]:
        """The agencies whose own portal is in `state` (not NONE)."""
        return frozenset(a for a, url in self.portals.items() if self.portal_state(url) == state)


def nearest_portals(conn: Connection, agency_ids: list[int], facts: YearFacts) -> dict[int, str]:
    """Agency id → the portal publishing for it (`YearFacts.portal_for`)."""
    ag = T["agencies"]
    parent = ag.alias("parent")
    out: dict[int, str] = {}
    for start in range(0, len(agency_ids), 5000):
        query = (select(ag.c.id, ag.c.parent_id, parent.c.parent_id).outerjoin(parent, parent.c.id == ag.c.parent_id)
                 .where(ag.c.id.in_(agency_ids[start:start + 5000])))
        for row in conn.execute(query):
            url = facts.portal_for(*row)
            if url is not None:
                out[row[0]] = url
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


def _ids(name: str, ids: frozenset) -> BindParameter:
    # Rendered into the statement: an unreachable province can put more ids here than SQLite takes parameters.
    return bindparam(name, sorted(ids), expanding=True, literal_execute=True)


def parent_of(agencies: Table) -> FromClause:
    """The alias of `agencies` that the SQL below outer-joins as each agency's parent."""
    return agencies.alias("parent")


def with_parent(source: FromClause, agencies: Table, parent: FromClause) -> FromClause:
    return source.outerjoin(parent, parent.c.id == agencies.c.parent_id)


def portal_state_expr(facts: YearFacts, lineage: Sequence[ColumnElement]) -> ColumnElement:
    """`YearFacts.portal_state` of the portal publishing for each agency, given the ids of the agency, its parent and
    its grandparent (`lineage`; the first of them owning a portal publishes for it). The agencies owning a portal (a
    few thousand) are listed in the statement: a row costs a few look-ups in those lists, where joining the portals
    once per generation cost more than the rest of a national roll-up together."""
    owners = _ids(f"portal_owners_{facts.year}", frozenset(facts.portals))
    crawled = _ids(f"crawled_owners_{facts.year}", facts.owners(PortalState.CRAWLED))
    unreachable = _ids(f"unreachable_owners_{facts.year}", facts.owners(PortalState.UNREACHABLE))

    def state(owner: ColumnElement) -> ColumnElement:
        return case((owner.in_(unreachable), literal(int(PortalState.UNREACHABLE))),
                    (owner.in_(crawled), literal(int(PortalState.CRAWLED))), else_=literal(int(PortalState.KNOWN)))

    return case(*((owner.in_(owners), state(owner)) for owner in lineage), else_=literal(int(PortalState.NONE)))


def portal_owner(facts: YearFacts, agency_id: ColumnElement) -> ColumnElement:
    """The agency's id if it owns a portal, else NULL."""
    return case((agency_id.in_(_ids("own_portal", frozenset(facts.portals))), agency_id), else_=null())


def lineage(agencies: Table, parent: FromClause) -> tuple[ColumnElement, ...]:
    """The ids `portal_state_expr` looks at, over `agencies` LEFT JOIN `parent` (`with_parent`)."""
    return agencies.c.id, agencies.c.parent_id, parent.c.parent_id


def _code(status: Status) -> ColumnElement:
    return literal(ORDER.index(status))


def status_before_portal(conn: Connection, facts: YearFacts, agencies: Table, reports: Table) -> ColumnElement:
    """`status_of` up to the portal's part, over `agencies` LEFT JOIN `reports` (that year's): NULL where the portal
    decides. Nested, so that each fact is tested once per row."""
    due = deadline_expr(facts.year, agencies)
    reported = case(
        (reports.c.published.is_not(None), case((reports.c.published > due, _code(Status.LATE)),
                                                 else_=_code(Status.ON_TIME))),
        (date_of(conn, reports.c.first_seen) <= due, _code(Status.ON_TIME)),
        else_=_code(Status.PUBLISHED_DATE_UNKNOWN))
    return case(
        (reports.c.id.is_not(None), reported),
        (due >= literal(facts.as_of, Date), _code(Status.NOT_YET_DUE)),
        (agencies.c.id.in_(_ids(f"unparsed_{facts.year}", facts.unparsed)), _code(Status.FOUND_UNPARSED)),
        else_=null(),
    )


def status_by_portal(portal_state: ColumnElement) -> ColumnElement:
    """The rest of `status_of`, given `portal_state_expr`."""
    return case({int(PortalState.UNREACHABLE): _code(Status.PORTAL_UNREACHABLE),
                 int(PortalState.NONE): _code(Status.NO_PORTAL_KNOWN),
                 int(PortalState.KNOWN): _code(Status.NOT_CRAWLED)},
                value=portal_state, else_=_code(Status.MISSING))


def status_expr(conn: Connection, facts: YearFacts, agencies: Table, reports: Table,
                portal_state: ColumnElement) -> ColumnElement:
    """`status_of` as SQL. Its value is the status's place in ORDER (worst first), so that it is its own sort key
    and groups as a number; `ORDER[value]` names it."""
    return func.coalesce(status_before_portal(conn, facts, agencies, reports), status_by_portal(portal_state))


def status_code(status: Status | str) -> int:
    """The value `status_expr` gives `status`."""
    return ORDER.index(Status(status))


def not_counted(conn: Connection, year: int, street_offices: bool = True) -> frozenset[int]:
    """The agencies that did not have to publish for `year`: those of the national registry none of whose units
    publishes and existed on its own deadline for the year (a township's comes before a county's: one abolished in
    between owed its report; street offices count only if `street_offices`). Every other agency, in the registry or
    not, had to. Few (units ended, or every street office when they do not count)."""
    gov = T["governments"]
    due = case((gov.c.level == "township", literal(deadline(year, "government", "township"), Date)),
               else_=literal(government_deadline(year), Date))
    existed = and_(gov.c.publisher, or_(gov.c.valid_from.is_(None), gov.c.valid_from <= due),
                   or_(gov.c.valid_to.is_(None), gov.c.valid_to > due))
    if not street_offices:
        existed = and_(existed, gov.c.kind != "街道办事处")
    linked = gov.c.agency_id.is_not(None)
    return frozenset(conn.execute(
        select(gov.c.agency_id).where(linked).except_(select(gov.c.agency_id).where(linked, existed))).scalars())


def must_publish(agencies: Table, not_counted_ids: frozenset[int]) -> ColumnElement:
    """A WHERE clause: the agencies that had to publish for a year, given its `not_counted` (in YearFacts)."""
    return agencies.c.id.not_in(_ids("not_counted", not_counted_ids))
