"""Version chains: which version of which report each blob belongs to, and what follows from a report's versions.

This is ingest's general path — a blob joining a report that already has content, a re-parse, a blob that stops
reading as a report — and the one place that knows the rules. Everything derived (version order, diffs, the current
version, the report's summary and S1/S2 checks, the home of table-only renderings) is recomputed from the rows rather
than patched, so the archive does not depend on the order captures arrive in. It is set-based: a `Placer` reads the
batch's links and versions once, and `recompute` does every touched report of a batch in a few statements.

Table-only renderings (identity.py): a spreadsheet carrying the report's tables belongs to the full version whose
tables it repeats. When several full versions share those tables (the prose was revised, the numbers were not), it
belongs to the earliest-seen of them; when none does, it is a version of its own, fingerprinted by its tables. A
shell (no tables, next to no prose: the page announcing a report published as its attachment) belongs to the
earliest-seen version with content of its own, and is a version only while the report has nothing else.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, Row, delete, func, select, update

from archive.ingest import copy_checks, neardup, stored_results
from archive.ingest.extracted import Extracted
from archive.ingest.identity import Identity, canonical_fields, is_shell, telling_tables
from archive.ingest.versions import diff
from archive.queries.crosscheck import cross_checks
from archive.store.models import T
from archive.store.sql import get_or_create, update_rows


@dataclass(frozen=True)
class Placement:
    """A blob to file under a report: its bytes' digest, this parser's extraction of them, and what that says."""

    sha: str
    extraction_id: int
    ident: Identity
    sig: tuple[int, ...] | None
    report_id: int
    agency_id: int


@dataclass(frozen=True)
class _Link:
    version_id: int
    extraction_id: int
    report_id: int
    fingerprint: str


class Placer:
    """Places a batch's blobs, with their current links and their reports' versions read once up front.

    Nothing else changes those rows meanwhile: the transaction holds the agencies' locks.
    """

    def __init__(self, conn: Connection, shas: set[str], report_ids: set[int]):
        src, ver = T["sources"], T["versions"]
        self.conn = conn
        self.links = {row.sha256: _Link(row.version_id, row.extraction_id, row.report_id, row.fingerprint)
                      for row in conn.execute(
                          select(src.c.sha256, src.c.version_id, src.c.extraction_id, ver.c.report_id,
                                 ver.c.fingerprint)
                          .join(ver, ver.c.id == src.c.version_id).where(src.c.sha256.in_(shas)))}
        self.versions = {(row.report_id, row.fingerprint): row.id for row in conn.execute(
            select(ver.c.id, ver.c.report_id, ver.c.fingerprint).where(ver.c.report_id.in_(report_ids)))}
        self.touched: set[int] = set()  # reports to recompute

    def place(self, p: Placement, capture_new: bool) -> tuple[bool, bool]:
        """Attach the blob to the version of its content, creating the version as needed; (version new, changed)."""
        src, ver = T["sources"], T["versions"]
        link = self.links.get(p.sha)
        version_new = False
        # A table-only rendering may sit in the full version it repeats rather than under its own fingerprint.
        if link is not None and link.report_id == p.report_id and (link.fingerprint == p.ident.fingerprint
                                                                   or p.ident.table_only):
            changed = link.extraction_id != p.extraction_id
            if changed:  # same content under a newer parser: the version now carries the newer extraction
                self.conn.execute(update(src).where(src.c.sha256 == p.sha).values(extraction_id=p.extraction_id))
                self.links[p.sha] = _Link(link.version_id, p.extraction_id, link.report_id, link.fingerprint)
        else:
            if link is not None:  # a new parser reads these bytes as different content
                self.conn.execute(delete(src).where(src.c.sha256 == p.sha))
                self.touched.add(link.report_id)
            fingerprint = p.ident.fingerprint
            if p.ident.table_only:  # into a version it belongs to if there is one; `recompute` picks which
                fingerprint = _home_of(self.conn, p.report_id, p.ident) or fingerprint
            version_id = self.versions.get((p.report_id, fingerprint))
            if version_id is None:
                # The extraction is set at once (recompute may choose another source of the version later): a
                # version's tables must be known to S5 before its report is recomputed.
                version_id, version_new = get_or_create(
                    self.conn, ver, {"report_id": p.report_id, "fingerprint": fingerprint},
                    {"seq": 0, "extraction_id": p.extraction_id, "minhash": neardup.pack(p.sig) if p.sig else None})
                self.versions[(p.report_id, fingerprint)] = version_id
            self.conn.execute(src.insert().values(sha256=p.sha, version_id=version_id,
                                                  extraction_id=p.extraction_id))
            self.links[p.sha] = _Link(version_id, p.extraction_id, p.report_id, fingerprint)
            changed = True
            if version_new:
                copy_checks.add_versions(self.conn, [copy_checks.NewVersion(
                    version_id, p.agency_id, p.ident.year, p.sig, p.ident.tables, p.ident.telling_tables)])
        if capture_new or changed:  # a new sighting or a new link: the report's summary may change
            self.touched.add(p.report_id)
        return version_new, changed

    def unlink(self, sha: str) -> bool:
        """A blob that no longer reads as a report (under a newer parser) leaves its version."""
        link = self.links.pop(sha, None)
        if link is None:
            return False
        self.conn.execute(delete(T["sources"]).where(T["sources"].c.sha256 == sha))
        self.touched.add(link.report_id)
        return True

    def finish(self) -> None:
        recompute(self.conn, self.touched)


def _home_of(conn: Connection, report_id: int, ident: Identity) -> str | None:
    """A version of the report a table-only rendering may join: a full one with its tables; for a shell, any with
    content of its own."""
    src, ver, ex = T["sources"], T["versions"], T["extractions"]
    query = select(ver.c.fingerprint).join(src, src.c.version_id == ver.c.id).join(ex, ex.c.id == src.c.extraction_id)
    if is_shell(ident.tables, ident.table_only):
        query = query.where(ver.c.report_id == report_id, ex.c.tables != ident.tables)
    else:
        query = query.where(ver.c.report_id == report_id, ex.c.tables == ident.tables, ex.c.table_only.is_(False))
    return conn.execute(query.limit(1)).scalar()


@dataclass
class _Source:
    """One blob of a report as `recompute` sees it: where it sits, what it reads as, when it was seen."""

    sha: str
    version_id: int
    extraction_id: int
    fingerprint: str
    tables: str
    table_only: bool
    first: datetime
    last: datetime


def _sources(conn: Connection, report_ids: list[int]) -> dict[int, list[_Source]]:
    src, ver, cap, ex = T["sources"], T["versions"], T["captures"], T["extractions"]
    keys = (ver.c.report_id, src.c.sha256, src.c.version_id, src.c.extraction_id, ex.c.fingerprint, ex.c.tables,
            ex.c.table_only)
    out: dict[int, list[_Source]] = {}
    for r in conn.execute(
        select(*keys, func.min(cap.c.fetched_at), func.max(cap.c.fetched_at))
        .join(ver, ver.c.id == src.c.version_id).join(ex, ex.c.id == src.c.extraction_id)
        .join(cap, cap.c.sha256 == src.c.sha256)
        .where(ver.c.report_id.in_(report_ids)).group_by(*keys)
    ):
        out.setdefault(r[0], []).append(_Source(r[1], r[2], r[3], r[4], r[5], bool(r[6]), r[7], r[8]))
    return out


def _rehome_table_only(conn: Connection, report_id: int, sources: list[_Source], fingerprints: dict[int, str]) -> None:
    """Move each table-only source to the version the rule gives it (module docstring), creating that if needed."""
    by_fingerprint = {fp: vid for vid, fp in fingerprints.items()}
    shells = [s for s in sources if is_shell(s.tables, s.table_only)]
    full = [s for s in sources if not s.table_only]
    for s in sources:
        if s.table_only and s not in shells:
            _move(conn, report_id, s, _homes(full, fingerprints, s.tables), fingerprints, by_fingerprint)
    content = [s for s in sources if s not in shells]  # the others placed by now
    for s in shells:
        _move(conn, report_id, s, _homes(content, fingerprints), fingerprints, by_fingerprint)


def _homes(sources: list[_Source], fingerprints: dict[int, str], tables: str | None = None
           ) -> list[tuple[datetime, str, int]]:
    """(first sighting, fingerprint, version) of the versions `sources` sit in, the earliest seen first; with
    `tables`, of those whose sources have these tables."""
    first: dict[int, datetime] = {}
    own: dict[int, str] = {}
    for s in sources:
        first[s.version_id] = min(first.get(s.version_id, s.first), s.first)
        own[s.version_id] = s.tables
    return sorted((when, fingerprints[vid], vid) for vid, when in first.items() if tables in (None, own[vid]))


def _move(conn: Connection, report_id: int, s: _Source, homes: list[tuple[datetime, str, int]],
          fingerprints: dict[int, str], by_fingerprint: dict[str, int]) -> None:
    """Put table-only source `s` in the first of `homes`, else in the version of its own fingerprint."""
    if homes:
        target = homes[0][2]
    elif s.fingerprint in by_fingerprint:
        target = by_fingerprint[s.fingerprint]
    else:
        target = _table_only_version(conn, report_id, s)
        fingerprints[target], by_fingerprint[s.fingerprint] = s.fingerprint, target
    if target != s.version_id:
        conn.execute(update(T["sources"]).where(T["sources"].c.sha256 == s.sha).values(version_id=target))
        s.version_id = target


def _table_only_version(conn: Connection, report_id: int, s: _Source) -> int:
    """A version of its own for a table-only rendering whose full version went away (a re-parse read it otherwise)."""
    ver, rep, ex = T["versions"], T["reports"], T["extractions"]
    version_id, created = get_or_create(conn, ver, {"report_id": report_id, "fingerprint": s.fingerprint},
                                        {"seq": 0, "extraction_id": s.extraction_id, "minhash": None})
    if created:
        report = conn.execute(select(rep.c.agency_id, rep.c.year).where(rep.c.id == report_id)).one()
        body = conn.execute(select(ex.c.body).where(ex.c.id == s.extraction_id)).scalar_one()
        telling = telling_tables(canonical_fields(stored_results.fields(body)))
        copy_checks.add_versions(conn, [copy_checks.NewVersion(version_id, report.agency_id, report.year, None,
                                                               s.tables, telling)])
    return version_id


# What `recompute` writes to a version and to a report; rows that already hold these values are not written again.
_VERSION_SUMMARY = ("seq", "extraction_id", "first_seen", "last_seen", "published", "title", "template", "diff")
_REPORT_SUMMARY = ("current_version_id", "versions", "first_seen", "published", "url", "failed_checks")

ReportYear = tuple[int, str, int]  # (agency, kind, year): whose S1/S2 checks to refresh


@dataclass
class _Span:
    """One version's sources together: first and last sighting, and the extraction that speaks for the version."""

    first: datetime
    last: datetime
    rank: tuple[bool, bool, datetime, str]  # of the speaking source: the least speaks
    extraction_id: int
    extractions: set[int]  # of every source

    @classmethod
    def of(cls, sources: list[_Source]) -> dict[int, _Span]:
        """The spans of the versions these sources sit in, by version."""
        spans: dict[int, _Span] = {}
        for s in sources:
            # A full source speaks for its version before a table-only one, a shell last, then the earliest seen.
            rank = (is_shell(s.tables, s.table_only), s.table_only, s.first, s.sha)
            span = spans.setdefault(s.version_id, cls(s.first, s.last, rank, s.extraction_id, set()))
            span.first, span.last = min(span.first, s.first), max(span.last, s.last)
            span.extractions.add(s.extraction_id)
            if rank < span.rank:
                span.rank, span.extraction_id = rank, s.extraction_id
        return spans


