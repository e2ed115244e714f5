"""Who published what, when: every known agency's status for one year (Open States' lesson: coverage is a table).

Deadlines (条例 Art. 49, domain.md §1): departments 31 January of Y+1, governments 31 March of Y+1; townships are
not named in Art. 49 and follow local rules, so theirs is configurable. Reports on 2018 and earlier had a single
deadline, 31 March, for all. Lateness is measured from the publication date the report states, or from when the
archive first saw it when it states none, and every row says which.
"""
from __future__ import annotations

from datetime import date, datetime
from typing import Any, NamedTuple

from sqlalchemy import Connection, and_, exists, literal, select

from archive import models as m

STATUSES = ("on_time", "late", "missing", "portal_unreachable", "found_unparsed")
# Most county notices ask townships for their reports with the departments' or by the end of February; the later
# date is the default so that a township is not called late by a rule it may not have had.
DEFAULT_TOWNSHIP_DEADLINE = (2, 28)


class CoverageRow(NamedTuple):
    """One agency's status. A named tuple: 150,000 of them are built per call, at a third of a dataclass's cost."""

    agency: str
    level: str | None
    kind: str
    division_code: str | None
    status: str
    days_late: int | None
    deadline: date
    published: date | None  # the date lateness is measured from
    date_source: str | None  # "stated" (in the report) | "first_seen" (by the archive)
    first_seen: datetime | None
    url: str | None
    failed_checks: tuple[str, ...]  # rule@where, the report's own checks then S1/S2 then S5

    def as_dict(self) -> dict[str, Any]:
        return {
            "agency": self.agency, "level": self.level, "kind": self.kind, "division_code": self.division_code,
            "status": self.status, "days_late": self.days_late, "deadline": self.deadline.isoformat(),
            "published": self.published.isoformat() if self.published else None, "date_source": self.date_source,
            "first_seen": self.first_seen.isoformat(sep=" ") if self.first_seen else None, "url": self.url,
            "failed_checks": list(self.failed_checks),
        }


def deadline(year: int, kind: str, level: str | None,
             township: tuple[int, int] = DEFAULT_TOWNSHIP_DEADLINE) -> date:
    if year <= 2018:
        return date(year + 1, 3, 31)
    if level == "township":
        return date(year + 1, *township)
    return date(year + 1, 1, 31) if kind == "department" else date(year + 1, 3, 31)


def publication(published: date | None, first_seen: datetime | None) -> tuple[date | None, str | None]:
    if published is not None:
        return published, "stated"
    if first_seen is not None:
        return first_seen.date(), "first_seen"
    return None, None


def status_of(due: date, when: date | None, has_report: bool, unparsed: bool, unreachable: bool
              ) -> tuple[str, int | None]:
    if has_report and when is not None:
        late = (when - due).days
        return ("late", late) if late > 0 else ("on_time", None)
    if unparsed:
        return "found_unparsed", None
    if unreachable:
        return "portal_unreachable", None
    return "missing", None


def check_labels(*groups: list[dict[str, Any]] | None) -> tuple[str, ...]:
    return tuple(f"{c['rule']}@{c['where']}" for group in groups for c in group or ())


def _agency_filter(level: str | None, region: str | None):  # type: ignore[no-untyped-def]
    ag = m.Agency.__table__
    conditions = []
    if level:
        conditions.append(ag.c.level == level)
    if region:
        if region.isdigit():
            conditions.append(ag.c.division_code.like(f"{region}%"))
        else:
            # The named agency and everything under it in the parent tree.
            tree = select(ag.c.id).where(ag.c.name == region).cte("tree", recursive=True)
            tree = tree.union_all(select(ag.c.id).join(tree, ag.c.parent_id == tree.c.id))
            conditions.append(ag.c.id.in_(select(tree.c.id)))
    return and_(*conditions) if conditions else literal(True)


def _unparsed(conn: Connection, year: int) -> set[int]:
    """Agencies with a document for `year` (by the listing's word) that no parser version has read as a report."""
    cap, ex, al, src = (m.Capture.__table__, m.Extraction.__table__, m.AgencyAlias.__table__,
                        m.VersionSource.__table__)
    query = (select(al.c.agency_id).distinct()
             .join(cap, cap.c.agency_hint == al.c.alias).join(ex, ex.c.sha256 == cap.c.sha256)
             .where(cap.c.year_hint == year, ~exists().where(src.c.sha256 == cap.c.sha256),
                    (ex.c.error.is_not(None)) | (ex.c.is_report & (ex.c.year.is_(None) | ex.c.agency.is_(None)))))
    return set(conn.execute(query).scalars())


