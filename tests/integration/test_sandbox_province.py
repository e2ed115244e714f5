"""The sandbox province (issue 16): a world on the real divisions of 福建省 whose manifest `discovery` section and
pages agree — every portal names its owner, every parent lists its children, the minimum requests reach every
report column, every decoy behaves as declared — while the scale-based world stays byte for byte as it was."""
import csv
import hashlib
import io
import json
import re
from collections import Counter
from urllib.parse import urljoin, urlsplit

import pytest

from archive.registry.divisions import bundled
from archive.registry.governments import agency_names
from crawler.cli import build_parser
from crawler.discovery.seeds import seed_for
from sandbox.app import Options, Sandbox
from sandbox.commands import _options
from sandbox.manifest import manifest
from sandbox.province import build_province_world
from tests.support.sandbox_client import fetch, links, text

META = re.compile(r'<meta name="(SiteIDCode|SiteName)" content="([^"]*)">')
SCRIPTED = re.compile(r'"url": "([^"]+)"')
OPTION = re.compile(r'<option value="([^"]+)">')
HREF = re.compile(r'href="([^"]+)"')
TREE = re.compile(r"TREE: (\[.*?\]), SERVICE_AREA_ID")


@pytest.fixture(scope="module")
def sb():
    sandbox = Sandbox(Options(province=("福建省",), years=(2024, 2025), documents_per_format=1))
    yield sandbox
    sandbox.close()


@pytest.fixture(scope="module")
def truth(sb):
    return manifest(sb, fields=False)["discovery"]


def metas(page: str) -> dict[str, str]:
    return dict(META.findall(page))


def child_urls(sb, url: str) -> set[str]:
    """Every URL a page points to, those only in a script's data or a drop-down's options included, without
    fragments."""
    page = text(fetch(sb, url))
    found = HREF.findall(page) + SCRIPTED.findall(page) + OPTION.findall(page)
    return {urljoin(url, u.replace("&amp;", "&")).split("#")[0] for u in found}


def test_divisions_are_the_releases_own(sb):
    release = bundled()
    names = agency_names(release.divisions)
    fujian = {d.code: d for d in release.divisions if d.code.startswith("35") and d.publisher}
    governments = {a.division_code: a for a in sb.world.agencies() if a.kind == "government"}
    assert set(governments) == set(fujian) and "350527" not in governments  # 金门县 publishes nothing here
    assert all(governments[code].name == names[code] for code in fujian)
    levels = Counter(d.level for d in fujian.values())
    assert levels["prefecture"] == 9 and levels["township"] > 1000
    assert Counter(a.level for a in governments.values()) == levels
    departments = Counter(a.parent for a in sb.world.agencies() if a.kind == "department")
    county_names = {a.name for a in governments.values() if a.level == "county"}
    assert all(8 <= departments[n] <= 14 for n in county_names)


def test_registry_holds_only_the_seed(sb, truth):
    rows = list(csv.DictReader(io.StringIO(sb.registry())))
    assert [r["portal_url"] for r in rows] == [truth["seed"]] == ["http://www.fujian.gov.cn/"]
    assert rows[0]["name"] == "福建省人民政府" and rows[0]["division_code"] == "350000"


def test_every_portal_names_its_owner(sb, truth):
    checked = 0
    for portal in truth["portals"]:
        if not portal["counts"] or portal.get("evidence") == "link":
            continue
        page = text(fetch(sb, portal["url"]))
        assert metas(page) == {"SiteIDCode": portal["site_code"], "SiteName": portal["agency"]}
        assert f"网站标识码：{portal['site_code']}" in page
        checked += 1
    assert checked >= 80
    serials = Counter(p["site_code"][6:] == "0001" for p in truth["portals"])
    assert serials[True] > serials[False] > 0  # serial 0001 is common, not universal


def test_parents_list_their_children(sb, truth):
    portal_of = {p["agency"]: p["url"] for p in truth["portals"]}
    column_of = {c["agency"]: c["url"] for c in truth["columns"]}
    moved = {d["url"]: fetch(sb, d["url"]).headers for d in truth["decoys"] if d["kind"] == "moved"}
    listed: dict[str, set[str]] = {}
    for parent in (p for p in truth["portals"] if p["level"] in ("province", "prefecture")):
        found = child_urls(sb, parent["url"])
        listed[parent["agency"]] = {dict(moved[u])["Location"] if u in moved else u for u in found}
    governments = [a for a in sb.world.agencies() if a.kind == "government" and a.level in ("prefecture", "county")]
    for gov in governments:
        # a shared county's entry is its column on the parent's platform (gkmlpt: the directory, `#<column>`)
        assert portal_of.get(gov.name, column_of[gov.name]).split("#")[0] in listed[gov.parent], gov.name
    scripted = next(iter(sb.world.discovery.scripted))
    page = text(fetch(sb, f"http://{scripted}/"))
    data = set(SCRIPTED.findall(page))  # JS-only navigation: the children are in the script's data, not in links
    assert data and not data & set(HREF.findall(page))


