"""The discovered registry: the one writer of what discovery found (`record`), and its reader (`current`).

`nianbao registry discover` hands a run's `Discovered` agencies and `Conflict`s (archive.registry.bindings) to
`record`, at once or in batches. An agency is one row per (name, division code): a later sighting moves its last
seen and takes its portal, columns, platform, confidence and evidence, its first seen stays; an agency a run does not
see again keeps its row and its age. Each row is joined to the national registry where evidence allows
(archive.registry.join.discovered_joins: by division code and name).

What is *current* — what `nianbao registry diff` compares with the accepted registry — is every row of a province
except those a later finished run of that province, looking for that level, did not see. Only a finished run
(`complete=True`) says that: an interrupted run's silence removes nothing.
"""
from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, delete, select, update

from archive.registry.bindings import Conflict, Discovered, Evidence, Signal
from archive.registry.join import discovered_joins
from archive.store.models import T
from archive.store.sql import insert, insert_new, update_rows, utcnow

CHUNK = 2000
ALWAYS_LOOKED_FOR = "province"  # a province's run starts at its portal: it always looks for the province itself


@dataclass(frozen=True, slots=True)
class Recorded:
    """What `record` did: agencies new to the archive, agencies seen again, conflicts."""

    run: str
    new: int
    seen_again: int
    conflicts: int


@dataclass(frozen=True, slots=True)
class Entry:
    """A discovered agency as the archive holds it (a row of the discovered or the accepted registry)."""

    name: str
    level: str
    kind: str
    division_code: str
    parent: str
    portal_url: str
    column_urls: tuple[str, ...]
    platform: str
    confidence: float
    province: str
    first_seen: datetime | None = None  # None in the accepted registry
    last_seen: datetime | None = None
    run: str = ""  # the run that last saw it
    agency: str | None = None  # the agency it is joined to
    government_code: str | None = None  # the national registry row it is joined to (a department: its government's)
    evidence: tuple[Evidence, ...] = ()

    @property
    def key(self) -> tuple[str, str]:
        return self.name, self.division_code


@dataclass(frozen=True, slots=True)
class StoredConflict:
    url: str
    claims: str
    reason: str
    evidence: tuple[Evidence, ...]
    province: str
    first_seen: datetime
    last_seen: datetime
    run: str


def _merged(found: Iterable[Discovered]) -> list[Discovered]:
    """One record per (name, division code): the most confident, with the evidence of all."""
    best: dict[tuple[str, str], Discovered] = {}
    evidence: dict[tuple[str, str], dict[Evidence, None]] = {}
    for d in found:
        key = (d.name, d.division_code)
        if key not in best or d.confidence > best[key].confidence:
            best[key] = d
        evidence.setdefault(key, {}).update(dict.fromkeys(d.evidence))
    return [Discovered(d.name, d.level, d.kind, d.division_code, d.parent, d.portal_url, d.column_urls, d.platform,
                       tuple(evidence[key]), d.confidence) for key, d in best.items()]


def _run(conn: Connection, run: str, province: str, levels: Iterable[str] | None, complete: bool,
         at: datetime) -> None:
    runs = T["discovery_runs"]
    stated = ",".join(sorted(set(levels))) if levels is not None else None
    conn.execute(insert(conn, runs).values(run_id=run, province=province, levels=stated, started_at=at)
                 .on_conflict_do_nothing(index_elements=["run_id"]))
    existing = conn.execute(select(runs.c.province).where(runs.c.run_id == run)).scalar_one()
    if existing != province:
        raise ValueError(f"run {run} discovers {existing}, not {province}")
    if complete:
        conn.execute(update(runs).where(runs.c.run_id == run).values(completed_at=at))


