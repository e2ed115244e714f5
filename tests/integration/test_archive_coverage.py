"""Coverage statuses and deadlines, cross-document checks S1/S2, and exports."""
from __future__ import annotations

import copy
import csv
import io
import json
from datetime import date

import pyarrow.parquet as pq
import pytest

from archive.export.columns import FIELDS
from archive.export.rows import rows
from archive.export.writers import CSV_COLUMNS, PARQUET_COLUMNS, write_csv, write_jsonl, write_parquet
from archive.queries.coverage import coverage, deadline
from archive.registry.agencies import AgencyRecord, register_agencies
from archive.run_tables import record_error
from pipelines.document import Failure
from pipelines.schema import field_keys
from sandbox import synthetic
from sandbox.synthetic import capture, ingestor

REGISTRY = [
    AgencyRecord("甲市", "government", "prefecture", "330100"),
    AgencyRecord("甲市财政局", "department", "department", "330100", parent="甲市"),
    AgencyRecord("乙县", "government", "county", "330122", parent="甲市", portals=("http://yx.gov.cn/",)),
    AgencyRecord("乙县丙镇", "township", None, "330122101", parent="乙县", aliases=("丙镇人民政府",)),
    AgencyRecord("乙县教育局", "department", "department", "330122", parent="乙县"),
    AgencyRecord("丁县", "government", "county", "330127", parent="甲市"),
]


@pytest.mark.parametrize(("year", "kind", "level", "due"), [
    (2023, "department", "department", date(2024, 1, 31)),
    (2023, "government", "county", date(2024, 3, 31)),
    (2023, "government", "township", date(2024, 2, 28)),
    (2017, "department", "department", date(2018, 3, 31)),  # before 2019: one deadline for all
])
def test_deadlines(year, kind, level, due):
    assert deadline(year, kind, level) == due


def by_agency(result):
    return {r.agency: r for r in result}


def test_statuses_for_every_known_agency(archive):
    with archive.engine.begin() as conn:
        register_agencies(conn, REGISTRY)
    ing = ingestor(archive)
    stated = synthetic.report("甲市财政局", 2023, published="2024-02-05")  # a department: 5 days late
    on_time = synthetic.report("甲市", 2023, published="2024-03-31")
    unstated = synthetic.report("丙镇人民政府", 2023)  # known by its alias; no date in the report
    ing.ingest(capture("http://jia.gov.cn/czj.html"), synthetic.body(stated), stated)
    ing.ingest(capture("http://jia.gov.cn/szf.html"), synthetic.body(on_time), on_time)
    ing.ingest(capture("http://yx.gov.cn/bz.html", 60 * 24 * 40), synthetic.body(unstated), unstated)
    broken = Failure("http://yx.gov.cn/jyj.doc", "", "the file is empty")
    ing.ingest(capture("http://yx.gov.cn/jyj.doc", agency_hint="乙县教育局", year_hint=2023), b"\x00", broken)
    with archive.engine.begin() as conn:
        record_error(conn, "crawl-9", "http://yx.gov.cn/", "unreachable")
    with archive.reader.connect() as conn:
        result = by_agency(coverage(conn, 2023, township_deadline=(1, 31)))
    assert set(result) == {r.name for r in REGISTRY}
    assert (result["甲市财政局"].status, result["甲市财政局"].days_late, result["甲市财政局"].date_source) == (
        "late", 5, "stated")
    assert (result["甲市"].status, result["甲市"].date_source) == ("on_time", "stated")
    town = result["乙县丙镇"]
    # No stated date, first seen after the (31 January) deadline: not "late by 19 days" by crawl time alone (the
    # defect issue 15 names), its date is unknown.
    assert (town.status, town.date_source, town.published, town.days_late, town.note) == (
        "published_date_unknown", "first_seen", date(2024, 2, 19), None, "first seen after the deadline")
    assert town.url == "http://yx.gov.cn/bz.html"
    assert result["乙县教育局"].status == "found_unparsed"
    assert result["乙县"].status == "portal_unreachable"
    assert result["丁县"].status == "no_portal_known"  # "missing" needs a crawled portal (issue 15)
    with archive.reader.connect() as conn:
        county = by_agency(coverage(conn, 2023, region="乙县"))
        by_code = by_agency(coverage(conn, 2023, region="330122"))
        towns = by_agency(coverage(conn, 2023, level="township"))
    assert set(county) == {"乙县", "乙县丙镇", "乙县教育局"} == set(by_code)
    assert set(towns) == {"乙县丙镇"} and towns["乙县丙镇"].status == "on_time"  # default deadline 28 Feb


