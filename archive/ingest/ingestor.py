"""Captures in, archive rows out: blobs, captures, extractions, reports, versions, near-duplicate flags, run counts.

Every write is an upsert on a natural key (INSERT … ON CONFLICT), never check-then-insert, so ingesting the same
captures again changes nothing and two processes ingesting at once cannot create duplicates. A batch of captures
(`ingest_many`; `ingest` is a batch of one) is one transaction, taken after all its blobs are safely on disk: a
process killed at any point leaves either the whole batch or none of it. Within a transaction the batch's agencies
are locked first (SQLite: the whole database, by BEGIN IMMEDIATE; PostgreSQL: the agency rows, in id order), so a
report's version chain and an agency's year-over-year comparison are always computed from everything committed
before. Comparing new versions with other agencies' (rule S5) needs what concurrent transactions commit as well,
and on PostgreSQL runs after the commit (`archive.ingest.copy_checks`); SQLite, one writer at a time, does it in the
transaction.

Everything that needs no database — digests, extraction, identity, MinHash, packing the result — is done before the
transaction. In it, the batch's rows are written a table at a time; reports the batch creates with a single new blob
are finished set-based (`archive.ingest.new_reports`), the rest are placed one blob at a time and recomputed once per
report (`archive.ingest.version_chains`). About twenty statements serve a whole batch.
"""
from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from itertools import islice
from typing import Any, Literal
from urllib.parse import urlsplit

from sqlalchemy import Connection, select, tuple_, update

from archive.ingest import copy_checks, neardup, new_reports, pictures, stored_results, version_chains
from archive.ingest.extracted import Extracted
from archive.ingest.identity import Identity, identify
from archive.ingest.version_chains import ReportYear
from archive.registry.agencies import guess_level_and_kind
from archive.run_tables import add_errors, add_portal_counts, ensure_run
from archive.store.blobs import BlobStore, relative_path, sha256_hex
from archive.store.db import Archive, is_sqlite
from archive.store.models import T
from archive.store.sql import insert_new, transaction, utcnow
from pipelines.document import FAILURE_KINDS, Failure, Report as ExtractedReport
from pipelines.sniff import sniff
from pipelines.workers import ExtractionPool

Outcome = Literal["inserted", "updated", "unchanged", "noop", "not_report", "failed", "unattributed"]
Extractor = Callable[[bytes, str], "ExtractedReport | Failure"]
ERROR_OUTCOMES = ("not_report", "failed", "unattributed")


def failure_error(kind: str | None) -> str | None:
    """The run_errors kind counted beside a failed outcome whose extraction did more than find its input unreadable:
    its worker crashed, ran out of memory or time, or a limit was reached (pipelines.document.FAILURE_KINDS)."""
    return f"extraction_{kind}" if kind and kind != "unreadable" else None


# Counted by the ingestor as it commits (`Ingestor._count`), not again from the crawler's record.
INGESTED_ERRORS = frozenset(filter(None, map(failure_error, FAILURE_KINDS)))

# Captures per transaction: enough that per-statement costs vanish, few enough to keep locks short.
BATCH = 300
LINK_KEY = ("sha256", "position")  # of page_pictures


def as_utc(when: datetime) -> datetime:
    """Naive UTC, the archive's one time representation; a naive input is taken to be UTC already."""
    return when.astimezone(UTC).replace(tzinfo=None) if when.tzinfo else when


@dataclass(frozen=True)
class Capture:
    """One fetch as the crawler (or `nianbao import`) hands it over."""

    requested_url: str
    fetched_at: datetime
    run_id: str
    final_url: str | None = None  # after redirects; the requested URL when there were none
    referrer: str | None = None  # the page the link was found on: a listing, or a report page for its files
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
    tls: str | None = None  # https: what the crawler saw of the certificate ("verified", "unverified: expired …")

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


@dataclass
class _Item:
    """One capture (or one stored blob to re-parse) with everything that needs no database worked out."""

    sha: str
    size: int
    format: str | None  # sniffed from the bytes; None when re-parsing (the blob row exists)
    capture: Capture | None
    result: Extracted
    stored: bool  # this parser version's extraction of the blob is in the archive already
    ident: Identity | None
    replaces: bool = False  # a page's joint reading with its pictures (archive.ingest.pictures) replaces its extraction
    links: list[dict[str, Any]] = field(default_factory=list)  # page_pictures rows of a page that may show pictures

    @cached_property
    def sig(self) -> tuple[int, ...] | None:
        return neardup.signature(self.ident.prose) if self.ident and self.ident.prose else None

    @cached_property
    def packed(self) -> tuple[dict[str, Any], bytes]:
        return stored_results.pack(self.result.as_dict())


