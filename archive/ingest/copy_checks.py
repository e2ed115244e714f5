"""Rule S5 over the archive: flag versions whose prose (or whose tables) copy another report's.

Within an agency (its previous and next year) a new version is compared in the ingest transaction, which holds the
agency's lock and so sees every version of that agency. Across agencies it cannot be: two PostgreSQL transactions
ingesting different agencies at once do not see each other's new versions, so each would miss the pair. A new
version is therefore queued (`pending_copy_checks`) in its transaction and compared with other agencies' versions by
`settle`, in a transaction after the commit, which sees everything committed by then: of two versions committed at
about the same time, the one committed later finds the other. A process killed between the two transactions leaves
its queue rows, and the next `settle` by anyone takes them up. SQLite lets one writer in at a time, so there the
queue is settled before the commit, in the same transaction (`settle_pending`).
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import Connection, Engine, Row, select
from sqlalchemy.exc import IntegrityError

from archive.ingest import neardup
from archive.store.models import T
from archive.store.sql import insert_new, transaction

# Candidate versions are locked when read; a version deleted before that is simply not found, and an insert that
# still fails (a row of another kind gone meanwhile) is tried again in a new transaction.
SETTLE_ATTEMPTS = 3
# Versions compared per query: their LSH buckets go into one IN list, which must stay within SQLite's parameter limit.
SETTLE_CHUNK = 500
# Other agencies' versions a new version is flagged against, the closest first. Townships of a county often publish
# one template with their names swapped in, and every pair of such a cluster is a copy: flagging them all made the
# flags grow with the square of the cluster (707,522 flags for 2,077 versions of the scale-150 sandbox, a third of
# the crawl's archive time), while a reader of one report needs its closest sources, not the whole county.
MAX_COPIES = 10


@dataclass(frozen=True)
class NewVersion:
    version_id: int
    agency_id: int
    year: int
    sig: tuple[int, ...] | None  # None for prose too short to compare (a table-only rendering)
    tables: str  # identity.tables_digest of its fields
    telling_tables: bool  # identical tables would mean copying


def _flag(later: int, earlier: int, relation: str, similarity: float, same: bool) -> dict[str, Any]:
    return {"version_id": later, "other_version_id": earlier, "relation": relation, "similarity": similarity,
            "same_tables": same}


def add_versions(conn: Connection, new: list[NewVersion]) -> None:
    """File new versions for S5: LSH buckets, previous- and next-year flags now, other agencies after commit."""
    signed = [(v.version_id, v.sig) for v in new if v.sig]
    insert_new(conn, T["bands"], [{"bucket": b, "version_id": version_id}
                                  for version_id, sig in signed for b in set(neardup.buckets(sig))],
               ("bucket", "version_id"))
    insert_new(conn, T["pending"], [{"version_id": version_id} for version_id, _ in signed], ("version_id",))
    _flag_neighbouring_years(conn, [v for v in new if v.sig or v.telling_tables])


def _flag_neighbouring_years(conn: Connection, new: list[NewVersion]) -> None:
    if not new:
        return
    ver, rep, ex = T["versions"], T["reports"], T["extractions"]
    years = {y for v in new for y in (v.year - 1, v.year + 1)}
    rows = conn.execute(
        select(ver.c.id, ver.c.minhash, rep.c.agency_id, rep.c.year, ex.c.tables)
        .join(rep, rep.c.id == ver.c.report_id).outerjoin(ex, ex.c.id == ver.c.extraction_id)
        .where(rep.c.agency_id.in_({v.agency_id for v in new}), rep.c.year.in_(years))
    ).all()
    by_agency_year: dict[tuple[int, int], list[Any]] = {}
    for row in rows:
        by_agency_year.setdefault((row.agency_id, row.year), []).append(row)
    flags = []
    for v in new:
        for year in (v.year - 1, v.year + 1):
            for row in by_agency_year.get((v.agency_id, year), ()):
                sim = neardup.similarity(v.sig, neardup.unpack(row.minhash)) if v.sig and row.minhash else 0.0
                same = v.telling_tables and row.tables == v.tables
                if sim >= neardup.THRESHOLD or same:
                    later, earlier = (v.version_id, row.id) if v.year > year else (row.id, v.version_id)
                    flags.append(_flag(later, earlier, "previous_year", sim, same))
    insert_new(conn, T["neardups"], flags, ("version_id", "other_version_id"))


def settle(engine: Engine) -> None:
    """Compare every queued version with other agencies' versions sharing an LSH bucket; flag both ways."""
    for attempt in range(SETTLE_ATTEMPTS):
        try:
            transaction(engine, settle_pending)
            return
        except IntegrityError:
            if attempt == SETTLE_ATTEMPTS - 1:
                raise


