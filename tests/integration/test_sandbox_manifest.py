"""Manifest and pages agree: a crawler that makes exactly the manifest's minimum requests finds every report,
every page and file the manifest names answers as described, and time changes what exists."""
import datetime as dt
import io

import openpyxl
import pytest

from sandbox.app import Options, Sandbox
from sandbox.manifest import expected_fields, manifest
from tests.support.sandbox_client import fetch, links, text


@pytest.fixture(scope="module")
def sb():
    sandbox = Sandbox(Options(scale=7, seed=5, documents_per_format=1))
    yield sandbox
    sandbox.close()


@pytest.fixture(scope="module")
def truth(sb):
    return manifest(sb)


def test_minimum_requests_discover_every_report(sb, truth):
    entries = [e for e in truth["minimum_requests"] if e["purpose"] not in ("retry after 500", "waf challenge")]
    found: set[str] = set()
    wanted_pages = {e["url"] for e in entries if e["purpose"] == "report"}
    wanted_files = {e["url"] for e in entries if e["purpose"] == "report file"}
    for entry in entries:
        response = fetch(sb, entry["url"], entry["method"], entry["body"])
        if entry["purpose"] == "unreachable portal":
            assert response.status == 502
            continue
        if entry["purpose"] == "robots":
            continue
        assert response.status == 200, entry
        if entry["purpose"] in ("navigation", "listing", "report", "report part"):
            found |= links(entry["url"], response)
    assert wanted_pages - found == set(), "report pages no listing links to"
    assert wanted_files - found == set(), "report files no report page links to"


def test_every_report_document_answers_as_described(sb, truth):
    slow, sheets = 0, 0
    for report in truth["reports"]:
        for doc in report["documents"]:
            if doc["format"] in ("pdf", "docx", "doc", "wps", "xls"):
                slow += 1
                continue  # made by LibreOffice in a worker: covered by the server tests
            if doc["format"] == "xlsx":
                sheets += 1
                if sheets > 12:  # drawn by one function: a dozen show it works, all would take seconds
                    continue
            response = fetch(sb, doc["url"])
            assert response.status == 200, doc
            if doc["role"] == "page":
                page = text(response)
                assert report["title"] in page
                if doc["tables"] == "text":
                    fields = expected_fields(truth, report)
                    assert str(fields["applications.total_processed.total"]) in page or \
                        fields["applications.total_processed.total"] is None
            elif doc["format"] == "xlsx":
                book = openpyxl.load_workbook(io.BytesIO(response.body))
                assert book.active.max_row > 10
            else:
                assert response.body.startswith(b"\x89PNG")
    assert slow, "the world must publish some reports in slow formats"


def test_gbk_pages_are_gbk_with_the_declared_lie(sb, truth):
    gbk = [p for p in truth["portals"] if p["encoding"] != "utf-8"]
    assert gbk
    report = next(r for r in truth["reports"] for d in r["documents"]
                  if d["role"] == "page" and d.get("encoding", "utf-8") != "utf-8")
    page = next(d for d in report["documents"] if d["role"] == "page" and d["encoding"] != "utf-8")
    body = fetch(sb, page["url"]).body
    with pytest.raises(UnicodeDecodeError):
        body.decode("utf-8")
    assert report["title"] in body.decode("gb18030")


def test_near_misses_and_hazards_are_listed_and_served(sb, truth):
    kinds = {n["kind"] for n in truth["near_misses"]}
    assert {"interpretation", "website_report", "deployment", "compilation"} <= kinds
    report_urls = {d["url"] for r in truth["reports"] for d in r["documents"]}
    for miss in truth["near_misses"][:40]:
        assert miss["url"] not in report_urls
        assert fetch(sb, miss["url"]).status == 200
    hazard_kinds = {h["kind"] for h in truth["hazards"]}
    assert {"down", "gbk_pages", "waf_521", "soft_404", "huge_attachment"} <= hazard_kinds
    dead = next(h for h in truth["hazards"] if h["kind"] == "soft_404")["urls"][0]
    response = fetch(sb, dead)
    assert response.status == 200 and "页面不存在" in text(response)


