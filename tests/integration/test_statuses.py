"""Statuses on fixed dates: the rule before and after each deadline, the two defects issue 15 measured on the demo
archive on 7 December 2026 (a year not yet due shown as missing; imported reports "late by 1041 days"), and who
is counted as the national registry's units come and go."""
from __future__ import annotations

from collections import Counter
from datetime import date, datetime

import pytest

from archive.ingest.importer import import_paths
from archive.queries.coverage import coverage
from archive.queries.statuses import Status, deadline, status_of
from archive.registry.agencies import AgencyRecord, register_agencies
from archive.registry.divisions import Division, Kind, Release
from archive.registry.governments import apply_release
from sandbox import synthetic
from sandbox.synthetic import capture, ingestor
from tests.support import SEED_REPORTS

D = date


@pytest.mark.parametrize(("as_of", "published", "first_seen", "facts", "expected"), [
    # A county government's 2026 report falls due on 31 March 2027.
    (D(2026, 12, 7), None, None, {}, (Status.NOT_YET_DUE, None)),
    (D(2027, 3, 31), None, None, {}, (Status.NOT_YET_DUE, None)),  # the deadline day is still in time
    (D(2027, 4, 1), None, None, {}, (Status.MISSING, None)),
    (D(2027, 4, 1), None, None, {"crawled": False}, (Status.NOT_CRAWLED, None)),
    (D(2027, 4, 1), None, None, {"portal_known": False}, (Status.NO_PORTAL_KNOWN, None)),
    (D(2027, 4, 1), None, None, {"unreachable": True}, (Status.PORTAL_UNREACHABLE, None)),
    (D(2027, 4, 1), None, None, {"unparsed": True}, (Status.FOUND_UNPARSED, None)),
    (D(2026, 12, 7), D(2026, 12, 1), None, {}, (Status.ON_TIME, None)),  # early is on time, due or not
    (D(2027, 4, 1), D(2027, 4, 3), None, {}, (Status.LATE, 3)),
    # No stated date: seen before the deadline, it was out by then; seen after, its date is unknown.
    (D(2027, 4, 1), None, datetime(2027, 3, 30, 9), {}, (Status.ON_TIME, None)),
    (D(2029, 12, 7), None, datetime(2029, 12, 7, 9), {}, (Status.PUBLISHED_DATE_UNKNOWN, None)),
])
def test_the_rule_on_fixed_dates(as_of, published, first_seen, facts, expected):
    due = deadline(2026, "government", "county")
    assert due == D(2027, 3, 31)
    given = {"unparsed": False, "unreachable": False, "portal_known": True, "crawled": True, **facts}
    has_report = published is not None or first_seen is not None
    verdict = status_of(due, as_of, has_report, published, first_seen, **given)
    assert (verdict.status, verdict.days_late) == expected
    if verdict.status == Status.PUBLISHED_DATE_UNKNOWN:
        assert verdict.note == "first seen after the deadline"


REGISTRY = [
    AgencyRecord("甲县人民政府", "government", "county", "330122", portals=("http://jx.gov.cn/",)),
    AgencyRecord("甲县财政局", "department", "department", None, parent="甲县人民政府"),
    AgencyRecord("甲县丙镇人民政府", "government", "township", "330122101", parent="甲县人民政府"),
    AgencyRecord("丁县人民政府", "government", "county", "330127"),  # no portal known
]


def statuses(archive, year: int, as_of: date) -> dict[str, str]:
    with archive.reader.connect() as conn:
        return {r.agency: str(r.status) for r in coverage(conn, year, as_of=as_of)}


