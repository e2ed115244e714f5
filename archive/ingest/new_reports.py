"""Brand-new reports, written set-based: the common case of a crawl, where most captures are a report's first sighting.

A report this transaction created, with one new blob seen by one capture, has one version with one source: there is
nothing for `version_chains.recompute` to order, diff, rehome or choose between, and its result is known without reading
anything back. So the version, source and summary rows of a whole batch of such reports are written in a few
statements instead of about twenty per report. tests/integration/test_archive_batch.py checks the rows equal the
general path's.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection

from archive.ingest import copy_checks, neardup
from archive.ingest.extracted import Extracted
from archive.ingest.identity import Identity
from archive.ingest.version_chains import refresh_cross_checks
from archive.store.models import T
from archive.store.sql import insert_new, update_rows


@dataclass(frozen=True)
class NewReport:
    report_id: int
    agency_id: int
    kind: str
    sha: str
    extraction_id: int
    ident: Identity
    sig: tuple[int, ...] | None
    result: Extracted
    seen: datetime  # the capture's fetch time, naive UTC
    url: str  # the capture's final URL


def write(conn: Connection, fresh: list[NewReport]) -> None:
    if not fresh:
        return
    ver, src, rep = T["versions"], T["sources"], T["reports"]
    rows = [{
        "report_id": f.report_id, "fingerprint": f.ident.fingerprint, "seq": 1, "extraction_id": f.extraction_id,
        "first_seen": f.seen, "last_seen": f.seen, "published": f.result.published_on,
        "title": f.result.title, "template": f.result.template, "diff": None,
        "minhash": neardup.pack(f.sig) if f.sig else None,
    } for f in fresh]
    version_of = {r.report_id: r.id for r in insert_new(conn, ver, rows, ("report_id", "fingerprint"),
                                                         (ver.c.id, ver.c.report_id))}
    insert_new(conn, src, [{"sha256": f.sha, "version_id": version_of[f.report_id], "extraction_id": f.extraction_id}
                           for f in fresh], ("sha256",))
    update_rows(conn, rep, [{
        "id": f.report_id, "current_version_id": version_of[f.report_id], "versions": 1, "first_seen": f.seen,
        "published": f.result.published_on, "url": f.url, "failed_checks": f.result.failed_checks,
    } for f in fresh])
    # S1/S2 of each new report against its previous year, and of the following year's report against it.
    refresh_cross_checks(conn, {(f.agency_id, f.kind, f.ident.year + d) for f in fresh for d in (0, 1)},
                         {f.report_id: f.result.fields for f in fresh})
    copy_checks.add_versions(conn, [copy_checks.NewVersion(version_of[f.report_id], f.agency_id, f.ident.year, f.sig,
                                                           f.ident.tables, f.ident.telling_tables) for f in fresh])