def test_missing_reports_do_not_exist(sb, truth):
    assert truth["missing"]
    published = {(r["agency"], r["year"]) for r in truth["reports"]}
    for miss in truth["missing"]:
        assert (miss["agency"], miss["year"]) not in published


def test_time_decides_what_exists():
    early = Sandbox(Options(scale=7, seed=5, today=dt.date(2025, 1, 15)))
    late = Sandbox(Options(scale=7, seed=5))
    early_reports = {(r["agency"], r["year"]): r for r in manifest(early, fields=False)["reports"]}
    late_reports = {(r["agency"], r["year"]): r for r in manifest(late, fields=False)["reports"]}
    assert set(early_reports) < set(late_reports)
    assert all(year <= 2024 for _, year in early_reports)
    newer = next(r for k, r in late_reports.items() if k not in early_reports)
    page = next(d for d in newer["documents"] if d["role"] == "page")
    assert fetch(early, page["url"]).status in (200, 404)
    assert newer["title"] not in text(fetch(early, page["url"]))
    assert fetch(late, page["url"]).status == 200


def test_revised_report_changes_at_its_url_and_reupload_keeps_content():
    before = Sandbox(Options(scale=7, seed=5, today=dt.date(2026, 4, 30)))
    revised = next(r for r in manifest(before)["reports"] if len(r["versions"]) == 2)
    v1, v2 = revised["versions"]
    assert v1["values"] != v2["values"]
    page = next(d for d in revised["documents"] if d["role"] == "page")["url"]
    old = Sandbox(Options(scale=7, seed=5, today=dt.date.fromisoformat(v2["from"]) - dt.timedelta(days=1)))
    assert text(fetch(old, page)) != text(fetch(before, page))
    reuploaded = next(r for r in manifest(before, fields=False)["reports"]
                      for d in r["documents"] if d.get("reuploaded"))
    doc = next(d for d in reuploaded["documents"] if d.get("reuploaded"))
    old = Sandbox(Options(scale=7, seed=5, today=dt.date.fromisoformat(doc["reuploaded"]) - dt.timedelta(days=1)))
    a, b = fetch(old, doc["url"]).body, fetch(before, doc["url"]).body
    assert a != b
    def cells(data):
        return [[c.value for c in row] for row in openpyxl.load_workbook(io.BytesIO(data)).active.rows]
    assert cells(a) == cells(b)


def test_same_seed_same_bytes(truth):
    again = Sandbox(Options(scale=7, seed=5, documents_per_format=1))
    other = Sandbox(Options(scale=7, seed=6, documents_per_format=1))
    urls = [e["url"] for e in truth["minimum_requests"] if e["method"] == "GET"][:60:3]
    first = Sandbox(Options(scale=7, seed=5, documents_per_format=1))
    for url in urls:
        assert fetch(first, url).body == fetch(again, url).body
    assert manifest(other, fields=False)["portals"] != truth["portals"]


def test_the_extractor_reads_the_fields_the_manifest_expects(sb, truth):
    """End to end: pages and XLSX files of every family, editor and encoding give the manifest's values."""
    from pipelines.extract import extract

    checked = matched = 0
    families = {p["host"]: p["family"] for p in truth["portals"]}
    seen: set[tuple[str, str]] = set()
    for report in truth["reports"]:
        fields = expected_fields(truth, report)
        for doc in report["documents"]:
            kind = (families[doc["url"].split("/")[2]], doc["format"], doc.get("encoding", ""))
            if doc["tables"] != "text" or doc["format"] not in ("html", "xlsx") or kind in seen:
                continue
            seen.add(kind)
            result = extract(fetch(sb, doc["url"]).body, doc["url"]).as_dict()
            checked += len(fields)
            matched += sum(result["fields"].get(k) == v for k, v in fields.items())
    assert len(seen) >= 8 and matched / checked >= 0.98