def test_a_year_not_yet_due_is_not_missing(archive):
    """Defect 1: on 7 December 2026 every agency's 2026 report was "missing", though none is due before 2027."""
    with archive.engine.begin() as conn:
        register_agencies(conn, REGISTRY)
    ing = ingestor(archive)
    earlier = synthetic.report("甲县财政局", 2025, published="2026-01-20")
    ing.ingest(capture("http://jx.gov.cn/czj/2025.html", portal="http://jx.gov.cn/"), synthetic.body(earlier),
               earlier)  # the portal was crawled
    everyone = {r.name for r in REGISTRY}
    assert statuses(archive, 2026, D(2026, 12, 7)) == dict.fromkeys(everyone, "not_yet_due")
    assert statuses(archive, 2026, D(2027, 1, 31))["甲县财政局"] == "not_yet_due"
    february = statuses(archive, 2026, D(2027, 2, 1))  # the departments' deadline has passed
    assert february == {"甲县财政局": "missing", "甲县人民政府": "not_yet_due", "甲县丙镇人民政府": "not_yet_due",
                        "丁县人民政府": "not_yet_due"}
    assert statuses(archive, 2026, D(2027, 3, 1))["甲县丙镇人民政府"] == "missing"  # townships: 28 February
    april = statuses(archive, 2026, D(2027, 4, 1))
    assert april == {"甲县财政局": "missing", "甲县人民政府": "missing", "甲县丙镇人民政府": "missing",
                     "丁县人民政府": "no_portal_known"}
    assert statuses(archive, 2025, D(2026, 12, 7))["甲县财政局"] == "on_time"


def test_imported_reports_are_never_late_by_their_import_date(archive):
    """Defect 2: `nianbao import seeds/` then `coverage --year 2023` said "late by 1041 days" for three reports,
    "published 2026-12-07 (first seen)": the import date stood in for a publication date."""
    stats = import_paths(archive, [SEED_REPORTS], "import-seeds")
    assert not stats.failed
    with archive.reader.connect() as conn:
        rows = [r for r in coverage(conn, 2023, as_of=D(2026, 12, 7)) if r.date_source]
    assert len(rows) == 3 and not [r for r in rows if r.status == Status.LATE or r.days_late]
    assert {(str(r.status), r.note) for r in rows} == {("published_date_unknown", "first seen after the deadline")}


def test_a_stated_date_decides_for_an_import_too(archive):
    ing = ingestor(archive)
    late = synthetic.report("戊县人民政府", 2023, published="2024-04-10")
    ing.ingest(capture("file:///reports/wx.html", 60 * 24 * 1000), synthetic.body(late), late)
    with archive.reader.connect() as conn:
        [row] = coverage(conn, 2023, as_of=D(2026, 12, 7))
    assert (row.status, row.days_late, row.date_source) == (Status.LATE, 10, "stated")


def _division(code: str, name: str, level: str, parent: str | None, kind: Kind = Kind.GOVERNMENT) -> Division:
    return Division(code, name, level, kind, parent, True)


def _release(divisions: list[Division], as_of: date, tag: str) -> Release:
    return Release(f"test {tag}", as_of, tag * 64, tuple(divisions), dict(Counter(d.level for d in divisions)))


def test_units_count_for_the_years_they_existed_in(archive):
    """A county abolished in the middle of the years (gone from the 2024 release) counts for 2023, not for 2024; its
    successor counts from 2024; a street office counts unless the setting says street offices need not publish."""
    province = _division("330000", "甲省", "province", None)
    city = _division("330100", "甲市", "prefecture", "330000")
    old = _division("330122", "乙县", "county", "330100")
    stays = _division("330127", "丁县", "county", "330100")
    street = _division("330127001", "城关街道", "township", "330127", Kind.STREET_OFFICE)
    new = _division("330123", "乙县区", "county", "330100")
    with archive.engine.begin() as conn:
        apply_release(conn, _release([province, city, old, stays, street], D(2023, 12, 31), "a"))
        changes = apply_release(conn, _release([province, city, stays, street, new], D(2024, 12, 31), "b"))
    assert changes.ended == [("330122", "乙县", "330123")] and changes.added == [("330123", "乙县区")]
    y2023 = statuses(archive, 2023, D(2026, 12, 7))
    y2024 = statuses(archive, 2024, D(2026, 12, 7))
    assert set(y2023) == {"甲省人民政府", "甲市人民政府", "甲市乙县人民政府", "甲市丁县人民政府", "丁县城关街道办事处"}
    assert set(y2024) == {"甲省人民政府", "甲市人民政府", "甲市乙县区人民政府", "甲市丁县人民政府",
               "丁县城关街道办事处"}
    with archive.reader.connect() as conn:
        without_streets = {r.agency for r in coverage(conn, 2024, as_of=D(2026, 12, 7), street_offices=False)}
    assert without_streets == set(y2024) - {"丁县城关街道办事处"}



