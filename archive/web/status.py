"""Coverage statuses as SQL expressions, so that the matrix can filter, sort and count 150,000 agencies in the
database instead of building every row in Python.

The rules are `archive.coverage`'s (deadline, publication, status_of), restated in SQL; tests/test_dashboard_api.py
checks that both give every agency the same status. Agencies with an unparsed document or an unreachable portal
come from `archive.coverage`'s own queries, as id sets computed once per archive state (`YearFacts`).
"""
from __future__ import annotations

import typing
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import ColumnElement, Connection, Date, Integer, Table, and_, bindparam, case, cast, func, literal

from archive.coverage import _unparsed, _unreachable, deadline, status_of
from archive.coverage import publication as coverage_publication
from archive.web.schemas import DateSource, Status

# Worst first: the order of "sort by status" and of every status legend.
STATUS_ORDER = ("missing", "portal_unreachable", "found_unparsed", "late", "on_time")
STATUS_LABELS = {"on_time": "按时", "late": "逾期", "missing": "未发现", "portal_unreachable": "网站无法访问",
                 "found_unparsed": "已发现未解析"}


@dataclass(frozen=True)
class YearFacts:
    """What a year's statuses need beyond the reports table: agencies with unparsed documents, unreachable ones."""

    year: int
    unparsed: frozenset[int]
    unreachable: frozenset[int]

    @classmethod
    def load(cls, conn: Connection, year: int) -> "YearFacts":
        return cls(year, frozenset(_unparsed(conn, year)), frozenset(_unreachable(conn)))

    def status(self, agency_id: int, due: date, when: date | None, has_report: bool) -> tuple[Status, int | None]:
        status, late = status_of(due, when, has_report, agency_id in self.unparsed, agency_id in self.unreachable)
        return typing.cast(Status, status), late


def publication(published: date | None, first_seen: datetime | None) -> tuple[date | None, DateSource | None]:
    """`coverage.publication`, typed for the API."""
    when, source = coverage_publication(published, first_seen)
    return when, typing.cast("DateSource | None", source)


def date_of(conn: Connection, moment: ColumnElement) -> ColumnElement:
    """The calendar date of a timestamp column (SQLite keeps both as ISO text, compared as text)."""
    return func.date(moment) if conn.dialect.name == "sqlite" else cast(moment, Date)


def days_between(conn: Connection, later: ColumnElement, earlier: ColumnElement) -> ColumnElement:
    if conn.dialect.name == "sqlite":
        return cast(func.julianday(later) - func.julianday(earlier), Integer)
    return later - earlier


def publication_expr(conn: Connection, reports: Table) -> ColumnElement:
    """`coverage.publication`: the stated date, else the day the archive first saw the report."""
    return func.coalesce(reports.c.published, date_of(conn, reports.c.first_seen))


def deadline_expr(year: int, agencies: Table) -> ColumnElement:
    """`coverage.deadline` (townships at its default date) for every agency: townships by level, then by kind."""
    return case(
        (agencies.c.level == "township", literal(deadline(year, "government", "township"), Date)),
        (agencies.c.kind == "department", literal(deadline(year, "department", "department"), Date)),
        else_=literal(deadline(year, "government", None), Date),
    )


def _ids(name: str, ids: frozenset[int]) -> ColumnElement:
    # Rendered into the statement: an unreachable province can put more ids here than SQLite takes parameters.
    return bindparam(name, sorted(ids), expanding=True, literal_execute=True)


def status_expr(conn: Connection, facts: YearFacts, agencies: Table, reports: Table) -> ColumnElement:
    """`coverage.status_of` over `agencies` LEFT JOIN `reports` (that year's)."""
    when = publication_expr(conn, reports)
    found = and_(reports.c.id.is_not(None), when.is_not(None))
    return case(
        (and_(found, when > deadline_expr(facts.year, agencies)), literal("late")),
        (found, literal("on_time")),
        (agencies.c.id.in_(_ids(f"unparsed_{facts.year}", facts.unparsed)), literal("found_unparsed")),
        (agencies.c.id.in_(_ids(f"unreachable_{facts.year}", facts.unreachable)), literal("portal_unreachable")),
        else_=literal("missing"),
    )


def status_rank_expr(status: ColumnElement) -> ColumnElement:
    return case(*((status == s, literal(n)) for n, s in enumerate(STATUS_ORDER)), else_=literal(len(STATUS_ORDER)))
