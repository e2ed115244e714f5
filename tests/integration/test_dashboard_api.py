"""The dashboard's API and pages over a small archive with every status, cell kind, version and source kind."""
from __future__ import annotations

import csv
import gzip
import io
from collections import Counter

import pytest
from sqlalchemy import text
from sqlalchemy.exc import InternalError, OperationalError, ProgrammingError
from warcio.archiveiterator import ArchiveIterator

from archive.queries.coverage import coverage
from archive.queries.statuses import ORDER, Status
from archive.web.db import open_read_only
from tests.support.dashboard import PAYLOAD_AGENCY, PAYLOAD_TITLE, PAYLOAD_URL


def rows(c, **params):
    """Every row of the matrix for these filters, page by page."""
    out, page = [], 1
    while True:
        body = c.get("/api/coverage", params={**params, "page": page, "per_page": 3}).json()
        out += body["rows"]
        if page >= body["pages"]:
            return out, body
        page += 1


def status_in(row, year):
    return next(cell for cell in row["cells"] if cell["year"] == year)


@pytest.mark.parametrize("year", [2022, 2023])
def test_statuses_are_those_of_nianbao_coverage(registry_archive, client, year):
    db, _, _ = registry_archive
    c, _ = client
    with open_read_only(db).engine.connect() as conn:
        expected = {r.agency: r for r in coverage(conn, year)}
    got = {row["agency"]["name"]: status_in(row, year) for row in rows(c, year=year)[0]}
    assert set(got) == set(expected)
    for name, cell in got.items():
        want = expected[name]
        assert (cell["status"], cell["days_late"], cell["deadline"]) == (
            want.status, want.days_late, want.deadline.isoformat()), name
        assert cell["published"] == (want.published.isoformat() if want.published else None)
    assert Counter(cell["status"] for cell in got.values()) == Counter(r.status for r in expected.values())


def test_every_status_occurs(client):
    c, _ = client
    by_name = {row["agency"]["name"]: status_in(row, 2023) for row in rows(c, year=2023)[0]}
    assert by_name["甲市财政局"]["status"] == "late" and by_name["甲市财政局"]["days_late"] == 5
    assert by_name["甲市"]["status"] == "on_time"
    assert by_name["乙县丙镇"]["date_source"] == "first_seen"
    assert by_name["乙县教育局"]["status"] == "found_unparsed"
    assert by_name["丁县"]["status"] == "portal_unreachable"
    assert by_name["乙县"]["status"] == "missing"
    report = c.get(f"/api/reports/{by_name['甲市']['report_id']}").json()
    assert by_name["甲市"]["failed_checks"] == len(report["failed_checks"]) > 2  # R1, R4, then S1/S2 flags


def test_overview(client):
    c, _ = client
    ov = c.get("/api/overview", params={"year": 2023}).json()
    matrix = rows(c, year=2023)[0]
    assert ov["totals"] == dict(Counter(status_in(r, 2023)["status"] for r in matrix)) | {
        s.value: 0 for s in Status  # every status has its count, zero included
        if s not in Counter(status_in(r, 2023)["status"] for r in matrix)}
    regions = {g["key"]: g for g in ov["by_region"]}
    # Uncoded departments count in their parent's region; a discovered agency with no parent in none.
    assert set(regions) == {"33", "44", "—"}
    assert regions["33"]["label"] == "甲省"
    assert sum(regions["33"]["counts"].values()) == 7
    assert [t["year"] for t in ov["trend"]] == [2022, 2023]
    days = {d["day"]: d["count"] for d in ov["per_day"]}
    assert days["2024-02-05"] == 1 and days["2024-03-31"] == 1
    assert [d["label"] for d in ov["deadlines"]] == ["部门", "乡镇", "政府"]
    city = c.get("/api/overview", params={"year": 2023, "region": "3301"}).json()
    assert city["region_label"] == "甲市" and {g["key"] for g in city["by_region"]} == {"330100", "330122", "330127"}
    assert sum(city["totals"].values()) == 6
    page = c.get("/", params={"year": 2023})
    assert page.status_code == 200 and "<svg" in page.text and "甲省" in page.text


