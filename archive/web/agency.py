"""An agency's page: its reports year by year (versions, dates, deadline, checks), their main numbers over the years,
and its portals' crawl health."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import Connection, select

from archive.ingest import stored_results
from archive.queries.statuses import YearFacts, nearest_portals
from archive.store.models import T
from archive.web.records import AGENCY_COLUMNS, agency_ref, checks, copies_of, year_verdict
from archive.web.schemas import (
    AgencyDetail,
    AgencyRef,
    AgencyYear,
    PortalError,
    PortalHealth,
    VersionSummary,
    YearFigures,
)

MAX_ERRORS = 20


def version_summary(row: Any, current_id: int | None) -> VersionSummary:
    return VersionSummary(id=row.id, seq=row.seq, first_seen=row.first_seen, last_seen=row.last_seen,
                          published=row.published, title=row.title, template=row.template,
                          current=row.id == current_id)


def versions_of(conn: Connection, report_ids: list[int]) -> dict[int, list[Any]]:
    ver = T["versions"]
    out: dict[int, list[Any]] = {}
    if report_ids:
        for row in conn.execute(select(ver.c.id, ver.c.report_id, ver.c.seq, ver.c.first_seen, ver.c.last_seen,
                                       ver.c.published, ver.c.title, ver.c.template)
                                .where(ver.c.report_id.in_(report_ids)).order_by(ver.c.report_id, ver.c.seq)):
            out.setdefault(row.report_id, []).append(row)
    return out


def portal_health(conn: Connection, agency_id: int) -> list[PortalHealth]:
    """Per portal: the latest run that visited it, the latest that fetched pages, the errors runs counted.

    Runs name a portal by its URL or, when the crawler gave none, by the host of the pages (`Capture.portal_name`).
    """
    po, rp, re_, runs = T["portals"], T["run_portals"], T["run_errors"], T["runs"]
    out = []
    for url in conn.execute(select(po.c.url).where(po.c.agency_id == agency_id).order_by(po.c.url)).scalars():
        names = {url, urlsplit(url).netloc} - {""}
        visits = conn.execute(select(rp.c.run_id, rp.c.pages, runs.c.started_at)
                              .join(runs, runs.c.id == rp.c.run_id).where(rp.c.portal.in_(names))
                              .order_by(runs.c.started_at.desc())).all()
        errors = conn.execute(select(re_.c.run_id, re_.c.kind, re_.c.count.label("times"), runs.c.started_at)
                              .join(runs, runs.c.id == re_.c.run_id).where(re_.c.portal.in_(names))
                              .order_by(runs.c.started_at.desc(), re_.c.kind).limit(MAX_ERRORS)).all()
        runs_seen = sorted([(v.started_at, v.run_id) for v in visits] + [(e.started_at, e.run_id) for e in errors],
                           reverse=True)
        last_started, last_run = runs_seen[0] if runs_seen else (None, None)
        successes = [v.started_at for v in visits if v.pages > 0]
        out.append(PortalHealth(
            url=url, last_run=last_started, last_run_id=last_run, last_success=max(successes, default=None),
            pages_last_run=sum(v.pages for v in visits if v.run_id == last_run) if last_run else None,
            errors=[PortalError(run_id=e.run_id, started_at=e.started_at, kind=e.kind, count=e.times)
                    for e in errors]))
    return out


# The numbers an agency's page follows over the years: figure → the field keys it adds up.
FIGURES = {
    "new_received": ("applications.new_received.total",),
    "processed": ("applications.total_processed.total",),
    "granted": ("applications.granted.total",),
    "reviews": ("review.total",),
    "lawsuits": ("litigation_direct.total", "litigation_after_review.total"),
}


def figures(conn: Connection, reports: list[Any]) -> list[YearFigures]:
    """Each report's FIGURES from its current version's fields, oldest year first; a sum of blanks is blank."""
    ver, ex = T["versions"], T["extractions"]
    by_version = {r.current_version_id: r for r in reports if r.current_version_id is not None}
    out = []
    for row in conn.execute(select(ver.c.id, ex.c.meta, ex.c.body).join(ex, ex.c.id == ver.c.extraction_id)
                            .where(ver.c.id.in_(list(by_version)))):
        fields = stored_results.unpack(row.meta, row.body).get("fields") or {}
        values = {name: [v for k in keys if (v := fields.get(k)) is not None] for name, keys in FIGURES.items()}
        report = by_version[row.id]
        out.append(YearFigures(year=report.year, report_id=report.id,
                               **{name: sum(found) if found else None for name, found in values.items()}))
    return sorted(out, key=lambda f: f.year)


def agency_detail(conn: Connection, agency_id: int, archive_years: list[int],
                  facts_for: Callable[[int], YearFacts]) -> AgencyDetail | None:
    ag, al = T["agencies"], T["aliases"]
    row = conn.execute(select(*AGENCY_COLUMNS, ag.c.parent_id, ag.c.origin).where(ag.c.id == agency_id)).first()
    if row is None:
        return None
    agency = agency_ref(row)
    parent = conn.execute(select(*AGENCY_COLUMNS).where(ag.c.id == row.parent_id)).first() \
        if row.parent_id is not None else None
    aliases = [a for a in conn.execute(select(al.c.alias).where(al.c.agency_id == agency_id).order_by(al.c.alias))
               .scalars() if a != agency.name]
    reports = _reports(conn, agency_id)
    return AgencyDetail(agency=agency, parent=agency_ref(parent) if parent else None, aliases=aliases,
                        origin=row.origin, years=_years(conn, agency, reports, archive_years, facts_for),
                        figures=figures(conn, list(reports.values())), portals=portal_health(conn, agency_id))


def _reports(conn: Connection, agency_id: int) -> dict[int, Any]:
    """The agency's reports by year (of two in a year, the later one)."""
    rep = T["reports"]
    return {r.year: r for r in conn.execute(select(rep.c.id, rep.c.year, rep.c.published, rep.c.first_seen, rep.c.url,
                                                   rep.c.current_version_id, rep.c.failed_checks, rep.c.cross_checks)
                                            .where(rep.c.agency_id == agency_id).order_by(rep.c.year, rep.c.id))}


def _years(conn: Connection, agency: AgencyRef, by_year: dict[int, Any], archive_years: list[int],
           facts_for: Callable[[int], YearFacts]) -> list[AgencyYear]:
    """A row for each year the archive holds or the agency has a report of, newest first."""
    reports = list(by_year.values())
    versions = versions_of(conn, [r.id for r in reports])
    copies = copies_of(conn, [r.current_version_id for r in reports if r.current_version_id is not None])
    shown = sorted(set(archive_years) | set(by_year), reverse=True)
    portal = nearest_portals(conn, [agency.id], facts_for(shown[0])).get(agency.id) if shown else None
    years = []
    for year in shown:
        r = by_year.get(year)
        due, (status, late, when, source, _) = year_verdict(facts_for(year), agency, year, r, portal)
        years.append(AgencyYear(
            year=year, deadline=due, status=status, days_late=late, published=when, date_source=source,
            report_id=r.id if r else None, url=r.url if r else None,
            versions=[version_summary(v, r.current_version_id) for v in versions.get(r.id, [])] if r else [],
            failed_checks=checks(r.failed_checks) + checks(r.cross_checks) if r else [],
            copies=copies.get(r.current_version_id, []) if r and r.current_version_id is not None else []))
    return years
