"""The crawler's pure parts: registry, title recognition, link scores, URL shapes, blocking pages, attachments,
the host guard, and every platform adapter walking the sandbox's report columns without Scrapy."""
from __future__ import annotations

import pytest

from archive.registry.agencies import aliases
from crawler.discovery import registry
from crawler.discovery.attachments import attachments
from crawler.discovery.blocking import is_challenge, is_soft_404, spelled_cookie
from crawler.discovery.navigation import openness_score, report_score
from crawler.discovery.recognise import judge_title, wanted
from crawler.discovery.urls import canonical, is_article, is_document_file, under
from crawler.fetch.middlewares import ROBOTS_LOG, HostGuard
from crawler.platforms import BY_NAME, Page, detect
from pipelines.decoding import decode
from sandbox import hazards
from sandbox.app import Options, Sandbox
from sandbox.manifest import manifest
from tests.support import ROOT
from tests.support.sandbox_client import fetch

REGISTRY = """name,level,kind,division_code,parent,portal_url,column_urls,platform,enabled
安平县人民政府,county,government,131125,衡水市人民政府,http://www.anping.gov.cn/,,trs_static,true
安平县教育局,department,department,,安平县人民政府,http://www.anping.gov.cn/,http://www.anping.gov.cn/zwgk/nb/,,
安平县马店镇人民政府,township,government,,安平县人民政府,http://www.anping.gov.cn/,,,true
停用局,department,department,,,http://www.x.gov.cn/,,,false
,county,government,,,http://www.y.gov.cn/,,,true
坏行,nowhere,government,,,http://www.z.gov.cn/,,,true
"""


def test_registry_rows_targets_and_problems():
    rows, problems = registry.parse(REGISTRY)
    assert [r.name for r in rows] == ["安平县人民政府", "安平县教育局", "安平县马店镇人民政府", "停用局"]
    assert len(problems) == 2 and ":6:" in problems[0] and "level" in problems[1]
    targets = registry.targets(rows)
    assert len(targets) == 1  # one portal; the disabled row's portal is not crawled
    t = targets[0]
    assert t.agency == "安平县人民政府" and t.entries == ["http://www.anping.gov.cn/zwgk/nb/"]
    assert t.platform == "trs_static" and len(t.agencies) == 3
    records = {r.name: r for r in registry.agency_records(rows)}
    assert records["安平县人民政府"].portals == ("http://www.anping.gov.cn/",)
    assert "安平县政府办公室" in records["安平县人民政府"].aliases
    assert records["安平县教育局"].portals == ()


def test_registry_needs_its_header():
    with pytest.raises(registry.RegistryError):
        registry.parse("name,url\nx,http://x.gov.cn/\n")


def test_bundled_registry_is_valid():
    rows, problems = registry.load(ROOT / "crawler/data/registry.csv")
    assert problems == []
    assert len(rows) >= 25 and all(r.verified for r in rows)


def test_aliases_of_governments_and_street_offices():
    assert {"汉阳区", "汉阳区政府办公室", "汉阳区人民政府办公室"} <= set(aliases("汉阳区人民政府", "government"))
    assert "东湖街道" in aliases("东湖街道办事处", "government")
    assert aliases("长春市体育局", "department") == ()


@pytest.mark.parametrize(("title", "report", "year"), [
    ("岚皋县行政审批服务局2023年政府信息公开工作年度报告", True, 2023),
    ("2022年九龙坡区二郎街道政府信息公开工作年度报告", True, 2022),
    ("安平县政府信息公开工作年度报告", True, None),
    ("一图读懂安平县2023年政府信息公开工作年度报告", False, None),
    ("安平县门户网站2023年度政府网站工作年度报表", False, None),
    ("关于做好2023年度政府信息公开工作年度报告编制和发布工作的通知", False, None),
    ("安平县关于报送2023年政府信息公开工作年度报告的函", False, None),
    ("安平县2022年度政府信息公开工作年度报告汇编（扫描件）", False, None),
    ("安平县2023年法治政府建设年度报告", False, None),
    ("安平县召开安全生产大检查", False, None),
])
def test_titles(title, report, year):
    verdict = judge_title(title)
    assert verdict.is_report is report
    if report:
        assert verdict.year == year


def test_requested_years_from_title_or_listing_date():
    years = range(2023, 2026)
    assert wanted(judge_title("甲县2024年政府信息公开工作年度报告"), None, years)
    assert not wanted(judge_title("甲县2019年政府信息公开工作年度报告"), "2020-01-10", years)
    assert wanted(judge_title("甲县政府信息公开工作年度报告"), "2024-01-20", years)
    assert not wanted(judge_title("甲县政府信息公开工作年度报告"), "2019-01-20", years)


