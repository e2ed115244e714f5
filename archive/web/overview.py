"""The overview's figures: a year's statuses by level and by region, publications per day around the deadlines,
and the trend over the years. Each piece is one aggregate query, cached per archive state (`snapshots`)."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Connection, and_, func, literal, select

from archive.queries.rollup import denominator, rollup
from archive.queries.statuses import (
    ORDER,
    YearFacts,
    deadline,
    lineage,
    must_publish,
    parent_of,
    portal_state_expr,
    publication_expr,
    status_expr,
    with_parent,
)
from archive.store.models import T
from archive.web import regions
from archive.web.schemas import (
    DayCount,
    Deadline,
    Denominator,
    Overview,
    ProvinceLevel,
    StatusCounts,
    StatusGroup,
    TrendPoint,
)
from archive.web.snapshots import Snapshots

LEVEL_LABELS = {"central": "中央", "province": "省级", "prefecture": "市级", "county": "县级", "township": "乡镇",
                "department": "部门"}
KIND_LABELS = {"government": "政府", "department": "部门"}
# A region filter of 2 digits (a province) is broken down by city (4), a city by county (6); a county is not.
CHILD_DIGITS = {0: 2, 2: 4, 4: 6}


@dataclass(frozen=True)
class Breakdown:
    """One year's status counts by (level, child region), for one region filter."""

    counts: dict[tuple[str | None, str], StatusCounts]

    def totals(self) -> StatusCounts:
        return _sum(self.counts.values())

    def by(self, index: int) -> dict[Any, StatusCounts]:
        groups: dict[Any, list[StatusCounts]] = {}
        for key, counts in self.counts.items():
            groups.setdefault(key[index], []).append(counts)
        return {k: _sum(v) for k, v in groups.items()}


def _sum(items: Any) -> StatusCounts:
    out = StatusCounts()
    for c in items:
        for name in StatusCounts.model_fields:
            setattr(out, name, getattr(out, name) + getattr(c, name))
    return out


def breakdown(conn: Connection, facts: YearFacts, region: str | None) -> Breakdown:
    ag, rep = T["agencies"], T["reports"]
    digits = CHILD_DIGITS.get(len(region or ""))
    parent = parent_of(ag)
    status = status_expr(conn, facts, ag, rep, portal_state_expr(facts, lineage(ag, parent))).label("status")
    query = select(ag.c.level, status, func.count()).select_from(with_parent(ag, ag, parent)).outerjoin(
        rep, and_(rep.c.agency_id == ag.c.id, rep.c.year == facts.year)).where(
        must_publish(ag, facts.not_counted))
    # Within a region every agency has a code of its own or inherited; nationally some may have none.
    codes = regions.effective_codes(region)
    query = query.join(codes, codes.c.id == ag.c.id, isouter=not region)
    if digits:  # by the child region of each agency's code
        child = func.substr(codes.c.code, 1, digits).label("child")
        query = query.add_columns(child).group_by(ag.c.level, status, child)
    else:  # a county: no further breakdown
        query = query.add_columns(literal(region).label("child")).group_by(ag.c.level, status)
    counts: dict[tuple[str | None, str], StatusCounts] = {}
    for level, rank, n, child in conn.execute(query):
        key = (level, child if child and (not digits or len(child) == digits) else regions.UNKNOWN)
        entry = counts.setdefault(key, StatusCounts())
        name = ORDER[rank].value
        setattr(entry, name, getattr(entry, name) + n)
    return Breakdown(counts)


def per_day(conn: Connection, year: int, region: str | None) -> dict[date, int]:
    rep = T["reports"]
    day = publication_expr(conn, rep).label("day")
    query = select(day, func.count()).where(rep.c.year == year).group_by(day)
    if region:
        query = query.where(rep.c.agency_id.in_(regions.members(region)))
    out: dict[date, int] = {}
    for value, n in conn.execute(query):
        if value is not None:
            # SQLite's date() comes back as text, PostgreSQL's as a date.
            out[value if isinstance(value, date) else date.fromisoformat(value)] = n
    return out


def deadlines(year: int) -> list[Deadline]:
    if year <= 2018:
        return [Deadline(label="全部", day=deadline(year, "government", None))]
    return [Deadline(label="部门", day=deadline(year, "department", "department")),
            Deadline(label="乡镇", day=deadline(year, "government", "township")),
            Deadline(label="政府", day=deadline(year, "government", "county"))]