def test_minimum_requests_reach_every_column(sb, truth):
    seen: set[str] = set()
    statuses = Counter()
    for entry in truth["minimum_requests"]:
        response = fetch(sb, entry["url"])
        statuses[(entry["purpose"], response.status)] += 1
        if response.status != 200 or entry["purpose"] == "robots":
            continue
        seen |= links(entry["url"], response)
        if tree := TREE.search(text(response)):  # gkmlpt: the columns are ids of the directory's TREE
            seen |= {f"{entry['url']}#{c['id']}" for c in json.loads(tree[1]) if c["id"]}
    assert {purpose for purpose, status in statuses if status != 200} <= {"robots", "redirect", "unreachable portal"}
    counted = [c for c in truth["columns"] if c["counts"]]
    assert len(counted) > 2000
    assert [c["url"] for c in counted if c["url"] not in seen] == []
    fetched = {e["url"] for e in truth["minimum_requests"]}
    assert all(c["url"].split("#")[0] in fetched for c in counted)


DIRECTORY_FORMS = {  # family → how its 政务公开 page links the department directory, and how that lists a department
    "trs_static": (r"/bmxxgk/$", r"/bmxxgk/{slug}/$"), "trs_dynamic": (r"/bmxxgk/$", r"/bmxxgk/{slug}/$"),
    "generic": (r"/bmxxgk/$", r"/bmxxgk/{slug}/$"), "vsb": (r"/bmgk\.htm$", r"/bmgk/{slug}\.htm$"),
    "hanweb": (r"/col/col\d+/index\.html$", r"/col/col\d+/index\.html\?uid=\d+&pageNum=1$"),
}


@pytest.mark.parametrize("family", [*DIRECTORY_FORMS, "gkmlpt"])
def test_unit_directories_in_each_familys_form(sb, family):
    portal = next(p for p in sb.world.portals if p.family == family and p.owner.level == "county" and not p.down
                  and not p.hazards)
    site, platform = sb.site(portal), sb.platform(portal)
    openness = f"http://{portal.host}{platform.openness(site)}"
    found = child_urls(sb, openness)
    departments = [u for u in portal.units if u.kind == "department"]
    if family == "gkmlpt":  # one directory per unit, its _CONFIG naming the unit and holding the 年报 column
        for unit in portal.units:
            shell = f"http://{portal.host}{'' if unit is portal.owner else '/' + unit.slug}/gkmlpt/index"
            page = text(fetch(sb, shell))
            assert shell in found and f"SITE_NAME: '{unit.name}'" in page and "SID: '" in page
            assert any(c["name"] == "政府信息公开年报" for c in json.loads(TREE.search(page)[1]))
        return
    directory_path, entry_path = DIRECTORY_FORMS[family]
    directory = next(u for u in found if u.startswith(portal.url) and re.search(directory_path, u)
                     and "部门" in text(fetch(sb, u)).split("<title>")[1].split("</title>")[0])
    pages = [f"http://{portal.host}{c.url}" for c in platform.listing_calls(site, "bmxxgk", sb.today)]
    assert pages[0] == directory
    entries = set().union(*(child_urls(sb, page) for page in pages))  # a long directory pages
    for unit in departments:
        assert any(re.search(entry_path.format(slug=unit.slug), u) and unit.name in text(fetch(sb, u))
                   for u in entries if u.startswith(portal.url)), unit.name


def test_every_unit_column_names_its_unit(sb, truth):
    units = [u for u in truth["units"] if u["counts"]]
    assert Counter(u["level"] for u in units).keys() == {"department", "township"}
    for unit in units[::7]:
        page = text(fetch(sb, unit["column_url"].split("#")[0]))
        assert unit["name"] in page, unit
    by_year = [u for u in units if re.search(r"/(?:nb)?2024(?:nd?)?/xzjd/", " ".join(u["column_urls"]))]
    assert by_year and all(len(u["column_urls"]) == 2 and u["level"] == "township" for u in by_year)
    for unit in by_year[::5]:  # a township filed by year first: a column for each year, each naming it
        assert all(unit["name"] in text(fetch(sb, url)) for url in unit["column_urls"])
    excluded = [u for u in truth["units"] if not u["counts"]]
    assert excluded and all(u["reason"] for u in excluded)


