"""Search: agencies by name or alias, reports by the full text of their current version.

Chinese has no spaces, and neither SQLite's FTS5 tokenizers nor PostgreSQL's parsers split it into words. So text is
indexed as overlapping character bigrams ("复议申请" → 复议 议申 申请) and a query is the phrase of its own
bigrams: any substring of two characters or more matches, with one engine-neutral scheme. A query ending in a single
Chinese character takes it as a prefix. Each section is indexed apart (a phrase never spans two), which also keeps
every PostgreSQL tsvector under its 16,383-position limit.

The index is derived data outside the archive's schema (which Alembic owns): beside a SQLite archive in its own file
(`archive.search.sqlite` for `archive.sqlite`), in the `nianbao_search` schema of a PostgreSQL archive.
`nianbao search-index` brings it up to date — it indexes reports whose current version changed and drops the rest —
and the dashboard only reads it.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import islice
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    Engine,
    Integer,
    MetaData,
    Select,
    String,
    Table,
    Text,
    create_engine,
    event,
    func,
    select,
    text,
)
from sqlalchemy.engine import make_url

from archive.ingest import stored_results
from archive.queries.statuses import Status
from archive.store.models import T
from archive.web import regions
from archive.web.db import sqlite_read_only_engine
from archive.web.records import AGENCY_COLUMNS, agency_ref, contains
from archive.web.schemas import AgencyHit, AgencyRef, ReportHit
from pipelines.schema import SECTION_KEYS

SCHEMA = "nianbao_search"
COLUMNS = ("title", *SECTION_KEYS)
# Bump when `tokens` changes: an index built with other tokens is rebuilt (SQLite deletes by re-tokenising).
TOKENIZER_VERSION = "bigram-1"
MAX_REPORTS, MAX_AGENCIES, SNIPPET = 20, 20, 40
# Filters apply to this many of the best matches at most (the index ranks; the archive knows years and places).
MAX_FILTERED = 5000
BATCH = 500

_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_RUN = re.compile(f"([{_HAN}]+)|([^\\W_{_HAN}]+)")


def normalise(text: str) -> str:
    return unicodedata.normalize("NFKC", text).lower()


def _runs(text: str) -> Iterator[tuple[str, bool]]:
    for m in _RUN.finditer(normalise(text)):
        yield (m.group(1), True) if m.group(1) else (m.group(2), False)


def tokens(text: str) -> list[str]:
    out: list[str] = []
    for run, han in _runs(text):
        out += ([run[i:i + 2] for i in range(len(run) - 1)] or [run]) if han else [run]
    return out


@dataclass(frozen=True)
class Term:
    tokens: tuple[str, ...]
    prefix: bool  # the term ends in a lone Chinese character


def parse_query(q: str) -> list[Term]:
    terms = []
    for word in q.split():
        runs = list(_runs(word))
        if runs:
            last, han = runs[-1]
            terms.append(Term(tuple(tokens(word)), han and len(last) == 1))
    return terms


def _section_texts(result: dict[str, Any]) -> dict[str, str]:
    sections = dict(result.get("sections") or {})
    extra = [str(sections.pop(k)) for k in sorted(set(sections) - set(SECTION_KEYS))]
    texts = {"title": str(result.get("title") or ""), **{k: str(sections.get(k) or "") for k in SECTION_KEYS}}
    texts["other"] = "\n".join([texts["other"], *extra]).strip()
    return texts


def index_path(archive_db: Path) -> Path:
    return archive_db.with_name(archive_db.stem + ".search.sqlite")


class SearchIndex:
    """The full-text index of one archive (see the module docstring for where it lives)."""

    def __init__(self, engine: Engine, schema: str | None):
        self.engine = engine
        self.sqlite = engine.dialect.name == "sqlite"
        metadata = MetaData(schema=schema)
        self.indexed = Table("indexed", metadata, Column("report_id", Integer, primary_key=True),
                             Column("extraction_id", Integer, nullable=False))
        self.meta = Table("meta", metadata, Column("key", String(32), primary_key=True), Column("value", Text))
        self.metadata = metadata
        self.documents = f"{schema}.documents" if schema else "documents"

    @classmethod
    def for_reading(cls, archive_url: str, archive_engine: Engine) -> SearchIndex | None:
        """The index to query, or None when there is none yet."""
        parsed = make_url(archive_url)
        if parsed.get_backend_name() == "sqlite":
            path = index_path(Path(parsed.database or ""))
            return cls(sqlite_read_only_engine(path), None) if path.is_file() else None
        with archive_engine.connect() as conn:
            present = conn.execute(text("SELECT to_regclass(:t)"), {"t": f"{SCHEMA}.meta"}).scalar()
        return cls(archive_engine, SCHEMA) if present else None

    @classmethod
    def for_writing(cls, archive_url: str) -> SearchIndex:
        parsed = make_url(archive_url)
        if parsed.get_backend_name() == "sqlite":
            engine = create_engine(f"sqlite:///{index_path(Path(parsed.database or ''))}")

            @event.listens_for(engine, "connect")
            def _wal(dbapi_conn, _record) -> None:
                # Readers (the dashboard) go on reading while an update is written.
                dbapi_conn.execute("PRAGMA journal_mode=WAL")

            index = cls(engine, None)
        else:
            index = cls(create_engine(archive_url), SCHEMA)
        index._create()
        return index

    def _create(self) -> None:
        with self.engine.begin() as conn:
            if self.sqlite:
                conn.exec_driver_sql(f"CREATE VIRTUAL TABLE IF NOT EXISTS documents USING fts5("
                                     f"{', '.join(COLUMNS)}, content='', tokenize='unicode61 remove_diacritics 0')")
            else:
                conn.exec_driver_sql(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
                conn.exec_driver_sql(f"CREATE TABLE IF NOT EXISTS {self.documents} (report_id integer NOT NULL, "
                                     "section varchar(32) NOT NULL, document tsvector NOT NULL, "
                                     "PRIMARY KEY (report_id, section))")
                conn.exec_driver_sql(f"CREATE INDEX IF NOT EXISTS documents_gin ON {self.documents} "
                                     "USING gin(document)")
            self.metadata.create_all(conn)

    # -- reading --------------------------------------------------------------------------------------------------

    def status(self) -> tuple[int, str | None]:
        """(reports indexed, when the last update finished)."""
        with self.engine.connect() as conn:
            values = dict(conn.execute(select(self.meta.c.key, self.meta.c.value)).all())
        return int(values.get("reports") or 0), values.get("updated_at")

    def match(self, terms: list[Term], limit: int = MAX_REPORTS) -> tuple[list[int], int]:
        """Report ids, best first, and how many reports match in all."""
        if not terms:
            return [], 0
        with self.engine.connect() as conn:
            if self.sqlite:
                expr = " AND ".join('"' + " ".join(t.tokens) + '"' + ("*" if t.prefix else "") for t in terms)
                where = f"FROM {self.documents} WHERE {self.documents} MATCH :q"
                ids = list(conn.execute(text(f"SELECT rowid {where} ORDER BY rank LIMIT :n"),
                                        {"q": expr, "n": limit}).scalars())
                total = conn.execute(text(f"SELECT count(*) {where}"), {"q": expr}).scalar_one()
                return ids, total
            # A report matches when each term is in one of its sections (not necessarily the same one).
            params: dict[str, Any] = {"n": limit}
            conditions = []
            for n, t in enumerate(terms):
                params[f"q{n}"] = " <-> ".join(t.tokens) + (":*" if t.prefix else "")
                conditions.append(f"bool_or(document @@ to_tsquery('simple', :q{n}))")
            grouped = f"FROM {self.documents} GROUP BY report_id HAVING {' AND '.join(conditions)}"
            ids = list(conn.execute(text(
                f"SELECT report_id {grouped} ORDER BY max(ts_rank(document, to_tsquery('simple', :q0))) DESC, "
                "report_id LIMIT :n"), params).scalars())
            total = conn.execute(text(f"SELECT count(*) FROM (SELECT report_id {grouped}) AS m"), params).scalar_one()
            return ids, total

    # -- writing --------------------------------------------------------------------------------------------------

    def update(self, archive: Engine) -> dict[str, int]:
        """Index every report whose current version is not indexed as it is now; drop reports that are gone."""
        rep, ver = T["reports"], T["versions"]
        with archive.connect() as conn:
            current = dict(conn.execute(select(rep.c.id, ver.c.extraction_id)
                                        .join(ver, ver.c.id == rep.c.current_version_id)).all())
        with self.engine.connect() as conn:
            have = dict(conn.execute(select(self.indexed.c.report_id, self.indexed.c.extraction_id)).all())
            meta = dict(conn.execute(select(self.meta.c.key, self.meta.c.value)).all())
        if meta.get("tokenizer", TOKENIZER_VERSION) != TOKENIZER_VERSION:
            self._clear()
            have = {}
        stale = sorted(rid for rid, ex in current.items() if have.get(rid) != ex)
        gone = sorted(set(have) - set(current))
        for chunk in _chunks(gone + stale, BATCH):
            old_ids = {rid: have[rid] for rid in chunk if rid in have}
            new_ids = {rid: current[rid] for rid in chunk if rid in current}
            bodies = _extractions(archive, set(old_ids.values()) | set(new_ids.values()))
            if self.sqlite and set(old_ids.values()) - set(bodies):
                # An indexed text FTS5 can no longer be told (its extraction is gone): start afresh.
                self._clear()
                return self.update(archive)
            with self.engine.begin() as conn:
                self._remove(conn, old_ids, bodies)
                self._insert(conn, new_ids, bodies)
        with self.engine.begin() as conn:
            count = conn.execute(select(func.count()).select_from(self.indexed)).scalar_one()
            conn.execute(self.meta.delete())
            conn.execute(self.meta.insert(), [
                {"key": "reports", "value": str(count)}, {"key": "tokenizer", "value": TOKENIZER_VERSION},
                {"key": "updated_at", "value": datetime.now(UTC).isoformat(timespec="seconds")}])
        return {"indexed": len(stale), "removed": len(gone), "reports": count}

    def _clear(self) -> None:
        with self.engine.begin() as conn:
            if self.sqlite:
                conn.exec_driver_sql("INSERT INTO documents(documents) VALUES ('delete-all')")
            else:
                conn.exec_driver_sql(f"DELETE FROM {self.documents}")
            conn.execute(self.indexed.delete())

    def _remove(self, conn: Connection, old: dict[int, int], bodies: dict[int, dict[str, Any]]) -> None:
        if not old:
            return
        if self.sqlite:
            # A contentless FTS5 table forgets a row by being told the tokens it was given.
            conn.execute(text(f"INSERT INTO documents(documents, rowid, {', '.join(COLUMNS)}) "
                              f"VALUES ('delete', :rid, {', '.join(':' + c for c in COLUMNS)})"),
                         [{"rid": rid, **self._columns(bodies[ex])} for rid, ex in old.items()])
        else:
            conn.execute(text(f"DELETE FROM {self.documents} WHERE report_id = ANY(:ids)"), {"ids": list(old)})
        conn.execute(self.indexed.delete().where(self.indexed.c.report_id.in_(list(old))))

    def _insert(self, conn: Connection, new: dict[int, int], bodies: dict[int, dict[str, Any]]) -> None:
        if not new:
            return
        if self.sqlite:
            conn.execute(text(f"INSERT INTO documents(rowid, {', '.join(COLUMNS)}) "
                              f"VALUES (:rid, {', '.join(':' + c for c in COLUMNS)})"),
                         [{"rid": rid, **self._columns(bodies[ex])} for rid, ex in new.items()])
        else:
            rows = [{"rid": rid, "section": c, "text": value} for rid, ex in new.items()
                    for c, value in self._columns(bodies[ex]).items() if value]
            if rows:
                conn.execute(text(f"INSERT INTO {self.documents} (report_id, section, document) "
                                  "VALUES (:rid, :section, to_tsvector('simple', :text))"), rows)
        conn.execute(self.indexed.insert(), [{"report_id": rid, "extraction_id": ex} for rid, ex in new.items()])

    @staticmethod
    def _columns(result: dict[str, Any]) -> dict[str, str]:
        return {k: " ".join(tokens(v)) for k, v in _section_texts(result).items()}


def _chunks(items: list[int], size: int) -> Iterator[list[int]]:
    it = iter(items)
    while chunk := list(islice(it, size)):
        yield chunk


def _extractions(archive: Engine, ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    ex = T["extractions"]
    with archive.connect() as conn:
        rows = conn.execute(select(ex.c.id, ex.c.meta, ex.c.body).where(ex.c.id.in_(list(ids)))).all()
    return {row.id: stored_results.unpack(row.meta, row.body) for row in rows}


# -- the queries the dashboard runs on the archive ----------------------------------------------------------------

@dataclass(frozen=True)
class Filters:
    """What the search is limited to; None is "any"."""

    year: int | None = None
    level: str | None = None
    region: str | None = None  # division-code prefix
    status: str | None = None  # a report's coverage status (reports only)

    @property
    def any(self) -> bool:
        return any(v is not None for v in (self.year, self.level, self.region, self.status))


NO_FILTERS = Filters()


def _in_place(stmt: Select, filters: Filters) -> Select:
    ag = T["agencies"]
    if filters.level:
        stmt = stmt.where(ag.c.level == filters.level)
    if filters.region:
        stmt = stmt.where(ag.c.id.in_(regions.members(filters.region)))
    return stmt


def agencies(conn: Connection, q: str, filters: Filters = NO_FILTERS) -> tuple[list[AgencyHit], int]:
    """Agencies whose name or an alias contains `q`, shortest names first (the closest matches), at most
    MAX_AGENCIES; and how many match in all."""
    ag, al = T["agencies"], T["aliases"]
    pattern = contains(q.strip())
    named = ag.c.name.like(pattern, escape="\\")
    aliased = ag.c.id.in_(select(al.c.agency_id).where(al.c.alias.like(pattern, escape="\\")))
    total = conn.execute(_in_place(select(func.count()).select_from(ag).where(named | aliased), filters)
                         ).scalar_one()
    by_name = conn.execute(_in_place(select(*AGENCY_COLUMNS).where(named), filters)
                           .order_by(func.length(ag.c.name), ag.c.name).limit(MAX_AGENCIES)).all()
    hits = {r.id: AgencyHit(agency=agency_ref(r), matched=r.name) for r in by_name}
    if len(hits) < MAX_AGENCIES:
        for r in conn.execute(_in_place(select(*AGENCY_COLUMNS, al.c.alias).join(al, al.c.agency_id == ag.c.id)
                                        .where(al.c.alias.like(pattern, escape="\\")), filters)
                              .order_by(func.length(al.c.alias), al.c.alias).limit(MAX_AGENCIES)):
            hits.setdefault(r.id, AgencyHit(agency=agency_ref(r), matched=r.alias))
    return list(hits.values())[:MAX_AGENCIES], total


def filtered(conn: Connection, ids: list[int], filters: Filters,
             status_of: Callable[[Any], str]) -> list[tuple[int, str]]:
    """The reports among `ids` (in their order) that pass the filters, each with its coverage status.

    `status_of` reads a row (year, agency's id, kind and level, published, first_seen) as a status."""
    rep, ag = T["reports"], T["agencies"]
    rows: dict[int, Any] = {}
    for chunk in _chunks(ids, BATCH):
        stmt = (select(rep.c.id, rep.c.year, rep.c.published, rep.c.first_seen, ag.c.id.label("agency_id"),
                       ag.c.kind, ag.c.level).join(ag, ag.c.id == rep.c.agency_id).where(rep.c.id.in_(chunk)))
        if filters.year:
            stmt = stmt.where(rep.c.year == filters.year)
        rows.update((r.id, r) for r in conn.execute(_in_place(stmt, filters)))
    out = [(rid, status_of(rows[rid])) for rid in ids if rid in rows]
    return [(rid, status) for rid, status in out if not filters.status or status == filters.status]


def snippet(texts: dict[str, str], q: str) -> str:
    """The first passage holding the first query word (or the start of the report), as plain text."""
    words = [normalise(w) for w in q.split()]
    for value in texts.values():
        flat = normalise(" ".join(value.split()))
        at = flat.find(words[0]) if words else -1
        if at >= 0:
            start = max(0, at - SNIPPET)
            return ("…" if start else "") + flat[start:at + len(words[0]) + SNIPPET] + "…"
    return normalise(" ".join(texts.get("overview", "").split()))[:2 * SNIPPET]


def report_hits(conn: Connection, hits: list[tuple[int, str]], q: str) -> list[ReportHit]:
    """The reports `hits` names (id and status), in that order."""
    rep, ver, ex, ag = T["reports"], T["versions"], T["extractions"], T["agencies"]
    if not hits:
        return []
    agency = [c.label(f"agency_{c.name}") for c in AGENCY_COLUMNS]
    rows = {r.id: r for r in conn.execute(
        select(rep.c.id, rep.c.year, ver.c.title, ex.c.meta, ex.c.body, *agency)
        .join(ver, ver.c.id == rep.c.current_version_id).join(ex, ex.c.id == ver.c.extraction_id)
        .join(ag, ag.c.id == rep.c.agency_id).where(rep.c.id.in_([rid for rid, _ in hits])))}
    out = []
    for rid, status in hits:  # in the index's order; a report deleted since it was indexed is left out
        r = rows.get(rid)
        if r is None:
            continue
        out.append(ReportHit(
            report_id=r.id, year=r.year, status=Status(status), title=r.title,
            agency=AgencyRef(id=r.agency_id, name=r.agency_name, level=r.agency_level, kind=r.agency_kind,
                             division_code=r.agency_division_code),
            snippet=snippet(_section_texts(stored_results.unpack(r.meta, r.body)), q)))
    return out