@dataclass
class _Chain:
    """One report's versions as `recompute` orders them."""

    report: Row
    before: dict[int, Row]  # its live versions' rows as they were
    live: dict[int, _Span]  # its versions that keep a source
    order: list[int]  # versions by first sighting
    lost: bool  # a version went (its last source left)

    def unchanged(self) -> bool:
        """Same versions in the same order with the same extractions: titles, dates, diffs and checks stand — unless
        an undated version has several sources, one of which may state its date (`_published`)."""
        return not self.lost and set(self.before) == set(self.order) and all(
            self.before[v].seq == seq and self.before[v].extraction_id == self.live[v].extraction_id
            and (self.before[v].published is not None or len(self.live[v].extractions) == 1)
            for seq, v in enumerate(self.order, 1))

    @property
    def current(self) -> int:
        return self.order[-1]

    def checks_due(self, years: Iterable[int]) -> set[ReportYear]:
        return {(self.report.agency_id, self.report.kind, self.report.year + d) for d in years}


@dataclass
class _Changes:
    """What `recompute` writes: version and report rows that differ, and whose S1/S2 to refresh."""

    versions: list[dict[str, Any]] = field(default_factory=list)
    reports: list[dict[str, Any]] = field(default_factory=list)
    checks_due: set[ReportYear] = field(default_factory=set)
    orphans: list[int] = field(default_factory=list)  # versions left without a source
    emptied: list[int] = field(default_factory=list)  # reports left without a version

    def version(self, c: _Chain, vid: int, values: dict[str, Any]) -> None:
        before = c.before.get(vid)
        if before is None:
            self.versions.append({"id": vid, **values})
        elif any(getattr(before, k) != v for k, v in values.items()):
            self.versions.append({"id": vid, **{k: getattr(before, k) for k in _VERSION_SUMMARY}, **values})

    def report(self, c: _Chain, summary: dict[str, Any]) -> None:
        if any(getattr(c.report, k) != v for k, v in summary.items()):
            self.reports.append({"id": c.report.id, **summary})


