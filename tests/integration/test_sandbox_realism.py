"""The sandbox's later realism: paged TRS articles, Hanweb's xxgkAnnualReport.jsp, spam clones, IP-only portals
and third-party evaluation reports, each in the manifest and served as it says."""
import ipaddress
import itertools
import re

import pytest

from sandbox.app import Options, Sandbox
from sandbox.manifest import manifest
from sandbox.platforms.hanweb import CODE_CHARS, JSP, credit_code
from tests.support.sandbox_client import fetch, links, text


@pytest.fixture(scope="module")
def world():
    """The manifest tests' world (seed 5, 7 portals): it has every one of these features."""
    sandbox = Sandbox(Options(scale=7, seed=5, documents_per_format=1))
    yield sandbox, manifest(sandbox, fields=False)
    sandbox.close()


def test_paged_trs_articles_continue_on_their_parts(world):
    sb, truth = world
    paged = [(r, d) for r in truth["reports"] for d in r["documents"] if d.get("parts")]
    assert len(paged) >= 5
    assert {len(d["parts"]) for _, d in paged} == {1, 2}  # articles of two and of three pages
    minimum = {e["url"] for e in truth["minimum_requests"] if e["purpose"] == "report part"}
    for report, doc in paged:
        assert set(doc["parts"]) <= minimum
        pages = [text(fetch(sb, u)) for u in [doc["url"], *doc["parts"]]]
        assert all(report["title"] in p for p in pages)
        # The pager: the TRS script with the article's stem, or plain 下一页 links to the next part.
        stem = doc["url"].rsplit("/", 1)[1].rsplit(".", 1)[0]
        first = pages[0]
        assert f'createPageHTML({len(pages)}, 0, "{stem}"' in first or \
            f'{doc["parts"][0].rsplit("/", 1)[1]}">下一页</a>' in first
        # A table runs on over every break: each page ends an open table, the next reopens it.
        for before, after in itertools.pairwise(pages):
            body_before = before[before.index('id="zoom"'):before.index('<div id="page_div"')]
            body_after = after[after.index('id="zoom"'):]
            assert body_before.rstrip().endswith("</table>")
            assert re.match(r'id="zoom">\s*<table', body_after)
    url = paged[0][1]["url"]
    beyond = url.rsplit(".", 1)[0] + f"_{len(paged[0][1]['parts']) + 1}." + url.rsplit(".", 1)[1]
    assert fetch(sb, beyond).status == 404 or "页面不存在" in text(fetch(sb, beyond))


def test_credit_codes_carry_a_valid_check_character(world):
    sb, _ = world
    portal = next(p for p in sb.world.portals if p.annual_jsp)
    codes = {credit_code(sb.world.seed, u, portal.owner.division_code) for u in portal.units}
    assert len(codes) == len(portal.units)
    for code in codes:
        assert len(code) == 18 and code[:2] == "11" and code[2:8] == portal.owner.division_code[:6]
        total = sum(CODE_CHARS.index(c) * pow(3, i, 31) for i, c in enumerate(code[:17]))
        assert CODE_CHARS.index(code[17]) == (31 - total % 31) % 31


