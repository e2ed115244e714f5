"""The dashboard explains itself (issue 18): copies (S5) apart from the consistency checks, the pictures tables were
read from beside their cells and among the sources, the API documentation offline, the about page, search with
filters and pages, an agency's numbers over the years."""
from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

from archive.ingest.ingestor import Capture, Ingestor
from archive.store.db import open_archive
from archive.store.warc import WarcFile
from archive.web.files import picture_type
from pipelines.extract import PARSER_VERSION, extract
from sandbox import synthetic
from sandbox.synthetic import PARSER, T0
from tests.support.dashboard import client_for, index, ingest_picture_report
from tests.support.pictures import needs_font


def _ingest(db: str, data: Path, *reports: tuple[str, object]) -> None:
    arc = open_archive(db, data)
    ing = Ingestor(arc, "run-2", extractor=lambda *_: None, parser_version=PARSER)
    for n, (url, r) in enumerate(reports):
        ing.ingest(Capture(requested_url=url, fetched_at=T0 + timedelta(days=3, minutes=n), run_id="run-2"),
                   synthetic.body(r), r)
    ing.finish()
    arc.engine.dispose()


def test_copies_are_leads_apart_from_the_checks(registry_archive):
    db, data, built = registry_archive
    # 丁县 publishes 甲市's text and tables as its own.
    _ingest(db, data, ("http://dx.gov.cn/2023.html",
                       synthetic.report("丁县", 2023, seed="甲市2023", published="2024-03-20")))
    with client_for(db, data) as c:
        rows = {r["agency"]["name"]: r for r in c.get("/api/coverage", params={"year": 2023}).json()["rows"]}
        cell = next(x for x in rows["丁县"]["cells"] if x["year"] == 2023)
        assert cell["copies"] == 1 and cell["failed_checks"] == 0
        report = c.get(f"/api/reports/{cell['report_id']}").json()
        assert [x["rule"] for x in report["failed_checks"]] == []
        (copy,) = report["copies"]
        assert (copy["agency"]["name"], copy["year"], copy["relation"]) == ("甲市", 2023, "other_agency")
        assert copy["report_id"] == built.reports[("甲市", 2023)] and copy["similarity"] > 0.8
        # The page: no S5 among the checks, a collapsed section naming the other agency and year, with links.
        page = c.get(f"/reports/{cell['report_id']}").text
        checks = page[page.index('id="checks"'):page.index('id="copies-heading"')]
        assert "S5" not in checks and "similar to" not in page and "0 项未通过" in checks
        copies = page[page.index('<details id="copies">'):page.index("</details>", page.index('id="copies"'))]
        assert "open" not in copies.split(">")[0]
        assert f'href="/agencies/{built.agencies["甲市"]}">甲市</a>' in copies
        assert f'href="/reports/{built.reports[("甲市", 2023)]}?version=1">2023 年度' in copies
        # The matrix: the quiet marker, not the red one.
        matrix = c.get("/coverage", params={"year": 2023, "q": "丁县"}).text
        assert 'class="copies"' in matrix and 'class="flag"' not in matrix
        agency = c.get(f"/api/agencies/{built.agencies['丁县']}").json()
        year = next(y for y in agency["years"] if y["year"] == 2023)
        assert year["failed_checks"] == [] and [x["agency"]["name"] for x in year["copies"]] == ["甲市"]
        # The CSV has the copies in their own column.
        header, *lines = c.get("/api/coverage.csv", params={"year": 2023, "q": "丁县"}).text.splitlines()
        columns = header.split(",")
        assert lines[0].split(",")[columns.index("2023_copies")] == "1"
        assert lines[0].split(",")[columns.index("2023_failed_checks")] == "0"


