"""Batches: `Ingestor.ingest_many` builds the archive that captures ingested one at a time build, and the set-based
path for brand-new reports (archive.ingest.new_reports) writes exactly what the general path
(archive.ingest.version_chains) would."""
from __future__ import annotations

import copy

import pytest
from sqlalchemy import text

from archive.ingest import version_chains
from archive.store.db import open_archive
from pipelines.document import Failure, Report
from sandbox import synthetic
from sandbox.synthetic import capture, ingestor
from tests.support.archive import snapshot


def workload() -> list[tuple]:
    """Captures down every path: new reports (three years of one agency, so S1/S2 and previous-year S5 run), second
    renderings in the same batch and in a later one, a revision, table-only renderings before and after their full
    one, a report copied from another agency, a failure, a not-report, and one capture twice."""
    items = []

    def add(url: str, minutes: int, r, stamp: str = "", **kw) -> None:
        body = synthetic.body(r, stamp) if isinstance(r, Report) else b"\x00"
        items.append((capture(url, minutes, **kw), body, r))

    years = [synthetic.report("甲县财政局", y) for y in (2021, 2022, 2023)]
    years[2].fields["applications.carried_over.total"] = 999  # an S1 failure against 2022
    for i, r in enumerate(years):
        add(f"https://jia.gov.cn/{r.year}.html", i, r)
    copied = synthetic.report("甲县财政局", 2024, seed="甲县财政局2023")  # last year's text again
    add("https://jia.gov.cn/2024.html", 3, copied)
    pdf = copy.deepcopy(years[0])
    pdf.format = "pdf"
    add("https://jia.gov.cn/2021.pdf", 4, pdf, stamp="pdf")  # second rendering, same batch when batches are large
    revised = copy.deepcopy(years[1])
    revised.fields["review.total"] = 77
    add("https://jia.gov.cn/2022.html", 600, revised, stamp="revised")
    for n in range(6):  # filler: new reports of their own
        add(f"https://yi.gov.cn/{n}.html", 10 + n, synthetic.report(f"乙县第{n}局", 2023))
    full = synthetic.report("丙镇", 2023)
    add("https://bing.gov.cn/2023.xlsx", 20, synthetic.spreadsheet(full), stamp="xlsx")  # tables first …
    add("https://bing.gov.cn/2023.html", 21, full)  # … then the full report: one version
    early = synthetic.report("丁镇", 2023)
    add("https://ding.gov.cn/2023.html", 22, early)
    add("https://ding.gov.cn/2023.xls", 23, synthetic.spreadsheet(early), stamp="xls")  # tables after
    add("https://wu.gov.cn/r.html", 24, synthetic.report("戊乡", 2023, seed="甲县财政局2022"))  # copies 甲县 2022
    add("http://x.gov.cn/broken.doc", 25, Failure("http://x.gov.cn/broken.doc", "", "the file is empty"),
        agency_hint="己局", year_hint=2023)
    notice = synthetic.report("庚局", 2023, is_report=False)
    add("http://g.gov.cn/notice.html", 26, notice)
    add("https://jia.gov.cn/2021.pdf", 4, pdf, stamp="pdf")  # the same capture again
    for n in range(6, 12):
        add(f"https://yi.gov.cn/{n}.html", 30 + n, synthetic.report(f"乙县第{n}局", 2023))
    pdf2 = copy.deepcopy(years[2])
    pdf2.format = "pdf"
    add("https://jia.gov.cn/2023.pdf", 50, pdf2, stamp="pdf")  # second rendering, a later batch
    return items


def one_at_a_time(arc) -> list[str]:
    ing = ingestor(arc)
    return [ing.ingest(c, body, r) for c, body, r in workload()]


def table(arc, name: str) -> list[tuple]:
    with arc.engine.connect() as conn:
        return [tuple(row) for row in conn.execute(text(f"SELECT * FROM {name} ORDER BY 1, 2"))]


@pytest.mark.parametrize("size", [3, 8, 100])
def test_batches_build_the_archive_one_at_a_time_builds(db_url, other_db_url, tmp_path, size):
    one = open_archive(db_url, tmp_path / "one")
    expected = one_at_a_time(one)
    reference = snapshot(one)
    one.engine.dispose()
    batched = open_archive(other_db_url, tmp_path / "batched")
    ing = ingestor(batched)
    assert ing.ingest_many(workload(), size) == expected
    assert snapshot(batched) == reference
    assert ing.ingest_many(workload(), size) == ["noop"] * len(expected)
    assert snapshot(batched) == reference
    batched.engine.dispose()


def test_the_fresh_path_writes_what_recomputing_gives(archive):
    ing = ingestor(archive)
    outcomes = ing.ingest_many(workload(), 100)
    assert outcomes.count("inserted") >= 12
    before = {name: table(archive, name) for name in ("reports", "versions", "version_sources", "near_duplicates")}
    with archive.engine.begin() as conn:
        report_ids = conn.execute(text("SELECT id FROM reports")).scalars().all()
        version_chains.recompute(conn, report_ids)
    assert {name: table(archive, name) for name in before} == before
    with archive.engine.connect() as conn:  # the workload did take the paths it is meant to
        failing = conn.execute(text("SELECT cross_checks FROM reports r JOIN agencies a ON a.id = r.agency_id "
                                    "WHERE a.name = '甲县财政局' AND r.year = 2023")).scalar_one()
        relations = conn.execute(text("SELECT relation, count(*) FROM near_duplicates GROUP BY relation")).all()
        sources = dict(conn.execute(text(
            "SELECT a.name, count(*) FROM version_sources s JOIN versions v ON v.id = s.version_id "
            "JOIN reports r ON r.id = v.report_id JOIN agencies a ON a.id = r.agency_id "
            "WHERE a.name IN ('丙镇', '丁镇') GROUP BY a.name")).all())
        versions = conn.execute(text("SELECT count(*) FROM versions v JOIN reports r ON r.id = v.report_id "
                                     "JOIN agencies a ON a.id = r.agency_id WHERE a.name IN ('丙镇', '丁镇')")).scalar()
    assert "S1" in str(failing)
    assert dict(relations) == {"previous_year": 1, "other_agency": 4}  # 戊乡 reads like both versions of 甲县 2022
    assert sources == {"丙镇": 2, "丁镇": 2} and versions == 2  # each spreadsheet joined its full version


def test_a_bad_capture_stops_the_stream_after_the_batches_before_it(archive):
    items = workload()[:6]
    cap, body, r = items[4]
    items[4] = (capture(cap.requested_url, 99, sha256="0" * 64), body, r)  # its digest does not match its bytes
    ing = ingestor(archive)
    with pytest.raises(ValueError, match="sha256"):
        ing.ingest_many(items, 2)
    with archive.engine.connect() as conn:  # the first two batches are in, the third is not
        assert conn.execute(text("SELECT count(*) FROM captures")).scalar() == 4
