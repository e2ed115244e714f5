"""A report's page: one version's tables (with the pictures they were read from), prose, checks and copies, its
sources with their captures, and its diff."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select

from archive.ingest import stored_results
from archive.queries.statuses import YearFacts
from archive.store.models import T
from archive.web.agency import version_summary, versions_of
from archive.web.records import AGENCY_COLUMNS, agency_ref, checks, copies_of, year_verdict
from archive.web.schemas import (
    CaptureInfo,
    Check,
    FieldChange,
    ReportDetail,
    ReportTable,
    Section,
    SectionChange,
    SourceInfo,
    TablePicture,
    VersionDiff,
    WarcRecord,
)
from archive.web.tables import build_tables, field_label
from pipelines.extract import grid_from_json
from pipelines.mapping import map_grids
from pipelines.schema import SECTION_HEADINGS, SECTION_KEYS, field_keys


def raw_download(sha256: str) -> str:
    return f"/raw/{sha256}"


def warc_download(capture_id: int) -> str:
    return f"/warc/{capture_id}"


def sources(conn: Connection, version_id: int, pictures: list[str]) -> list[SourceInfo]:
    """The version's documents, then the pictures of tables read with them (`pictures`, by sha256)."""
    src, blobs, cap = T["sources"], T["blobs"], T["captures"]
    found = list(conn.execute(select(blobs.c.sha256, blobs.c.size, blobs.c.format)
                              .join(src, src.c.sha256 == blobs.c.sha256)
                              .where(src.c.version_id == version_id).order_by(blobs.c.sha256)))
    documents = {b.sha256 for b in found}
    if pictures:
        found += [b for b in conn.execute(select(blobs.c.sha256, blobs.c.size, blobs.c.format)
                                          .where(blobs.c.sha256.in_(pictures))) if b.sha256 not in documents]
    captured: dict[str, list[CaptureInfo]] = {}
    if found:
        for c in conn.execute(select(cap.c.id, cap.c.sha256, cap.c.requested_url, cap.c.final_url, cap.c.fetched_at,
                                     cap.c.status, cap.c.content_type, cap.c.run_id, cap.c.warc_file,
                                     cap.c.warc_record_id, cap.c.warc_offset)
                              .where(cap.c.sha256.in_([b.sha256 for b in found]))
                              .order_by(cap.c.fetched_at, cap.c.id)):
            warc = (WarcRecord(file=c.warc_file, record_id=c.warc_record_id, offset=c.warc_offset)
                    if c.warc_file and c.warc_offset is not None else None)
            captured.setdefault(c.sha256, []).append(CaptureInfo(
                id=c.id, requested_url=c.requested_url, final_url=c.final_url, fetched_at=c.fetched_at,
                status=c.status, content_type=c.content_type, run_id=c.run_id, warc=warc,
                warc_download=warc_download(c.id) if warc else None))

    def order(b: Any) -> tuple[int, int, datetime, str]:
        """Documents earliest seen first (captures are in fetch order already), then the pictures in the page's
        order."""
        if b.sha256 not in documents:
            return 1, pictures.index(b.sha256), datetime.min, b.sha256
        return (0, 0, captured[b.sha256][0].fetched_at, b.sha256) if b.sha256 in captured else \
            (0, 1, datetime.min, b.sha256)

    ordered = sorted(found, key=order)
    return [SourceInfo(role="document" if b.sha256 in documents else "table_picture", sha256=b.sha256, size=b.size,
                       format=b.format, download=raw_download(b.sha256), captures=captured.get(b.sha256, []))
            for b in ordered]


def picture_download(sha256: str) -> str:
    return f"/pictures/{sha256}"


def table_pictures(conn: Connection, listing: list[dict[str, str]]) -> list[TablePicture]:
    """The pictures a joint reading read (`archive.ingest.pictures`), each with the fields its own tables map to: its
    stored grids read alone by the same mapping (a picture continuing another's table, without its labels, maps
    none: it is still shown, beside no table)."""
    ex = T["extractions"]
    out = []
    for item in listing:
        sha, url = str(item.get("sha256")), str(item.get("url"))
        row = conn.execute(select(ex.c.meta, ex.c.body).where(ex.c.sha256 == sha).order_by(ex.c.id.desc())
                           .limit(1)).first()
        grids = (stored_results.unpack(row.meta, row.body).get("grids") or []) if row else []
        keys = sorted(map_grids([grid_from_json(g) for g in grids]).raw) if grids else []
        out.append(TablePicture(sha256=sha, url=url, image=picture_download(sha), download=raw_download(sha),
                                keys=keys))
    return out


def place_pictures(tables: list[ReportTable], pictures: list[TablePicture]) -> None:
    """Marks each cell with the picture it was read from, and each table with its pictures."""
    source = {}
    for picture in reversed(pictures):  # a key two pictures map: the first one's
        source.update(dict.fromkeys(picture.keys, picture.sha256))
    for table in tables:
        for row in table.rows:
            for cell in row:
                if cell.key in source:
                    cell.picture = source[cell.key]
        used = {cell.picture for row in table.rows for cell in row if cell.picture}
        table.pictures = [p.sha256 for p in pictures if p.sha256 in used]