@dataclass
class _Filing:
    """One item in one attempt at the transaction: what its writes found, step by step (a transaction run again
    starts from new filings)."""

    item: _Item
    capture_new: bool = False  # its capture's row is new (the first of the same capture twice in a batch)
    extraction_id: int = 0
    extraction_new: bool = False  # its extraction's row is new (the first of the same blob twice in a batch)
    report: ReportYear | None = None  # the report it files under, when it has an identity
    report_id: int = 0
    report_new: bool = False  # the transaction created that report
    outcome: Outcome | None = None

    def placement(self) -> version_chains.Placement:
        item = self.item
        assert item.ident is not None and self.report is not None
        return version_chains.Placement(item.sha, self.extraction_id, item.ident, item.sig, self.report_id,
                                        self.report[0])

    def new_report(self) -> new_reports.NewReport:
        item, capture = self.item, self.item.capture
        assert item.ident is not None and self.report is not None and capture is not None
        return new_reports.NewReport(self.report_id, self.report[0], self.report[1], item.sha, self.extraction_id,
                                     item.ident, item.sig, item.result, as_utc(capture.fetched_at),
                                     capture.final_url or capture.requested_url)


def _extraction_pool(workers: int, extractor: Extractor) -> ExtractionPool | None:
    """Supervised extraction workers for re-parsing (a blob that crashes or hangs its parser fails alone), or None to
    read in this process: an extractor other than the pipeline's own (tests give theirs) cannot go to a worker."""
    from pipelines.extract import extract

    return ExtractionPool(max(1, workers)) if extractor is extract else None


