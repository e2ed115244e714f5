"""The governments of the national registry in the archive: `apply_release` is the one writer of `governments` and
`registry_releases`; `listing` reads them.

Applying a release compares it with the current rows (valid_to NULL) by division code: a new code is a new unit
(valid from the release's date, or from "before the first release" when none was applied yet), a code gone ends its
unit (valid to the release's date: it existed at least until the previous one), a code with a new name ends the old
row and starts one for the new name that keeps the same agency (a renamed government goes on publishing). The
successor of an ended unit is recorded where the release shows it: a unit added under the same parent whose name
starts with the old one (沙县 → 沙县区). A release identical to what the archive holds writes nothing.

Each current unit that publishes gets exactly one agency: an existing one with its code (a registry row) or with one
of its names and no code (a discovered township), else a new one named as such units publish (北京市朝阳区人民政府,
仙居县下各镇人民政府, 九龙坡区二郎街道办事处).
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Connection, bindparam, select, update

from archive.registry.agencies import aliases
from archive.registry.divisions import Division, Kind, Release
from archive.registry.join import unlinked_matches
from archive.store.models import T
from archive.store.sql import insert

CHUNK = 5000
_SUFFIX = {Kind.GOVERNMENT: "人民政府", Kind.STREET_OFFICE: "办事处", Kind.DISTRICT_OFFICE: ""}


@dataclass
class Changes:
    """What applying a release did, for the command's report."""

    release: str
    data_as_of: date
    new_release: bool = False
    added: list[tuple[str, str]] = field(default_factory=list)  # (code, name)
    renamed: list[tuple[str, str, str]] = field(default_factory=list)  # (code, old name, new name)
    moved: list[tuple[str, str]] = field(default_factory=list)  # (code, name): parent, level or kind changed
    ended: list[tuple[str, str, str | None]] = field(default_factory=list)  # (code, name, successor code)
    agencies_linked: int = 0  # existing agencies joined to their government
    agencies_created: int = 0

    @property
    def unchanged(self) -> bool:
        return not (self.new_release or self.added or self.renamed or self.moved or self.ended
                    or self.agencies_linked or self.agencies_created)

    def summary(self) -> str:
        if self.unchanged:
            return f"{self.release} (data as of {self.data_as_of}): already applied, nothing changed"
        return (f"{self.release} (data as of {self.data_as_of}): {len(self.added)} added, {len(self.renamed)} renamed, "
                f"{len(self.moved)} moved, {len(self.ended)} ended; agencies: {self.agencies_linked} joined, "
                f"{self.agencies_created} created")

    def details(self) -> list[str]:
        return ([f"+ {code} {name}" for code, name in self.added]
                + [f"~ {code} {old} → {new}" for code, old, new in self.renamed]
                + [f"> {code} {name}: parent, level or kind changed" for code, name in self.moved]
                + [f"- {code} {name}" + (f" (successor {succ})" if succ else "") for code, name, succ in self.ended])


def agency_names(divisions: Iterable[Division]) -> dict[str, str]:
    """Code → the name its agency publishes under, unique across the release: the unit's name with its parent's in
    front (below prefecture level) and the publisher's suffix; a clash takes the grandparent's name too."""
    by_code = {d.code: d for d in divisions}

    def name(d: Division, depth: int) -> str:
        parts, node = [d.name], d
        for _ in range(depth):
            node = by_code.get(node.parent_code or "")  # type: ignore[assignment]
            if node is None:
                break
            parts.insert(0, node.name)
        return "".join(parts) + _SUFFIX[d.kind]

    depth = {d.code: 0 if d.level in ("province", "prefecture") else 1 for d in by_code.values()}
    for _ in range(3):
        names = {code: name(by_code[code], depth[code]) for code in by_code}
        clashes = [n for n, count in Counter(names.values()).items() if count > 1]
        if not clashes:
            break
        clashing = set(clashes)
        for code, n in names.items():
            if n in clashing:
                depth[code] += 1
    else:
        names = {code: n if Counter(names.values())[n] == 1 else f"{n}({code})" for code, n in names.items()}
    return names


