"""The coverage matrix: agencies × years, filtered, sorted and paged in the database.

Rows are agencies (LEFT JOIN the focus year's report, as `archive.queries.coverage` does); filters, sorts and the count
run in SQL on the status expression, so no request builds 150,000 rows in Python. Only the page's rows get their cells
for every year, computed by `archive.queries.coverage`'s own functions.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from sqlalchemy import ColumnElement, Connection, FromClause, Select, and_, func, select

from archive.export.csv_cells import csv_text
from archive.queries.statuses import (
    YearFacts,
    days_between,
    deadline_expr,
    lineage,
    must_publish,
    nearest_portals,
    parent_of,
    portal_state_expr,
    publication_expr,
    status_code,
    status_expr,
    with_parent,
)
from archive.store.models import T
from archive.web import regions
from archive.web.records import AGENCY_COLUMNS, agency_ref, contains, year_verdict
from archive.web.schemas import AgencyRef, Matrix, MatrixCell, MatrixRow

Sort = Literal["code", "name", "status", "published", "days_late"]
SORTS: tuple[str, ...] = Sort.__args__  # type: ignore[attr-defined]
CSV_CHUNK = 500


@dataclass(frozen=True)
class MatrixQuery:
    year: int
    region: str | None = None  # division-code prefix (digits)
    level: str | None = None
    kind: str | None = None
    status: str | None = None  # in `year`
    q: str | None = None  # part of the agency's name
    sort: Sort = "code"
    descending: bool = False
    page: int = 1
    per_page: int = 50
    as_of: date | None = None  # the day statuses are computed for (today when None)


def _rows_query(conn: Connection, query: MatrixQuery, facts: YearFacts) -> tuple[Select, ColumnElement | None]:
    """The filtered rows, and their status expression when the filter or the order needs it (the status needs each
    agency's parent, for the portal publishing for it: joined only then)."""
    ag, rep = T["agencies"], T["reports"]
    source: FromClause = ag
    status = None
    if query.status or query.sort == "status":
        parent = parent_of(ag)
        source = with_parent(ag, ag, parent)
        status = status_expr(conn, facts, ag, rep, portal_state_expr(facts, lineage(ag, parent)))
    stmt = select(*AGENCY_COLUMNS).select_from(source).outerjoin(
        rep, and_(rep.c.agency_id == ag.c.id, rep.c.year == query.year)).where(
        must_publish(ag, facts.not_counted))
    if query.region:
        stmt = stmt.where(ag.c.id.in_(regions.members(query.region)))
    if query.level:
        stmt = stmt.where(ag.c.level == query.level)
    if query.kind:
        stmt = stmt.where(ag.c.kind == query.kind)
    if query.q:
        stmt = stmt.where(ag.c.name.like(contains(query.q), escape="\\"))
    if query.status:
        assert status is not None  # made above whenever a status is asked for
        stmt = stmt.where(status == status_code(query.status))
    return stmt, status


def _ordered(conn: Connection, stmt: Select, status: ColumnElement | None, query: MatrixQuery) -> Select:
    ag, rep = T["agencies"], T["reports"]
    by_code = (ag.c.division_code, ag.c.name)
    primary: dict[str, Sequence[Any]] = {
        "code": by_code,
        "name": (ag.c.name,),
        "status": (status, *by_code) if status is not None else by_code,
        "published": (publication_expr(conn, rep), *by_code),
        "days_late": (days_between(conn, publication_expr(conn, rep), deadline_expr(query.year, ag)), *by_code),
    }
    keys = list(primary[query.sort])
    if query.descending:
        keys[0] = keys[0].desc()
    if query.sort in ("published", "days_late"):  # agencies without a report last, either way (as SQLite does)
        keys[0] = keys[0].nulls_last()
    return stmt.order_by(*keys, ag.c.id)


def _cells(conn: Connection, agencies: list[AgencyRef], years: list[int],
           facts_for: Callable[[int], YearFacts]) -> dict[int, list[MatrixCell]]:
    """Every year's cell for these agencies (one query for their reports, one for their S5 flags)."""
    rep, nd = T["reports"], T["neardups"]
    ids = [a.id for a in agencies]
    reports: dict[tuple[int, int], Any] = {}
    for row in conn.execute(select(rep.c.id, rep.c.agency_id, rep.c.year, rep.c.published, rep.c.first_seen,
                                   rep.c.current_version_id, rep.c.failed_checks, rep.c.cross_checks)
                            .where(rep.c.agency_id.in_(ids), rep.c.year.in_(years)).order_by(rep.c.id)):
        reports[(row.agency_id, row.year)] = row  # an agency whose kind changed may have two: the newer one shows
    versions = [r.current_version_id for r in reports.values() if r.current_version_id is not None]
    copies: dict[int, int] = dict(conn.execute(
        select(nd.c.version_id, func.count()).where(nd.c.version_id.in_(versions)).group_by(nd.c.version_id)
    ).all()) if versions else {}
    facts = {y: facts_for(y) for y in years}
    portals = nearest_portals(conn, ids, facts[years[-1]])
    return {agency.id: [_cell(facts[year], agency, year, reports.get((agency.id, year)), portals.get(agency.id),
                              copies) for year in years]
            for agency in agencies}


def _cell(facts: YearFacts, agency: AgencyRef, year: int, r: Any | None, portal: str | None,
          copies: dict[int, int]) -> MatrixCell:
    """The agency's cell for `year`, given its report of the year or None, and the S5 flags of current versions."""
    due, (status, late, when, source, _) = year_verdict(facts, agency, year, r, portal)
    return MatrixCell(year=year, status=status, deadline=due, report_id=r.id if r else None, published=when,
                      date_source=source, days_late=late,
                      failed_checks=len(r.failed_checks or ()) + len(r.cross_checks or ()) if r else 0,
                      copies=copies.get(r.current_version_id, 0) if r else 0)


def matrix(conn: Connection, query: MatrixQuery, years: list[int],
           facts_for: Callable[[int], YearFacts]) -> Matrix:
    facts = facts_for(query.year)
    base, status = _rows_query(conn, query, facts)
    total = conn.execute(select(func.count()).select_from(base.subquery())).scalar_one()
    pages = max(1, -(-total // query.per_page))
    page = min(query.page, pages)
    rows = conn.execute(_ordered(conn, base, status, query).limit(query.per_page)
                        .offset((page - 1) * query.per_page)).all()
    agencies = [agency_ref(r) for r in rows]
    cells = _cells(conn, agencies, years, facts_for)
    return Matrix(year=query.year, years=years, total=total, page=page, per_page=query.per_page, pages=pages,
                  rows=[MatrixRow(agency=a, cells=cells[a.id]) for a in agencies])


CSV_CELL_COLUMNS = ("status", "published", "date_source", "days_late", "failed_checks", "copies", "report_id")


def csv_header(years: list[int]) -> list[str]:
    return ["agency_id", "agency", "level", "kind", "division_code",
            *(f"{year}_{column}" for year in years for column in CSV_CELL_COLUMNS)]


def matrix_csv(conn: Connection, query: MatrixQuery, years: list[int],
               facts_for: Callable[[int], YearFacts]) -> Iterator[str]:
    """Every row of the filtered view (all pages, in the view's order), as CSV text in chunks."""
    facts = facts_for(query.year)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(csv_header(years))
    result = conn.execution_options(stream_results=True).execute(_ordered(conn, *_rows_query(conn, query, facts),
                                                                          query))
    for chunk in result.partitions(CSV_CHUNK):
        agencies = [agency_ref(r) for r in chunk]
        cells = _cells(conn, agencies, years, facts_for)
        for a in agencies:
            writer.writerow([a.id, *map(csv_text, (a.name, a.level, a.kind, a.division_code)), *(
                "" if value is None else value.isoformat() if hasattr(value, "isoformat") else value
                for cell in cells[a.id] for value in (getattr(cell, c) for c in CSV_CELL_COLUMNS))])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue()