def test_s1_and_s2_across_years_are_shown_on_the_later_report(archive):
    ing = ingestor(archive)
    y1 = synthetic.report("乙县教育局", 2022)
    y2 = copy.deepcopy(synthetic.report("乙县教育局", 2023))
    y1.fields.update({"applications.carried_forward.natural_person": 3, "applications.carried_forward.total": 4,
                      "active.regulations.in_force": 10})
    y2.fields.update({"applications.carried_over.natural_person": 3, "applications.carried_over.total": 5,
                      "active.regulations.issued": 2, "active.regulations.repealed": 1,
                      "active.regulations.in_force": 12})
    for r in (y2, y1):  # the later year first: the checks must appear once both are in
        ing.ingest(capture(f"http://yx.gov.cn/{r.year}.html"), synthetic.body(r), r)
    with archive.reader.connect() as conn:
        [later] = list(rows(conn, 2023))
        [earlier] = list(rows(conn, 2022))
    assert "S1@applications.carried_over.total" in later["failed_checks"]
    assert "S1@applications.carried_over.natural_person" not in later["failed_checks"]
    assert "S2@active.regulations.in_force" in later["failed_checks"]  # 10 + 2 - 1 = 11, not 12
    assert not [c for c in earlier["failed_checks"] if c.startswith("S")]


def test_exports_have_schema_keys_as_columns(archive, tmp_path):
    ing = ingestor(archive)
    r = synthetic.report("上海市", 2022, published="2023-03-31")
    r.fields.update({"active.fees.amount_10k_yuan": 40.35, "active.licensing.decisions": 0,
                     "active.punishment.decisions": None})
    ing.ingest(capture("https://shanghai.gov.cn/nw12344/a.html"), synthetic.body(r), r)
    with archive.reader.connect() as conn:
        out = io.StringIO()
        assert write_csv(rows(conn), out) == 1
        [row] = list(csv.DictReader(io.StringIO(out.getvalue())))
        jsonl = io.StringIO()
        write_jsonl(rows(conn, 2022), jsonl)
        write_parquet(rows(conn), tmp_path / "x.parquet")
    assert tuple(row) == CSV_COLUMNS and set(field_keys("2021")) <= {c.key for c in FIELDS}
    assert (row["agency"], row["year"], row["status"], row["source_urls"]) == (
        "上海市", "2022", "on_time", "https://shanghai.gov.cn/nw12344/a.html")
    assert (row["active_licensing_decisions"], row["active_punishment_decisions"]) == ("0", "")  # 0 ≠ blank
    assert "上海市" in jsonl.getvalue()  # not \\u escaped
    record = json.loads(jsonl.getvalue())
    assert record["active_fees_amount_10k_yuan"] == 40.35 and record["applications_granted_total"] == \
        r.fields["applications.granted.total"]
    table = pq.read_table(tmp_path / "x.parquet")
    assert table.column_names == list(PARQUET_COLUMNS)
    # An amount is an exact decimal now (issue 18), no longer a double.
    assert str(table.schema.field("active_fees_amount_10k_yuan").type) == "decimal128(18, 6)"
    assert str(table.schema.field("applications_granted_total").type) == "int64"
    assert table.column("agency").to_pylist() == ["上海市"]