def test_every_decoy_behaves_as_declared(sb, truth):
    kinds = Counter(d["kind"] for d in truth["decoys"])
    assert {"clone", "abolished", "moved", "dead", "robots"} <= set(kinds) and kinds["moved"] > 1
    portals = {p["agency"]: p for p in truth["portals"]}
    homes = [p["url"] for p in truth["portals"] if p["counts"] and "evidence" not in p]
    linked = set().union(*(child_urls(sb, url) for url in homes))
    codes = {d.code for d in bundled().divisions}
    for decoy in truth["decoys"]:
        response = fetch(sb, decoy["url"])
        if decoy["kind"] == "clone":  # the real portal's markup and code on a non-government domain it links
            real = portals[decoy["claims"]]
            assert metas(text(response)) == {"SiteIDCode": real["site_code"], "SiteName": real["agency"]}
            assert ".gov.cn/" not in decoy["url"] and decoy["url"] in child_urls(sb, real["url"])
        elif decoy["kind"] == "abolished":  # up, linked, and claiming a code the release no longer has
            code = metas(text(response))["SiteIDCode"]
            assert response.status == 200 and code[:6] not in codes and decoy["url"] in linked
            assert code.startswith("350427")  # 沙县, since 2021 沙县区 350405
        elif decoy["kind"] == "moved":  # the parent links the old domain, which redirects to the portal
            assert response.status == 301 and decoy["url"] in linked
            assert dict(response.headers)["Location"] == portals[decoy["claims"]]["url"]
        elif decoy["kind"] == "dead":
            assert response.status == 502 and not portals[decoy["claims"]]["counts"]
        else:  # robots: its portal counts, found by its parent's link; nothing behind it does
            assert decoy["kind"] == "robots"
            assert "User-agent: *\nDisallow: /" in text(fetch(sb, decoy["url"] + "robots.txt"))
            assert portals[decoy["claims"]]["counts"] and portals[decoy["claims"]]["evidence"] == "link"
            assert not any(c["counts"] for c in truth["columns"] if c["url"].startswith(decoy["url"]))


def test_every_family_serves_the_province(truth):
    assert set(truth["summary"]["families"]) == {"trs_static", "trs_dynamic", "hanweb", "gkmlpt", "vsb", "generic"}
    shared = [c for c in truth["columns"] if c["division_code"] and len(c["division_code"]) == 6
              and not any(p["division_code"] == c["division_code"] for p in truth["portals"])]
    assert shared  # counties on their prefecture's platform: a column, no portal


def test_several_provinces_in_one_world():
    world = build_province_world(seed=3, provinces=("福建省", "江西省"), years=(2025,))
    assert [s.split("/")[2] for s in world.discovery.seeds] == ["www.fujian.gov.cn", "www.jiangxi.gov.cn"]
    assert len({p.host for p in world.portals}) == len(world.portals)
    assert len({a.name for a in world.agencies()}) == len(world.agencies())
    with pytest.raises(ValueError, match="no province named"):
        build_province_world(provinces=("火星省",))


def test_each_provincial_portal_is_where_the_bundled_seed_list_starts():
    # 吉林省's portal is www.jl.gov.cn, not the pinyin www.jilin.gov.cn: discovery from the seed list must reach it.
    provinces = ("吉林省", "宁夏回族自治区", "福建省")
    world = build_province_world(provinces=provinces, years=(2025,))
    assert [s.split("/")[2] for s in world.discovery.seeds] == [
        urlsplit(seed_for(p).portal_url).hostname for p in provinces] == ["www.jl.gov.cn", "www.nx.gov.cn",
                                                                          "www.fujian.gov.cn"]


def test_serve_options_name_the_province():
    args = build_parser().parse_args(["sandbox", "serve", "--province", "福建省", "--report-years", "2024-2025"])
    assert _options(args) == Options(province=("福建省",), years=(2024, 2025))
    with pytest.raises(SystemExit):
        build_parser().parse_args(["sandbox", "serve", "--province", "福建省", "--report-years", "2010"])


def test_the_scale_world_is_unchanged():
    """The scale-based world's manifest and registry, digested: the same bytes as before province worlds existed
    (the demo's figures and its minimum requests rest on them)."""
    sandbox = Sandbox(Options(scale=7, seed=5, documents_per_format=1))
    digest = hashlib.sha256(json.dumps(manifest(sandbox, fields=False), ensure_ascii=False).encode()
                            + sandbox.registry().encode()).hexdigest()
    sandbox.close()
    assert "discovery" not in manifest(sandbox, fields=False)
    assert digest == SCALE_WORLD_DIGEST


# Computed with the sandbox of main at 58b0370 (before province worlds), by the expression in the test above.
SCALE_WORLD_DIGEST = "cd1d30ed65ca98a4d51c477240dd5f7a77705dcf305c5fcc11c03469369d13eb"