def record(conn: Connection, run: str, province: str, found: Iterable[Discovered],
           conflicts: Iterable[Conflict] = (), *, levels: Iterable[str] | None = None, complete: bool = True,
           at: datetime | None = None) -> Recorded:
    """Keep what discovery run `run` of `province` (a name: 福建省) found, looking for `levels` (None: every level).

    Call it once with everything, or once per batch with `complete=False` and then once with `complete=True` (an
    empty batch will do) when the run has finished: only then does what the run did not see stop being current."""
    at = at or utcnow()
    _run(conn, run, province, levels, complete, at)
    merged = _merged(found)
    new = seen = 0
    for start in range(0, len(merged), CHUNK):
        batch_new, batch_seen = _write_agencies(conn, merged[start:start + CHUNK], run, province, at)
        new, seen = new + batch_new, seen + batch_seen
    conflicts = list(conflicts)
    _write_conflicts(conn, conflicts, run, province, at)
    return Recorded(run, new, seen, len({conflict_key(c.url, c.claims) for c in conflicts}))


def _write_agencies(conn: Connection, batch: list[Discovered], run: str, province: str,
                    at: datetime) -> tuple[int, int]:
    """Upsert a batch (set-based: new rows inserted, known rows updated but for their first seen), and replace the
    evidence of each; returns (new, seen again)."""
    da, ev = T["discovered"], T["evidence"]
    joins = discovered_joins(conn, ((d.name, d.level, d.division_code, d.parent) for d in batch))
    names = sorted({d.name for d in batch})

    def ids() -> dict[tuple[str, str], int]:
        return {(n, c): i for n, c, i in conn.execute(select(da.c.name, da.c.division_code, da.c.id)
                                                      .where(da.c.name.in_(names)))}

    known = ids()
    values = {(d.name, d.division_code): {
        "level": d.level, "kind": d.kind, "parent": d.parent, "portal_url": d.portal_url,
        "column_urls": list(d.column_urls), "platform": d.platform, "confidence": d.confidence, "province": province,
        "last_seen": at, "last_run": run, "government_id": gid, "agency_id": agency}
        for d, (gid, agency) in zip(batch, joins, strict=True)}
    fresh = [{"name": name, "division_code": code, "first_seen": at, **row}
             for (name, code), row in values.items() if (name, code) not in known]
    seen = [{"id": known[key], **row} for key, row in values.items() if key in known]
    update_rows(conn, da, seen)
    made = insert_new(conn, da, fresh, ("name", "division_code"), (da.c.name, da.c.division_code, da.c.id))
    known.update({(n, c): i for n, c, i in made})
    if len(made) < len(fresh):  # another run's transaction inserted some first
        known = ids()
    mine = [known[(d.name, d.division_code)] for d in batch]
    conn.execute(delete(ev).where(ev.c.agency_id.in_(mine)))
    insert_new(conn, ev, [{"agency_id": i, "position": n, "url": e.url, "signal": str(e.signal), "value": e.value}
                          for d, i in zip(batch, mine, strict=True) for n, e in enumerate(d.evidence)],
               ("agency_id", "position"))
    return len(fresh), len(seen)


def conflict_key(url: str, claims: str) -> str:
    return hashlib.sha256(f"{url}\0{claims}".encode()).hexdigest()


def _write_conflicts(conn: Connection, conflicts: list[Conflict], run: str, province: str, at: datetime) -> None:
    co = T["conflicts"]
    rows = list({conflict_key(c.url, c.claims): {
        "key": conflict_key(c.url, c.claims), "url": c.url, "claims": c.claims, "reason": c.reason,
        "evidence": [[e.url, str(e.signal), e.value] for e in c.evidence], "province": province,
        "first_seen": at, "last_seen": at, "last_run": run} for c in conflicts}.values())
    for start in range(0, len(rows), CHUNK):
        stmt = insert(conn, co)
        conn.execute(stmt.on_conflict_do_update(index_elements=["key"], set_={
            c: stmt.excluded[c] for c in ("reason", "evidence", "province", "last_seen", "last_run")}),
            rows[start:start + CHUNK])


