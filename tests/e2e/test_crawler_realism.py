"""The crawler against the sandbox's later realism (issue 4): paged TRS articles are fetched part by part and
archived as one complete report with every part in the WARC; Hanweb's xxgkAnnualReport.jsp reports are found
through the year selector; spam clones are never requested; IP-only portals are crawled fully; third-party
evaluation reports never become reports.

The pieces are tested on a world of their own (scale 7, seed 5) without a crawl; the crawl is the session's shared
one (tests/support/shared_crawl.py), whose world has every piece too, and whose recall, precision and cost
test_crawler_sandbox asserts."""
from __future__ import annotations

import gzip
from pathlib import Path

import pytest
from sqlalchemy import select
from warcio.archiveiterator import ArchiveIterator

from archive.ingest.identity import canonical_value, normalise_agency
from archive.store.models import T
from crawler.discovery.recognise import judge_title
from crawler.discovery.urls import is_article
from crawler.fetch.middlewares import HostGuard
from crawler.platforms import detect
from crawler.platforms.base import Page
from crawler.platforms.hanweb import annual_years
from crawler.platforms.trs_article import join_parts, next_part
from crawler.spiders.reports import parse_years
from pipelines.classify import report_verdict
from pipelines.decoding import decode
from pipelines.extract import extract
from sandbox.app import Options, Sandbox
from sandbox.evaluate import archived_reports
from sandbox.manifest import expected_fields, manifest
from tests.support.sandbox_client import fetch
from tests.support.shared_crawl import YEARS

pytestmark = pytest.mark.slow  # its crawls or processes take over ~10 s (README, "Tests")


def _page(sb: Sandbox, url: str) -> Page:
    response = fetch(sb, url)
    return Page(url, decode(response.body, response.content_type)[0], response.content_type or "")


@pytest.fixture(scope="module")
def sandbox():
    sb = Sandbox(Options(scale=7, seed=5, documents_per_format=1, slow_seconds=0.3))
    yield sb, manifest(sb, fields=False)
    sb.close()


# --- the pieces, without a crawl -----------------------------------------------------------------------------

def test_paged_articles_are_followed_and_joined_into_one_complete_report(sandbox):
    sb, _ = sandbox
    truth = manifest(sb)
    paged = [(r, d) for r in truth["reports"] for d in r["documents"] if d.get("parts")]
    assert len(paged) >= 5
    for report, doc in paged:
        pages, url = [], doc["url"]
        while url:
            pages.append(_page(sb, url))
            url = next_part(pages[-1])
        assert [p.url for p in pages] == [doc["url"], *doc["parts"]]
        fields = expected_fields(truth, report)
        joined = extract(join_parts(pages), doc["url"]).as_dict()
        first_only = extract(fetch(sb, doc["url"]).body, doc["url"]).as_dict()
        assert joined["is_report"]
        assert sum(joined["fields"].get(k) == v for k, v in fields.items()) == len(fields), doc["url"]
        assert sum(first_only["fields"].get(k) == v for k, v in fields.items()) < 0.5 * len(fields)
    # A page that is not paged has no next part.
    plain = next(d["url"] for r in truth["reports"] for d in r["documents"]
                 if d["role"] == "page" and "/t20" in d["url"] and not d.get("parts"))
    assert next_part(_page(sb, plain)) is None


def test_hanweb_year_selector_leads_to_the_annual_report_jsp(sandbox):
    sb, truth = sandbox
    jsp = {d["url"] for r in truth["reports"] for d in r["documents"] if "xxgkAnnualReport.jsp" in d["url"]}
    portal = next(p for p in truth["portals"] if any(u.split("/")[2] == p["host"] for u in jsp))
    column = _page(sb, portal["report_column"])
    years = [c for c in detect(column).listing(column).calls if "fbtime=" in c.url]
    assert years == annual_years(column) and all(c.role == "column" and c.title[:4].isdigit() for c in years)
    found = set()
    for call in years:
        page = _page(sb, call.url)
        found |= {e.url for e in detect(page).listing(page).entries if judge_title(e.title).is_report}
    assert jsp <= found
    assert all(is_article(u) for u in jsp)
    assert not is_article(years[0].url)


def test_host_guard_allows_public_registry_ips_and_refuses_clones_and_private_addresses(monkeypatch):
    for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY"):
        monkeypatch.delenv(name, raising=False)
    guard = HostGuard([".gov.cn"], allow_private=False)
    registry = {"122.137.242.24", "www.anping.gov.cn"}
    assert guard.allowed("122.137.242.24", registry)
    assert guard.allowed("www.xinan.gov.cn", registry)
    for spam in ("www.anping-gov.cn", "www.anping.gov.cn.zwgk.com", "www.anpinggov.net", "218.1.2.3"):
        assert not guard.allowed(spam, registry), spam
    for private in ("127.0.0.1", "10.1.2.3", "192.168.0.7", "localhost"):
        assert not guard.allowed(private, registry | {private})
    assert HostGuard([".gov.cn"], allow_private=True).allowed("127.0.0.1", set())