def _alias_names(d: Division, agency_name: str, unique_short: bool) -> tuple[str, ...]:
    names = [agency_name, *aliases(agency_name, "government")]
    if unique_short:  # the unit's own name alone only where no other unit has it
        short = d.name + _SUFFIX[d.kind]
        names += [short, *aliases(short, "government")]
    if d.level != "province":  # 办公厅 is a provincial government's general office; below, it is an 办公室
        names = [n for n in names if not n.endswith("办公厅")]
    # The release's names are NFKC already and have no spaces: normalise_agency would return them as they are.
    return tuple(dict.fromkeys(names))


def _current(conn: Connection) -> dict[str, Any]:
    gov = T["governments"]
    return {row.division_code: row for row in conn.execute(select(gov).where(gov.c.valid_to.is_(None)))}


def _successor(old: Any, added: list[Division]) -> str | None:
    found = [d.code for d in added if d.parent_code == old.parent_code and d.name.startswith(old.name)]
    return found[0] if len(found) == 1 else None


def apply_release(conn: Connection, release: Release, now: datetime | None = None,
                  progress: Callable[[str], None] = lambda _: None) -> Changes:
    """Bring the archive's governments up to `release` (see the module's doc); returns what changed. `progress`
    hears each step as it starts (a first build takes tens of seconds)."""
    gov, rel = T["governments"], T["releases"]
    now = now or datetime.now(UTC).replace(tzinfo=None)
    changes = Changes(release.package, release.data_as_of)
    known_release = conn.execute(select(rel.c.sha256).where(rel.c.sha256 == release.sha256)).first() is not None
    first = conn.execute(select(gov.c.id).limit(1)).first() is None
    current = _current(conn)
    progress(f"comparing {len(release.divisions):,} divisions with the {len(current):,} the archive holds")
    new_rows, ended, moved = [], [], []
    added: list[Division] = []
    for d in release.divisions:
        row = current.get(d.code)
        values = {"division_code": d.code, "name": d.name, "level": d.level, "kind": str(d.kind),
                  "parent_code": d.parent_code, "publisher": d.publisher, "valid_to": None, "successor_code": None,
                  "data_as_of": release.data_as_of, "source_sha256": release.sha256}
        if row is None:
            added.append(d)
            new_rows.append({**values, "valid_from": None if first else release.data_as_of, "agency_id": None})
            changes.added.append((d.code, d.name))
        elif row.name != d.name:
            ended.append({"row": row.id, "valid_to": release.data_as_of, "successor": d.code})
            new_rows.append({**values, "valid_from": release.data_as_of, "agency_id": row.agency_id})
            changes.renamed.append((d.code, row.name, d.name))
        elif (row.parent_code, row.level, row.kind, row.publisher) != (d.parent_code, d.level, str(d.kind),
                                                                        d.publisher):
            moved.append({"row": row.id, "parent": d.parent_code, "lvl": d.level, "knd": str(d.kind),
                          "pub": d.publisher})
            changes.moved.append((d.code, d.name))
    codes = {d.code for d in release.divisions}
    for code, row in current.items():
        if code not in codes:
            successor = _successor(row, added)
            ended.append({"row": row.id, "valid_to": release.data_as_of, "successor": successor})
            changes.ended.append((code, row.name, successor))
    if ended:
        conn.execute(update(gov).where(gov.c.id == bindparam("row")).values(
            valid_to=bindparam("valid_to"), successor_code=bindparam("successor")), ended)
    if moved:
        conn.execute(update(gov).where(gov.c.id == bindparam("row")).values(
            parent_code=bindparam("parent"), level=bindparam("lvl"), kind=bindparam("knd"),
            publisher=bindparam("pub")), moved)
    progress(f"writing {len(new_rows):,} new, {len(ended):,} ended and {len(moved):,} moved units")
    _insert_chunks(conn, gov.insert(), new_rows)
    if not known_release:
        changes.new_release = True
        conn.execute(rel.insert().values(sha256=release.sha256, package=release.package,
                                         data_as_of=release.data_as_of, counts=release.counts, applied_at=now))
        conn.execute(update(gov).where(gov.c.valid_to.is_(None), gov.c.source_sha256 != release.sha256)
                     .values(data_as_of=release.data_as_of, source_sha256=release.sha256))
    progress("joining the units to their agencies")
    _link_agencies(conn, release, changes, now)
    return changes