def version_diff(stored: dict[str, Any] | None, seq: int, template: str | None) -> VersionDiff | None:
    """`archive.ingest.versions.diff` as stored on a version (against seq - 1), with the forms' labels."""
    if not stored or seq < 2:
        return None
    change = stored.get("template")
    order = {key: n for n, key in enumerate(field_keys(template or "2021"))}  # the tables' order, not the keys'
    changes = sorted(stored.get("fields") or (), key=lambda f: (order.get(f["key"], len(order)), f["key"]))
    return VersionDiff(
        against_seq=seq - 1,
        fields=[FieldChange(key=f["key"], label=field_label(f["key"], template), old=f.get("old"), new=f.get("new"))
                for f in changes],
        sections=[SectionChange(section=s["section"], heading=SECTION_HEADINGS.get(s["section"], s["section"]),
                                removed=s.get("removed") or [], added=s.get("added") or [])
                  for s in stored.get("sections") or ()],
        template_change=[change.get("old"), change.get("new")] if change else None)


def report_year(conn: Connection, report_id: int) -> int | None:
    rep = T["reports"]
    return conn.execute(select(rep.c.year).where(rep.c.id == report_id)).scalar()


@dataclass(frozen=True)
class _Reading:
    """The stored extraction result of the version shown, as its page reads it, and the version's stored diff."""

    title: str | None
    template: str | None
    format: str | None
    warnings: list[str]
    fields: dict[str, Any]
    raw: dict[str, Any]
    sections: dict[str, Any]
    checks: list[Check]  # every check, held or not
    pictures: list[dict[str, str]]  # the table pictures read with the page (`archive.ingest.pictures`)
    diff: dict[str, Any] | None

    @classmethod
    def of(cls, conn: Connection, version_id: int) -> _Reading:
        ver, ex = T["versions"], T["extractions"]
        stored = conn.execute(select(ver.c.diff, ex.c.meta, ex.c.body).join(ex, ex.c.id == ver.c.extraction_id)
                              .where(ver.c.id == version_id)).first()
        result: dict[str, Any] = stored_results.unpack(stored.meta, stored.body) if stored else {}
        return cls(title=result.get("title"), template=result.get("template"), format=result.get("format"),
                   warnings=[str(w) for w in result.get("warnings") or ()], fields=result.get("fields") or {},
                   raw=result.get("raw") or {}, sections=result.get("sections") or {},
                   checks=checks(result.get("checks")), pictures=result.get("pictures") or [],
                   diff=stored.diff if stored else None)


def _shown_version(versions: list[Any], seq: int | None, current_id: int | None) -> Any | None:
    """Version `seq` of the report's `versions`, or its current one (its last when none is marked) when None."""
    if seq is not None:
        return next((v for v in versions if v.seq == seq), None)
    return next((v for v in versions if v.id == current_id), versions[-1] if versions else None)


def _sections(sections: dict[str, Any]) -> list[Section]:
    """The prose sections the report has, in the forms' order, then any other in name order."""
    return [Section(key=k, heading=SECTION_HEADINGS.get(k, k), text=str(sections[k]))
            for k in [*SECTION_KEYS, *sorted(set(sections) - set(SECTION_KEYS))] if sections.get(k)]


def report_detail(conn: Connection, report_id: int, seq: int | None, facts: YearFacts) -> ReportDetail | None:
    """The report with version `seq` shown (its current version when None); None when either does not exist."""
    rep, ag = T["reports"], T["agencies"]
    r = conn.execute(select(rep).where(rep.c.id == report_id)).first()
    if r is None:
        return None
    agency = agency_ref(conn.execute(select(*AGENCY_COLUMNS).where(ag.c.id == r.agency_id)).one())
    rows = versions_of(conn, [r.id]).get(r.id, [])
    shown = _shown_version(rows, seq, r.current_version_id)
    if shown is None:
        return None
    reading = _Reading.of(conn, shown.id)
    current = shown.id == r.current_version_id
    failed = [c for c in reading.checks if not c.ok]
    if current:  # S1/S2 and S5 are kept for the current version only
        failed += checks(r.cross_checks)
    # A report exists: its status does not depend on the portal.
    due, (status, late, when, source, _) = year_verdict(facts, agency, r.year, r, None)
    template = reading.template or shown.template
    pictures = table_pictures(conn, reading.pictures)
    tables = build_tables(template, reading.fields, reading.raw, [c.model_dump() for c in failed])
    place_pictures(tables, pictures)
    return ReportDetail(
        id=r.id, agency=agency, year=r.year, kind=r.kind, deadline=due, status=status, days_late=late,
        published=when, date_source=source, first_seen=r.first_seen, url=r.url,
        versions=[version_summary(v, r.current_version_id) for v in rows],
        version=version_summary(shown, r.current_version_id), title=reading.title or shown.title,
        template=template, format=reading.format, warnings=reading.warnings, tables=tables,
        sections=_sections(reading.sections), failed_checks=failed, passed_checks=sum(c.ok for c in reading.checks),
        copies=copies_of(conn, [shown.id]).get(shown.id, []) if current else [], pictures=pictures,
        sources=sources(conn, shown.id, [p.sha256 for p in pictures]),
        diff=version_diff(reading.diff, shown.seq, template))
