"""Discovery scored against hand-made manifests: found, missed, bound to another agency, a clone accepted, the
requests against the minimum, and the three lines as `nianbao demo --discover` prints them."""
from __future__ import annotations

from archive.registry.bindings import Discovered, Evidence, Signal
from crawler.discovery.registry import HEADER, parse
from sandbox.evaluate_discovery import score

FUZHOU, GULOU, XIAMEN = "福州市人民政府", "福州市鼓楼区人民政府", "厦门市人民政府"
TOWN, BUREAU = "福州市鼓楼区鼓东街道办事处", "福州市财政局"
SHARED, DEAD = "福州市永泰县人民政府", "福州市闽清县人民政府"  # on Fuzhou's platform; a portal that never answers

MANIFEST = {"discovery": {
    "province": "福建省", "seed": 1,
    "portals": [
        {"agency": FUZHOU, "division_code": "350100", "level": "prefecture", "url": "http://www.fuzhou.gov.cn/",
         "platform": "hanweb"},
        {"agency": GULOU, "division_code": "350102", "level": "county", "url": "http://www.gl.gov.cn/",
         "platform": "trs_static"},
        {"agency": XIAMEN, "division_code": "350200", "level": "prefecture", "url": "http://www.xm.gov.cn/",
         "platform": "gkmlpt"},
        {"agency": DEAD, "division_code": "350124", "level": "county", "url": "http://www.minqing.gov.cn/",
         "platform": "generic", "counts": False, "reason": "the portal does not answer"},
    ],
    "columns": [
        {"agency": FUZHOU, "division_code": "350100", "url": "http://www.fuzhou.gov.cn/col/col101/index.html"},
        {"agency": GULOU, "division_code": "350102", "url": "http://www.gl.gov.cn/zwgk/ndbg/"},
        {"agency": XIAMEN, "division_code": "350200", "url": "http://www.xm.gov.cn/gkmlpt/annualreport"},
        {"agency": SHARED, "division_code": "350125", "url": "http://www.fuzhou.gov.cn/xqzf/yt/"},
        {"agency": TOWN, "division_code": "350102001", "url": "http://www.gl.gov.cn/zwgk/ndbg/gdjd/"},
        {"agency": BUREAU, "division_code": "350100", "url": "http://www.fuzhou.gov.cn/col/col205/index.html"},
    ],
    "units": [
        {"name": TOWN, "level": "township", "kind": "government", "division_code": "350102001", "parent": GULOU,
         "portal_url": "http://www.gl.gov.cn/", "column_url": "http://www.gl.gov.cn/zwgk/ndbg/gdjd/"},
        {"name": BUREAU, "level": "department", "kind": "department", "division_code": "350100", "parent": FUZHOU,
         "portal_url": "http://www.fuzhou.gov.cn/", "column_url": "http://www.fuzhou.gov.cn/col/col205/index.html"},
    ],
    "decoys": [{"url": "http://www.xm-gov.cn.example.com/", "kind": "spam_clone", "claims": "3502000001"},
               {"url": "http://www.minqing.gov.cn/", "kind": "dead", "claims": DEAD}],
    "minimum_requests": 40,
}}


def row(name: str, code: str, portal: str, *columns: str) -> Discovered:
    evidence = (Evidence(portal or columns[0], Signal.SITE_ID_CODE, code.ljust(10, "0")),)
    return Discovered(name, "", "", code, "", portal, tuple(columns), "", evidence, 1.0)


RIGHT = [
    row(FUZHOU, "350100", "http://www.fuzhou.gov.cn/", "http://www.fuzhou.gov.cn/col/col101/index.html"),
    row(GULOU, "350102", "http://www.gl.gov.cn/", "http://www.gl.gov.cn/zwgk/ndbg/"),
    row(XIAMEN, "350200", "http://www.xm.gov.cn/", "http://www.xm.gov.cn/gkmlpt/annualreport"),
    row(TOWN, "350102001", "http://www.gl.gov.cn/", "http://www.gl.gov.cn/zwgk/ndbg/gdjd/"),
    row(BUREAU, "350100", "http://www.fuzhou.gov.cn/", "http://www.fuzhou.gov.cn/col/col205/index.html"),
    row(SHARED, "350125", "http://www.fuzhou.gov.cn/", "http://www.fuzhou.gov.cn/xqzf/yt/"),
]