def test_hanweb_annual_report_jsp_is_the_only_way_to_some_reports(world):
    sb, truth = world
    portal = next(p for p in sb.world.portals if p.annual_jsp)
    jsp = [r for r in truth["reports"] for d in r["documents"] if JSP in d["url"]]
    assert len({r["agency"] for r in jsp}) >= 2 and portal.owner.name in {r["agency"] for r in jsp}
    pages = {d["url"] for r in jsp for d in r["documents"] if d["role"] == "page"}
    assert all(re.search(r"\?fbtime=20\d\d&area=[0-9A-Z]{18}$", u) for u in pages)
    # Reached through the year selector of the 信息公开 page and the report column, one year page per year.
    for page in (portal.url.rstrip("/") + sb.platform(portal).openness(sb.site(portal)),
                 next(p["report_column"] for p in truth["portals"] if p["host"] == portal.netloc)):
        assert f"onchange=\"window.location.href='{JSP}?fbtime='+this.value\"" in text(fetch(sb, page))
    year_pages = [e for e in truth["minimum_requests"] if "fbtime=" in e["url"] and e["purpose"] == "listing"]
    assert {e["years"][0] for e in year_pages} == {r["year"] for r in jsp}
    found = set().union(*(links(e["url"], fetch(sb, e["url"])) for e in year_pages))
    assert pages <= found
    # Nowhere else: no column list or data proxy names them.
    listings = [e for e in truth["minimum_requests"] if e["purpose"] == "listing" and "fbtime=" not in e["url"]
                and e["url"].split("/")[2] == portal.netloc]
    listed = set().union(*(links(e["url"], fetch(sb, e["url"], e["method"], e["body"])) for e in listings))
    assert not pages & listed
    assert all(r["title"] in text(fetch(sb, u)) for r in jsp[:5] for u in [r["documents"][0]["url"]])
    assert fetch(sb, f"{portal.url.rstrip('/')}{JSP}?fbtime=1999").status in (404, 200)
    assert jsp[0]["title"] not in text(fetch(sb, f"{portal.url.rstrip('/')}{JSP}?fbtime=1999"))


def test_spam_clones_copy_portals_and_are_linked_from_them(world):
    sb, truth = world
    clones = [h for h in truth["hazards"] if h["kind"] == "spam_clone"]
    assert clones
    for clone in clones:
        assert not clone["host"].endswith(".gov.cn")
        original = sb.world.portal(clone["clone_of"])
        assert original.clone == clone["host"]
        home = text(fetch(sb, original.url))
        assert f'href="http://{clone["host"]}/"' in home  # the footer's 友情链接
        copy = fetch(sb, f"http://{clone['host']}/")
        assert copy.status == 200 and original.owner.name in text(copy)
        for url in clone["urls"][1:]:  # the injected list entries: the clone's copy of a real report
            real = url.replace(clone["host"], original.netloc, 1)
            assert text(fetch(sb, url)) == text(fetch(sb, real))
    injected = {u for c in clones for u in c["urls"][1:]}
    assert injected, "a cloned portal's report list must carry an injected link"
    listed = set().union(*(links(e["url"], fetch(sb, e["url"], e["method"], e["body"]))
                           for e in truth["minimum_requests"] if e["purpose"] == "listing"))
    assert injected <= listed
    reports = {d["url"].split("/")[2] for r in truth["reports"] for d in r["documents"]}
    assert not reports & {c["host"] for c in clones}


def test_ip_only_portals_answer_on_their_port_only(world):
    sb, truth = world
    ip = [p for p in sb.world.portals if p.port]
    assert ip
    registry = sb.registry()
    for portal in ip:
        address = ipaddress.ip_address(portal.host)
        assert not (address.is_private or address.is_loopback or address.is_reserved)
        assert f"http://{portal.host}:{portal.port}/" in registry
        assert f"http://{portal.host}/" not in registry
        assert {"kind": "ip_host", "host": portal.netloc} == \
            {k: v for h in truth["hazards"] if h.get("host") == portal.netloc and h["kind"] == "ip_host"
             for k, v in h.items() if k != "detail"}
        assert fetch(sb, f"http://{portal.netloc}/robots.txt").status in (200, 404)
        assert fetch(sb, f"http://{portal.host}/").status == 502
        assert fetch(sb, f"http://{portal.host}:{portal.port + 1}/").status == 502
    served = [d["url"] for r in truth["reports"] for d in r["documents"]
              if d["url"].split("/")[2] in {p.netloc for p in ip} and d["role"] == "page"]
    assert served and fetch(sb, served[0]).status == 200


def test_third_party_evaluations_are_look_alikes_in_report_columns(world):
    sb, truth = world
    evaluations = [n for n in truth["near_misses"] if n["kind"] == "evaluation"]
    assert len(evaluations) >= 5
    assert all("评估" in n["title"] for n in evaluations)
    page = text(fetch(sb, evaluations[0]["url"]))
    assert evaluations[0]["title"] in page and "第三方评估" in page