def test_third_party_evaluations_are_rejected_by_title_and_by_the_extractor(sandbox):
    sb, truth = sandbox
    evaluations = [n for n in truth["near_misses"] if n["kind"] == "evaluation"]
    assert len(evaluations) >= 5
    for miss in evaluations:
        assert not judge_title(miss["title"]).is_report, miss["title"]
        assert report_verdict(miss["title"], 10, 100, True) == (False, "third-party evaluation report")
    result = extract(fetch(sb, evaluations[0]["url"]).body, evaluations[0]["url"]).as_dict()
    assert not result["is_report"]


# --- the session's shared crawl ----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def crawled(sandbox_crawl):
    return {"truth": sandbox_crawl.truth, "requests": sandbox_crawl.requests, "archive": sandbox_crawl.archive()}


def _found(crawled, reports: list[dict]) -> tuple[int, int]:
    got = archived_reports(crawled["archive"])
    keys = crawled["truth"]["field_keys"]
    cells = equal = 0
    for report in reports:
        fields = got.get((normalise_agency(report["agency"]), report["year"]))
        assert fields is not None, (report["agency"], report["year"])
        if report["form"] == "image":  # tables only as pictures: see `sandbox.evaluate.Measure.image_cells`
            continue
        values = report["versions"][-1]["values"]
        cells += len(values)
        equal += sum(canonical_value(fields.get(k)) == canonical_value(v)
                     for k, v in zip(keys[report["template"]], values))
    return cells, equal


def test_paged_articles_are_archived_complete_with_every_part_in_the_warc(crawled):
    years = parse_years(YEARS)
    paged = [r for r in crawled["truth"]["reports"] if r["year"] in years and r["documents"][0].get("parts")]
    assert len(paged) >= 3
    cells, equal = _found(crawled, paged)
    assert equal / cells >= 0.995
    parts = {u for r in paged for d in r["documents"] for u in [d["url"], *d.get("parts", ())]}
    warc_urls, joined = set(), {}
    for path in Path(crawled["archive"].warc_dir).rglob("*.warc*"):
        with (gzip.open(path, "rb") if path.suffix == ".gz" else open(path, "rb")) as stream:
            for record in ArchiveIterator(stream):
                if record.rec_type == "response":
                    url = record.rec_headers.get_header("WARC-Target-URI")
                    warc_urls.add(url)
                    if record.http_headers and record.http_headers.get_header("X-Nianbao-Parts"):
                        joined[url] = record.http_headers.get_header("X-Nianbao-Parts").split()
    assert parts <= warc_urls
    for report in paged:
        doc = report["documents"][0]
        assert joined[doc["url"]] == [doc["url"], *doc["parts"]]


def test_annual_report_jsp_and_ip_only_portals_are_crawled_fully(crawled):
    years = parse_years(YEARS)
    truth = crawled["truth"]
    ip_hosts = {p["host"] for p in truth["portals"] if ":" in p["host"]}
    assert ip_hosts
    jsp = [r for r in truth["reports"] if r["year"] in years
           and any("xxgkAnnualReport.jsp" in d["url"] for d in r["documents"])]
    on_ip = [r for r in truth["reports"] if r["year"] in years
             and r["documents"][0]["url"].split("/")[2] in ip_hosts]
    assert len(jsp) >= 5 and len(on_ip) >= 5
    for group in (jsp, on_ip):
        cells, equal = _found(crawled, group)
        assert equal / cells >= 0.99
    assert all(crawled["requests"].get(h.split(":")[0], 0) > 0 for h in ip_hosts)


def test_spam_clones_are_never_requested(crawled):
    clones = [h for h in crawled["truth"]["hazards"] if h["kind"] == "spam_clone"]
    assert clones and all(c["urls"][1:] for c in clones)  # an injected report link the crawler saw
    assert not {c["host"] for c in clones} & set(crawled["requests"])
    cap = T["captures"]
    with crawled["archive"].reader.connect() as conn:
        hosts = {u.split("/")[2] for u in conn.execute(select(cap.c.requested_url)).scalars()}
    assert not hosts & {c["host"] for c in clones}


def test_no_third_party_evaluation_is_fetched_or_archived(crawled):
    evaluations = {n["url"] for n in crawled["truth"]["near_misses"] if n["kind"] == "evaluation"}
    assert evaluations
    cap = T["captures"]
    with crawled["archive"].reader.connect() as conn:
        urls = set(conn.execute(select(cap.c.requested_url)).scalars())
    assert not urls & evaluations
