"""Agency records: from the registry, or discovered from a report's title on someone else's portal."""
from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone

from sqlalchemy import Connection, bindparam, select, update

from archive.identity import normalise_agency
from archive.models import Agency as AgencyTable, AgencyAlias as AliasTable, Portal as PortalTable
from archive.sql import insert

LEVELS = ("central", "province", "prefecture", "county", "township", "department")
KINDS = ("government", "department")

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


def classify(name: str) -> tuple[str | None, str]:
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


def register_agencies(conn: Connection, records: Iterable[AgencyRecord], chunk: int = 5000) -> int:
    """Upsert registry agencies (with aliases, parents and portals); returns how many were given.

    A registry row wins over a discovered one of the same name: the registry knows level, kind and division code.
    """
    ag, al, po = AgencyTable.__table__, AliasTable.__table__, PortalTable.__table__
    records = list(records)
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    ids: dict[str, int] = {}
    for start in range(0, len(records), chunk):
        batch = records[start:start + chunk]
        rows = [{"name": normalise_agency(r.name), "level": r.level or classify(r.name)[0], "kind": r.kind,
                 "division_code": r.division_code, "origin": "registry", "created_at": now} for r in batch]
        stmt = insert(conn, ag)
        conn.execute(stmt.on_conflict_do_update(index_elements=["name"], set_={
            c: stmt.excluded[c] for c in ("level", "kind", "division_code", "origin")}), rows)
        names = [row["name"] for row in rows]
        ids.update(conn.execute(select(ag.c.name, ag.c.id).where(ag.c.name.in_(names))).all())
    aliases = [{"alias": normalise_agency(a), "agency_id": ids[normalise_agency(r.name)]}
               for r in records for a in (r.name, *r.aliases)]
    portals = [{"url": url, "agency_id": ids[normalise_agency(r.name)]} for r in records for url in r.portals]
    parents = [{"child": ids[normalise_agency(r.name)], "parent": ids[normalise_agency(r.parent)]}
               for r in records if r.parent and normalise_agency(r.parent) in ids]
    for rows, table, key in ((aliases, al, "alias"), (portals, po, "url")):
        for start in range(0, len(rows), chunk):
            conn.execute(insert(conn, table).on_conflict_do_nothing(index_elements=[key]), rows[start:start + chunk])
    if parents:
        conn.execute(update(ag).where(ag.c.id == bindparam("child")).values(parent_id=bindparam("parent")), parents)
    return len(records)