def _unreachable(conn: Connection) -> set[int]:
    """Agencies whose portals some run could not reach and no run ever fetched a page from."""
    po, rp, re_ = m.Portal.__table__, m.RunPortal.__table__, m.RunError.__table__
    query = (select(po.c.agency_id).distinct().join(re_, re_.c.portal == po.c.url)
             .where(re_.c.kind == "unreachable",
                    ~exists().where(rp.c.portal == po.c.url, rp.c.pages > 0)))
    return set(conn.execute(query).scalars())


def flagged_copies(conn: Connection, year: int | None = None) -> dict[int, list[dict[str, Any]]]:
    """S5 flags of current versions (of one year's reports): {version_id: [{"rule": "S5", "where": relation, …}]}."""
    nd, rep = m.NearDuplicate.__table__, m.Report.__table__
    query = (select(nd.c.version_id, nd.c.other_version_id, nd.c.relation, nd.c.similarity, nd.c.same_tables)
             .join(rep, rep.c.current_version_id == nd.c.version_id)
             .order_by(nd.c.version_id, nd.c.other_version_id))
    if year is not None:
        query = query.where(rep.c.year == year)
    out: dict[int, list[dict[str, Any]]] = {}
    for row in conn.execute(query):
        out.setdefault(row.version_id, []).append({
            "rule": "S5", "ok": False, "where": row.relation,
            "detail": f"similar to version {row.other_version_id}: prose {row.similarity:.2f}"
                      + (", identical tables" if row.same_tables else ""),
        })
    return out


def coverage(conn: Connection, year: int, level: str | None = None, region: str | None = None,
             township_deadline: tuple[int, int] = DEFAULT_TOWNSHIP_DEADLINE) -> list[CoverageRow]:
    ag, rep = m.Agency.__table__, m.Report.__table__
    # Every agency, in order (the index on division code and name hands them over sorted), with its report's id:
    # plain columns only, since per-row type conversion is most of the cost at 150,000 rows.
    agencies = conn.execute(
        select(ag.c.id, ag.c.name, ag.c.level, ag.c.kind, ag.c.division_code, rep.c.id)
        .outerjoin(rep, and_(rep.c.agency_id == ag.c.id, rep.c.year == year))
        .where(_agency_filter(level, region)).order_by(ag.c.division_code, ag.c.name)
    ).all()
    reports = {r.id: r for r in conn.execute(
        select(rep.c.id, rep.c.current_version_id, rep.c.first_seen, rep.c.published, rep.c.url, rep.c.failed_checks,
               rep.c.cross_checks).where(rep.c.year == year))}
    unparsed, unreachable = _unparsed(conn, year), _unreachable(conn)
    copies = flagged_copies(conn, year)
    deadlines: dict[tuple[str, str | None], date] = {}
    out = []
    for agency_id, name, agency_level, kind, code, report_id in agencies:
        due = deadlines.get((kind, agency_level))
        if due is None:
            due = deadlines[(kind, agency_level)] = deadline(year, kind, agency_level, township_deadline)
        if report_id is None:  # most agencies in a year's first weeks: no report, nothing to compute
            status = ("found_unparsed" if agency_id in unparsed else
                      "portal_unreachable" if agency_id in unreachable else "missing")
            out.append(CoverageRow(name, agency_level, kind, code, status, None, due, None, None, None, None, ()))
            continue
        r = reports[report_id]
        when, source = publication(r.published, r.first_seen)
        status, late = status_of(due, when, True, agency_id in unparsed, agency_id in unreachable)
        out.append(CoverageRow(
            name, agency_level, kind, code, status, late, due, when, source, r.first_seen, r.url,
            check_labels(r.failed_checks, r.cross_checks, copies.get(r.current_version_id)),
        ))
    return out


# Column order of the table/CSV output.
COLUMNS = ("agency", "level", "kind", "division_code", "status", "days_late", "deadline", "published",
           "date_source", "first_seen", "url", "failed_checks")