def test_every_binding_right_is_all_found_and_none_wrong():
    # The dead portal is outside the count; the county on Fuzhou's platform is bound to the portal carrying it.
    s = score(RIGHT, MANIFEST, requests=50)
    assert s.lines() == ["discovery portals: 3/3 found (100.0 %), 0 bound wrongly",
                         "discovery columns: 6/6 found (100.0 %), 0 bound wrongly",
                         "discovery units: 2/2 found (100.0 %), 0 bound wrongly",
                         "discovery requests: 50 = 1.25 × the manifest minimum (40)"]
    assert s.wrong == 0 and not s.unknown


def test_urls_compare_canonically_and_without_their_scheme():
    rows = [row(FUZHOU, "350100", "https://WWW.FUZHOU.GOV.CN", "http://www.fuzhou.gov.cn/col/col101/index.html#top")]
    s = score(rows, MANIFEST)
    assert (s.tallies["portals"].found, s.tallies["columns"].found, s.wrong) == (1, 1, 0)


def test_a_missed_portal_column_and_unit_are_counted_and_named():
    rows = [r for r in RIGHT if r.name not in (XIAMEN, TOWN)]  # Xiamen's column and the town's with them
    s = score(rows, MANIFEST)
    assert s.line("portals") == "discovery portals: 2/3 found (66.7 %), 0 bound wrongly"
    assert s.line("columns") == "discovery columns: 4/6 found (66.7 %), 0 bound wrongly"
    assert s.line("units") == "discovery units: 1/2 found (50.0 %), 0 bound wrongly"
    assert s.tallies["portals"].missed == [(XIAMEN, "www.xm.gov.cn/")]
    assert s.tallies["units"].missed == [(TOWN, "www.gl.gov.cn/zwgk/ndbg/gdjd/")]


def test_a_unit_found_only_where_its_own_column_is_when_it_has_one():
    rows = [row(TOWN, "350102001", "http://www.gl.gov.cn/")]
    s = score(rows, MANIFEST)
    assert (s.tallies["units"].found, s.wrong) == (0, 0)


def test_a_url_the_truth_gives_to_another_agency_is_bound_wrongly_and_not_found():
    # Gulou's portal and column bound to Fuzhou (its parent): two wrong bindings, and Gulou's portal still missed.
    rows = [r for r in RIGHT if r.name != GULOU]
    rows.append(row(FUZHOU, "350100", "http://www.gl.gov.cn/", "http://www.gl.gov.cn/zwgk/ndbg/"))
    s = score(rows, MANIFEST)
    assert s.line("portals") == "discovery portals: 2/3 found (66.7 %), 1 bound wrongly"
    assert s.line("columns") == "discovery columns: 5/6 found (83.3 %), 1 bound wrongly"
    assert s.tallies["portals"].wrong == [(FUZHOU, "http://www.gl.gov.cn/", f"the truth gives it to {GULOU}")]


def test_a_unit_bound_to_another_units_column_is_wrong():
    # A wrong column is the column's error and the unit's.
    rows = [*RIGHT[:3], row(TOWN, "350102001", "http://www.gl.gov.cn/", "http://www.fuzhou.gov.cn/col/col205/index.html")]
    s = score(rows, MANIFEST)
    assert s.line("units") == "discovery units: 0/2 found (0.0 %), 1 bound wrongly"
    assert s.line("columns") == "discovery columns: 3/6 found (50.0 %), 1 bound wrongly"
    assert s.tallies["units"].wrong[0][2] == f"the truth gives it to {BUREAU}"


