"""One agency per government: registry rows, crawled agencies and discovered units join the national registry's
rows by division code, or by name within their parent (domain.md §8: codes and names both churn, and township codes
are MCA's, so a name is only trusted together with the code of the county it sits under).

Names are compared normalised: `archive.ingest.identity.normalise_agency`, then through the alias table, which holds
every form a report title gives a government (北京市朝阳区人民政府 / 朝阳区政府办公室 …).
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import Connection, and_, select

from archive.ingest.identity import normalise_agency
from archive.store.models import T


def names_agree(agency: str, division: str) -> bool:
    """A code is trusted only with a name that agrees: the unit's name is in the agency's (a registry once gave
    兴仁市 the code of 兴义市, and 杨凌示范区管委会 carries the code of 杨陵区, which it is not)."""
    return normalise_agency(division) in normalise_agency(agency)


def government_agencies(conn: Connection, records: Iterable[tuple[str, str]]) -> dict[str, str]:
    """(name, division code) → the name of the agency publishing for the code's current government row, for the
    records whose name agrees with the code's unit."""
    gov, ag = T["governments"], T["agencies"]
    records = list(records)
    wanted = sorted({code for _, code in records})
    found: dict[str, tuple[str, str]] = {}
    for start in range(0, len(wanted), 5000):
        found.update((code, (agency, unit)) for code, agency, unit in conn.execute(
            select(gov.c.division_code, ag.c.name, gov.c.name).join(ag, ag.c.id == gov.c.agency_id)
            .where(gov.c.valid_to.is_(None), gov.c.division_code.in_(wanted[start:start + 5000]))))
    return {normalise_agency(name): found[code][0] for name, code in records
            if code in found and names_agree(name, found[code][1])}


def code_conflicts(conn: Connection) -> list[tuple[str, str, str]]:
    """(agency, its division code, the unit the registry gives that code) where the names disagree: input to fix."""
    gov, ag = T["governments"], T["agencies"]
    rows = conn.execute(select(ag.c.name, ag.c.division_code, gov.c.name).join(
        gov, (gov.c.division_code == ag.c.division_code) & gov.c.valid_to.is_(None)).where(
        ag.c.kind != "department", gov.c.agency_id != ag.c.id).order_by(ag.c.division_code)).all()
    return [(a, code, unit) for a, code, unit in rows if not names_agree(a, unit)]


def linked_by_alias(conn: Connection, names: Iterable[str]) -> dict[str, str]:
    """Normalised name → the name of the government-linked agency it is an alias of."""
    gov, ag, al = T["governments"], T["agencies"], T["aliases"]
    wanted = sorted({normalise_agency(n) for n in names})
    out: dict[str, str] = {}
    for start in range(0, len(wanted), 5000):
        out.update(conn.execute(
            select(al.c.alias, ag.c.name).join(ag, ag.c.id == al.c.agency_id)
            .where(al.c.alias.in_(wanted[start:start + 5000]),
                   ag.c.id.in_(select(gov.c.agency_id).where(gov.c.valid_to.is_(None))))).all())
    return out


def unlinked_matches(conn: Connection, wanted: dict[str, tuple[str, tuple[str, ...]]]) -> dict[str, int]:
    """Existing agencies that are a government not yet linked: {code: agency id} for `wanted` = {code: (unit name,
    normalised names it may go by)}. By code first, where the names agree (governments only: a department may carry
    its government's code), then by name among agencies without a code. Candidates are read whole (registry rows
    and discovered governments: a few thousand), not looked up name by name (41,931 units, 350,000 names)."""
    ag, al, gov = T["agencies"], T["aliases"], T["governments"]
    free = and_(ag.c.kind != "department", ag.c.id.not_in(
        select(gov.c.agency_id).where(gov.c.valid_to.is_(None), gov.c.agency_id.is_not(None))))
    out: dict[str, int] = {}
    for code, agency_id, name in conn.execute(select(ag.c.division_code, ag.c.id, ag.c.name).where(
            ag.c.division_code.is_not(None), free).order_by(ag.c.id)):
        if code in wanted and names_agree(name, wanted[code][0]):
            out.setdefault(code, agency_id)
    by_name = {name: code for code, (_, names) in wanted.items() if code not in out for name in names}
    taken = set(out.values())
    for alias, agency_id in conn.execute(select(al.c.alias, ag.c.id).join(ag, ag.c.id == al.c.agency_id).where(
            ag.c.division_code.is_(None), free).order_by(ag.c.id, al.c.alias)):
        code = by_name.get(alias)
        if code is not None and agency_id not in taken and code not in out:
            out[code] = agency_id
            taken.add(agency_id)
    return out