def test_matrix_filters_sort_and_pages(client):
    c, _ = client
    names = lambda **p: [r["agency"]["name"] for r in rows(c, year=2023, **p)[0]]  # noqa: E731
    assert set(names(region="33")) == {"甲省", "甲市", "甲市财政局", "乙县", "乙县丙镇", "乙县教育局", "丁县"}
    assert set(names(region="3301220")) == set()
    assert names(level="township") == ["乙县丙镇"]
    assert set(names(kind="department")) == {"甲市财政局", "乙县教育局", "戊省卫生健康委员会", PAYLOAD_AGENCY}
    assert names(status="late") == ["甲市财政局"]
    assert set(names(q="县")) == {"乙县", "乙县丙镇", "乙县教育局", "丁县"}
    assert names(q="%") == [] and names(q="_") == [PAYLOAD_AGENCY]  # LIKE's wildcards match only themselves
    by_name = names(sort="name")
    assert by_name == sorted(by_name)
    assert names(sort="name", order="desc") == by_name[::-1]
    statuses = [status_in(r, 2023)["status"] for r in rows(c, year=2023, sort="status")[0]]
    order = [s.value for s in ORDER]  # worst first; issue 15's statuses among the earlier five, in their order
    assert [s for s in order if s in ("missing", "portal_unreachable", "found_unparsed", "late", "on_time")] == [
        "missing", "portal_unreachable", "found_unparsed", "late", "on_time"]
    assert statuses == sorted(statuses, key=order.index)
    late_first = [status_in(r, 2023)["days_late"] or 0 for r in rows(c, year=2023, sort="days_late", order="desc")[0]]
    assert late_first[0] == 5
    all_rows, body = rows(c, year=2023)
    assert body["total"] == len(all_rows) == len({r["agency"]["id"] for r in all_rows}) == 10
    assert body["years"] == [2022, 2023]
    beyond = c.get("/api/coverage", params={"year": 2023, "page": 99, "per_page": 3}).json()
    assert beyond["page"] == beyond["pages"]


def test_csv_is_exactly_the_filtered_view(client):
    c, _ = client
    for params in ({"year": 2023}, {"year": 2023, "region": "33", "sort": "name", "order": "desc"},
                   {"year": 2022, "status": "missing"}, {"year": 2023, "q": "无此机关"}):
        expected, _ = rows(c, **params)
        response = c.get("/api/coverage.csv", params=params)
        assert response.headers["content-type"].startswith("text/csv")
        assert response.headers["content-disposition"].startswith("attachment")
        table = list(csv.DictReader(io.StringIO(response.text)))
        assert [r["agency"] for r in table] == [r["agency"]["name"] for r in expected]
        for line, row in zip(table, expected, strict=True):
            for cell in row["cells"]:
                assert line[f"{cell['year']}_status"] == cell["status"]
                assert line[f"{cell['year']}_published"] == (cell["published"] or "")


def cells(report):
    return {cell["key"]: cell for table in report["tables"] for row in table["rows"] for cell in row if cell["key"]}


def grid_widths(table_rows):
    """The width of every row once row and column spans are laid out, as a browser lays them out."""
    taken: set[tuple[int, int]] = set()
    for r, row in enumerate(table_rows):
        col = 0
        for cell in row:
            while (r, col) in taken:
                col += 1
            for dr in range(cell["rowspan"]):
                for dc in range(cell["colspan"]):
                    assert (r + dr, col + dc) not in taken
                    taken.add((r + dr, col + dc))
            col += cell["colspan"]
    return {sum(1 for rr, _ in taken if rr == r) for r in range(len(table_rows))}


