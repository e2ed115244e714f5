"""One row per report (its current version), keyed by the export's column names (archive.export.columns), with
Python values of each column's kind (dates as dates); the writers render them per format."""
from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

from sqlalchemy import Connection, select

from archive.export.columns import FIELDS
from archive.export.tree import places
from archive.ingest import stored_results
from archive.queries.coverage import check_labels, copied_reports
from archive.queries.statuses import DEFAULT_TOWNSHIP_DEADLINE, deadline, status_of
from archive.store import models as m
from pipelines import schema
from pipelines.values import held


def _source_urls(conn: Connection, year: int | None) -> dict[int, list[str]]:
    src, cap, rep = m.VersionSource.__table__, m.Capture.__table__, m.Report.__table__
    query = (select(src.c.version_id, cap.c.final_url).distinct().join(cap, cap.c.sha256 == src.c.sha256)
             .join(rep, rep.c.current_version_id == src.c.version_id).order_by(src.c.version_id, cap.c.final_url))
    if year is not None:
        query = query.where(rep.c.year == year)
    urls: dict[int, list[str]] = {}
    for version_id, url in conn.execute(query):
        urls.setdefault(version_id, []).append(url)
    return urls


def rows(conn: Connection, year: int | None = None,
         township_deadline: tuple[int, int] = DEFAULT_TOWNSHIP_DEADLINE) -> Iterator[dict[str, Any]]:
    ag, rep, ver, ex = m.Agency.__table__, m.Report.__table__, m.Version.__table__, m.Extraction.__table__
    query = (select(ag.c.id.label("agency_id"), ag.c.name, ag.c.level, ag.c.kind, rep.c.id, rep.c.year,
                    rep.c.first_seen, rep.c.published, rep.c.versions, rep.c.failed_checks, rep.c.cross_checks,
                    rep.c.current_version_id, ver.c.template, ver.c.title, ex.c.body)
             .join(rep, rep.c.agency_id == ag.c.id).join(ver, ver.c.id == rep.c.current_version_id)
             .join(ex, ex.c.id == ver.c.extraction_id).order_by(rep.c.year, ag.c.division_code, ag.c.name))
    if year is not None:
        query = query.where(rep.c.year == year)
    copies = copied_reports(conn, year)
    urls = _source_urls(conn, year)
    tree = places(conn)
    for r in conn.execute(query):
        due = deadline(r.year, r.kind, r.level, township_deadline)
        # Every row has a report: the as-of day and the portal's facts do not enter its status.
        status, late, when, source, _ = status_of(due, date.today(), True, r.published, r.first_seen,
                                                  False, False, True, True)
        sections, fields = stored_results.sections_and_fields(r.body)
        place = tree[r.agency_id]
        yield {
            "report_id": r.id, "version_id": r.current_version_id, "agency_id": r.agency_id, "agency": r.name,
            "level": r.level, "kind": r.kind, "division_code": place.division_code, "parent_id": place.parent_id,
            "parent": place.parent, "province_name": place.province_name, "prefecture_name": place.prefecture_name,
            "county_name": place.county_name, "year": r.year, "template": r.template, "title": r.title,
            "published": when, "date_source": source, "deadline": due, "first_seen": r.first_seen,
            "status": str(status), "days_late": late, "versions": r.versions,
            "failed_checks": list(check_labels(r.failed_checks, r.cross_checks)),
            "copies": copies.get(r.current_version_id, []),
            "source_urls": urls.get(r.current_version_id, []),
            **{f"section_{key}": sections.get(key) for key in schema.SECTION_KEYS},
            **{c.name: held(fields.get(c.key)) for c in FIELDS},
        }