def test_a_unit_counts_if_it_existed_on_its_own_deadline(archive):
    """A township's 2025 report fell due on 28 February 2026, a county's on 31 March: a township and a county both
    abolished by a release of 15 March 2026 owed their reports for 2025 and 2024 (the township) and for 2024 only
    (the county). Validity was judged on 31 March for every level, which let the township off for 2025."""
    province = _division("330000", "甲省", "province", None)
    city = _division("330100", "甲市", "prefecture", "330000")
    county = _division("330122", "乙县", "county", "330100")
    town = _division("330122101", "丙镇", "township", "330122")
    with archive.engine.begin() as conn:
        apply_release(conn, _release([province, city, county, town], D(2024, 12, 31), "a"))
        apply_release(conn, _release([province, city], D(2026, 3, 15), "b"))
    y2024 = statuses(archive, 2024, D(2026, 12, 7))
    y2025 = statuses(archive, 2025, D(2026, 12, 7))
    assert set(y2024) == {"甲省人民政府", "甲市人民政府", "甲市乙县人民政府", "乙县丙镇人民政府"}
    assert set(y2025) == {"甲省人民政府", "甲市人民政府", "乙县丙镇人民政府"}

def test_the_dashboard_counts_a_year_not_yet_due_as_such_and_says_who_is_counted(db_url, tmp_path):
    """Defect 1 on the dashboard: the overview of 2026 on 7 December 2026 was almost all solid red."""
    from archive.store.db import open_archive
    from tests.support.dashboard import client_for

    arc = open_archive(db_url, tmp_path / "data")
    province = _division("330000", "甲省", "province", None)
    city = _division("330100", "甲市", "prefecture", "330000")
    county = _division("330122", "乙县", "county", "330100")
    street = _division("330122001", "城关街道", "township", "330122", Kind.STREET_OFFICE)
    with arc.engine.begin() as conn:
        apply_release(conn, _release([province, city, county, street], D(2025, 12, 31), "a"))
        register_agencies(conn, [AgencyRecord("甲市乙县人民政府", "government", "county", "330122",
                                              portals=("http://yx.gov.cn/",)),
                                 AgencyRecord("乙县教育局", "department", "department", None,
                                              parent="甲市乙县人民政府")])
    ing = ingestor(arc)
    r = synthetic.report("乙县教育局", 2025, published="2026-01-20")
    ing.ingest(capture("http://yx.gov.cn/jyj/2025.html", portal="http://yx.gov.cn/"), synthetic.body(r), r)
    arc.engine.dispose()
    with client_for(db_url, tmp_path / "data") as c:
        december = c.get("/api/overview", params={"year": 2026, "as_of": "2026-12-07"}).json()
        april = c.get("/api/overview", params={"year": 2026, "as_of": "2027-04-01"}).json()
        rolled = c.get("/api/rollup", params={"year": 2026, "as_of": "2027-04-01", "by": "level"}).json()
        page = c.get("/", params={"year": 2026, "as_of": "2026-12-07"}).text
        statuses_page = c.get("/statuses").text
        bad = c.get("/api/overview", params={"year": 2026, "as_of": "0.0"})
    assert december["as_of"] == "2026-12-07" and december["year"] == 2026
    assert december["totals"]["not_yet_due"] == 5 and december["totals"]["missing"] == 0
    assert april["totals"]["not_yet_due"] == 0
    assert (april["totals"]["missing"], april["totals"]["no_portal_known"]) == (3, 2)  # 甲省, 甲市: no portal
    assert december["denominator"] == {"release": "test a", "data_as_of": "2025-12-31", "registry_units": 4,
                                       "other_agencies": 1, "street_offices": True}
    national, *levels = rolled
    assert (national["agencies"], national["portal_known"], national["crawled"]) == (5, 3, 3)
    assert {row["level"]: row["agencies"] for row in levels} == {
        "province": 1, "prefecture": 1, "county": 1, "township": 1, "department": 1}
    assert {(p["province"], p["level"]) for p in december["province_levels"]} == {
        ("33", "province"), ("33", "prefecture"), ("33", "county"), ("33", "township"), ("33", "department")}
    assert '<option value="2026" selected>' in page  # the heading's year is the selected one
    assert "/coverage?year=2026&amp;region=33&amp;level=county&amp;as_of=2026-12-07" in page
    assert "4 个人民政府和街道办事处" in page and "1 个部门及其他机关" in page
    assert all(f"<code>{s.value}</code>" in statuses_page for s in Status)
    assert bad.status_code == 422