def test_report_tables_in_the_forms_layout(client):
    c, built = client
    report = c.get(f"/api/reports/{built.reports[('甲市', 2023)]}").json()
    assert [t["name"] for t in report["tables"]] == ["active", "applications", "review_litigation"]
    by_key = cells(report)
    assert (by_key["active.regulations.issued"]["state"], by_key["active.regulations.issued"]["text"]) == ("zero", "0")
    assert by_key["active.regulations.repealed"]["state"] == "blank"
    assert (by_key["active.regulations.in_force"]["state"], by_key["active.regulations.in_force"]["text"]) == (
        "not_applicable", "不适用")
    assert by_key["active.licensing.decisions"]["state"] == "unreadable"
    assert by_key["active.punishment.decisions"]["state"] == "absent"
    assert by_key["active.fees.amount_10k_yuan"]["text"] == "24457.4"
    # R1 on the natural-person column involves its four rows; R4 the five cells of 行政复议.
    flagged = {k for k, cell in by_key.items() if cell["failed"]}
    assert {f"applications.{r}.natural_person" for r in ("new_received", "carried_over", "total_processed",
                                                          "carried_forward")} <= flagged
    assert {f"review.{col}" for col in ("upheld", "corrected", "other_result", "pending", "total")} <= flagged
    assert by_key["review.total"]["failed"] == ["R4"]
    assert [c["rule"] for c in report["failed_checks"]][:2] == ["R1", "R4"] and report["passed_checks"] == 1
    # Each table is a full rectangle of the national form's width: 4, 10 and 15 columns.
    assert [grid_widths(t["rows"]) for t in report["tables"]] == [{4}, {10}, {15}]
    page = c.get(f"/reports/{built.reports[('甲市', 2023)]}").text
    assert 'data-state="not_applicable"' in page and 'data-state="blank"' in page and "fail-mark" in page
    assert "第二十条第（一）项" in page and "（七）总计" in page and "复议后起诉" in page


def test_versions_and_their_diff(client):
    c, built = client
    report_id = built.reports[("甲市财政局", 2023)]
    current = c.get(f"/api/reports/{report_id}").json()
    assert [v["seq"] for v in current["versions"]] == [1, 2] and current["version"]["seq"] == 2
    changed = {f["key"]: f for f in current["diff"]["fields"]}
    assert changed["applications.new_received.natural_person"]["new"] == 7
    assert changed["applications.new_received.natural_person"]["label"].startswith("三 · 自然人")
    assert any("新增一句整改说明" in line for s in current["diff"]["sections"] for line in s["added"])
    first = c.get(f"/api/reports/{report_id}", params={"version": 1}).json()
    assert first["version"]["seq"] == 1 and first["diff"] is None and not first["version"]["current"]
    assert c.get(f"/api/reports/{report_id}", params={"version": 3}).status_code == 404
    assert "新增一句整改说明" in c.get(f"/reports/{report_id}").text


def test_sources_raw_files_and_warc_records(registry_archive, client):
    _, _data, _ = registry_archive
    c, built = client
    report = c.get(f"/api/reports/{built.reports[('甲市财政局', 2023)]}").json()
    (source,) = report["sources"]
    (cap,) = source["captures"]
    assert cap["final_url"] == "http://jia.gov.cn/czj/2023-v2.pdf" and cap["status"] == 200
    assert cap["content_type"] == "application/pdf" and cap["warc"]["file"].endswith(".warc.gz")
    raw = c.get(source["download"])
    assert raw.status_code == 200 and len(raw.content) == source["size"]
    assert raw.headers["content-type"] == "application/pdf"
    assert raw.headers["content-disposition"] == 'attachment; filename="2023-v2.pdf"'
    assert raw.headers["x-content-type-options"] == "nosniff"
    assert raw.headers["content-security-policy"].startswith("sandbox")
    record = c.get(cap["warc_download"])
    assert record.headers["content-disposition"].startswith("attachment")
    (response,) = [(r.rec_headers.get_header("WARC-Record-ID"), r.content_stream().read())
                   for r in ArchiveIterator(io.BytesIO(record.content))]
    assert response == (cap["warc"]["record_id"], raw.content)
    assert gzip.decompress(record.content).startswith(b"WARC/1")
    # An HTML page is a download too, never a page of the dashboard.
    html = c.get(c.get(f"/api/reports/{built.reports[('甲市', 2023)]}").json()["sources"][0]["download"])
    assert html.headers["content-type"].startswith("text/html")
    assert html.headers["content-disposition"].startswith("attachment")
    for missing in ("/raw/" + "0" * 64, "/warc/999999", "/raw/..%2F..%2Fetc%2Fpasswd", "/raw/ABC"):
        assert c.get(missing).status_code in (404, 422), missing