def test_link_scores():
    assert report_score("政府信息公开年报", "http://x.gov.cn/zwgk/zfxxgknb/") > \
        report_score("年度报告", "http://x.gov.cn/zwgk/ndbg/") >= 6
    assert report_score("政府网站工作年度报表", "http://x.gov.cn/zwgk/wzndbb/") < 0
    assert report_score("热门搜索：年报", "http://x.gov.cn/search/?keyword=年报") <= 0
    assert report_score("安平县2023年政府信息公开工作年度报告", "http://x.gov.cn/a/202401/t20240101_1.html") == 0
    assert openness_score("政务公开", "http://x.gov.cn/zwgk/") > openness_score("政府信息公开指南", "/zn.html")


def test_urls():
    assert canonical("./a/b.html;jsessionid=AB12?utm_source=x&id=3#top", "http://X.gov.cn/c/") == \
        "http://x.gov.cn/c/a/b.html?id=3"
    assert is_article("http://x.gov.cn/zwgk/nb/202401/t20240129_1926722.shtml")
    assert is_article("http://x.gov.cn/info/1039/108122.htm")
    assert not is_article("http://x.gov.cn/xxgk/zfxxgknb/bm_12345.htm")
    assert not is_article("http://x.gov.cn/col/col1229214366/index.html")
    assert is_document_file("http://x.gov.cn/module/download/downfile.jsp?classid=0&filename=abc.pdf")
    assert is_document_file("http://x.gov.cn/system/_content/download.jsp?urltype=news&wbfileid=1")
    assert under("http://x.gov.cn/xxgk/nb/2023.htm", "http://x.gov.cn/xxgk/nb.htm")
    assert under("http://x.gov.cn/zwgk/nb/2023/", "http://x.gov.cn/zwgk/nb/")


def test_challenge_and_soft_404_pages():
    sb = Sandbox(Options(scale=7, seed=5, documents_per_format=1))
    for kind in hazards.WAF:
        portal = next(p for p in sb.world.portals if kind in p.hazards)
        page = hazards.challenge(portal, sb.world.seed, kind)
        assert is_challenge(page.status, page.body)
        name, value = spelled_cookie(page.body)
        assert (name, value) == (hazards.WAF[kind][1], hazards.cookie_value(portal, sb.world.seed))
    portal = next(p for p in sb.world.portals if "soft_404" in p.hazards)
    assert is_soft_404(hazards.soft_404_page(portal))
    sb.close()


def test_host_guard(monkeypatch):
    monkeypatch.delenv("http_proxy", raising=False)
    monkeypatch.delenv("HTTP_PROXY", raising=False)
    guard = HostGuard([".gov.cn"], allow_private=False)
    assert guard.allowed("www.anping.gov.cn", set())
    assert guard.allowed("wcsxxgk.harbin.gov.cn", set())
    assert not guard.allowed("www.anping-gov.cn.spam.com", set())
    assert guard.allowed("122.137.242.24", {"122.137.242.24"})
    assert not guard.allowed("127.0.0.1", {"127.0.0.1"})
    assert not guard.allowed("192.168.1.5", set())
    assert HostGuard([".gov.cn"], allow_private=True).allowed("127.0.0.1", set())
    monkeypatch.setenv("http_proxy", "http://127.0.0.1:8899")
    with pytest.raises(Exception, match="loopback or private"):
        HostGuard([".gov.cn"], allow_private=False)
    # The user's own proxy, said so (--proxy or --trust-env-proxy): trusted, and the crawl stays off private hosts.
    for trusted in (HostGuard([".gov.cn"], False, proxy="http://127.0.0.1:7890"),
                    HostGuard([".gov.cn"], False, trust_env_proxy=True)):
        assert trusted.allowed("www.anping.gov.cn", set())
        assert not trusted.allowed("127.0.0.1", {"127.0.0.1"}) and not trusted.allowed("10.0.0.8", set())


@pytest.fixture(scope="module")
def sandbox():
    sb = Sandbox(Options(scale=7, seed=2, documents_per_format=1))
    yield sb, manifest(sb, fields=False)
    sb.close()


def _page(sb, url, method="GET", body=None) -> Page:
    response = fetch(sb, url, method, body)
    return Page(url, decode(response.body, response.content_type)[0], response.content_type or "", method, body)


