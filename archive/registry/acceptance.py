"""The accepted registry: what changed in the discovered registry since a person last accepted it (`diff`), the
explicit acceptance of a province's discovered registry (`accept`, the one writer of `accepted_agencies` and
`registry_acceptances`), and the accepted rows (`accepted`), which the report crawl uses.

Accepting a province replaces its accepted rows by its current discovered rows; conflicts are never accepted (they
are no rows), only shown until discovery stops seeing them.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from sqlalchemy import Connection, delete, select, tuple_

from archive.registry.discoveries import CHUNK, Entry, StoredConflict, current, current_conflicts, provinces
from archive.store.models import T
from archive.store.sql import insert_new, utcnow


class ChangeKind(StrEnum):
    ADDED = "added"  # discovered, not in the accepted registry (everything, before the first acceptance)
    REMOVED = "removed"  # accepted, and no longer discovered (a finished run did not see it again)
    CHANGED = "changed"  # in both, with another portal, columns, platform, parent, level, kind or confidence


# What a changed row may differ in, by the name the diff gives it.
COMPARED = {"portal": "portal_url", "columns": "column_urls", "confidence": "confidence", "platform": "platform",
            "parent": "parent", "level": "level", "kind": "kind"}


@dataclass(frozen=True, slots=True)
class Change:
    kind: ChangeKind
    before: Entry | None  # the accepted row
    after: Entry | None  # the discovered row (its evidence says why)
    fields: tuple[str, ...] = ()  # changed: which of COMPARED

    @property
    def entry(self) -> Entry:
        entry = self.after or self.before
        assert entry is not None
        return entry


@dataclass
class Diff:
    changes: list[Change] = field(default_factory=list)
    conflicts: list[StoredConflict] = field(default_factory=list)

    def count(self, kind: ChangeKind) -> int:
        return sum(1 for c in self.changes if c.kind is kind)

    def summary(self) -> str:
        return (f"{self.count(ChangeKind.ADDED)} added, {self.count(ChangeKind.REMOVED)} removed, "
                f"{self.count(ChangeKind.CHANGED)} changed; {len(self.conflicts)} conflicts")


def province_named(conn: Connection, text: str) -> str:
    """The province discovery recorded as `text`, or whose division code `text` (35, 350000) starts (by the
    national registry, else by the codes of its discovered agencies); LookupError when discovery has none such."""
    known = provinces(conn)
    if text in known:
        return text
    if text.isdigit():
        gov, da = T["governments"], T["discovered"]
        name = conn.execute(select(gov.c.name).where(gov.c.level == "province", gov.c.valid_to.is_(None),
                                                      gov.c.division_code == text[:2] + "0000")).scalar()
        if name in known:
            return name
        # Without the national registry: the province whose discovered agencies carry the code.
        named = conn.execute(select(da.c.province).distinct().where(
            da.c.division_code.startswith(text[:2]))).scalars().all()
        if len(named) == 1:
            return named[0]
    listed = ", ".join(known) if known else "none yet (nianbao registry discover --province …)"
    raise LookupError(f"no discovery run of {text!r} in this archive; provinces discovered: {listed}")


def _differs(before: Entry, after: Entry) -> tuple[str, ...]:
    def value(entry: Entry, attribute: str) -> object:
        v = getattr(entry, attribute)
        return round(v, 6) if isinstance(v, float) else sorted(v) if isinstance(v, tuple) else v

    return tuple(name for name, attribute in COMPARED.items() if value(before, attribute) != value(after, attribute))


def _compare(now: list[Entry], then: list[Entry]) -> list[Change]:
    after, before = {e.key: e for e in now}, {e.key: e for e in then}
    changes = [Change(ChangeKind.ADDED, None, e) for key, e in after.items() if key not in before]
    changes += [Change(ChangeKind.REMOVED, e, None) for key, e in before.items() if key not in after]
    for key in after.keys() & before.keys():
        if fields := _differs(before[key], after[key]):
            changes.append(Change(ChangeKind.CHANGED, before[key], after[key], fields))
    changes.sort(key=lambda c: (c.entry.province, c.entry.name, c.entry.division_code, c.kind))
    return changes


def diff(conn: Connection, province: str | None = None) -> Diff:
    """The current discovered registry against the accepted one (of `province`, a name as `province_named` gives
    it): rows added, removed and changed, by province and name, and the current conflicts."""
    return Diff(_compare(current(conn, province), accepted(conn, province)), current_conflicts(conn, province))


@dataclass(frozen=True, slots=True)
class Acceptance:
    province: str
    accepted_at: datetime
    agencies: int
    added: int
    removed: int
    changed: int


def accept(conn: Connection, province: str | None = None, at: datetime | None = None) -> list[Acceptance]:
    """Accept the current discovered registry of `province` (every province discovery has recorded, when None),
    one acceptance per province: its accepted rows become its discovered rows."""
    at = at or utcnow()
    acc, log = T["accepted"], T["acceptances"]
    out = []
    for name in [province] if province is not None else provinces(conn):
        rows = current(conn, name, with_evidence=False)
        changes = _compare(rows, accepted(conn, name))
        count = Counter(c.kind for c in changes)
        acceptance = Acceptance(name, at, len(rows), count[ChangeKind.ADDED], count[ChangeKind.REMOVED],
                                count[ChangeKind.CHANGED])
        acceptance_id = conn.execute(log.insert().values(
            province=name, accepted_at=at, agencies=acceptance.agencies, added=acceptance.added,
            removed=acceptance.removed, changed=acceptance.changed).returning(log.c.id)).scalar_one()
        conn.execute(delete(acc).where(acc.c.province == name))
        keys = [e.key for e in rows]
        for start in range(0, len(keys), CHUNK):  # an agency accepted under another province moves here
            conn.execute(delete(acc).where(tuple_(acc.c.name, acc.c.division_code).in_(keys[start:start + CHUNK])))
        insert_new(conn, acc, [{"name": e.name, "division_code": e.division_code, "level": e.level, "kind": e.kind,
                                "parent": e.parent, "portal_url": e.portal_url, "column_urls": list(e.column_urls),
                                "platform": e.platform, "confidence": e.confidence, "province": name,
                                "acceptance_id": acceptance_id} for e in rows], ("name", "division_code"))
        out.append(acceptance)
    return out


def accepted(conn: Connection, province: str | None = None) -> list[Entry]:
    """The accepted registry (of `province`), by province and name."""
    acc = T["accepted"]
    query = select(acc).order_by(acc.c.province, acc.c.name, acc.c.division_code)
    if province is not None:
        query = query.where(acc.c.province == province)
    return [Entry(r.name, r.level, r.kind, r.division_code, r.parent, r.portal_url, tuple(r.column_urls),
                  r.platform, r.confidence, r.province) for r in conn.execute(query)]


def acceptances(conn: Connection, province: str | None = None) -> list[Acceptance]:
    """Every acceptance (of `province`), oldest first."""
    log = T["acceptances"]
    query = select(log).order_by(log.c.accepted_at, log.c.id)
    if province is not None:
        query = query.where(log.c.province == province)
    return [Acceptance(r.province, r.accepted_at, r.agencies, r.added, r.removed, r.changed)
            for r in conn.execute(query)]