def window(year: int) -> tuple[date, date]:
    """December of the year reported on to April after it: every deadline with a month either side."""
    return date(year, 12, 1), date(year + 1, 4, 30)


def years(conn: Connection) -> list[int]:
    rep = T["reports"]
    return list(conn.execute(select(rep.c.year).distinct().order_by(rep.c.year)).scalars())


class OverviewBuilder:
    """Assembles an `Overview` from cached pieces, so that a new year or region reuses the others' figures."""

    def __init__(self, snapshots: Snapshots):
        self.snapshots = snapshots

    def breakdown(self, year: int, region: str | None, facts_for: Callable[[int], YearFacts]):
        facts = facts_for(year)
        return self.snapshots.get(("breakdown", year, region, facts.as_of, facts.street_offices),
                                  lambda conn: breakdown(conn, facts, region))

    def build(self, year: int, all_years: list[int], region: str | None,
              facts_for: Callable[[int], YearFacts]) -> Overview:
        facts = facts_for(year)
        names = self.snapshots.get(("region_names",), regions.names)
        current = self.breakdown(year, region, facts_for)
        days = self.snapshots.get(("per_day", year, region), lambda conn: per_day(conn, year, region))
        trend = [self.breakdown(y, region, facts_for) for y in all_years]
        counted = self.snapshots.get(("denominator", year, facts.street_offices),
                                     lambda conn: denominator(conn, year, facts.street_offices))
        # The national table of provinces by level is the overview's without a region only.
        national = None if region else self.snapshots.get(
            ("rollup", year, facts.as_of, facts.street_offices),
            lambda conn: rollup(conn, year, facts.as_of, "province-level", facts.street_offices, facts))
        used = [names, current, days, *trend, counted, *([national] if national else [])]
        first, last = window(year)
        return Overview(
            year=year, as_of=facts.as_of, years=all_years, region=region,
            region_label=regions.label(names.value, region) if region else None,
            computed_at=min(s.computed_at for s in used),  # the oldest piece's
            totals=current.value.totals(), by_level=_by_level(current.value),
            by_region=_by_region(current.value, names.value, region),
            per_day=[DayCount(day=first + timedelta(days=n), count=days.value.get(first + timedelta(days=n), 0))
                     for n in range((last - first).days + 1)],
            before_window=sum(n for d, n in days.value.items() if d < first),
            after_window=sum(n for d, n in days.value.items() if d > last),
            deadlines=deadlines(year), trend=[_trend_point(y, snap.value) for y, snap in zip(all_years, trend)],
            denominator=Denominator(**counted.value.__dict__),
            province_levels=_province_levels(national.value) if national else [],
        )


def _trend_point(year: int, breakdown: Breakdown) -> TrendPoint:
    t = breakdown.totals()
    return TrendPoint(year=year, agencies=t.total, found=t.on_time + t.late, on_time=t.on_time,
                      on_time_rate=t.on_time / t.total if t.total else 0.0)


def _by_level(breakdown: Breakdown) -> list[StatusGroup]:
    return [StatusGroup(key=k or regions.UNKNOWN, label=LEVEL_LABELS.get(k or "", k or "未知级别"), counts=c)
            for k, c in sorted(breakdown.by(0).items(), key=lambda kv: _level_order(kv[0]))]


def _by_region(breakdown: Breakdown, names: Any, region: str | None) -> list[StatusGroup]:
    """A region filter of a province or a city broken down by its child regions (CHILD_DIGITS); a county's not."""
    by_region = breakdown.by(1) if CHILD_DIGITS.get(len(region or "")) else {}
    return [StatusGroup(key=k, label=regions.label(names, k), counts=c) for k, c in sorted(by_region.items())]


def _province_levels(cells: list[Any]) -> list[ProvinceLevel]:
    """The national roll-up's rows (its first, the nation's total, left out)."""
    return [ProvinceLevel(province=c.province, province_name=c.province_name, level=c.level, agencies=c.agencies,
                          portal_known=c.portal_known, crawled=c.crawled, counts=StatusCounts(**c.statuses))
            for c in cells[1:]]


def _level_order(level: str | None) -> int:
    order = list(LEVEL_LABELS)
    return order.index(level) if level in order else len(order)