def _insert_chunks(conn: Connection, statement: Any, rows: list[dict[str, Any]]) -> None:
    """`statement` for `rows`, CHUNK rows at a time (a first build writes ~42,000 units)."""
    for start in range(0, len(rows), CHUNK):
        conn.execute(statement, rows[start:start + CHUNK])


@dataclass(frozen=True)
class _Naming:
    """A release's units by code, the name each one's agency publishes under, and the names it may go by."""

    by_code: dict[str, Division]
    names: dict[str, str]  # code → the agency's name (`agency_names`)
    shorts: Counter[str]  # unit name → how many units of the release have it

    @classmethod
    def of(cls, release: Release) -> _Naming:
        return cls({d.code: d for d in release.divisions}, agency_names(release.divisions),
                   Counter(d.name for d in release.divisions))

    def known_names(self, code: str) -> tuple[str, ...]:
        d = self.by_code[code]
        return _alias_names(d, self.names[code], self.shorts[d.name] == 1)


def _unlinked_units(conn: Connection) -> dict[str, int]:
    """The current publishing units without an agency: {code: government row id}."""
    gov = T["governments"]
    rows = conn.execute(select(gov.c.id, gov.c.division_code, gov.c.agency_id).where(
        gov.c.valid_to.is_(None), gov.c.publisher)).all()
    return {r.division_code: r.id for r in rows if r.agency_id is None}


def _link_agencies(conn: Connection, release: Release, changes: Changes, now: datetime) -> None:
    """One agency for every current publishing unit (module doc); renamed units' agencies learn the new names."""
    unlinked = _unlinked_units(conn)
    renamed = {code for code, _, _ in changes.renamed}
    if not unlinked and not renamed:
        return
    naming = _Naming.of(release)
    renamed_linked = [code for code in renamed if code not in unlinked]
    known_names = {code: naming.known_names(code) for code in [*unlinked, *renamed_linked]}
    found = _join_existing(conn, unlinked, known_names, naming.by_code)
    changes.agencies_linked += len(found)
    create = [code for code in unlinked if code not in found]
    ids = {**found, **_create_agencies(conn, create, naming, now)}
    changes.agencies_created += len(create)
    _set_agencies(conn, unlinked, ids)
    _add_aliases_and_parents(conn, ids, renamed_linked, known_names, naming.by_code)


def _join_existing(conn: Connection, unlinked: dict[str, int], known_names: dict[str, tuple[str, ...]],
                   by_code: dict[str, Division]) -> dict[str, int]:
    """The existing agencies that are `unlinked` units (`unlinked_matches`), given their unit's code and level:
    {code: agency id}."""
    ag = T["agencies"]
    found = unlinked_matches(conn, {code: (by_code[code].name, known_names[code]) for code in unlinked})
    if found:
        conn.execute(update(ag).where(ag.c.id == bindparam("agency")).values(
            division_code=bindparam("code"), level=bindparam("lvl")),
            [{"agency": a, "code": code, "lvl": by_code[code].level} for code, a in found.items()])
    return found


def _create_agencies(conn: Connection, codes: list[str], naming: _Naming, now: datetime) -> dict[str, int]:
    """A new agency for each unit of `codes`, named as such units publish: {code: agency id}."""
    ag = T["agencies"]
    _insert_chunks(conn, insert(conn, ag).on_conflict_do_nothing(index_elements=["name"]),
                   [{"name": naming.names[code], "level": naming.by_code[code].level, "kind": "government",
                     "division_code": code, "origin": "divisions", "created_at": now} for code in codes])
    if not codes:
        return {}
    # A name taken by an agency that did not match (another code, a department) is no agency of this unit.
    made = {(code, name): i for code, name, i in conn.execute(select(ag.c.division_code, ag.c.name, ag.c.id)
                                                               .where(ag.c.origin == "divisions"))}
    clashes = [code for code in codes if (code, naming.names[code]) not in made]
    if clashes:
        raise RuntimeError(f"agency names already taken by other agencies: {', '.join(clashes[:5])} …")
    return {code: made[(code, naming.names[code])] for code in codes}