def test_every_adapter_lists_every_report_from_the_registry_columns(sandbox):
    """Walk each portal's report column with the adapters alone: every report page the manifest names is listed,
    and the walk costs about the manifest's listing requests."""
    sb, truth = sandbox
    wanted_pages = {e["url"] for e in truth["minimum_requests"] if e["purpose"] == "report"}
    listing_minimum = sum(1 for e in truth["minimum_requests"] if e["purpose"] == "listing")
    found, families, requests = set(), set(), 0
    for portal in truth["portals"]:
        if portal["down"]:
            continue
        queue, seen = [("GET", portal["report_column"], None, "column", "")], set()
        while queue:
            method, url, body, role, family = queue.pop()
            if (method, url, body) in seen:
                continue
            seen.add((method, url, body))
            requests += 1
            page = _page(sb, url, method, body)
            listing = BY_NAME[family].api(page) if role == "api" else detect(page).listing(page)
            families.add(listing.family)
            found |= {e.url for e in listing.entries if judge_title(e.title).is_report}
            queue += [(c.method, c.url, c.body, c.role, listing.family) for c in listing.calls]
    assert families == {"trs_static", "trs_dynamic", "hanweb", "gkmlpt", "vsb", "generic"}
    assert wanted_pages <= found
    assert requests <= 1.2 * listing_minimum


def test_attachments_in_every_form(sandbox):
    sb, truth = sandbox
    files_of: dict[str, list[str]] = {}
    parts_of: dict[str, list[str]] = {}  # a paged TRS article links its files from whichever page shows them
    for report in truth["reports"]:
        page = None
        for doc in report["documents"]:  # each place: its page, then that page's files
            if doc["role"] == "page":
                page = doc["url"]
                parts_of[page] = doc.get("parts", [])
            else:
                files_of.setdefault(page, []).append(doc["url"])
    for page, files in files_of.items():
        linked = {u for part in (page, *parts_of[page]) for u in attachments(_page(sb, part))}
        assert set(files) <= linked, page
    assert len(files_of) > 50


def test_a_pager_whose_links_carry_a_session_id_is_still_cut_out_and_the_table_joined():
    from crawler.platforms.trs_article import join_parts, next_part

    def part(n: int, rows: str, pager: str) -> Page:
        url = f"http://www.x.gov.cn/gk/202401/t20240110_55{'_' + str(n) if n else ''}.html"
        return Page(url, f'<html><body><div class="article"><table><tbody>{rows}</tbody></table>'
                         f'<div class="page">{pager}</div></div></body></html>')

    first = part(0, "<tr><td>一、本年新收</td><td>5</td></tr>",
                 '<span>1</span> <a href="./t20240110_55_1.html;jsessionid=40526D0E">2</a> '
                 '<a href="./t20240110_55_1.html;jsessionid=40526D0E">下一页</a>')
    second = part(1, "<tr><td>二、上年结转</td><td>2</td></tr>",
                  '<a href="./t20240110_55.html;jsessionid=40526D0E">上一页</a> <span>2</span>')
    assert next_part(first) == second.url and next_part(second) is None
    joined = join_parts([first, second]).decode("utf-8")
    assert joined.count("<table") == 1 and "上年结转" in joined and "下一页" not in joined


def test_the_host_queue_starts_every_host_then_serves_the_one_with_most_waiting():
    from collections import Counter
    from types import SimpleNamespace
    from urllib.parse import urlsplit

    from scrapy import Request
    from scrapy.squeues import FifoMemoryQueue
    from scrapy.utils.test import get_crawler

    from crawler.fetch.host_queue import BusiestHostFirst

    in_flight: Counter[str] = Counter()  # what crawler.fetch.downloader.PoliteDownloader counts
    downloader = SimpleNamespace(in_flight=in_flight, get_slot_key=lambda request: urlsplit(request.url).hostname)
    crawler = get_crawler(settings_dict={"CONCURRENT_REQUESTS_PER_DOMAIN": 2})
    crawler.engine = SimpleNamespace(downloader=downloader)
    queue = BusiestHostFirst(crawler, FifoMemoryQueue, "")
    for host, n in (("big.gov.cn", 5), ("small.gov.cn", 3), ("new.gov.cn", 1)):
        for i in range(n):
            queue.push(Request(f"http://{host}/{i}.html"))
    order = []
    while (request := queue.pop()) is not None:
        host = urlsplit(request.url).hostname
        in_flight[host] += 1  # its download under way
        order.append(host)
    # Each host started, the busiest first; then the busiest below its limit of two, then the next; then nothing
    # while every host with work waiting has all it may take.
    assert order == ["big.gov.cn", "small.gov.cn", "new.gov.cn", "big.gov.cn", "small.gov.cn"]
    assert len(queue) == 4
    in_flight["small.gov.cn"] -= 1  # a response came in
    assert urlsplit(queue.pop().url).hostname == "small.gov.cn" and queue.pop() is None


