"""Who published what, when: every agency that had to publish, with its status for one year on a given day (Open
States' lesson: coverage is a table). The statuses, deadlines and the rule are `archive.queries.statuses`'; who had to
publish is `statuses.must_publish` (the national registry's units that existed when the year's reports fell due, and
every other agency known).
"""
from __future__ import annotations

from datetime import date, datetime
from typing import Any, NamedTuple

from sqlalchemy import Connection, and_, literal, select

from archive.queries.statuses import (
    DEFAULT_TOWNSHIP_DEADLINE,
    Status,
    YearFacts,
    deadline,
    must_publish,
    parent_of,
    with_parent,
)
from archive.store import models as m


class CoverageRow(NamedTuple):
    """One agency's status. A named tuple: 150,000 of them are built per call, at a third of a dataclass's cost."""

    agency: str
    level: str | None
    kind: str
    division_code: str | None
    status: Status
    days_late: int | None
    deadline: date
    published: date | None  # the date shown: stated, else first seen
    date_source: str | None  # "stated" (in the report) | "first_seen" (by the archive)
    first_seen: datetime | None
    url: str | None
    failed_checks: tuple[str, ...]  # rule@where, the report's own checks then S1/S2
    note: str | None = None  # "first seen after the deadline", "due 2027-03-31"
    copies: tuple[int, ...] = ()  # S5: the reports this one reads like

    def as_dict(self) -> dict[str, Any]:
        return {
            "agency": self.agency, "level": self.level, "kind": self.kind, "division_code": self.division_code,
            "status": str(self.status), "days_late": self.days_late, "deadline": self.deadline.isoformat(),
            "published": self.published.isoformat() if self.published else None, "date_source": self.date_source,
            "first_seen": self.first_seen.isoformat(sep=" ") if self.first_seen else None, "url": self.url,
            "failed_checks": list(self.failed_checks), "note": self.note, "copies": list(self.copies),
        }


def check_labels(*groups: list[dict[str, Any]] | None) -> tuple[str, ...]:
    return tuple(f"{c['rule']}@{c['where']}" for group in groups for c in group or ())


def _agency_filter(level: str | None, region: str | None):
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


def copied_reports(conn: Connection, year: int | None = None) -> dict[int, list[int]]:
    """Rule S5 by current version (of one year's reports): the ids of the reports it reads like, most similar
    first. A lead to check, not a failed check: kept apart from `failed_checks`, as on the dashboard."""
    nd, rep, ver = m.NearDuplicate.__table__, m.Report.__table__, m.Version.__table__
    query = (select(nd.c.version_id, ver.c.report_id)
             .join(rep, rep.c.current_version_id == nd.c.version_id).join(ver, ver.c.id == nd.c.other_version_id)
             .order_by(nd.c.version_id, nd.c.similarity.desc(), nd.c.other_version_id))
    if year is not None:
        query = query.where(rep.c.year == year)
    out: dict[int, list[int]] = {}
    for version_id, report_id in conn.execute(query):
        found = out.setdefault(version_id, [])
        if report_id not in found:  # several versions of one report
            found.append(report_id)
    return out


def coverage(conn: Connection, year: int, level: str | None = None, region: str | None = None,
             township_deadline: tuple[int, int] = DEFAULT_TOWNSHIP_DEADLINE, as_of: date | None = None,
             street_offices: bool = True) -> list[CoverageRow]:
    """Every agency that had to publish for `year` (in `level`, `region`), with its status on `as_of` (today)."""
    ag, rep = m.Agency.__table__, m.Report.__table__
    facts = YearFacts.load(conn, year, as_of or date.today(), street_offices)
    # Every agency, in order (the index on division code and name hands them over sorted), with its report's id
    # and its parent and grandparent (whose portal publishes for it when it has none): plain columns only, since
    # per-row type conversion is most of the cost at 150,000 rows.
    parent = parent_of(ag)
    agencies = conn.execute(
        select(ag.c.id, ag.c.name, ag.c.level, ag.c.kind, ag.c.division_code, rep.c.id, ag.c.parent_id,
               parent.c.parent_id)
        .select_from(with_parent(ag, ag, parent))
        .outerjoin(rep, and_(rep.c.agency_id == ag.c.id, rep.c.year == year))
        .where(_agency_filter(level, region), must_publish(ag, facts.not_counted))
        .order_by(ag.c.division_code, ag.c.name)
    ).all()
    reports = {r.id: r for r in conn.execute(
        select(rep.c.id, rep.c.current_version_id, rep.c.first_seen, rep.c.published, rep.c.url, rep.c.failed_checks,
               rep.c.cross_checks).where(rep.c.year == year))}
    copies = copied_reports(conn, year)
    deadlines: dict[tuple[str, str | None], date] = {}
    out = []
    for agency_id, name, agency_level, kind, code, report_id, parent_id, grandparent_id in agencies:
        due = deadlines.get((kind, agency_level))
        if due is None:
            due = deadlines[(kind, agency_level)] = deadline(year, kind, agency_level, township_deadline)
        r = reports[report_id] if report_id is not None else None
        v = facts.verdict(agency_id, due, r is not None, r.published if r else None, r.first_seen if r else None,
                          facts.portal_for(agency_id, parent_id, grandparent_id))
        if r is None:  # most agencies in a year's first weeks: no report, no checks
            out.append(CoverageRow(name, agency_level, kind, code, v.status, None, due, None, None, None, None, (),
                                   v.note))
            continue
        out.append(CoverageRow(
            name, agency_level, kind, code, v.status, v.days_late, due, v.published, v.date_source, r.first_seen,
            r.url, check_labels(r.failed_checks, r.cross_checks), v.note, tuple(copies.get(r.current_version_id, ())),
        ))
    return out


# Column order of the table/CSV output.
COLUMNS = ("agency", "level", "kind", "division_code", "status", "days_late", "deadline", "published",
           "date_source", "first_seen", "url", "failed_checks", "copies", "note")