def recompute(conn: Connection, report_ids: Iterable[int]) -> None:
    """Order each report's versions by when they were first seen; refresh diffs and the report's summary."""
    ids = sorted(set(report_ids))
    if not ids:
        return
    changes = _Changes()
    chains = _chains(conn, ids, changes)
    if changes.orphans:
        conn.execute(delete(T["versions"]).where(T["versions"].c.id.in_(changes.orphans)))
    if changes.emptied:
        conn.execute(delete(T["reports"]).where(T["reports"].c.id.in_(changes.emptied)))
    found = _results(conn, {e for c in chains if not c.unchanged() for span in c.live.values()
                            for e in span.extractions})
    urls = _preferred_urls(conn, [c.current for c in chains])
    for c in chains:
        if c.unchanged():
            _sightings_changed(c, urls.get(c.current), changes)
        else:
            _versions_changed(c, found, urls.get(c.current), changes)
        if c.report.cross_checks is None:  # never checked: a report the first-version path did not write
            changes.checks_due |= c.checks_due((0,))
    update_rows(conn, T["versions"], changes.versions)
    update_rows(conn, T["reports"], changes.reports)
    refresh_cross_checks(conn, changes.checks_due)


def _chains(conn: Connection, ids: list[int], changes: _Changes) -> list[_Chain]:
    """The reports' chains, table-only sources rehomed first; versions and reports left empty go to `changes`."""
    ver, rep = T["versions"], T["reports"]
    reports = {row.id: row for row in conn.execute(
        select(rep.c.id, rep.c.agency_id, rep.c.year, rep.c.kind, rep.c.cross_checks,
               *(rep.c[k] for k in _REPORT_SUMMARY)).where(rep.c.id.in_(ids)))}
    sources = _sources(conn, ids)
    versions: dict[int, dict[int, Row]] = {}
    for row in conn.execute(select(ver.c.id, ver.c.report_id, ver.c.fingerprint, *(ver.c[k] for k in _VERSION_SUMMARY))
                            .where(ver.c.report_id.in_(ids))):
        versions.setdefault(row.report_id, {})[row.id] = row
    chains = []
    for rid in ids:
        report, before = reports[rid], versions.get(rid, {})
        fingerprints = {vid: row.fingerprint for vid, row in before.items()}
        mine = sources.get(rid, [])
        _rehome_table_only(conn, rid, mine, fingerprints)
        live = _Span.of(mine)
        changes.orphans += [vid for vid in fingerprints if vid not in live]
        if not live:
            changes.emptied.append(rid)
            changes.checks_due.add((report.agency_id, report.kind, report.year + 1))
            continue
        chains.append(_Chain(report, {v: row for v, row in before.items() if v in live}, live,
                             sorted(live, key=lambda vid: (live[vid].first, fingerprints[vid])),
                             any(v not in live for v in before)))
    return chains


