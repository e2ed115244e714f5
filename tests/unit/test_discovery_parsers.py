"""Discovery's pure parts on pages modelled on real portal markup (tests/fixtures/discovery, domain.md §5 and §8):
site evidence, links to the portals below, directories of units per CMS family, the seed list, and the binding rules
against the national registry's real names (福建省 from the bundled MCA release)."""
from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from archive.registry.bindings import Conflict, Discovered, Evidence, Signal
from archive.registry.divisions import bundled
from crawler.discovery import gazetteer, registry_csv
from crawler.discovery.binding import SiteSeen, bind_site, bind_unit, one_per_government
from crawler.discovery.directories import UnitEntry, directory_links, shell_unit, unit_entries, unit_name
from crawler.discovery.evidence import SiteFacts, site_facts
from crawler.discovery.findings import Findings
from crawler.discovery.links import Link, is_entrance, portal_links
from crawler.discovery.reading import Reading, read
from crawler.discovery.registry import HEADER, parse
from crawler.discovery.seeds import seed_for, seeds
from crawler.platforms import Page

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "discovery"
GOV = (".gov.cn",)
FUJIAN = "350000"
PROVINCE = "福建省"


def page(name: str, url: str) -> Page:
    return Page(url, (FIXTURES / name).read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def gaz() -> gazetteer.Gazetteer:
    return gazetteer.province(FUJIAN)


# -- seeds ----------------------------------------------------------------------------------------------------------
def test_seeds_are_the_registrys_31_provinces():
    release = {d.code: d.name for d in bundled().divisions if d.level == "province" and d.publisher}
    got = {s.division_code: s.name for s in seeds()}
    assert len(got) == 31 and set(got) == set(release)
    assert all(got[code] == name + "人民政府" for code, name in release.items())
    assert all(s.portal_url.startswith("https://www.") and s.portal_url.endswith(".gov.cn/") for s in seeds())


@pytest.mark.parametrize("asked", ["福建省", "福建", "福建省人民政府", "350000", "35"])
def test_seed_for_a_province_by_any_of_its_names(asked):
    assert seed_for(asked).portal_url == "https://www.fujian.gov.cn/"


def test_seed_for_an_unknown_province_names_the_choices():
    with pytest.raises(LookupError, match="福建"):
        seed_for("台湾省")


# -- site evidence --------------------------------------------------------------------------------------------------
def test_site_facts_from_meta_footer_and_title():
    facts = site_facts(page("province-home.html", "https://www.fujian.gov.cn/"))
    assert facts.site_id_code == facts.footer_code == facts.code == "3500000040"
    assert facts.division_code == "350000"
    assert facts.site_name == "福建省人民政府门户网站"
    assert facts.sponsor == "福建省人民政府办公厅"
    assert facts.title == "福建省人民政府门户网站"
    signals = {e.signal for e in facts.evidence()}
    assert signals == {Signal.SITE_ID_CODE, Signal.FOOTER_CODE, Signal.SITE_NAME, Signal.SPONSOR, Signal.TITLE}


def test_site_facts_disagreeing_codes_give_no_code():
    facts = SiteFacts("http://x.gov.cn/", site_id_code="3501000001", footer_code="3501020001")
    assert facts.code == "" and facts.division_code == ""
    assert SiteFacts("http://x.gov.cn/", footer_code="bm07000001").division_code == ""


def test_site_facts_of_a_page_without_any():
    facts = site_facts(Page("http://x.gov.cn/", "<html><body><p>正在建设中</p></body></html>"))
    assert facts.code == "" and facts.names == ()


# -- links to the portals below -------------------------------------------------------------------------------------
def test_portal_links_from_blocks_and_selects():
    links = {link.url: link for link in portal_links(page("province-home.html", "https://www.fujian.gov.cn/"))}
    assert links["http://www.fuzhou.gov.cn/"].text == "福州"
    assert links["http://www.putian.gov.cn/index.htm"].text == "莆田市"
    assert links["http://www.sm.gov.cn/"] == Link("http://www.sm.gov.cn/", "三明市", "option")
    assert "http://fgw.fujian.gov.cn/" in links
    # Articles and deep pages are not sites' entrances.
    assert not any("t20240129" in u or "registerSystemInfo" in u for u in links)


def test_portal_links_only_in_scripts():
    links = {link.text: link for link in portal_links(page("prefecture-scripted.html", "http://www.fuzhou.gov.cn/"))}
    assert links["鼓楼区"].url == "http://www.gl.gov.cn/" and links["鼓楼区"].source == "script"
    assert links["闽侯县"].url == "http://www.minhou.gov.cn/"
    assert links["连江县"].url == "http://www.fuzhou.gov.cn/ljx/"  # a county on its prefecture's platform
    assert links["仓山区"].url == "http://www.fzcangshan.gov.cn/"


@pytest.mark.parametrize(("url", "entrance"), [
    ("http://www.gl.gov.cn/", True), ("http://www.fuzhou.gov.cn/ljx/", True), ("http://www.x.gov.cn/index.html", True),
    ("http://www.x.gov.cn/zwgk/a/b/", False), ("http://www.x.gov.cn/202401/t20240129_1.htm", False),
    ("http://www.x.gov.cn/a.pdf", False), ("http://www.x.gov.cn/?id=3", False), ("javascript:void(0)", False)])
def test_is_entrance(url, entrance):
    assert is_entrance(url) is entrance


# -- directories of units -------------------------------------------------------------------------------------------
def test_gkmlpt_units_from_their_shells():
    entries = unit_entries(page("gkmlpt-zwgk.html", "http://www.yangjiang.gov.cn/zwgk/"))
    by_name = {e.name: e for e in entries}
    assert set(by_name) == {"阳江市人民政府", "阳江市住房和城乡建设局", "阳江市财政局", "江城区埠场镇"}
    assert by_name["阳江市财政局"] == UnitEntry("阳江市财政局", "http://www.yangjiang.gov.cn/yjsczj/gkmlpt/index",
                                               "yjsczj", "gkmlpt")


def test_gkmlpt_shell_names_its_unit():
    shell = shell_unit(page("gkmlpt-shell.html", "http://www.yangjiang.gov.cn/yjsczj/gkmlpt/index"))
    assert shell == UnitEntry("阳江市财政局", "http://www.yangjiang.gov.cn/yjsczj/gkmlpt/index", "662021", "gkmlpt")


def test_hanweb_department_directory_with_unit_ids():
    entries = unit_entries(page("hanweb-bmml.html", "http://www.np.gov.cn/col/col8924/index.html"))
    assert [(e.name, e.unit_id, e.family) for e in entries] == [
        ("南平市发展和改革委员会", "26813", "hanweb"), ("南平市教育局", "26814", "hanweb"),
        ("市财政局", "26815", "hanweb")]


def test_trs_directory_links_and_folders():
    p = page("trs-zwgk.html", "http://www.minhou.gov.cn/zwgk/")
    assert {link.text for link in directory_links(p)} == {"部门信息公开", "乡镇（街道）信息公开"}
    entries = {e.name: e for e in unit_entries(p)}
    assert entries["县财政局"].unit_id == "czj" and entries["县财政局"].family == "trs"
    assert set(entries) == {"县财政局", "闽侯县教育局", "闽侯县发展和改革局", "甘蔗街道", "上街镇人民政府"}


@pytest.mark.parametrize(("text", "name"), [
    ("福州市财政局信息公开目录", "福州市财政局"), ("鼓东街道", "鼓东街道"), ("政府信息公开指南", ""), ("通知公告", ""),
    ("下一页", ""), ("福州市教育局2023年政府信息公开工作年度报告", ""), ("更多>>", "")])
def test_unit_name(text, name):
    assert unit_name(text) == name


def test_reading_round_trips_through_json():
    reading = read(page("trs-zwgk.html", "http://www.minhou.gov.cn/zwgk/"))
    assert reading.columns and reading.columns[0].url == "http://www.minhou.gov.cn/zwgk/zfxxgkzl/zfxxgknb/"
    assert Reading.from_json(reading.as_json()) == reading


# -- binding rules --------------------------------------------------------------------------------------------------
def seen(url: str, code: str = "", name: str = "", link: str | None = None, parent: str = "",
         footer: str | None = None) -> SiteSeen:
    facts = SiteFacts(url, site_id_code=code, footer_code=code if footer is None else footer, site_name=name)
    return SiteSeen(url, url, facts, Link(url, link, "anchor") if link else None, parent)


def test_a_site_naming_itself_with_its_code_is_bound(gaz):
    d = bind_site(gaz, FUJIAN, seen("http://www.fuzhou.gov.cn/", "3501000001", "福州市人民政府", "福州", FUJIAN), GOV)
    assert isinstance(d, Discovered)
    assert (d.name, d.level, d.division_code, d.parent, d.confidence) == \
        ("福州市人民政府", "prefecture", "350100", "福建省人民政府", 1.0)
    assert Evidence("http://www.fuzhou.gov.cn/", Signal.LINK, "福州") in d.evidence


def test_the_code_with_only_the_parents_link_naming_it_is_bound_less_surely(gaz):
    d = bind_site(gaz, FUJIAN, seen("http://www.gl.gov.cn/", "3501020001", "", "鼓楼区", "350100"), GOV)
    assert isinstance(d, Discovered) and d.name == "福州市鼓楼区人民政府" and d.confidence == 0.9


def test_a_departments_site_on_its_governments_code_is_no_portal(gaz):
    assert bind_site(gaz, FUJIAN, seen("http://czj.fuzhou.gov.cn/", "3501000002", "福州市财政局"), GOV) is None


def test_a_clone_off_the_government_domains_is_a_conflict(gaz):
    c = bind_site(gaz, FUJIAN, seen("http://www.fuzhou-gov.com/", "3501000001", "福州市人民政府"), GOV)
    assert isinstance(c, Conflict) and "clone" in c.reason


def test_an_abolished_units_code_is_a_conflict(gaz):
    c = bind_site(gaz, FUJIAN, seen("http://www.fjsx.gov.cn/", "3504270001", "沙县人民政府", "沙县人民政府",
                                    "350400"), GOV)
    assert isinstance(c, Conflict) and "350427" in c.reason


def test_a_link_and_a_code_naming_two_governments_is_a_conflict(gaz):
    c = bind_site(gaz, FUJIAN, seen("http://www.gl.gov.cn/", "3501030001", "台江区人民政府", "鼓楼区", "350100"), GOV)
    assert isinstance(c, Conflict) and "台江区" in c.reason


def test_meta_and_footer_disagreeing_is_a_conflict(gaz):
    c = bind_site(gaz, FUJIAN, seen("http://www.gl.gov.cn/", "3501020001", "鼓楼区人民政府", footer="3501030001"), GOV)
    assert isinstance(c, Conflict)


def test_no_name_agreeing_binds_nothing(gaz):
    assert bind_site(gaz, FUJIAN, seen("http://www.gl.gov.cn/", "3501020001", "欢迎访问", "点击进入"), GOV) is None
    assert bind_site(gaz, FUJIAN, seen("http://www.gl.gov.cn/", "", "福州市鼓楼区人民政府", "鼓楼区"), GOV) is None


def test_two_sites_claiming_one_government_bind_neither(gaz):
    a = bind_site(gaz, FUJIAN, seen("http://www.gl.gov.cn/", "3501020001", "鼓楼区人民政府"), GOV)
    b = bind_site(gaz, FUJIAN, seen("http://www.fzgl.gov.cn/", "3501020001", "福州市鼓楼区人民政府"), GOV)
    c = bind_site(gaz, FUJIAN, seen("http://www.fuzhou.gov.cn/", "3501000001", "福州市人民政府"), GOV)
    kept, conflicts = one_per_government([a, b, c, a])
    assert [d.name for d in kept] == ["福州市人民政府"]
    assert {x.url for x in conflicts} == {"http://www.gl.gov.cn/", "http://www.fzgl.gov.cn/"}


def test_units_join_their_government(gaz):
    county = bind_site(gaz, FUJIAN, seen("http://www.minhou.gov.cn/", "3501210001", "闽侯县人民政府"), GOV)
    source = "http://www.minhou.gov.cn/zwgk/"
    township = bind_unit(gaz, county, UnitEntry("甘蔗街道", source + "gzjd/"), source)
    assert (township.name, township.level, township.division_code, township.parent) == \
        ("闽侯县甘蔗街道办事处", "township", "350121001", "福州市闽侯县人民政府")
    department = bind_unit(gaz, county, UnitEntry("财政局", source + "czj/"), source)
    assert (department.name, department.kind, department.division_code) == \
        ("福州市闽侯县财政局", "department", "350121")
    assert bind_unit(gaz, county, UnitEntry("闽侯县教育局", source), source).name == "闽侯县教育局"
    assert bind_unit(gaz, county, UnitEntry("青口镇", source), source).name == "闽侯县青口镇人民政府"
    made_up = bind_unit(gaz, county, UnitEntry("桃花源镇", source), source)
    assert isinstance(made_up, Conflict) and "桃花源镇" in made_up.reason


def test_findings_assemble_governments_units_and_columns(gaz):
    f = Findings()
    county = bind_site(gaz, FUJIAN, seen("http://www.minhou.gov.cn/", "3501210001", "闽侯县人民政府"), GOV)
    f.site(county)
    f.column("350121", "http://www.minhou.gov.cn/zwgk/nb/", "政府信息公开年报")
    f.units("350121", [UnitEntry("上街镇人民政府", "http://www.minhou.gov.cn/x/sjz/"), UnitEntry("教育局", "u")],
            "http://www.minhou.gov.cn/zwgk/bm/")
    f.unit_column("350121", "闽侯县上街镇人民政府", "http://www.minhou.gov.cn/zwgk/nb/xzjd/sjz/")
    records, conflicts = f.assemble(gaz)
    by_name = {d.name: d for d in records}
    assert conflicts == []
    assert by_name["福州市闽侯县人民政府"].column_urls == ("http://www.minhou.gov.cn/zwgk/nb/",)
    assert by_name["闽侯县上街镇人民政府"].column_urls == ("http://www.minhou.gov.cn/zwgk/nb/xzjd/sjz/",)
    assert by_name["福州市闽侯县教育局"].column_urls == ()


def test_registry_csv_loads_as_a_crawl_registry(gaz, tmp_path):
    from datetime import UTC, datetime

    d = bind_site(gaz, FUJIAN, seen("http://www.fuzhou.gov.cn/", "3501000001", "福州市人民政府"), GOV)
    out = tmp_path / "registry.csv"
    assert registry_csv.write(out, [d], datetime(2026, 12, 7, tzinfo=UTC)) == 1
    text = out.read_text(encoding="utf-8")
    rows, problems = parse(text)
    assert problems == [] and rows[0].name == "福州市人民政府" and rows[0].portal_url == "http://www.fuzhou.gov.cn/"
    cells = next(csv.DictReader(io.StringIO(text)))
    assert tuple(cells)[:len(HEADER)] == HEADER
    assert cells["confidence"] == "1.00" and "SiteIDCode=3501000001" in cells["evidence"]
    assert cells["first_seen"] == cells["last_seen"] == "2026-12-07T00:00:00+00:00"


def test_levels_limit_what_is_walked_and_written(gaz):
    from crawler.spiders.discover import DiscoverSpider, parse_levels

    with pytest.raises(ValueError, match="village"):
        parse_levels("county,village")
    assert not DiscoverSpider(PROVINCE, "prefecture").follows("county")
    units_only = DiscoverSpider(PROVINCE, "township")
    assert units_only.follows("prefecture") and units_only.follows("county") and units_only.wants_units
    f = Findings()
    f.site(bind_site(gaz, FUJIAN, seen("http://www.minhou.gov.cn/", "3501210001", "闽侯县人民政府"), GOV))
    f.units("350121", [UnitEntry("教育局", "u")], "http://www.minhou.gov.cn/zwgk/bm/")
    assert [d.level for d in f.assemble(gaz, ("county",))[0]] == ["county"]
    assert [d.level for d in f.assemble(gaz, ("department",))[0]] == ["department"]


def test_hanweb_units_only_in_the_datastore():
    entries = unit_entries(page("hanweb-datastore.html", "http://www.ningde.gov.cn/col/col8911/index.html"))
    assert [(e.name, e.unit_id, e.family) for e in entries] == [("宁德市财政局", "40371", "hanweb"),
                                                               ("宁德市教育局", "40372", "hanweb")]