@needs_font
def test_pictures_beside_the_cells_read_from_them(db_url, tmp_path):
    arc = open_archive(db_url, tmp_path / "data")
    ing = Ingestor(arc, "run-1", extractor=extract, parser_version=PARSER_VERSION)
    with WarcFile(arc.warc_dir, "run-1") as warc:
        agency = ingest_picture_report(ing, warc, T0, "run-1")
    ing.finish()
    arc.engine.dispose()
    with client_for(db_url, tmp_path / "data") as c:
        (row,) = [r for r in c.get("/api/coverage").json()["rows"] if r["agency"]["name"] == agency]
        report_id = next(x["report_id"] for x in row["cells"] if x["report_id"])
        report = c.get(f"/api/reports/{report_id}").json()
        pictures = report["pictures"]
        assert [p["url"].rsplit("/", 1)[1] for p in pictures] == ["table1.png", "table2.png", "table3.png"]
        # Each table beside its own picture, every data cell it shows marked with that picture.
        by_table = {t["name"]: t["pictures"] for t in report["tables"]}
        assert by_table == {name: [p["sha256"]] for name, p in zip(("active", "applications", "review_litigation"),
                                                                    pictures)}
        for table, picture in zip(report["tables"], pictures):
            read = [cell for line in table["rows"] for cell in line if cell["key"] and cell["state"] != "absent"]
            assert read and all(cell["picture"] == picture["sha256"] for cell in read)
            assert {cell["key"] for cell in read} <= set(picture["keys"])
        # The pictures are among the sources, after the page, and are served inline as what their bytes are.
        roles = [(s["role"], s["sha256"]) for s in report["sources"]]
        assert roles[0][0] == "document" and roles[1:] == [("table_picture", p["sha256"]) for p in pictures]
        shown = c.get(pictures[0]["image"])
        assert shown.status_code == 200 and shown.headers["content-type"] == "image/png"
        assert "attachment" not in shown.headers.get("content-disposition", "")
        assert "sandbox" in shown.headers["content-security-policy"]
        assert picture_type(shown.content[:16]) == "image/png"
        page = c.get(f"/reports/{report_id}").text
        for p in pictures:
            assert f'<img src="/pictures/{p["sha256"]}"' in page
        assert page.count(f'data-picture="{pictures[1]["sha256"]}"') == len(
            [k for k in pictures[1]["keys"] if k.startswith("applications.")])
        # Not a picture: the page itself (HTML) is no inline image.
        assert c.get(f"/pictures/{report['sources'][0]['sha256']}").status_code == 404


def test_picture_types_are_read_from_the_bytes():
    assert picture_type(b"\x89PNG\r\n\x1a\n" + b"\0" * 8) == "image/png"
    assert picture_type(b"\xff\xd8\xff\xe0" + b"\0" * 12) == "image/jpeg"
    assert picture_type(b"RIFF\0\0\0\0WEBPVP8 ") == "image/webp"
    assert picture_type(b'<svg xmlns="http://www.w3.org/2000/svg">') is None
    assert picture_type(b"<html><script>") is None


def test_api_docs_are_served_from_here(client):
    c, _ = client
    page = c.get("/api/docs")
    assert page.status_code == 200
    sources = re.findall(r'<(?:script|link)[^>]*(?:src|href)="([^"]+)"', page.text)
    assert "/api/docs/swagger-ui-bundle.js" in sources and "/api/docs/swagger-ui.css" in sources
    assert all(s.startswith("/") for s in sources)  # nothing from another host
    assert "<script>" not in page.text  # no inline script: the policy allows only this server's files
    policy = page.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "unsafe-eval" not in policy
    for asset in ("/api/docs/swagger-ui-bundle.js", "/api/docs/swagger-ui.css", "/api/docs/start.js"):
        got = c.get(asset)
        assert got.status_code == 200 and len(got.content) > 100, asset
    assert "SwaggerUIBundle" in c.get("/api/docs/swagger-ui-bundle.js").text
    # Every other page still runs no script.
    assert "script-src" not in c.get("/").headers["content-security-policy"]


def test_about_page_is_linked_from_every_page(client):
    c, built = client
    about = c.get("/about").text
    assert "<title>关于：方法与口径 · nianbao</title>" in about
    for heading in ("状态", "截止日期", "统计口径（分母）", "如何发现报告", "如何读取报告", "校验与相似报告",
                    "已知局限"):
        assert f">{heading}</h2>" in about, heading
    old = c.get("/statuses", follow_redirects=False)
    assert old.status_code == 308 and old.headers["location"] == "/about#statuses"
    report = built.reports[("甲市", 2023)]
    for path in ("/", "/coverage", f"/agencies/{built.agencies['甲市']}", f"/reports/{report}", "/search?q=甲",
                 "/about", "/api/docs", "/no-such-page"):
        assert '<a href="/about">' in c.get(path).text, path


