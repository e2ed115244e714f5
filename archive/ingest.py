"""Captures in, archive rows out: blobs, captures, extractions, reports, versions, near-duplicate flags, run counts.

Every write is an upsert on a natural key (INSERT … ON CONFLICT), never check-then-insert, so ingesting the same
captures again changes nothing and two processes ingesting at once cannot create duplicates. One capture is one
transaction, taken after its blob is safely on disk: a process killed at any point leaves either the whole capture
or none of it. Within a transaction the agency is locked first (SQLite: the whole database, by BEGIN IMMEDIATE;
PostgreSQL: the agency row), so a report's version chain and an agency's year-over-year comparison are always
computed from everything committed before.
"""
from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from typing import Any, Literal
from urllib.parse import urlsplit

from sqlalchemy import Connection, delete, func, select, update

from pipelines.document import Failure, Report as ExtractedReport
from pipelines.sniff import sniff

from archive import models as m
from archive import neardup
from archive.agencies import classify
from archive.blobs import BlobStore, relative_path, sha256_hex
from archive.crosscheck import KEYS as CROSS_KEYS, cross_checks
from archive.db import Archive
from archive.identity import Identity, identify
from archive.sql import get_or_create, insert
from archive.versions import diff

Outcome = Literal["inserted", "updated", "unchanged", "noop", "not_report", "failed", "unattributed"]
Extractor = Callable[[bytes, str], "ExtractedReport | Failure"]
ERROR_OUTCOMES = ("not_report", "failed", "unattributed")

T = {name: model.__table__ for name, model in {
    "agencies": m.Agency, "aliases": m.AgencyAlias, "runs": m.Run, "run_portals": m.RunPortal,
    "run_errors": m.RunError, "blobs": m.Blob, "captures": m.Capture, "extractions": m.Extraction,
    "reports": m.Report, "versions": m.Version, "sources": m.VersionSource, "bands": m.MinhashBand,
    "neardups": m.NearDuplicate,
}.items()}


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def as_utc(when: datetime) -> datetime:
    """Naive UTC, the archive's one time representation; a naive input is taken to be UTC already."""
    return when.astimezone(timezone.utc).replace(tzinfo=None) if when.tzinfo else when


@dataclass(frozen=True)
class Capture:
    """One fetch as the crawler (or `nianbao import`) hands it over."""

    requested_url: str
    fetched_at: datetime
    run_id: str
    final_url: str | None = None  # after redirects; the requested URL when there were none
    referrer: str | None = None  # the listing page the link was found on
    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)  # response headers
    sha256: str | None = None  # checked against the bytes when given
    size: int | None = None
    warc_file: str | None = None
    warc_record_id: str | None = None
    warc_offset: int | None = None
    portal: str | None = None  # the portal being crawled; the final URL's host when not given
    agency_hint: str | None = None  # what the listing said, used only when the document does not say
    year_hint: int | None = None

    def key(self, sha256: str) -> str:
        parts = (self.requested_url, self.final_url or self.requested_url, as_utc(self.fetched_at).isoformat(), sha256)
        return hashlib.sha256("\0".join(parts).encode("utf-8")).hexdigest()

    def header(self, name: str) -> str | None:
        wanted = name.lower()
        return next((v for k, v in self.headers.items() if k.lower() == wanted), None)

    def portal_name(self) -> str:
        return self.portal or urlsplit(self.final_url or self.requested_url).netloc or "file"


@dataclass
class IngestStats:
    """insert / update / no-op counts: new reports, new versions, new sightings of known content, nothing new."""

    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    noop: int = 0
    not_report: int = 0
    failed: int = 0
    unattributed: int = 0

    def add(self, outcome: Outcome) -> None:
        setattr(self, outcome, getattr(self, outcome) + 1)

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


def current_extractor() -> tuple[Extractor, str]:
    from pipelines.extract import PARSER_VERSION, extract
    return extract, PARSER_VERSION


def _date(value: Any) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