def test_failures_are_classified_by_their_type_never_their_message():
    from scrapy.exceptions import DownloadCancelledError, IgnoreRequest
    from twisted.internet.error import ConnectionRefusedError

    from crawler.fetch.failures import BudgetSpent, ChallengeBlocked, HostRefused, RobotsForbidden, classify

    # A message naming another kind changes nothing: the type decides.
    assert classify(HostRefused("challenge robots"), None, False, True, False).kind == "host_guard"
    assert classify(HostRefused(""), None, False, True, False).permanent
    assert classify(RobotsForbidden("host guard"), None, False, True, False).kind == "robots"
    blocked = classify(ChallengeBlocked("robots"), None, False, True, False)
    assert (blocked.kind, blocked.permanent) == ("blocked", False)  # a WAF may let us in next time
    assert classify(BudgetSpent(""), None, False, False, False).kind == "budget"
    assert classify(IgnoreRequest("Forbidden by robots.txt"), None, False, True, False).kind == "ignored"
    large = classify(DownloadCancelledError("x"), None, False, True, False)
    assert (large.kind, large.permanent) == ("too_large", True)
    # HTTP errors: a gateway error at a portal's entry is the portal down; 404/410 end a document for good.
    assert classify(Exception(), 503, True, False, False).kind == "unreachable"
    assert classify(Exception(), 503, False, True, False) == classify(Exception(), 503, False, True, False)
    assert classify(Exception(), 503, False, True, False).kind == "http_503"
    assert classify(Exception(), 404, False, True, False).permanent
    assert not classify(Exception(), 404, False, False, False).permanent  # a list may come back
    # Network errors: a portal's entry is tried once on the other scheme, then it is unreachable.
    entry = classify(ConnectionRefusedError(), None, True, False, False)
    assert (entry.kind, entry.other_scheme) == ("unreachable", True)
    assert not classify(ConnectionRefusedError(), None, True, False, True).other_scheme
    assert classify(ConnectionRefusedError(), None, False, True, False).kind == "network"


def test_a_crawl_state_file_of_earlier_versions_is_adopted_into_the_archive(tmp_path):
    """Before migration 0007 the crawl state was a SQLite file beside the archive: a crawl opening the archive reads
    it into the archive's tables once, so that it resumes where the last run left off."""
    import sqlite3

    from archive.store.db import open_archive
    from crawler.constants import Role
    from crawler.state import Child, Node, open_state

    legacy = sqlite3.connect(tmp_path / "crawl-state.sqlite")
    legacy.executescript("""
        CREATE TABLE nodes (key TEXT PRIMARY KEY, url TEXT NOT NULL, role TEXT NOT NULL, fetched_at REAL NOT NULL,
          etag TEXT, last_modified TEXT, digest TEXT, cold INTEGER NOT NULL DEFAULT 0, children TEXT NOT NULL);
        CREATE TABLE failed_documents (url TEXT PRIMARY KEY, reason TEXT NOT NULL, at REAL NOT NULL);""")
    column = Node("GET http://a.gov.cn/ndbg/", "http://a.gov.cn/ndbg/", "column", 1700000000.0, '"e1"', None, "d",
                  True, [Child("http://a.gov.cn/ndbg/t1.html", "doc", title="2023年报", year=2023)])
    row = column.as_row()
    legacy.execute("INSERT INTO nodes VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", tuple(row.values()))
    legacy.execute("INSERT INTO failed_documents VALUES ('http://a.gov.cn/gone.pdf', 'http_404', 1700000000.0)")
    legacy.commit()
    legacy.close()

    archive = open_archive(str(tmp_path / "archive.sqlite"))
    state = open_state(archive)
    assert state.node(column.key) == column
    assert state.node(column.key).children[0].role == Role.DOC
    assert state.failed == {"http://a.gov.cn/gone.pdf"} and state.document_done("http://a.gov.cn/gone.pdf")
    assert not (tmp_path / "crawl-state.sqlite").exists() and (tmp_path / "crawl-state.sqlite.adopted").exists()
    # What the state learns now is saved in the archive, seen by the next run.
    state.save(Node("GET http://a.gov.cn/", "http://a.gov.cn/", Role.HOME, 1700000001.0))
    state.fail("http://a.gov.cn/big.pdf", "too_large")
    state.close()
    again = open_state(archive)
    assert again.node("GET http://a.gov.cn/").role == "home" and again.node(column.key) == column
    assert again.failed == {"http://a.gov.cn/gone.pdf", "http://a.gov.cn/big.pdf"}
    again.close()


def test_a_robots_txt_that_cannot_be_fetched_is_one_log_line_without_traceback(caplog):
    try:
        raise ConnectionError("Could not open CONNECT tunnel with proxy 127.0.0.1:3128")
    except ConnectionError as e:
        ROBOTS_LOG.error("Error downloading %(request)s: %(f_exception)s",
                         {"request": "<GET https://www.fujian.gov.cn/>", "f_exception": e}, exc_info=True)
    [record] = [r for r in caplog.records if r.name == ROBOTS_LOG.name]
    assert "CONNECT tunnel" in record.getMessage() and record.exc_info is None
    assert "Traceback" not in caplog.text