def test_search_filters_pages_and_empty_state(registry_archive):
    db, data, built = registry_archive
    # 25 more reports of earlier years: two pages of full-text results.
    more = [synthetic.report("甲市财政局" if n % 2 else "乙县丙镇", 1995 + n, published=f"{1996 + n}-01-10")
            for n in range(25)]
    _ingest(db, data, *((f"http://jia.gov.cn/more/{n}.html", r) for n, r in enumerate(more)))
    index(db)
    with client_for(db, data) as c:
        everything = c.get("/api/search", params={"q": "年度报告"}).json()
        total = everything["report_matches"]
        assert total == len(built.reports) + 25 and everything["pages"] == 2 and len(everything["reports"]) == 20
        second = c.get("/api/search", params={"q": "年度报告", "page": 2}).json()
        ids = [h["report_id"] for h in everything["reports"] + second["reports"]]
        assert len(ids) == len(set(ids)) == total
        # Filters: year, level, region, status — each result satisfies them, and the count is theirs.
        year = c.get("/api/search", params={"q": "年度报告", "year": 2023}).json()
        assert year["report_matches"] == sum(1 for (_, y) in built.reports if y == 2023)
        assert {h["year"] for h in year["reports"]} == {2023}
        township = c.get("/api/search", params={"q": "年度报告", "level": "township"}).json()
        assert township["report_matches"] == 13 + 1  # 13 of the 25, and 乙县丙镇's own 2023 report
        assert {h["agency"]["level"] for h in township["reports"]} == {"township"}
        region = c.get("/api/search", params={"q": "年度报告", "region": "44"}).json()
        assert [h["agency"]["name"] for h in region["reports"]] == ["戊省卫生健康委员会"]
        late = c.get("/api/search", params={"q": "年度报告", "year": 2023, "status": "late"}).json()
        assert [(h["agency"]["name"], h["status"]) for h in late["reports"]] == [("甲市财政局", "late")]
        # The page: numbered from the page's first result, links to the next page keep the filters.
        page = c.get("/search", params={"q": "年度报告", "level": "township"}).text
        assert 'start="1"' in page and "没有全文" not in page
        first = c.get("/search", params={"q": "年度报告"}).text
        assert 'rel="next"' in first and "page=2" in first
        assert 'start="21"' in c.get("/search", params={"q": "年度报告", "page": 2}).text
        # Nothing found: a message with what to try, not a numbered item.
        none = c.get("/search", params={"q": "年度报告", "year": 2023, "status": "on_time", "region": "44",
                                        "level": "county"}).text
        assert 'id="no-reports"' in none and 'id="report-results"' not in none and "去掉筛选条件" in none
        nothing = c.get("/search", params={"q": "不存在的词语"}).text
        assert 'id="no-agencies"' in nothing and "<li>没有" not in nothing


def test_agency_numbers_over_the_years(client):
    c, built = client
    detail = c.get(f"/api/agencies/{built.agencies['甲市财政局']}").json()
    figures = {f["year"]: f for f in detail["figures"]}
    assert sorted(figures) == [2022, 2023]
    fields = synthetic.report("甲市财政局", 2022).fields
    assert figures[2022]["new_received"] == fields["applications.new_received.total"]
    assert figures[2022]["granted"] == fields["applications.granted.total"]
    assert figures[2022]["reviews"] == fields["review.total"]
    suits = [v for v in (fields["litigation_direct.total"], fields["litigation_after_review.total"]) if v is not None]
    assert suits and figures[2022]["lawsuits"] == sum(suits)  # a blank part is not a zero, the stated ones add up
    page = c.get(f"/agencies/{built.agencies['甲市财政局']}").text
    assert page.count('<svg class="chart small"') == 2
    table = page[page.index('id="figures-table"'):page.index("</table>", page.index('id="figures-table"'))]
    assert f'<td data-key="new_received">{fields["applications.new_received.total"]}</td>' in table
    # No report yet: no chart, a sentence.
    empty = c.get(f"/agencies/{built.agencies['丁县']}").text
    assert '<svg class="chart small"' not in empty and "还没有该机关的报告" in empty
