"""National roll-ups: for one year on one day, per province and per level, how many agencies had to publish (the
national registry's units that existed when the year's reports fell due, and every department and other agency
known), how many have a known portal, how many were crawled for the year, and how many have each status.

The same status expression the dashboard filters by (`statuses.status_expr`), in two steps: the agencies are first
counted per parent by what decides their status without the parent (their report, their own portal and code), so that
the portal and the region, which come from the parent tree, are looked up for some 30,000 groups rather than 190,000
agencies — most agencies are departments, which have neither. An agency's province is the first two digits of its own
division code, or of its nearest coded ancestor's (a department's).
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Connection, and_, func, literal, select

from archive.queries.statuses import (
    ORDER,
    PortalState,
    Status,
    YearFacts,
    must_publish,
    not_counted,
    parent_of,
    portal_owner,
    portal_state_expr,
    status_before_portal,
    status_by_portal,
)
from archive.store.models import T

LEVELS = ("central", "province", "prefecture", "county", "township", "department")
BY = ("province", "level", "province-level")
UNKNOWN = "—"


@dataclass
class Rollup:
    province: str  # two-digit code, or "—" for agencies without a coded ancestor; "" when not grouped by it
    province_name: str
    level: str  # "" when not grouped by level
    agencies: int = 0
    portal_known: int = 0
    crawled: int = 0
    statuses: dict[str, int] = field(default_factory=lambda: {s.value: 0 for s in ORDER})

    def as_dict(self) -> dict[str, Any]:
        return {"province": self.province, "province_name": self.province_name, "level": self.level,
                "agencies": self.agencies, "portal_known": self.portal_known, "crawled": self.crawled,
                **self.statuses}


COLUMNS = ("province", "province_name", "level", "agencies", "portal_known", "crawled", *(s.value for s in ORDER))


def province_names(conn: Connection) -> dict[str, str]:
    gov = T["governments"]
    return {code[:2]: name for code, name in conn.execute(
        select(gov.c.division_code, gov.c.name).where(gov.c.level == "province", gov.c.valid_to.is_(None)))}


def rollup(conn: Connection, year: int, as_of: date, by: str = "province", street_offices: bool = True,
           facts: YearFacts | None = None) -> list[Rollup]:
    """Per province, per level or per both (`by`), with a national total first."""
    if by not in BY:
        raise ValueError(f"by must be one of {', '.join(BY)}")
    ag, rep = T["agencies"], T["reports"]
    facts = facts or YearFacts.load(conn, year, as_of, street_offices)
    # Per parent: the agency's own id only if it owns a portal, its own province, its level, its status where
    # the portal does not decide it.
    owner = portal_owner(facts, ag.c.id)
    own_province = func.substr(ag.c.division_code, 1, 2)
    before = status_before_portal(conn, facts, ag, rep)
    per_parent = (select(ag.c.parent_id, owner.label("owner"), own_province.label("province"),
                         ag.c.level, before.label("status"), func.count().label("n"))
                  .outerjoin(rep, and_(rep.c.agency_id == ag.c.id, rep.c.year == year))
                  .where(must_publish(ag, facts.not_counted))
                  .group_by(ag.c.parent_id, owner, own_province, ag.c.level, before)).subquery("per_parent")
    parent = parent_of(ag)
    grandparent = ag.alias("grandparent")
    province = func.coalesce(per_parent.c.province, func.substr(parent.c.division_code, 1, 2),
                             func.substr(grandparent.c.division_code, 1, 2), literal(UNKNOWN)).label("province")
    portal = portal_state_expr(facts, (per_parent.c.owner, per_parent.c.parent_id, parent.c.parent_id)).label("portal")
    status = func.coalesce(per_parent.c.status, status_by_portal(portal)).label("status")
    source = per_parent.outerjoin(parent, parent.c.id == per_parent.c.parent_id).outerjoin(
        grandparent, grandparent.c.id == parent.c.parent_id)
    query = (select(province, per_parent.c.level, status, portal, func.sum(per_parent.c.n)).select_from(source)
             .group_by(province, per_parent.c.level, status, portal))
    names = province_names(conn)
    total = Rollup("", "全国", "")
    groups: dict[tuple[str, str], Rollup] = {}
    for prov, level, rank, state, n in conn.execute(query):
        n = int(n)  # PostgreSQL sums to a numeric
        key = (prov if by != "level" else "", (level or UNKNOWN) if by != "province" else "")
        group = groups.get(key)
        if group is None:
            group = groups[key] = Rollup(key[0], names.get(key[0], key[0] if key[0] != UNKNOWN else "未知地区"),
                                         key[1])
        for target in (group, total):
            target.agencies += n
            target.portal_known += n if state != PortalState.NONE else 0
            target.crawled += n if state == PortalState.CRAWLED else 0
            target.statuses[ORDER[rank]] += n
    order = {level: n for n, level in enumerate(LEVELS)}
    return [total, *sorted(groups.values(), key=lambda g: (g.province, order.get(g.level, len(order)), g.level))]


@dataclass(frozen=True)
class Denominator:
    release: str | None  # the division codes' release applied last
    data_as_of: date | None
    registry_units: int  # the national registry's units counted for the year
    other_agencies: int  # departments and every other agency known
    street_offices: bool


def denominator(conn: Connection, year: int, street_offices: bool = True) -> Denominator:
    """Who is counted for `year` (statuses.must_publish), split into the national registry's units and the rest."""
    ag, gov, rel = T["agencies"], T["governments"], T["releases"]
    linked = select(gov.c.id).where(gov.c.agency_id == ag.c.id).exists()
    counts = dict(conn.execute(select(linked.label("linked"), func.count()).select_from(ag)
                               .where(must_publish(ag, not_counted(conn, year, street_offices)))
                               .group_by(linked)).all())
    latest = conn.execute(select(rel.c.package, rel.c.data_as_of).order_by(rel.c.data_as_of.desc(),
                                                                           rel.c.applied_at.desc())).first()
    return Denominator(latest.package if latest else None, latest.data_as_of if latest else None,
                       counts.get(True, 0), counts.get(False, 0), street_offices)


def counted_statuses(rows: Iterable[Rollup]) -> dict[Status, int]:
    """The national row's counts, keyed by status (for the demo's summary line)."""
    first = next(iter(rows))
    return {Status(k): v for k, v in first.statuses.items()}
