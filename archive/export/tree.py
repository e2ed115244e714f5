"""Each agency's place in the registry tree, for the export: its parent, the division code it publishes under (a
department's is its government's) and the province-, prefecture- and county-level units above it.

The parent tree (registry rows and the national registry's build set it) gives the units; a unit's name is the
national registry's where the agency is linked to it, else the place its government's name names. An agency
outside the tree (a department found only by a report's title) but with a code finds its units by code prefix in
the national registry.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, select

from archive.registry.agencies import place_name
from archive.store.models import T

UNIT_LEVELS = ("province", "prefecture", "county")


@dataclass(frozen=True)
class Place:
    parent_id: int | None
    parent: str | None
    division_code: str | None
    province_name: str | None
    prefecture_name: str | None
    county_name: str | None


@dataclass(frozen=True)
class _Agency:
    name: str
    level: str | None
    kind: str
    code: str | None
    parent_id: int | None


def _by_code(code: str, units: dict[str, str]) -> dict[str, str | None]:
    """Units above a code by its prefix: 2 digits for the province, 4 for the prefecture, 6 for the county."""
    found: dict[str, str | None] = {}
    used: set[str] = set()
    for level, digits in zip(UNIT_LEVELS, (2, 4, 6)):
        unit = code[:digits].ljust(6, "0")
        if len(code) < digits or unit in used:  # a prefecture's code is no county's
            continue
        used.add(unit)
        found[level] = units.get(unit)
    return found


def _chain(agencies: dict[int, _Agency], agency_id: int) -> list[int]:
    """The agency and its ancestors, nearest first; a cycle in bad input ends the walk."""
    chain: list[int] = []
    node: int | None = agency_id
    while node is not None and node not in chain and node in agencies:
        chain.append(node)
        node = agencies[node].parent_id
    return chain


def _unit_names(chain: list[int], agencies: dict[int, _Agency], unit_of: dict[int, str]) -> dict[str, str | None]:
    """{level: name} of the governments of UNIT_LEVELS on the chain, the nearest of each level: the national
    registry's name of its unit where linked, else the place its name names."""
    names: dict[str, str | None] = {}
    for a in chain:
        above = agencies[a]
        if above.kind == "government" and above.level in UNIT_LEVELS and above.level not in names:
            names[above.level] = unit_of.get(a) or place_name(above.name)
    return names


def places(conn: Connection) -> dict[int, Place]:
    """{agency id: its place}, for every agency."""
    ag, gov = T["agencies"], T["governments"]
    agencies = {row.id: _Agency(row.name, row.level, row.kind, row.division_code, row.parent_id) for row in
                conn.execute(select(ag.c.id, ag.c.name, ag.c.level, ag.c.kind, ag.c.division_code, ag.c.parent_id))}
    current = gov.c.valid_to.is_(None)
    unit_of = dict(conn.execute(select(gov.c.agency_id, gov.c.name).where(current, gov.c.agency_id.is_not(None))
                                .order_by(gov.c.id)).all())
    units = dict(conn.execute(select(gov.c.division_code, gov.c.name).where(current).order_by(gov.c.id)).all())
    out = {}
    for agency_id, agency in agencies.items():
        chain = _chain(agencies, agency_id)
        code = next((agencies[a].code for a in chain if agencies[a].code), None)
        names = _unit_names(chain, agencies, unit_of)
        if not names and code:
            names = _by_code(code, units)
        parent = agencies.get(agency.parent_id) if agency.parent_id is not None else None
        out[agency_id] = Place(agency.parent_id, parent.name if parent else None, code,
                               names.get("province"), names.get("prefecture"), names.get("county"))
    return out