def settle_pending(conn: Connection) -> None:
    """Compare the queued versions with every other agency's version that shares an LSH bucket with them."""
    pending = T["pending"]
    # Another process settling at the same time takes other rows (PostgreSQL); SQLite runs one writer at a time.
    queued = list(conn.execute(select(pending.c.version_id).with_for_update(skip_locked=True)).scalars())
    for start in range(0, len(queued), SETTLE_CHUNK):
        chunk = queued[start:start + SETTLE_CHUNK]
        _compare_across_agencies(conn, chunk)
        conn.execute(pending.delete().where(pending.c.version_id.in_(chunk)))


def _compare_across_agencies(conn: Connection, queued: list[int]) -> None:
    bands, ver, rep = T["bands"], T["versions"], T["reports"]

    def versions(ids: Iterable[int]) -> dict[int, Row]:
        # FOR KEY SHARE (PostgreSQL): a version flagged here cannot be deleted by a concurrent ingest (a rendering
        # moving to another version leaves its old one empty) before this transaction has inserted its flags.
        return {row.id: row for row in conn.execute(
            select(ver.c.id, ver.c.minhash, rep.c.agency_id).join(rep, rep.c.id == ver.c.report_id)
            .where(ver.c.id.in_(ids)).with_for_update(read=True, key_share=True, of=ver))}

    mine = {vid: row for vid, row in versions(queued).items() if row.minhash}
    if not mine:
        return
    # Their buckets come from their signatures, and the candidates from the buckets' index: looking the bands up by
    # version instead made PostgreSQL scan all of them once the archive grew. Every queued version is then compared
    # with every candidate of the chunk: one array comparison costs less than sorting out who shares which band.
    wanted = {b for row in mine.values() for b in neardup.buckets(neardup.unpack(row.minhash))}
    others = set(conn.execute(select(bands.c.version_id).where(bands.c.bucket.in_(wanted)).distinct()).scalars())
    info = {**versions(others - set(mine)), **mine}
    flags = {}
    for a, (b, sim) in _closest(mine, {vid: row for vid, row in info.items() if row.minhash}):
        flags[(a, b)] = _flag(a, b, "other_agency", sim, False)
        flags[(b, a)] = _flag(b, a, "other_agency", sim, False)
    insert_new(conn, T["neardups"], list(flags.values()), ("version_id", "other_version_id"))


def _closest(mine: dict[int, Row], candidates: dict[int, Row]) -> Iterable[tuple[int, tuple[int, float]]]:
    """(version, (other, similarity)) for each of `mine`, its MAX_COPIES most similar candidates of other agencies at
    or over the threshold, the most similar first (then the oldest)."""
    ids = np.array(sorted(candidates))
    sigs = np.frombuffer(b"".join(candidates[vid].minhash for vid in ids), dtype="<u4").reshape(len(ids), neardup.SLOTS)
    agencies = np.array([candidates[vid].agency_id for vid in ids])
    least = np.ceil(neardup.THRESHOLD * neardup.SLOTS)
    for a, row in mine.items():
        agree = (sigs == np.frombuffer(row.minhash, dtype="<u4")).sum(axis=1)
        hits = np.flatnonzero((agree >= least) & (agencies != row.agency_id))
        for i in hits[np.argsort(-agree[hits], kind="stable")][:MAX_COPIES]:
            yield a, (int(ids[i]), int(agree[i]) / neardup.SLOTS)
