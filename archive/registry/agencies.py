"""Agency records: from the registry, or discovered from a report's title on someone else's portal."""
from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, bindparam, func, select, update

from archive.ingest.identity import normalise_agency
from archive.registry.join import government_agencies, linked_by_alias
from archive.store.models import Agency as AgencyTable, AgencyAlias as AliasTable, Portal as PortalTable
from archive.store.sql import insert

LEVELS = ("central", "province", "prefecture", "county", "township", "department")
KINDS = ("government", "department")

# Agency names as reports write them: a government's report is published by its general office and titled with
# either name (汉阳区人民政府 / 汉阳区政府办公室 / 汉阳区), a township as 镇 or 镇人民政府, a street office as 街道 or
# 街道办事处 (domain.md §5 "Attribution"). Registries register these variants as aliases of one agency.
_GOVERNMENT = re.compile(r"^(?P<place>.+?)(?:人民政府|政府)$")
_STREET = re.compile(r"^(?P<place>.+街道)(?:办事处)?$")


def aliases(name: str, kind: str) -> tuple[str, ...]:
    """Other names a report title may give the agency `name` (not including `name` itself)."""
    out: list[str] = []
    if match := _STREET.match(name):
        out += [match["place"], match["place"] + "办事处"]
    elif kind == "government" and (match := _GOVERNMENT.match(name)):
        place = match["place"]
        out += [place, place + "人民政府", place + "政府", place + "人民政府办公室", place + "政府办公室",
                place + "人民政府办公厅", place + "政府办公厅"]
    return tuple(dict.fromkeys(a for a in out if a != name))


def place_name(name: str) -> str:
    """The place a government's name names (上海市人民政府 → 上海市); another name as it is."""
    match = _GOVERNMENT.match(name)
    return match["place"] if match else name


_MUNICIPALITIES = ("北京市", "上海市", "天津市", "重庆市")
_TOWNSHIP = re.compile(r"(街道|街道办事处|镇|乡|苏木)(人民政府)?$")
_PROVINCE = re.compile(r"(省|自治区)(人民政府)?$")
_PREFECTURE = re.compile(r"(市|自治州|州|地区|盟)(人民政府)?$")
_COUNTY = re.compile(r"(县|区|旗|自治县|自治旗|特区|林区)(人民政府)?$")


@dataclass(frozen=True)
class AgencyRecord:
    """One agency as the registry (or a test) states it; `parent` is the parent agency's name."""

    name: str
    kind: str
    level: str | None = None
    division_code: str | None = None
    parent: str | None = None
    aliases: tuple[str, ...] = ()
    portals: tuple[str, ...] = field(default_factory=tuple)


def guess_level_and_kind(name: str) -> tuple[str | None, str]:
    """(level, kind) guessed from a name alone, for agencies discovered in report titles.

    A name ending in an administrative division (县, 区, 镇 …, optionally 人民政府) is a government; anything else
    (局, 委员会, 办公室 …) is a department. "XX市" cannot tell a prefecture from a county-level city: prefecture is
    the guess, and the registry corrects it.
    """
    name = normalise_agency(name)
    if name.removesuffix("人民政府") in _MUNICIPALITIES:
        return "province", "government"
    if _TOWNSHIP.search(name):
        return "township", "government"
    if _PROVINCE.search(name):
        return "province", "government"
    if _COUNTY.search(name):
        return "county", "government"
    if _PREFECTURE.search(name):
        return "prefecture", "government"
    return "department", "department"


def _upsert_agencies(conn: Connection, records: list[AgencyRecord], joined: Callable[[AgencyRecord], str],
                     chunk: int) -> dict[str, int]:
    """The agencies' rows, a registry row's values winning; their ids by the name each is kept under (`joined`)."""
    ag = AgencyTable.__table__
    now = datetime.now(UTC).replace(tzinfo=None)
    ids: dict[str, int] = {}
    for start in range(0, len(records), chunk):
        rows = [{"name": joined(r), "level": r.level or guess_level_and_kind(r.name)[0], "kind": r.kind,
                 "division_code": r.division_code, "origin": "registry", "created_at": now}
                for r in records[start:start + chunk]]
        stmt = insert(conn, ag)
        conn.execute(stmt.on_conflict_do_update(index_elements=["name"], set_={
            "level": stmt.excluded.level, "kind": stmt.excluded.kind, "origin": stmt.excluded.origin,
            # A row without a code keeps the one the national registry gave the agency.
            "division_code": func.coalesce(stmt.excluded.division_code, ag.c.division_code)}), rows)
        wanted = [row["name"] for row in rows]
        ids.update(conn.execute(select(ag.c.name, ag.c.id).where(ag.c.name.in_(wanted))).all())
    return ids


Rows = list[dict[str, Any]]


def _links(records: list[AgencyRecord], ids: dict[str, int]) -> tuple[Rows, Rows, Rows]:
    """Alias, portal and parent rows of the agencies; `ids` by each record's normalised name."""
    alias_rows = [{"alias": normalise_agency(a), "agency_id": ids[normalise_agency(r.name)]} for r in records
                  for a in (r.name, *r.aliases)]
    portals = [{"url": url, "agency_id": ids[normalise_agency(r.name)]} for r in records for url in r.portals]
    parents = [{"child": ids[normalise_agency(r.name)], "parent": ids[normalise_agency(r.parent)]}
               for r in records if r.parent and normalise_agency(r.parent) in ids]
    return alias_rows, portals, parents


def register_agencies(conn: Connection, records: Iterable[AgencyRecord], chunk: int = 5000) -> int:
    """Upsert registry agencies (with aliases, parents and portals); returns how many were given.

    A registry row wins over a discovered one of the same name: the registry knows level, kind and division code.
    A row that is a government of the national registry (by its division code, or by a name of a government's
    agency) updates that agency under the agency's name, its own name becoming an alias: one agency, never two.
    """
    ag, al, po = AgencyTable.__table__, AliasTable.__table__, PortalTable.__table__
    records = list(records)
    by_code = government_agencies(conn, ((r.name, r.division_code) for r in records
                                         if r.division_code and r.kind != "department"))
    by_alias = linked_by_alias(conn, (r.name for r in records if r.kind != "department"))

    def joined(r: AgencyRecord) -> str:
        name = normalise_agency(r.name)
        if r.kind == "department":
            return name
        return by_code.get(name) or by_alias.get(name) or name

    names = {normalise_agency(r.name): joined(r) for r in records}
    ids = _upsert_agencies(conn, records, joined, chunk)
    alias_rows, portals, parents = _links(records, {name: ids[kept] for name, kept in names.items()})
    for rows, table, key in ((alias_rows, al, "alias"), (portals, po, "url")):
        for start in range(0, len(rows), chunk):
            conn.execute(insert(conn, table).on_conflict_do_nothing(index_elements=[key]), rows[start:start + chunk])
    if parents:
        conn.execute(update(ag).where(ag.c.id == bindparam("child")).values(parent_id=bindparam("parent")), parents)
    return len(records)