def _set_agencies(conn: Connection, unlinked: dict[str, int], ids: dict[str, int]) -> None:
    """Joins the `unlinked` units (code → government row id) to their agencies (`ids`: code → agency id)."""
    gov = T["governments"]
    if ids:
        conn.execute(update(gov).where(gov.c.id == bindparam("row")).values(agency_id=bindparam("agency")),
                     [{"row": unlinked[code], "agency": a} for code, a in ids.items()])


def _add_aliases_and_parents(conn: Connection, ids: dict[str, int], renamed_linked: list[str],
                             known_names: dict[str, tuple[str, ...]], by_code: dict[str, Division]) -> None:
    """Aliases for the agencies just joined or made (`ids`) and for renamed units' agencies; each agency of `ids`
    gets its parent unit's agency as parent where it has none yet."""
    gov, ag = T["governments"], T["agencies"]
    agency_of: dict[str, int] = dict(conn.execute(select(gov.c.division_code, gov.c.agency_id).where(
        gov.c.valid_to.is_(None), gov.c.agency_id.is_not(None))).all())
    aliased = list(ids) + [code for code in renamed_linked if code in agency_of]
    _insert_chunks(conn, insert(conn, T["aliases"]).on_conflict_do_nothing(index_elements=["alias"]),
                   [{"alias": a, "agency_id": agency_of[code]} for code in aliased for a in known_names[code]])
    parents = [{"child": agency_of[code], "parent": agency_of[parent]} for code in ids
               if (parent := by_code[code].parent_code) in agency_of]
    if parents:
        conn.execute(update(ag).where(ag.c.id == bindparam("child"), ag.c.parent_id.is_(None))
                     .values(parent_id=bindparam("parent")), parents)


def built(conn: Connection) -> bool:
    """Whether `nianbao registry build` has applied a release to this archive."""
    return conn.execute(select(T["releases"].c.sha256).limit(1)).first() is not None


@dataclass(frozen=True)
class Listed:
    """A row of `nianbao registry show`."""

    division_code: str
    name: str
    level: str
    kind: str
    parent_code: str | None
    province: str
    agency: str | None
    publisher: bool
    valid_from: date | None
    valid_to: date | None
    successor_code: str | None
    data_as_of: date
    source_sha256: str

    def as_dict(self) -> dict[str, Any]:
        return {k: (v.isoformat() if isinstance(v, date) else v) for k, v in self.__dict__.items()}


COLUMNS = tuple(Listed.__dataclass_fields__)


def listing(conn: Connection, province: str | None = None, level: str | None = None,
            include_ended: bool = False) -> list[Listed]:
    """The governments (current ones unless `include_ended`), by code; `province` is a name (福建省) or code prefix."""
    gov, ag = T["governments"], T["agencies"]
    provinces = dict(conn.execute(select(gov.c.division_code, gov.c.name).where(gov.c.level == "province")).all())
    query = (select(gov, ag.c.name.label("agency")).outerjoin(ag, ag.c.id == gov.c.agency_id)
             .order_by(gov.c.division_code, gov.c.valid_from))
    if not include_ended:
        query = query.where(gov.c.valid_to.is_(None))
    if level:
        query = query.where(gov.c.level == level)
    if province:
        prefix = province if province.isdigit() else next(
            (code[:2] for code, name in provinces.items() if name == province), None)
        if prefix is None:
            raise LookupError(f"no province named {province!r} in the registry")
        query = query.where(gov.c.division_code.startswith(prefix))
    return [Listed(r.division_code, r.name, r.level, r.kind, r.parent_code,
                   provinces.get(r.division_code[:2] + "0000", ""), r.agency, r.publisher, r.valid_from, r.valid_to,
                   r.successor_code, r.data_as_of, r.source_sha256) for r in conn.execute(query)]
