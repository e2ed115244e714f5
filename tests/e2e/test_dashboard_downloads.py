"""The dashboard's 下载 page (issue 18): the whole corpus's exports, cached by archive state, and the data
dictionary, linked from every page's navigation."""
from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient

from archive.export import dictionary
from archive.export.columns import ALL
from archive.store.db import open_archive
from archive.web.app import create_app
from archive.web.bulk import BulkExports
from archive.web.db import open_read_only
from archive.web.service import Dashboard
from sandbox import synthetic
from tests.support.browser import CHROMIUM, CHROMIUM_ARGS, needs_chromium
from tests.support.dashboard import HOST, serving


@pytest.fixture
def site(tmp_path):
    db, data = str(tmp_path / "archive.sqlite"), tmp_path / "data"
    arc = open_archive(db, data)
    ing = synthetic.ingestor(arc)
    for n, agency in enumerate(("甲县", "乙县")):
        r = synthetic.report(agency, 2023, published="2024-03-01")
        ing.ingest(synthetic.capture(f"http://x{n}.gov.cn/r.html"), synthetic.body(r), r)
    dashboard = Dashboard(open_read_only(db, data))
    app = create_app(dashboard)
    app.state.bulk = BulkExports(dashboard.engine, tmp_path / "cache")
    with TestClient(app, base_url=f"http://{HOST}") as client:
        yield client, arc, tmp_path / "cache"
    arc.engine.dispose()


def test_the_page_lists_every_export_and_is_in_the_navigation(site):
    client, _, _ = site
    page = client.get("/downloads")
    assert page.status_code == 200
    for name in ("reports.csv", "reports-excel.csv", "reports.jsonl", "reports.parquet", "data-dictionary.md"):
        assert f'href="/downloads/{name}"' in page.text
    assert "共 2 份报告" in page.text and "首次下载时生成" in page.text
    for path in ("/", "/statuses", "/coverage"):
        assert '<a href="/downloads">数据下载</a>' in client.get(path).text


def test_exports_are_generated_once_per_archive_state(site):
    client, arc, cache = site
    got = client.get("/downloads/reports.parquet")
    assert got.status_code == 200 and got.headers["content-disposition"].startswith("attachment")
    table = pq.read_table(io.BytesIO(got.content))
    assert sorted(table.column("agency").to_pylist()) == ["乙县", "甲县"]
    assert str(table.schema.field("published").type) == "date32[day]"
    [state] = list(cache.iterdir())
    cached = state / "reports.parquet"
    stamp = cached.stat().st_mtime_ns
    assert client.get("/downloads/reports.parquet").content == got.content
    assert cached.stat().st_mtime_ns == stamp  # served from the cache, not generated again
    assert "已生成" in client.get("/downloads").text
    # A new report moves the archive's state: the next download has it, and the old state's files go.
    r = synthetic.report("丙县", 2023, published="2024-03-02")
    synthetic.ingestor(arc).ingest(synthetic.capture("http://x9.gov.cn/r.html"), synthetic.body(r), r)
    table = pq.read_table(io.BytesIO(client.get("/downloads/reports.parquet").content))
    assert sorted(table.column("agency").to_pylist()) == ["丙县", "乙县", "甲县"]
    assert [p.name for p in cache.iterdir()] != [state.name] and len(list(cache.iterdir())) == 1


def test_csv_for_excel_and_jsonl(site):
    client, _, _ = site
    excel = client.get("/downloads/reports-excel.csv").content
    assert excel.startswith(b"\xef\xbb\xbf") and excel.count(b"\r\n") == 3
    records = [json.loads(line) for line in client.get("/downloads/reports.jsonl").text.splitlines()]
    assert {r["agency"] for r in records} == {"甲县", "乙县"} and all(r["section_overview"] for r in records)


def test_the_dictionary_downloads(site):
    client, _, _ = site
    assert client.get("/downloads/data-dictionary.md").text == dictionary.as_markdown()
    names = [r["name"] for r in csv.DictReader(io.StringIO(client.get("/downloads/data-dictionary.csv").text))]
    assert names == [c.name for c in ALL]
    assert len(client.get("/downloads/data-dictionary.json").json()) == len(ALL)


def test_no_other_name_is_served(site):
    client, _, cache = site
    for path in ("/downloads/archive.sqlite", "/downloads/..%2Farchive.sqlite", "/downloads/data-dictionary.exe"):
        assert client.get(path).status_code in (400, 404), path  # a bad parameter, or no route
    assert not cache.exists()


@needs_chromium
def test_downloads_in_a_real_browser(tmp_path):
    """From the navigation to a file saved by the browser (test_dashboard_browser visits the page at both widths)."""
    from playwright.sync_api import sync_playwright

    db, data = str(tmp_path / "archive.sqlite"), tmp_path / "data"
    arc = open_archive(db, data)
    r = synthetic.report("甲县", 2023, published="2024-03-01")
    synthetic.ingestor(arc).ingest(synthetic.capture("http://x.gov.cn/r.html"), synthetic.body(r), r)
    arc.engine.dispose()
    problems: list[str] = []
    with serving(db, data) as base, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_context(accept_downloads=True).new_page()
        page.on("console", lambda m: m.type in ("error", "warning") and problems.append(m.text))
        page.on("response", lambda resp: resp.status >= 400 and problems.append(f"{resp.status} {resp.url}"))
        page.goto(base + "/")
        page.locator('nav a[href="/downloads"]').click()
        assert page.locator("h1").inner_text() == "数据下载"
        assert page.locator("ul.downloads li a[download]").count() == 4
        with page.expect_download() as got:
            page.locator('a[href="/downloads/data-dictionary.md"]').click()
        assert Path(got.value.path()).read_text(encoding="utf-8") == dictionary.as_markdown()
        browser.close()
    assert problems == []
