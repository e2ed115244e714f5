"""The dashboard's one entry point to the archive: the JSON API and the HTML pages both call these methods, so the
pages are a view of exactly what the API returns."""
from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime

from archive.web import files, regions, search
from archive.web.agency import agency_detail
from archive.web.db import ReadOnlyArchive
from archive.web.matrix import MatrixQuery, matrix, matrix_csv
from archive.web.overview import OverviewBuilder, years
from archive.web.report import report_detail, report_year
from archive.web.schemas import AgencyDetail, Matrix, Overview, ReportDetail, SearchResults, YearList
from archive.web.snapshots import Snapshots
from archive.web.status import YearFacts

# The matrix shows this many of the latest years; older ones are on each agency's page.
MATRIX_YEARS = 6


class Dashboard:
    def __init__(self, archive: ReadOnlyArchive, snapshots: Snapshots | None = None):
        self.archive = archive
        self.engine = archive.engine
        self.snapshots = snapshots or Snapshots(archive.engine)
        self.overviews = OverviewBuilder(self.snapshots, self.facts_for)
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
            self.overview(None, None)

        self.snapshots.background(work)

    # -- archive-wide, cached ------------------------------------------------------------------------------------

    def facts_for(self, year: int) -> YearFacts:
        return self.snapshots.get(("facts", year), lambda conn: YearFacts.load(conn, year)).value

    def years(self) -> YearList:
        found = self.snapshots.get(("years",), years).value
        return YearList(years=found, default=found[-1] if found else date.today().year - 1)

    def matrix_years(self, year: int) -> list[int]:
        known = self.years().years
        return sorted(({*known[-MATRIX_YEARS:], year} if known else {year}))

    def region_options(self, selected: str | None) -> list[tuple[str, str]]:
        return regions.options(self.snapshots.get(("region_names",), regions.names).value, selected)

    # -- pages ----------------------------------------------------------------------------------------------------

    def overview(self, year: int | None, region: str | None) -> Overview:
        listed = self.years()
        return self.overviews.build(year or listed.default, listed.years, region)

    def matrix(self, query: MatrixQuery) -> Matrix:
        with self.engine.connect() as conn:
            return matrix(conn, query, self.matrix_years(query.year), self.facts_for)

    def matrix_csv(self, query: MatrixQuery) -> Iterator[str]:
        all_years = self.matrix_years(query.year)
        with self.engine.connect() as conn:
            yield from matrix_csv(conn, query, all_years, self.facts_for)

    def agency(self, agency_id: int) -> AgencyDetail | None:
        with self.engine.connect() as conn:
            return agency_detail(conn, agency_id, self.years().years, self.facts_for)

    def report(self, report_id: int, seq: int | None) -> ReportDetail | None:
        with self.engine.connect() as conn:
            year = report_year(conn, report_id)
            return report_detail(conn, report_id, seq, self.facts_for(year)) if year is not None else None

    def _search_index(self) -> search.SearchIndex | None:
        if self._index is None:  # looked for again until there is one: `nianbao search-index` may run meanwhile
            self._index = search.SearchIndex.for_reading(self.archive.url, self.engine)
        return self._index

    def search(self, q: str) -> SearchResults:
        index = self._search_index()
        ids, matches = index.match(search.parse_query(q)) if index else ([], 0)
        indexed, updated = index.status() if index else (0, None)
        with self.engine.connect() as conn:
            return SearchResults(q=q, agencies=search.agencies(conn, q) if q.strip() else [],
                                 reports=search.report_hits(conn, ids, q), report_matches=matches,
                                 indexed_reports=indexed,
                                 index_updated_at=datetime.fromisoformat(updated) if updated else None)

    def blob(self, sha256: str) -> files.Download | None:
        with self.engine.connect() as conn:
            return files.blob_download(conn, self.archive.data_dir, sha256)

    def warc(self, capture_id: int) -> files.WarcBytes | None:
        with self.engine.connect() as conn:
            return files.warc_record(conn, self.archive.data_dir / "warc", capture_id)