def test_a_unit_on_a_portal_that_does_not_carry_it_is_wrong():
    rows = [*RIGHT[:3], row(TOWN, "350102001", "http://www.xm.gov.cn/", "http://www.gl.gov.cn/zwgk/ndbg/gdjd/")]
    s = score(rows, MANIFEST)
    assert s.line("units") == "discovery units: 1/2 found (50.0 %), 1 bound wrongly"
    assert s.line("portals") == "discovery portals: 3/3 found (100.0 %), 0 bound wrongly"
    assert s.tallies["units"].wrong == [(TOWN, "http://www.xm.gov.cn/", f"the truth gives it to {XIAMEN}")]


def test_a_dead_portal_is_outside_the_count_and_rightly_its_owners():
    rows = [*RIGHT, row(DEAD, "350124", "http://www.minqing.gov.cn/")]
    s = score(rows, MANIFEST)
    assert s.line("portals") == "discovery portals: 3/3 found (100.0 %), 0 bound wrongly"
    s = score([*RIGHT, row(GULOU, "350102", "http://www.minqing.gov.cn/")], MANIFEST)
    assert s.line("portals") == "discovery portals: 3/3 found (100.0 %), 1 bound wrongly"
    assert s.tallies["portals"].wrong[0][2] == f"decoy (dead, claims {DEAD})"


def test_a_right_url_under_the_wrong_division_code_is_wrong():
    rows = [row(XIAMEN, "350100", "http://www.xm.gov.cn/")]
    s = score(rows, MANIFEST)
    assert s.line("portals") == "discovery portals: 0/3 found (0.0 %), 1 bound wrongly"
    assert s.tallies["portals"].wrong[0][2] == "division code 350100, the truth's 350200"


def test_an_accepted_clone_is_bound_wrongly():
    # The clone copies Xiamen's markup and SiteIDCode: bound to Xiamen it is a wrong binding, whatever the evidence.
    rows = [*RIGHT[:2], row(XIAMEN, "350200", "http://www.xm-gov.cn.example.com/")]
    s = score(rows, MANIFEST)
    assert s.line("portals") == "discovery portals: 2/3 found (66.7 %), 1 bound wrongly"
    assert s.tallies["portals"].wrong[0][2] == "decoy (spam_clone, claims 3502000001)"


def test_a_clone_next_to_the_real_portal_still_counts_against_precision():
    s = score([*RIGHT, row(XIAMEN, "350200", "http://www.xm-gov.cn.example.com/")], MANIFEST)
    assert s.tallies["portals"].found == 3 and s.wrong == 1


def test_a_row_naming_no_agency_of_the_truth_is_reported():
    s = score([*RIGHT, row("福州市鼓楼区某某办公室", "350102", "http://www.gl.gov.cn/bgs/")], MANIFEST)
    assert s.unknown == ["福州市鼓楼区某某办公室"] and s.wrong == 0
    assert "discovery rows naming no agency of the manifest: 1 (福州市鼓楼区某某办公室)" in s.lines()


def test_the_registry_csv_that_discover_writes_scores_like_its_records():
    header = [*HEADER, "evidence", "confidence", "first_seen", "last_seen"]
    lines = [",".join(header)] + [
        ",".join([r.name, "", "", r.division_code, "", r.portal_url, " ".join(r.column_urls), "", "true",
                  "SiteIDCode " + r.division_code, "1.0", "2026-03-01", "2026-03-01"]) for r in RIGHT]
    rows, problems = parse("\n".join(lines) + "\n")
    assert not problems
    assert score(rows, MANIFEST).lines() == score(RIGHT, MANIFEST).lines()


def test_minimum_requests_given_as_the_list_of_requests():
    manifest = {"discovery": {**MANIFEST["discovery"], "minimum_requests": [{"url": "http://a/"}] * 20}}
    line = score(RIGHT, manifest, requests=30).lines()[-1]
    assert line == "discovery requests: 30 = 1.50 × the manifest minimum (20)"