def _results(conn: Connection, extraction_ids: set[int]) -> dict[int, Extracted]:
    ex = T["extractions"]
    if not extraction_ids:
        return {}
    return {row.id: Extracted.stored(stored_results.unpack(row.meta, row.body)) for row in conn.execute(
        select(ex.c.id, ex.c.meta, ex.c.body).where(ex.c.id.in_(extraction_ids)))}


def _sightings_changed(c: _Chain, url: str | None, changes: _Changes) -> None:
    """Only sightings changed: the versions' dates, and the report's first sighting and URL."""
    for vid in c.order:
        changes.version(c, vid, {"first_seen": c.live[vid].first, "last_seen": c.live[vid].last})
    summary = {k: getattr(c.report, k) for k in _REPORT_SUMMARY}
    summary.update(first_seen=c.live[c.order[0]].first, url=url)
    changes.report(c, summary)


def _versions_changed(c: _Chain, found: dict[int, Extracted], url: str | None, changes: _Changes) -> None:
    """Versions came, went, moved or changed their speaking extraction: every version's row and the summary anew."""
    previous: Extracted | None = None
    stated = []
    for seq, vid in enumerate(c.order, 1):
        span = c.live[vid]
        res = found[span.extraction_id]
        published = _published(res, [found[e] for e in span.extractions])
        changes.version(c, vid, {
            "seq": seq, "extraction_id": span.extraction_id, "first_seen": span.first, "last_seen": span.last,
            "published": published, "title": res.title, "template": res.template,
            "diff": diff(previous, res) if previous is not None else None})
        stated += [published] if published else []
        previous = res
    assert previous is not None
    changes.report(c, {"current_version_id": c.current, "versions": len(c.order),
                       "first_seen": c.live[c.order[0]].first, "published": min(stated) if stated else None, "url": url,
                       "failed_checks": previous.failed_checks})
    # S1/S2 read the current version's fields, here and in the following year.
    changes.checks_due |= c.checks_due((0, 1))