def _gone_after(conn: Connection, provinces: Iterable[str]) -> dict[tuple[str, str | None], datetime]:
    """(province, level) → when the latest finished run looking for that level started; level None: any run (what
    conflicts are judged by). A row last seen before it was not seen by it."""
    runs = T["discovery_runs"]
    out: dict[tuple[str, str | None], datetime] = {}
    for province, levels, started in conn.execute(select(runs.c.province, runs.c.levels, runs.c.started_at).where(
            runs.c.completed_at.is_not(None), runs.c.province.in_(sorted(set(provinces))))):
        for level in [None, ALWAYS_LOOKED_FOR, *(levels.split(",") if levels else ["*"])]:
            if started > out.get((province, level), datetime.min):
                out[(province, level)] = started
    return out


def _is_current(gone_after: dict[tuple[str, str | None], datetime], province: str, level: str | None,
                last_seen: datetime) -> bool:
    cutoffs = [gone_after.get((province, level)), gone_after.get((province, "*")) if level else None]
    return all(cutoff is None or last_seen >= cutoff for cutoff in cutoffs)


def provinces(conn: Connection) -> list[str]:
    """The provinces discovery has recorded runs of."""
    runs = T["discovery_runs"]
    return list(conn.execute(select(runs.c.province).distinct().order_by(runs.c.province)).scalars())


def current(conn: Connection, province: str | None = None, include_gone: bool = False,
            with_evidence: bool = True) -> list[Entry]:
    """The discovered registry (of `province`, a name as the runs gave it), by province and name: the current rows,
    or every row ever discovered with `include_gone`; their evidence unless `with_evidence` is False."""
    da, ev, gov, ag = T["discovered"], T["evidence"], T["governments"], T["agencies"]
    query = (select(da, ag.c.name.label("agency"), gov.c.division_code.label("government_code"))
             .outerjoin(ag, ag.c.id == da.c.agency_id).outerjoin(gov, gov.c.id == da.c.government_id)
             .order_by(da.c.province, da.c.name, da.c.division_code))
    if province is not None:
        query = query.where(da.c.province == province)
    rows = conn.execute(query).all()
    gone_after = _gone_after(conn, {r.province for r in rows})
    rows = [r for r in rows if include_gone or _is_current(gone_after, r.province, r.level, r.last_seen)]
    evidence: dict[int, list[Evidence]] = {}
    ids = [r.id for r in rows] if with_evidence else []
    for start in range(0, len(ids), CHUNK):
        for agency_id, url, signal, value in conn.execute(
                select(ev.c.agency_id, ev.c.url, ev.c.signal, ev.c.value)
                .where(ev.c.agency_id.in_(ids[start:start + CHUNK])).order_by(ev.c.agency_id, ev.c.position)):
            evidence.setdefault(agency_id, []).append(Evidence(url, Signal(signal), value))
    return [Entry(r.name, r.level, r.kind, r.division_code, r.parent, r.portal_url, tuple(r.column_urls),
                  r.platform, r.confidence, r.province, r.first_seen, r.last_seen, r.last_run, r.agency,
                  r.government_code, tuple(evidence.get(r.id, ()))) for r in rows]


def current_conflicts(conn: Connection, province: str | None = None) -> list[StoredConflict]:
    """The conflicts discovery reported that its latest finished run of their province still saw (or that no
    finished run has judged yet), by province and URL."""
    co = T["conflicts"]
    query = select(co).order_by(co.c.province, co.c.url, co.c.claims)
    if province is not None:
        query = query.where(co.c.province == province)
    rows = conn.execute(query).all()
    gone_after = _gone_after(conn, {r.province for r in rows})
    return [StoredConflict(r.url, r.claims, r.reason, tuple(Evidence(u, Signal(s), v) for u, s, v in r.evidence),
                           r.province, r.first_seen, r.last_seen, r.last_run)
            for r in rows if _is_current(gone_after, r.province, None, r.last_seen)]

