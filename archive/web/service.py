"""The dashboard's one entry point to the archive: the JSON API and the HTML pages both call these methods, so the
pages are a view of exactly what the API returns."""
from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime

from archive.queries.rollup import rollup
from archive.queries.statuses import Status, YearFacts, deadline
from archive.web import files, regions, search
from archive.web.agency import agency_detail
from archive.web.db import ReadOnlyArchive
from archive.web.matrix import MatrixQuery, matrix, matrix_csv
from archive.web.overview import OverviewBuilder, years
from archive.web.report import report_detail, report_year
from archive.web.schemas import (
    AgencyDetail,
    Matrix,
    Overview,
    ProvinceLevel,
    ReportDetail,
    SearchResults,
    StatusCounts,
    YearList,
)
from archive.web.snapshots import Snapshots

# The matrix shows this many of the latest years; older ones are on each agency's page.
MATRIX_YEARS = 6


class Dashboard:
    def __init__(self, archive: ReadOnlyArchive, snapshots: Snapshots | None = None, street_offices: bool = True):
        self.archive = archive
        self.street_offices = street_offices
        self.engine = archive.engine
        self.snapshots = snapshots or Snapshots(archive.engine)
        self.overviews = OverviewBuilder(self.snapshots)
        self._index: search.SearchIndex | None = None

    def close(self) -> None:
        self.snapshots.close()
        if self._index is not None and self._index.engine is not self.engine:
            self._index.engine.dispose()
        self.engine.dispose()

    def warm(self) -> None:
        """Compute the default views' figures in the background, so that the first visitor does not wait."""
        def work() -> None:
            listed = self.years()
            for year in self.matrix_years(listed.default):
                self.facts_for(year)
            self.overview(None, None, None)

        self.snapshots.background(work)

    # -- archive-wide, cached ------------------------------------------------------------------------------------

    def facts_for(self, year: int, as_of: date | None = None) -> YearFacts:
        """A year's facts on `as_of` (today when None)."""
        day = as_of or date.today()
        return self.snapshots.get(("facts", year, day, self.street_offices),
                                  lambda conn: YearFacts.load(conn, year, day, self.street_offices)).value

    def _facts_on(self, as_of: date | None):
        return lambda year: self.facts_for(year, as_of)

    def years(self) -> YearList:
        found = self.snapshots.get(("years",), years).value
        return YearList(years=found, default=found[-1] if found else date.today().year - 1)

    def matrix_years(self, year: int) -> list[int]:
        known = self.years().years
        return sorted({*known[-MATRIX_YEARS:], year} if known else {year})

    def region_options(self, selected: str | None) -> list[tuple[str, str]]:
        return regions.options(self.snapshots.get(("region_names",), regions.names).value, selected)

    # -- pages ----------------------------------------------------------------------------------------------------

    def overview(self, year: int | None, region: str | None, as_of: date | None) -> Overview:
        listed = self.years()
        return self.overviews.build(year or listed.default, listed.years, region, self._facts_on(as_of))

    def rollup(self, year: int | None, by: str, as_of: date | None) -> list[ProvinceLevel]:
        """The national roll-up (archive.queries.rollup), the national total first."""
        facts = self.facts_for(year or self.years().default, as_of)
        rows = self.snapshots.get(("rollup", facts.year, facts.as_of, facts.street_offices, by), lambda conn: rollup(
            conn, facts.year, facts.as_of, by, facts.street_offices, facts)).value
        return [ProvinceLevel(province=r.province, province_name=r.province_name, level=r.level, agencies=r.agencies,
                              portal_known=r.portal_known, crawled=r.crawled, counts=StatusCounts(**r.statuses))
                for r in rows]

    def matrix(self, query: MatrixQuery) -> Matrix:
        with self.engine.connect() as conn:
            return matrix(conn, query, self.matrix_years(query.year), self._facts_on(query.as_of))

    def matrix_csv(self, query: MatrixQuery) -> Iterator[str]:
        all_years = self.matrix_years(query.year)
        with self.engine.connect() as conn:
            yield from matrix_csv(conn, query, all_years, self._facts_on(query.as_of))

    def agency(self, agency_id: int, as_of: date | None = None) -> AgencyDetail | None:
        with self.engine.connect() as conn:
            return agency_detail(conn, agency_id, self.years().years, self._facts_on(as_of))

    def report(self, report_id: int, seq: int | None, as_of: date | None = None) -> ReportDetail | None:
        with self.engine.connect() as conn:
            year = report_year(conn, report_id)
            return report_detail(conn, report_id, seq, self.facts_for(year, as_of)) if year is not None else None

    def _search_index(self) -> search.SearchIndex | None:
        if self._index is None:  # looked for again until there is one: `nianbao search-index` may run meanwhile
            self._index = search.SearchIndex.for_reading(self.archive.url, self.engine)
        return self._index

    def search(self, q: str, page: int = 1, filters: search.Filters = search.NO_FILTERS,
               as_of: date | None = None) -> SearchResults:
        """Agencies by name and reports by full text, the reports filtered and paged (MAX_REPORTS a page)."""
        index = self._search_index()
        terms = search.parse_query(q)
        limit = search.MAX_FILTERED if filters.any else page * search.MAX_REPORTS
        ids, matches = index.match(terms, limit) if index else ([], 0)
        indexed, updated = index.status() if index else (0, None)

        def status_of(row) -> str:
            due = deadline(row.year, row.kind, row.level)
            return self.facts_for(row.year, as_of).verdict(row.agency_id, due, True, row.published,
                                                            row.first_seen, None).status.value

        with self.engine.connect() as conn:
            if filters.any:
                hits = search.filtered(conn, ids, filters, status_of)
                total = len(hits)
            else:
                hits, total = [(rid, "") for rid in ids], matches
            pages = max(1, -(-total // search.MAX_REPORTS))
            page = min(page, pages)
            shown = hits[(page - 1) * search.MAX_REPORTS:page * search.MAX_REPORTS]
            if not filters.any:
                shown = search.filtered(conn, [rid for rid, _ in shown], filters, status_of)
            agencies, agency_total = search.agencies(conn, q, filters) if q.strip() else ([], 0)
            return SearchResults(
                q=q, year=filters.year, level=filters.level, region=filters.region,
                status=Status(filters.status) if filters.status else None,
                agencies=agencies, agency_matches=agency_total, reports=search.report_hits(conn, shown, q),
                report_matches=total, capped=filters.any and matches > len(ids), page=page, pages=pages,
                per_page=search.MAX_REPORTS, indexed_reports=indexed,
                index_updated_at=datetime.fromisoformat(updated) if updated else None)

    def blob(self, sha256: str) -> files.Download | None:
        with self.engine.connect() as conn:
            return files.blob_download(conn, self.archive.data_dir, sha256)

    def picture(self, sha256: str) -> files.Download | None:
        with self.engine.connect() as conn:
            return files.picture_file(conn, self.archive.data_dir, sha256)

    def warc(self, capture_id: int) -> files.WarcBytes | None:
        with self.engine.connect() as conn:
            return files.warc_record(conn, self.archive.data_dir / "warc", capture_id)