def _published(speaker: Extracted, sources: list[Extracted]) -> date | None:
    """A version's publication date: its speaking source's, else the earliest another of its sources states (an
    attachment seldom carries the date its announcing page shows)."""
    stated = [d for res in sources if (d := res.published_on)]
    return speaker.published_on or (min(stated) if stated else None)


def _preferred_urls(conn: Connection, version_ids: list[int]) -> dict[int, str]:
    """Each version's URL to show: a web address before a file, then the earliest seen."""
    src, cap = T["sources"], T["captures"]
    best: dict[int, tuple[bool, datetime, str]] = {}
    for vid, url, seen in conn.execute(select(src.c.version_id, cap.c.final_url, cap.c.fetched_at)
                                       .join(cap, cap.c.sha256 == src.c.sha256)
                                       .where(src.c.version_id.in_(version_ids))):
        rank = (url.startswith("file:"), seen, url)
        if vid not in best or rank < best[vid]:
            best[vid] = rank
    return {vid: rank[2] for vid, rank in best.items()}


def current_fields(conn: Connection, agency_ids: set[int], years: set[int]) -> dict[tuple[int, str, int], Row]:
    """Each report of these agencies and years with a current version, by (agency, kind, year): its id, S1/S2
    failures and the current extraction's body."""
    rep, ver, ex = T["reports"], T["versions"], T["extractions"]
    rows = conn.execute(
        select(rep.c.id, rep.c.agency_id, rep.c.kind, rep.c.year, rep.c.cross_checks, ex.c.body)
        .join(ver, ver.c.id == rep.c.current_version_id).join(ex, ex.c.id == ver.c.extraction_id)
        .where(rep.c.agency_id.in_(agency_ids), rep.c.year.in_(years))
    ).all()
    return {(r.agency_id, r.kind, r.year): r for r in rows}


def failing_cross_checks(previous: dict[str, Any] | None, current: dict[str, Any]) -> list[dict[str, Any]]:
    return [c.as_dict() for c in cross_checks(previous, current) if not c.ok]


def refresh_cross_checks(conn: Connection, due: set[tuple[int, str, int]],
                         known: dict[int, dict[str, Any]] | None = None) -> None:
    """Refresh S1/S2 of the reports (agency, kind, year) named, which read the same agency's previous year.

    `known`: current fields by report id, where the caller has them (spares decompressing the stored result).
    """
    if not due:
        return
    reports = current_fields(conn, {a for a, _, _ in due}, {y - d for _, _, y in due for d in (0, 1)})
    known = known or {}

    def fields(report: Row) -> dict[str, Any]:
        return known[report.id] if report.id in known else stored_results.fields(report.body)

    rows = []
    for agency_id, kind, year in sorted(due):
        report = reports.get((agency_id, kind, year))
        if report is None:
            continue
        before = reports.get((agency_id, kind, year - 1))
        failing = failing_cross_checks(fields(before) if before else None, fields(report))
        if failing != report.cross_checks:
            rows.append({"id": report.id, "cross_checks": failing})
    update_rows(conn, T["reports"], rows)