def _chunks(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    it = iter(items)
    while chunk := list(islice(it, size)):
        yield chunk


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
        self._agencies: dict[str, tuple[int, str]] = {}  # committed agencies only: a rollback cannot stale them
        self._runs_ready: set[str] = set()  # run rows known to exist

    # -- entry points -------------------------------------------------------------------------------------------

    def ingest(self, capture: Capture, data: bytes,
               result: ExtractedReport | Failure | None = None) -> Outcome:
        """Archive one capture: its bytes, provenance and extraction (`result`, or run the extractor now)."""
        blobs, items = self._read([(capture, data, result)])
        self.blobs.put_many(blobs)  # durable before any row refers to them
        outcome = self._commit(items)[0]
        self._join_pictures(*_to_join(items))
        return outcome

    def ingest_many(self, captures: Iterable[tuple[Capture, bytes, ExtractedReport | Failure | None]],
                    batch: int = BATCH) -> list[Outcome]:
        """Archive a stream of captures, a transaction per `batch` of them; outcomes in the order given.

        While a batch's transaction runs (in a writer thread), the next batch is prepared and its blobs written: the
        database server, SQLite's C code and fsync work without the GIL, so they overlap the preparing. The
        transaction makes a few large statements, so the writer seldom waits for the GIL to come back.
        """
        outcomes: list[Outcome] = []
        pages: set[str] = set()
        shown: set[str] = set()
        with ThreadPoolExecutor(1, thread_name_prefix="archive-writer") as writer:
            pending: Future[list[Outcome]] | None = None
            try:
                for chunk in _chunks(captures, batch):
                    blobs, items = self._read(chunk)
                    more_pages, more_shown = _to_join(items)
                    pages |= more_pages
                    shown |= more_shown
                    self.blobs.put_many(blobs)  # durable before any row refers to them
                    if pending is not None:
                        done, pending = pending, None
                        outcomes += done.result()
                    pending = writer.submit(self._commit, items)
            finally:  # the batch in flight is committed (or its error raised) even when preparing the next failed
                if pending is not None:
                    outcomes += pending.result()
        self._join_pictures(pages, shown)
        return outcomes

    def reparse(self, digests: Iterable[str], workers: int = 1,
                progress: Callable[[int, int], None] | None = None) -> list[Outcome]:
        """Run this ingestor's extractor over stored blobs, recording each result under its parser version; then
        every page is read with the pictures it shows (archive.ingest.pictures), its links to them read from its bytes
        again (those of pages archived before `page_pictures` was kept too).

        The blobs are read in `workers` supervised processes (the pipeline's own extractor only), the next batch's
        while the previous one is committed. `progress(done, total)` is called after each batch."""
        digests = list(digests)
        outcomes: list[Outcome] = []
        pool = _extraction_pool(workers, self.extractor)
        pending: tuple[Any, ...] | None = None
        try:
            for chunk in [*_chunks(digests, BATCH), None]:
                started = None
                if chunk is not None:
                    stored = self._stored_results(set(chunk))
                    todo = [sha for sha in chunk if sha not in stored]
                    linked = [sha for sha, result in stored.items() if pictures.may_show_pictures(result)]
                    hints = self._first_sightings([*todo, *linked])
                    reads = [(self.blobs.get(sha), hints[sha][0]) for sha in todo]
                    futures = [pool.submit(data, url) for data, url in reads] if pool is not None else None
                    started = (chunk, stored, todo, linked, hints, reads, futures)
                if pending is not None:
                    outcomes += self._reparsed(*pending)
                    if progress is not None:
                        progress(len(outcomes), len(digests))
                pending = started
            self.join_all_pictures()
        finally:
            if pool is not None:
                pool.close()
        return outcomes

    def _reparsed(self, chunk: list[str], stored: dict[str, Extracted], todo: list[str], linked: list[str], hints: dict,
                  reads: list[tuple[bytes, str]], futures: list[Future] | None) -> list[Outcome]:
        """Commit one batch of re-read blobs: (bytes, url) of each, and the futures of their results if any; and the
        links of the pages among them that may show pictures, those already read (`linked`) too."""
        items = []
        for n, (sha, (data, url)) in enumerate(zip(todo, reads)):
            found = Extracted.of(futures[n].result() if futures is not None else self.extractor(data, url))
            _, agency_hint, year_hint = hints[sha]
            items.append(self._item(sha, len(data), None, None, found, False, agency_hint, year_hint))
            if pictures.may_show_pictures(found):
                items[-1].links = pictures.link_rows(sha, data, url)
        links = [row for sha in linked for row in pictures.link_rows(sha, self.blobs.get(sha), hints[sha][0])]
        if links:
            with self.archive.engine.begin() as conn:
                insert_new(conn, T["page_pictures"], links, LINK_KEY)
        done = dict(zip(todo, self._commit(items)))
        outcomes: list[Outcome] = []
        for sha in chunk:
            if sha in stored:  # already read by this parser version: nothing to do
                self.stats.add("noop")
            outcomes.append(done.get(sha, "noop"))
        return outcomes

    def join_all_pictures(self) -> None:
        """Every page this parser has read, read with the pictures it shows where it was not yet: a kill between a
        picture's commit and the joint reading leaves one to do (a crawl does this first, `nianbao reparse` last).
        Pages this parser has not read are left to `reparse`: after a new parser, a crawl does not begin by reading
        every page with pictures again."""
        with self.archive.reader.connect() as conn:
            urls = pictures.picture_pages(conn)
        self._join_pictures(urls, read_only=True)

    def _join_pictures(self, urls: set[str], picture_urls: set[str] | None = None, read_only: bool = False) -> None:
        """The pages at `urls`, and those showing the pictures at `picture_urls`, read again with the table pictures
        they show, where these changed (archive.ingest.pictures); with `read_only`, those this parser has read only. Not
        counted in the run's statistics: no capture is new, the page's own capture was counted."""
        if not urls and not picture_urls:
            return
        with self.archive.reader.connect() as conn:
            pages = pictures.pages_with_pictures(conn, urls | pictures.pages_showing(conn, picture_urls or set()))
        stored = self._stored_results({page.sha for page in pages} | {sha for p in pages for _, sha in p.pictures})
        items = []
        for page in pages:
            done = stored.get(page.sha)
            if (done is not None and done.pictures == page.listing()) or (read_only and done is None):
                continue
            shown = [(url, stored.get(sha) or Extracted.of(self.extractor(self.blobs.get(sha), url)))
                     for url, sha in page.pictures]
            item = self._item(page.sha, page.size, None, None, pictures.read_together(page, self.blobs, shown), False,
                              page.agency_hint, page.year_hint)
            item.replaces = True
            items.append(item)
        self._commit(items, count=False)

    def finish(self) -> None:
        with self.archive.engine.begin() as conn:
            ensure_run(conn, self.run_id, self.kind, self.parser_version)
            conn.execute(update(T["runs"]).where(T["runs"].c.id == self.run_id).values(finished_at=utcnow()))

    # -- before the transaction ---------------------------------------------------------------------------------

    def _read(self, batch: list[tuple[Capture, bytes, ExtractedReport | Failure | None]]
              ) -> tuple[dict[str, bytes], list[_Item]]:
        """The batch's blobs by digest, and its items with everything that needs no transaction worked out."""
        digests = [sha256_hex(data) for _, data, _ in batch]
        for (capture, _, _), sha in zip(batch, digests):
            if capture.sha256 and capture.sha256 != sha:
                raise ValueError(f"capture of {capture.requested_url} says sha256 {capture.sha256}, bytes are {sha}")
        stored = self._stored_results(set(digests))
        items = []
        for (capture, data, given), sha in zip(batch, digests):
            # This parser's stored reading first: a page's may be the joint one with its pictures
            # (archive.ingest.pictures), which reading its bytes alone would undo.
            found = stored.get(sha) or (Extracted.of(given) if given is not None else None)
            if found is None:
                found = Extracted.of(self.extractor(data, capture.final_url or capture.requested_url))
            items.append(self._item(sha, len(data), sniff(data), capture, found, sha in stored,
                                    capture.agency_hint, capture.year_hint))
            if items[-1].format == "html" and pictures.may_show_pictures(found):
                items[-1].links = pictures.link_rows(sha, data, capture.final_url or capture.requested_url)
        return {sha: data for (_, data, _), sha in zip(batch, digests)}, items

    def _item(self, sha: str, size: int, fmt: str | None, capture: Capture | None, result: Extracted,
              stored: bool, agency_hint: str | None, year_hint: int | None) -> _Item:
        item = _Item(sha, size, fmt, capture, result, stored, identify(result, agency_hint, year_hint))
        if not stored:  # likely new content: pay for packing and MinHash now, before the transaction takes locks
            item.packed, item.sig  # noqa: B018 (fills the cached properties)
        return item

    def _stored_results(self, digests: set[str]) -> dict[str, Extracted]:
        ex = T["extractions"]
        with self.archive.reader.connect() as conn:
            rows = conn.execute(select(ex.c.sha256, ex.c.meta, ex.c.body).where(
                ex.c.sha256.in_(digests), ex.c.parser_version == self.parser_version)).all()
        return {row.sha256: Extracted.stored(stored_results.unpack(row.meta, row.body)) for row in rows}

    def _first_sightings(self, digests: list[str]) -> dict[str, tuple[str, str | None, int | None]]:
        """The earliest capture of each blob: its URL and the listing's hints, for re-parsing without refetching."""
        cap = T["captures"]
        out: dict[str, tuple[str, str | None, int | None]] = {}
        if not digests:
            return out
        with self.archive.reader.connect() as conn:
            for row in conn.execute(select(cap.c.sha256, cap.c.final_url, cap.c.agency_hint, cap.c.year_hint)
                                    .where(cap.c.sha256.in_(digests)).order_by(cap.c.fetched_at, cap.c.id)):
                out.setdefault(row.sha256, (row.final_url, row.agency_hint, row.year_hint))
        return out

    # -- the transaction ----------------------------------------------------------------------------------------

    def _commit(self, items: list[_Item], count: bool = True) -> list[Outcome]:
        if not items:
            return []
        runs = ({self.run_id} | {i.capture.run_id for i in items if i.capture}) - self._runs_ready
        if runs:
            # Their own transaction: concurrent ingestors of one run would otherwise queue behind each other's
            # uncommitted run row for the whole of their transactions.
            with self.archive.engine.begin() as conn:
                for run_id in sorted(runs):
                    ensure_run(conn, run_id, self.kind, self.parser_version)
            self._runs_ready |= runs
        created: dict[str, tuple[int, str]] = {}
        one_writer = is_sqlite(self.archive.engine)

        def apply(conn: Connection) -> list[Outcome]:
            created.clear()  # a transaction run again starts afresh
            outcomes = self._apply(conn, items, created)
            if one_writer:  # nothing else commits during this transaction: compare across agencies now
                copy_checks.settle_pending(conn)
            return outcomes

        outcomes = transaction(self.archive.engine, apply)
        self._agencies.update(created)
        for outcome in outcomes if count else ():
            self.stats.add(outcome)
        if not one_writer and {"inserted", "updated"} & set(outcomes):
            copy_checks.settle(self.archive.engine)
        return outcomes

    def _apply(self, conn: Connection, items: list[_Item], created: dict[str, tuple[int, str]]) -> list[Outcome]:
        """The batch's rows, a table at a time: provenance, extractions, reports; then each report's versions, brand-new
        ones set-based and the rest placed one blob at a time; then the run's counts."""
        now = utcnow()
        filings = [_Filing(item) for item in items]
        new_blobs = self._write_provenance(conn, filings, now)
        self._write_extractions(conn, filings, now)
        self._file_under_reports(conn, filings, now, created)
        new_reports.write(conn, self._first_versions(filings, new_blobs))
        self._place_versions(conn, [f for f in filings if f.outcome is None])
        self._count(conn, [f for f in filings if f.capture_new])
        return [f.outcome for f in filings]  # type: ignore[misc]

    def _write_provenance(self, conn: Connection, filings: list[_Filing], now: datetime) -> set[str]:
        """Blobs, captures and pages' links to their pictures; the blobs this call inserted."""
        captured = [f.item for f in filings if f.item.capture is not None]
        new_blobs = {r.sha256 for r in insert_new(conn, T["blobs"], list({i.sha: {
            "sha256": i.sha, "size": i.size, "format": i.format, "path": str(relative_path(i.sha)), "stored_at": now,
        } for i in captured}.values()), ("sha256",), (T["blobs"].c.sha256,))}
        new_keys = self._insert_captures(conn, captured)
        insert_new(conn, T["page_pictures"], [row for f in filings for row in f.item.links], LINK_KEY)
        for f in filings:
            key = f.item.capture.key(f.item.sha) if f.item.capture else None
            f.capture_new = key in new_keys
            new_keys.discard(key)  # the same capture twice in one batch: the second is not new
        return new_blobs

    def _write_extractions(self, conn: Connection, filings: list[_Filing], now: datetime) -> None:
        ids, new = self._extractions(conn, [f.item for f in filings], now)
        for f in filings:
            f.extraction_id = ids[f.item.sha]
            f.extraction_new = f.item.sha in new
            new.discard(f.item.sha)  # the same blob twice in one batch: its extraction is new once

    def _file_under_reports(self, conn: Connection, filings: list[_Filing], now: datetime,
                            created: dict[str, tuple[int, str]]) -> None:
        """The report of each item with an identity, its agency and the report created as needed; the agencies are
        locked (PostgreSQL) before their reports are read."""
        agencies = self._agency_ids(conn, {f.item.ident.agency for f in filings if f.item.ident}, now, created)
        if conn.dialect.name == "postgresql" and agencies:
            ag = T["agencies"]
            conn.execute(select(ag.c.id).where(ag.c.id.in_({a for a, _ in agencies.values()})).order_by(ag.c.id)
                         .with_for_update(key_share=True))
        identified = [(f, f.item.ident) for f in filings if f.item.ident is not None]
        for f, ident in identified:
            f.report = (*agencies[ident.agency], ident.year)
        report_of, created_reports = self._reports(conn, {f.report for f, _ in identified if f.report})
        for f, _ in identified:
            f.report_id = report_of[f.report]  # type: ignore[index]
            f.report_new = f.report in created_reports

    @staticmethod
    def _first_versions(filings: list[_Filing], new_blobs: set[str]) -> list[new_reports.NewReport]:
        """The items that are a new report's one version with one source (archive.ingest.new_reports), marked inserted:
        a new capture of a new blob, alone in the batch with its blob and its report."""
        per_sha = Counter(f.item.sha for f in filings)
        per_report = Counter(f.report for f in filings if f.report)
        first = [f for f in filings if f.report_new and f.capture_new and f.item.sha in new_blobs
                 and per_sha[f.item.sha] == 1 and f.report is not None and per_report[f.report] == 1]
        for f in first:
            f.outcome = "inserted"
        return [f.new_report() for f in first]

    @staticmethod
    def _place_versions(conn: Connection, filings: list[_Filing]) -> None:
        """The general path (archive.ingest.version_chains): each blob into its report's version, or out of its version
        when it no longer reads as an attributable report; then each touched report recomputed."""
        if not filings:
            return
        placer = version_chains.Placer(conn, {f.item.sha for f in filings}, {f.report_id for f in filings if f.report})
        counted_new: set[ReportYear] = set()  # a report created in this batch is inserted once, then updated
        for f in filings:
            if f.report is None:
                changed = placer.unlink(f.item.sha)
                outcome: Outcome = f.item.result.unfiled()
            else:
                version_new, changed = placer.place(f.placement(), f.capture_new)
                outcome = ("inserted" if f.report_new and f.report not in counted_new else
                           "updated" if version_new else "unchanged")
                counted_new.add(f.report)
            f.outcome = outcome if f.capture_new or f.extraction_new or changed else "noop"
        placer.finish()

    def _insert_captures(self, conn: Connection, captured: list[_Item]) -> set[str]:
        cap = T["captures"]
        rows: dict[str, dict[str, Any]] = {}
        for item in captured:
            c = item.capture
            assert c is not None
            key = c.key(item.sha)
            rows.setdefault(key, {
                "key": key, "requested_url": c.requested_url, "final_url": c.final_url or c.requested_url,
                "referrer": c.referrer, "status": c.status, "etag": c.header("ETag"),
                "last_modified": c.header("Last-Modified"), "content_type": c.header("Content-Type"),
                "content_disposition": c.header("Content-Disposition"), "headers": dict(c.headers) or None,
                "fetched_at": as_utc(c.fetched_at), "run_id": c.run_id, "portal": c.portal_name(), "sha256": item.sha,
                "size": item.size, "warc_file": c.warc_file, "warc_record_id": c.warc_record_id,
                "warc_offset": c.warc_offset, "agency_hint": c.agency_hint, "year_hint": c.year_hint, "tls": c.tls,
            })
        return {r.key for r in insert_new(conn, cap, list(rows.values()), ("key",), (cap.c.key,))}

    def _extractions(self, conn: Connection, items: list[_Item], now: datetime) -> tuple[dict[str, int], set[str]]:
        """Extraction ids by blob, and the blobs whose extraction this call inserted."""
        ex = T["extractions"]
        rows = {}
        for item in items:
            if not item.stored and item.sha not in rows:
                rows[item.sha] = self._extraction_row(item, now)
        for item in items:  # a page's joint reading: its extraction under this parser is now that (pictures.py)
            if item.replaces and conn.execute(update(ex).where(
                    ex.c.sha256 == item.sha, ex.c.parser_version == self.parser_version).values(
                    {k: v for k, v in rows[item.sha].items() if k not in ("sha256", "parser_version")})).rowcount:
                del rows[item.sha]
        inserted = insert_new(conn, ex, list(rows.values()), ("sha256", "parser_version"), (ex.c.sha256, ex.c.id))
        ids = {r.sha256: r.id for r in inserted}
        missing = {i.sha for i in items} - set(ids)
        if missing:
            ids.update(conn.execute(select(ex.c.sha256, ex.c.id).where(
                ex.c.sha256.in_(missing), ex.c.parser_version == self.parser_version)).all())
        return ids, {r.sha256 for r in inserted}

    def _extraction_row(self, item: _Item, now: datetime) -> dict[str, Any]:
        meta, body = item.packed
        ident, result = item.ident, item.result
        return {
            "sha256": item.sha, "parser_version": self.parser_version, "is_report": result.is_report,
            "error": result.error, "agency": result.agency, "year": result.year, "template": result.template,
            "fingerprint": ident.fingerprint if ident else None, "tables": ident.tables if ident else None,
            "table_only": ident.table_only if ident else None, "meta": meta, "body": body, "created_at": now,
        }

    def _agency_ids(self, conn: Connection, names: set[str], now: datetime,
                    created: dict[str, tuple[int, str]]) -> dict[str, tuple[int, str]]:
        """(id, kind) of each agency named, by alias; unknown names become discovered agencies (into `created`)."""
        ag, al = T["agencies"], T["aliases"]
        found = {name: self._agencies[name] for name in names if name in self._agencies}

        def lookup(wanted: set[str]) -> dict[str, tuple[int, str]]:
            rows = conn.execute(select(al.c.alias, ag.c.id, ag.c.kind).join(ag, ag.c.id == al.c.agency_id)
                                .where(al.c.alias.in_(wanted))).all()
            return {row.alias: (row.id, row.kind) for row in rows}

        if unknown := names - set(found):
            known = lookup(unknown)
            self._agencies.update(known)
            found.update(known)
        if missing := names - set(found):
            rows = []
            for name in missing:
                level, kind = guess_level_and_kind(name)
                rows.append({"name": name, "level": level, "kind": kind, "origin": "discovered", "created_at": now})
            insert_new(conn, ag, rows, ("name",))
            ids = dict(conn.execute(select(ag.c.name, ag.c.id).where(ag.c.name.in_(missing))).all())
            insert_new(conn, al, [{"alias": name, "agency_id": ids[name]} for name in missing], ("alias",))
            # Not cached until the transaction commits: a rollback would take the new agencies with it.
            created.update(lookup(missing))
            found.update(created)
        return found

    def _reports(self, conn: Connection, keys: set[tuple[int, str, int]]
                 ) -> tuple[dict[tuple[int, str, int], int], set[tuple[int, str, int]]]:
        """Report ids by (agency, kind, year), creating the missing ones; and the keys this call created."""
        rep = T["reports"]
        if not keys:
            return {}, set()
        rows = [{"agency_id": a, "kind": k, "year": y, "versions": 0} for a, k, y in keys]
        inserted = insert_new(conn, rep, rows, ("agency_id", "year", "kind"),
                              (rep.c.id, rep.c.agency_id, rep.c.kind, rep.c.year))
        ids = {(r.agency_id, r.kind, r.year): r.id for r in inserted}
        if missing := keys - set(ids):
            found = conn.execute(select(rep.c.id, rep.c.agency_id, rep.c.kind, rep.c.year).where(
                tuple_(rep.c.agency_id, rep.c.kind, rep.c.year).in_(missing))).all()
            ids.update({(r.agency_id, r.kind, r.year): r.id for r in found})
        return ids, {(r.agency_id, r.kind, r.year) for r in inserted}

    def _count(self, conn: Connection, filings: list[_Filing]) -> None:
        """Per run and portal: pages, new / updated / unchanged reports, errors by kind (of the new captures)."""
        pages = _portal_counts(filings)
        columns = ("pages", "new", "updated", "unchanged")
        add_portal_counts(conn, [{"run_id": run_id, "portal": portal, **{c: counts[c] for c in columns}}
                                 for (run_id, portal), counts in sorted(pages.items())], columns)
        add_errors(conn, [{"run_id": run_id, "portal": portal, "kind": kind, "count": counts[kind]}
                          for (run_id, portal), counts in sorted(pages.items())
                          for kind in (*ERROR_OUTCOMES, *sorted(INGESTED_ERRORS)) if counts[kind]])


def _portal_counts(filings: list[_Filing]) -> dict[tuple[str, str], Counter[str]]:
    """The counts of `Ingestor._count` by (run, portal)."""
    pages: dict[tuple[str, str], Counter[str]] = {}
    for f in filings:
        capture, outcome = f.item.capture, f.outcome
        assert capture is not None and outcome is not None
        counts = pages.setdefault((capture.run_id, capture.portal_name()), Counter())
        counts["pages"] += 1
        counts[{"inserted": "new", "updated": "updated", "unchanged": "unchanged"}.get(outcome, outcome)] += 1
        if outcome == "failed" and (error := failure_error(f.item.result.error_kind)):
            counts[error] += 1
    return pages


def _to_join(items: list[_Item]) -> tuple[set[str], set[str]]:
    """The report pages among `items` that may show their tables as pictures, and the table pictures among them
    (their URLs), whose pages are to be read with them (archive.ingest.pictures)."""
    pages, shown = set(), set()
    for item in items:
        c = item.capture
        if c is not None and pictures.is_table_picture(item.result):
            shown.add(c.final_url or c.requested_url)
        elif c is not None and pictures.may_show(item.result):
            pages.add(c.final_url or c.requested_url)
    return pages, shown