class Ingestor:
    def __init__(self, archive: Archive, run_id: str, kind: str = "crawl",
                 extractor: Extractor | None = None, parser_version: str | None = None):
        if extractor is None:
            extractor, default_version = current_extractor()
            parser_version = parser_version or default_version
        if parser_version is None:
            raise ValueError("a custom extractor needs its parser_version")
        self.archive = archive
        self.blobs = BlobStore(archive.data_dir)
        self.run_id = run_id
        self.kind = kind
        self.extractor = extractor
        self.parser_version = parser_version
        self.stats = IngestStats()
        self._agencies: dict[str, tuple[int, str]] = {}

    # -- entry points -------------------------------------------------------------------------------------------

    def ingest(self, capture: Capture, data: bytes,
               result: ExtractedReport | Failure | None = None) -> Outcome:
        """Archive one capture: its bytes, provenance and extraction (`result`, or run the extractor now)."""
        sha = sha256_hex(data)
        if capture.sha256 and capture.sha256 != sha:
            raise ValueError(f"capture of {capture.requested_url} says sha256 {capture.sha256}, bytes are {sha}")
        self.blobs.put(data)
        found = result.as_dict() if result is not None else self._stored_result(sha)
        if found is None:
            found = self.extractor(data, capture.final_url or capture.requested_url).as_dict()
        outcome = self._commit(sha, data, found, capture)
        self.stats.add(outcome)
        return outcome

    def reparse(self, sha256: str) -> Outcome:
        """Run this ingestor's extractor over a stored blob, recording the result under its parser version."""
        if self._stored_result(sha256) is not None:
            outcome: Outcome = "noop"
        else:
            data = self.blobs.get(sha256)
            with self.archive.reader.connect() as conn:
                hints = conn.execute(
                    select(T["captures"].c.final_url, T["captures"].c.agency_hint, T["captures"].c.year_hint)
                    .where(T["captures"].c.sha256 == sha256).order_by(T["captures"].c.fetched_at).limit(1)
                ).one()
            found = self.extractor(data, hints.final_url).as_dict()
            outcome = self._commit(sha256, data, found, None, hints.agency_hint, hints.year_hint)
        self.stats.add(outcome)
        return outcome

    def finish(self) -> None:
        with self.archive.engine.begin() as conn:
            self._ensure_run(conn)
            conn.execute(update(T["runs"]).where(T["runs"].c.id == self.run_id).values(finished_at=utcnow()))

    # -- the transaction ----------------------------------------------------------------------------------------

    def _stored_result(self, sha: str) -> dict[str, Any] | None:
        ex = T["extractions"]
        with self.archive.reader.connect() as conn:
            return conn.execute(select(ex.c.result).where(ex.c.sha256 == sha,
                                                          ex.c.parser_version == self.parser_version)).scalar()

    def _ensure_run(self, conn: Connection, run_id: str | None = None) -> None:
        ensure_run(conn, run_id or self.run_id, self.kind, self.parser_version)

    def _commit(self, sha: str, data: bytes, result: dict[str, Any], capture: Capture | None,
                agency_hint: str | None = None, year_hint: int | None = None) -> Outcome:
        if capture is not None:
            agency_hint, year_hint = capture.agency_hint, capture.year_hint
        ident = identify(result, agency_hint, year_hint)
        sig = neardup.signature(ident.prose) if ident else None
        with self.archive.engine.begin() as conn:
            self._ensure_run(conn)
            conn.execute(insert(conn, T["blobs"]).values(
                sha256=sha, size=len(data), format=sniff(data), path=str(relative_path(sha)), stored_at=utcnow(),
            ).on_conflict_do_nothing(index_elements=["sha256"]))
            if capture is not None and capture.run_id != self.run_id:
                self._ensure_run(conn, capture.run_id)
            capture_new = capture is not None and self._insert_capture(conn, capture, sha, len(data))
            key = {"sha256": sha, "parser_version": self.parser_version}
            ext_id, ext_new = get_or_create(conn, T["extractions"], key, {
                "is_report": bool(result.get("is_report")), "error": result.get("error"),
                "agency": result.get("agency"), "year": result.get("year"), "template": result.get("template"),
                "fingerprint": ident.fingerprint if ident else None, "result": result, "created_at": utcnow(),
            })
            if ident is None:
                changed = self._unlink(conn, sha)
                outcome: Outcome = ("failed" if result.get("error") else
                                    "not_report" if not result.get("is_report") else "unattributed")
            else:
                outcome, changed = self._place(conn, sha, ext_id, ident, sig, result, capture_new)
            if capture is not None and capture_new:
                self._count(conn, capture.run_id, capture.portal_name(), outcome)
        if not (capture_new or ext_new or changed):
            return "noop"
        return outcome

    def _insert_capture(self, conn: Connection, c: Capture, sha: str, size: int) -> bool:
        row = conn.execute(insert(conn, T["captures"]).values(
            key=c.key(sha), requested_url=c.requested_url, final_url=c.final_url or c.requested_url,
            referrer=c.referrer, status=c.status, etag=c.header("ETag"), last_modified=c.header("Last-Modified"),
            content_type=c.header("Content-Type"), content_disposition=c.header("Content-Disposition"),
            headers=dict(c.headers) or None, fetched_at=as_utc(c.fetched_at), run_id=c.run_id,
            portal=c.portal_name(), sha256=sha, size=size, warc_file=c.warc_file,
            warc_record_id=c.warc_record_id, warc_offset=c.warc_offset, agency_hint=c.agency_hint,
            year_hint=c.year_hint,
        ).on_conflict_do_nothing(index_elements=["key"]).returning(T["captures"].c.id)).first()
        return row is not None

    def _agency(self, conn: Connection, name: str) -> tuple[int, str]:
        if name in self._agencies:
            return self._agencies[name]
        ag, al = T["agencies"], T["aliases"]
        row = conn.execute(select(ag.c.id, ag.c.kind).join(al, al.c.agency_id == ag.c.id)
                           .where(al.c.alias == name)).first()
        if row is not None:
            self._agencies[name] = (row.id, row.kind)
            return self._agencies[name]
        # Not cached: this transaction may still roll back, taking the new agency with it.
        level, kind = classify(name)
        agency_id, _ = get_or_create(conn, ag, {"name": name}, {
            "level": level, "kind": kind, "origin": "discovered", "created_at": utcnow()})
        conn.execute(insert(conn, al).values(alias=name, agency_id=agency_id)
                     .on_conflict_do_nothing(index_elements=["alias"]))
        return agency_id, conn.execute(select(ag.c.kind).where(ag.c.id == agency_id)).scalar_one()

    def _place(self, conn: Connection, sha: str, ext_id: int, ident: Identity, sig: tuple[int, ...] | None,
               result: dict[str, Any], capture_new: bool) -> tuple[Outcome, bool]:
        """Attach the blob to the version of its content, creating report and version as needed."""
        agency_id, kind = self._agency(conn, ident.agency)
        if conn.dialect.name == "postgresql":
            conn.execute(select(T["agencies"].c.id).where(T["agencies"].c.id == agency_id).with_for_update())
        report_id, report_new = get_or_create(conn, T["reports"], {
            "agency_id": agency_id, "year": ident.year, "kind": kind}, {"versions": 0})
        src, ver = T["sources"], T["versions"]
        link = conn.execute(
            select(src.c.version_id, src.c.extraction_id, ver.c.report_id, ver.c.fingerprint)
            .join(ver, ver.c.id == src.c.version_id).where(src.c.sha256 == sha)
        ).first()
        stale_report = None
        version_new = False
        if link is not None and (link.report_id, link.fingerprint) == (report_id, ident.fingerprint):
            link_changed = link.extraction_id != ext_id
            if link_changed:  # same content under a newer parser: the version now carries the newer extraction
                conn.execute(update(src).where(src.c.sha256 == sha).values(extraction_id=ext_id))
        else:
            if link is not None:  # a new parser reads these bytes as different content
                conn.execute(delete(src).where(src.c.sha256 == sha))
                stale_report = link.report_id
            version_id, version_new = get_or_create(conn, ver, {"report_id": report_id,
                                                                "fingerprint": ident.fingerprint},
                                                    {"seq": 0, "minhash": neardup.pack(sig) if sig else None})
            conn.execute(insert(conn, src).values(sha256=sha, version_id=version_id, extraction_id=ext_id)
                         .on_conflict_do_nothing(index_elements=["sha256"]))
            link_changed = True
            if version_new and sig:
                self._flag_near_duplicates(conn, version_id, agency_id, ident.year, sig, result)
        if capture_new or link_changed:
            self._recompute(conn, report_id)
            if stale_report is not None and stale_report != report_id:
                self._recompute(conn, stale_report)
        outcome: Outcome = "inserted" if report_new else "updated" if version_new else "unchanged"
        return outcome, link_changed

    def _unlink(self, conn: Connection, sha: str) -> bool:
        """A blob that no longer reads as a report (under a newer parser) leaves its version."""
        src, ver = T["sources"], T["versions"]
        link = conn.execute(select(ver.c.report_id).join(src, src.c.version_id == ver.c.id)
                            .where(src.c.sha256 == sha)).first()
        if link is None:
            return False
        conn.execute(delete(src).where(src.c.sha256 == sha))
        self._recompute(conn, link.report_id)
        return True

    def _flag_near_duplicates(self, conn: Connection, version_id: int, agency_id: int, year: int,
                              sig: tuple[int, ...], result: dict[str, Any]) -> None:
        """Rule S5: compare a new version with the agency's neighbouring years and with LSH candidates elsewhere.

        Both neighbouring years are compared, and other agencies in both directions, so the flags do not depend on
        the order reports arrive in.
        """
        ver, rep, ex, bands, nd = T["versions"], T["reports"], T["extractions"], T["bands"], T["neardups"]
        my_buckets = neardup.buckets(sig)
        conn.execute(insert(conn, bands).on_conflict_do_nothing(),
                     [{"bucket": b, "version_id": version_id} for b in my_buckets])
        flags: list[dict[str, Any]] = []
        neighbours = conn.execute(
            select(ver.c.id, ver.c.minhash, rep.c.year, ex.c.result)
            .join(rep, rep.c.id == ver.c.report_id).outerjoin(ex, ex.c.id == ver.c.extraction_id)
            .where(rep.c.agency_id == agency_id, rep.c.year.in_((year - 1, year + 1)))
        ).all()
        for row in neighbours:
            sim = neardup.similarity(sig, neardup.unpack(row.minhash)) if row.minhash else 0.0
            same = neardup.same_tables(result.get("fields") or {}, (row.result or {}).get("fields") or {})
            if sim >= neardup.THRESHOLD or same:
                later, earlier = (version_id, row.id) if year > row.year else (row.id, version_id)
                flags.append({"version_id": later, "other_version_id": earlier, "relation": "previous_year",
                              "similarity": sim, "same_tables": same})
        sharing = select(bands.c.version_id).where(bands.c.bucket.in_(my_buckets))
        candidates = conn.execute(
            select(ver.c.id, ver.c.minhash).join(rep, rep.c.id == ver.c.report_id)
            .where(ver.c.id.in_(sharing), rep.c.agency_id != agency_id)
        ).all()
        for row in candidates:
            sim = neardup.similarity(sig, neardup.unpack(row.minhash))
            if sim >= neardup.THRESHOLD:
                for a, b in ((version_id, row.id), (row.id, version_id)):
                    flags.append({"version_id": a, "other_version_id": b, "relation": "other_agency",
                                  "similarity": sim, "same_tables": False})
        if flags:
            conn.execute(insert(conn, nd).on_conflict_do_nothing(), flags)

    def _recompute(self, conn: Connection, report_id: int) -> None:
        """Order a report's versions by when they were first seen and refresh diffs and the report's summary.

        Recomputed from the rows rather than patched, so the result does not depend on ingest order.
        """
        src, ver, cap, ex, rep = T["sources"], T["versions"], T["captures"], T["extractions"], T["reports"]
        sightings = conn.execute(
            select(src.c.version_id, src.c.sha256, src.c.extraction_id,
                   func.min(cap.c.fetched_at).label("first"), func.max(cap.c.fetched_at).label("last"))
            .join(ver, ver.c.id == src.c.version_id).join(cap, cap.c.sha256 == src.c.sha256)
            .where(ver.c.report_id == report_id)
            .group_by(src.c.version_id, src.c.sha256, src.c.extraction_id)
        ).all()
        live: dict[int, dict[str, Any]] = {}
        for s in sightings:
            v = live.setdefault(s.version_id, {"first": s.first, "last": s.last, "defining": (s.first, s.sha256),
                                               "extraction_id": s.extraction_id})
            v["last"] = max(v["last"], s.last)
            if (s.first, s.sha256) < v["defining"]:  # the earliest-seen source speaks for the version
                v.update(first=s.first, defining=(s.first, s.sha256), extraction_id=s.extraction_id)
        fingerprints = dict(conn.execute(select(ver.c.id, ver.c.fingerprint).where(ver.c.report_id == report_id)).all())
        orphans = [vid for vid in fingerprints if vid not in live]
        if orphans:
            conn.execute(delete(ver).where(ver.c.id.in_(orphans)))
        report = conn.execute(select(rep.c.agency_id, rep.c.year, rep.c.kind).where(rep.c.id == report_id)).one()
        if not live:
            conn.execute(delete(rep).where(rep.c.id == report_id))
            self._cross_check(conn, report.agency_id, report.kind, report.year + 1)
            return
        order = sorted(live, key=lambda vid: (live[vid]["first"], fingerprints[vid]))
        results = dict(conn.execute(select(ex.c.id, ex.c.result)
                                    .where(ex.c.id.in_({live[v]["extraction_id"] for v in order}))).all())
        previous = None
        for seq, vid in enumerate(order, 1):
            res = results[live[vid]["extraction_id"]]
            conn.execute(update(ver).where(ver.c.id == vid).values(
                seq=seq, extraction_id=live[vid]["extraction_id"], first_seen=live[vid]["first"],
                last_seen=live[vid]["last"], published=_date(res.get("published")), title=res.get("title"),
                template=res.get("template"), diff=diff(previous, res) if previous is not None else None,
            ))
            previous = res
        current = order[-1]
        url = conn.execute(
            select(cap.c.final_url).join(src, src.c.sha256 == cap.c.sha256).where(src.c.version_id == current)
            .order_by(cap.c.final_url.like("file:%"), cap.c.fetched_at, cap.c.final_url).limit(1)
        ).scalar()
        stated = [d for vid in order if (d := _date(results[live[vid]["extraction_id"]].get("published")))]
        conn.execute(update(rep).where(rep.c.id == report_id).values(
            current_version_id=current, versions=len(order), first_seen=live[order[0]]["first"],
            published=min(stated) if stated else None, url=url,
            failed_checks=[c for c in previous.get("checks") or [] if not c.get("ok")],  # type: ignore[union-attr]
            carry={k: (previous.get("fields") or {}).get(k) for k in CROSS_KEYS},  # type: ignore[union-attr]
        ))
        self._cross_check(conn, report.agency_id, report.kind, report.year)
        self._cross_check(conn, report.agency_id, report.kind, report.year + 1)

    def _cross_check(self, conn: Connection, agency_id: int, kind: str, year: int) -> None:
        """Refresh S1/S2 of the agency's report for `year`, which read the previous year's report."""
        rep = T["reports"]
        carries = dict(conn.execute(select(rep.c.year, rep.c.carry).where(
            rep.c.agency_id == agency_id, rep.c.kind == kind, rep.c.year.in_((year - 1, year)))).all())
        if year not in carries:
            return
        failing = [c.as_dict() for c in cross_checks(carries.get(year - 1), carries[year] or {}) if not c.ok]
        conn.execute(update(rep).where(rep.c.agency_id == agency_id, rep.c.kind == kind, rep.c.year == year)
                     .values(cross_checks=failing))

    def _count(self, conn: Connection, run_id: str, portal: str, outcome: Outcome) -> None:
        rp = T["run_portals"]
        counts = {"pages": 1, "new": int(outcome == "inserted"), "updated": int(outcome == "updated"),
                  "unchanged": int(outcome == "unchanged")}
        stmt = insert(conn, rp).values(run_id=run_id, portal=portal, **counts)
        conn.execute(stmt.on_conflict_do_update(index_elements=["run_id", "portal"], set_={
            k: rp.c[k] + stmt.excluded[k] for k in counts}))
        if outcome in ERROR_OUTCOMES:
            record_error(conn, run_id, portal, outcome)


def ensure_run(conn: Connection, run_id: str, kind: str, parser_version: str | None = None) -> None:
    conn.execute(insert(conn, T["runs"]).values(
        id=run_id, kind=kind, started_at=utcnow(), parser_version=parser_version,
    ).on_conflict_do_nothing(index_elements=["id"]))


def record_error(conn: Connection, run_id: str, portal: str, kind: str, count: int = 1) -> None:
    """Count an error of `kind` for a run and portal (the crawler reports `unreachable` portals through this)."""
    ensure_run(conn, run_id, "crawl")
    re_ = T["run_errors"]
    stmt = insert(conn, re_).values(run_id=run_id, portal=portal, kind=kind, count=count)
    conn.execute(stmt.on_conflict_do_update(index_elements=["run_id", "portal", "kind"],
                                            set_={"count": re_.c.count + stmt.excluded.count}))