def test_agency_page_and_crawl_health(client):
    c, built = client
    dept = c.get(f"/api/agencies/{built.agencies['甲市财政局']}").json()
    assert dept["parent"]["name"] == "甲市"
    by_year = {y["year"]: y for y in dept["years"]}
    assert by_year[2023]["status"] == "late" and len(by_year[2023]["versions"]) == 2
    assert by_year[2022]["status"] == "on_time"
    town = c.get(f"/api/agencies/{built.agencies['乙县丙镇']}").json()
    assert town["aliases"] == ["丙镇人民政府"]
    down = c.get(f"/api/agencies/{built.agencies['丁县']}").json()
    (portal,) = down["portals"]
    assert portal["last_success"] is None and portal["errors"][0]["kind"] == "unreachable"
    assert portal["errors"][0]["count"] == 3
    city = c.get(f"/api/agencies/{built.agencies['甲市']}").json()
    assert city["portals"][0]["last_success"] is not None and city["portals"][0]["pages_last_run"] >= 2
    page = c.get(f"/agencies/{built.agencies['丁县']}").text
    assert "unreachable × 3" in page
    assert c.get("/api/agencies/999999").status_code == 404
    assert c.get("/agencies/999999").status_code == 404


def test_payloads_render_as_text(client):
    c, built = client
    report_id = built.reports[(PAYLOAD_AGENCY, 2023)]
    api = c.get(f"/api/reports/{report_id}").json()
    assert api["title"] == PAYLOAD_TITLE and api["url"] == PAYLOAD_URL
    for path in (f"/reports/{report_id}", f"/agencies/{built.agencies[PAYLOAD_AGENCY]}", "/coverage?q=注入"):
        page = c.get(path).text
        assert "<script" not in page and "<img" not in page, path
        assert 'href="javascript:' not in page
    page = c.get(f"/reports/{report_id}").text
    assert "&lt;script&gt;window.__xss=1&lt;/script&gt;" in page
    assert "&#34;&gt;&lt;img src=x onerror=&#34;window.__xss=2&#34;&gt;" in page


def test_headers_methods_hosts_and_read_only(registry_archive, client):
    db, _, _ = registry_archive
    c, _ = client
    page = c.get("/")
    assert "default-src 'none'" in page.headers["content-security-policy"]
    assert page.headers["x-content-type-options"] == "nosniff" and page.headers["x-frame-options"] == "DENY"
    assert c.post("/api/coverage").status_code == 405
    assert c.get("/", headers={"host": "evil.example"}).status_code == 400
    engine = open_read_only(db).engine
    with pytest.raises((OperationalError, ProgrammingError, InternalError)), engine.begin() as conn:
        conn.execute(text("DELETE FROM agencies"))
    engine.dispose()


def test_bad_parameters(client):
    c, _ = client
    assert c.get("/api/coverage", params={"year": "abc"}).status_code == 422
    assert c.get("/api/coverage", params={"year": 99999}).status_code == 422
    assert c.get("/api/coverage", params={"q": "a\x00b"}).status_code == 422
    bad = c.get("/coverage", params={"year": "abc"})
    assert bad.status_code == 400 and bad.headers["content-type"].startswith("text/html")
    # An HTML form's "any" is an empty value.
    blank = c.get("/coverage", params={"year": "", "region": "", "level": "", "kind": "", "status": "", "q": ""})
    assert blank.status_code == 200
    assert c.get("/api/reports/0").status_code == 422
    assert c.get("/api/reports/999999").json() == {"detail": "no such report or version"}
    assert c.get("/reports/999999").headers["content-type"].startswith("text/html")