def _chunks(values: Iterable[str], size: int = 5000) -> Iterable[list[str]]:
    ordered = sorted(set(values))
    for start in range(0, len(ordered), size):
        yield ordered[start:start + size]


def _agreeing(candidates: Iterable[tuple[int, str, int | None]], *names: str) -> tuple[int, int | None] | None:
    """The one (government id, agency id) among `candidates` (id, normalised unit name, agency id) whose unit one of
    `names` (normalised) names, as `names_agree` has it; the longest unit name wins (鼓东街道 over 东街道), and a tie
    is no join: never a guess."""
    agreeing = sorted(((len(unit), gid, agency) for gid, unit, agency in candidates
                       if any(name and unit in name for name in names)), reverse=True)
    if not agreeing or (len(agreeing) > 1 and agreeing[0][0] == agreeing[1][0]):
        return None
    return agreeing[0][1], agreeing[0][2]


@dataclass
class _Candidates:
    """The current government rows a batch of discovered units may join, as (row id, normalised unit name, agency
    id): by their own division code, the townships among them, and townships by their county's code."""

    by_code: dict[str, list[tuple[int, str, int | None]]] = field(default_factory=lambda: defaultdict(list))
    towns: dict[str, list[tuple[int, str, int | None]]] = field(default_factory=lambda: defaultdict(list))
    under: dict[str, list[tuple[int, str, int | None]]] = field(default_factory=lambda: defaultdict(list))

    def government(self, name: str, level: str, code: str) -> tuple[int, int | None] | None:
        """The row a government or township named `name` (normalised) with `code` joins."""
        if level == "township":  # its county's name is in its own: a county row must not take it
            return _agreeing(self.towns.get(code, ()), name) or _agreeing(self.under.get(code, ()), name)
        return _agreeing(self.by_code.get(code, ()), name)


def _candidates(conn: Connection, codes: set[str]) -> _Candidates:
    gov = T["governments"]
    out = _Candidates()
    for part in _chunks(codes):
        for gid, code, parent, name, unit_level, agency in conn.execute(
                select(gov.c.id, gov.c.division_code, gov.c.parent_code, gov.c.name, gov.c.level, gov.c.agency_id)
                .where(gov.c.valid_to.is_(None), gov.c.division_code.in_(part) | gov.c.parent_code.in_(part))):
            row = (gid, normalise_agency(name), agency)
            if code in codes:
                out.by_code[code].append(row)
                if unit_level == "township":
                    out.towns[code].append(row)
            if parent in codes and unit_level == "township":
                out.under[parent].append(row)
    return out


def _agencies_by_alias(conn: Connection, names: set[str]) -> dict[str, int]:
    """Normalised name → the agency that alias is of (any agency, linked to a government or not)."""
    al = T["aliases"]
    out: dict[str, int] = {}
    for part in _chunks(names):
        out.update(conn.execute(select(al.c.alias, al.c.agency_id).where(al.c.alias.in_(part))).all())
    return out


def discovered_joins(conn: Connection, found: Iterable[tuple[str, str, str, str]]
                     ) -> list[tuple[int | None, int | None]]:
    """(government row id, agency id) for each discovered (name, level, division code, parent), in order; None
    where nothing joins. A government joins the current row of its division code when the names agree; a township
    its own row, or else the row under its county's code whose name its name contains; a department the row of its
    government's code when its name or its parent's names the unit, and its own agency by name (an agency the
    registry CSV or a report title made)."""
    found = list(found)
    candidates = _candidates(conn, {code for _, _, code, _ in found if code})
    departments = {normalise_agency(name) for name, level, _, _ in found if level == "department"}
    agencies = _agencies_by_alias(conn, departments)
    out: list[tuple[int | None, int | None]] = []
    for raw_name, level, code, parent in found:
        name = normalise_agency(raw_name)
        if level == "department":
            hit = _agreeing(candidates.by_code.get(code, ()), name, normalise_agency(parent))
            out.append((hit[0] if hit else None, agencies.get(name)))
        else:
            out.append(candidates.government(name, level, code) or (None, None))
    return out
