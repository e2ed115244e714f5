"""The discovered registry in the archive (issue 16): a discovery run's `Discovered` agencies and `Conflict`s kept
with first and last seen, joined to the national registry's rows, diffed against the accepted registry, accepted,
and crawled from."""
from __future__ import annotations

import dataclasses
from collections import Counter
from datetime import date, datetime

import pytest
from sqlalchemy import func, select

from archive.registry.acceptance import ChangeKind, accept, acceptances, accepted, diff, province_named
from archive.registry.bindings import Conflict, Discovered, Evidence, Signal
from archive.registry.discoveries import current, current_conflicts, record
from archive.registry.divisions import Release, bundled
from archive.registry.governments import apply_release
from archive.store.db import open_archive
from archive.store.models import T
from crawler.discovery import registry as csv_registry

T1, T2, T3 = datetime(2026, 11, 1, 9), datetime(2026, 11, 8, 9), datetime(2026, 11, 15, 9)
FUJIAN = "福建省"


def found(name: str, level: str, code: str, parent: str, portal: str, columns: tuple[str, ...] = (),
          confidence: float = 1.0, kind: str = "government") -> Discovered:
    return Discovered(name, level, kind, code, parent, portal, columns, "hanweb",
                      (Evidence(portal, Signal.SITE_ID_CODE, f"{code}0001"), Evidence(portal, Signal.SITE_NAME, name)),
                      confidence)


FUZHOU = found("福州市人民政府", "prefecture", "350100", "福建省人民政府", "https://www.fuzhou.gov.cn/",
               ("https://www.fuzhou.gov.cn/zwgk/ndbg/",))
GULOU = found("福州市鼓楼区人民政府", "county", "350102", "福州市人民政府", "https://www.gl.gov.cn/",
              ("https://www.gl.gov.cn/xxgk/ndbg/",))
FINANCE = found("鼓楼区财政局", "department", "350102", "福州市鼓楼区人民政府", "https://www.gl.gov.cn/",
                ("https://www.gl.gov.cn/bmxxgk/czj/ndbg/",), 0.8, "department")
XIAMEN = found("厦门市人民政府", "prefecture", "350200", "福建省人民政府", "https://www.xm.gov.cn/")


@pytest.fixture
def arc(db_url, tmp_path):
    return open_archive(db_url, tmp_path / "data")


def test_a_sighting_again_keeps_first_seen_and_takes_the_latest_values(arc):
    with arc.engine.begin() as conn:
        first = record(conn, "d1", FUJIAN, [FUZHOU, GULOU], at=T1)
    moved = dataclasses.replace(FUZHOU, portal_url="https://fz.gov.cn/", confidence=0.9,
                                evidence=(Evidence("https://fz.gov.cn/", Signal.FOOTER_CODE, "3501000001"),))
    with arc.engine.begin() as conn:
        again = record(conn, "d2", FUJIAN, [moved, GULOU, XIAMEN], at=T2)
        rows = {e.name: e for e in current(conn)}
    assert (first.new, first.seen_again, again.new, again.seen_again) == (2, 0, 1, 2)
    fz = rows["福州市人民政府"]
    assert (fz.first_seen, fz.last_seen, fz.run) == (T1, T2, "d2")
    assert (fz.portal_url, fz.confidence, fz.column_urls) == ("https://fz.gov.cn/", 0.9, FUZHOU.column_urls)
    assert fz.evidence == moved.evidence  # the latest sighting's evidence, not an accumulation of stale pages
    with arc.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(T["discovered"])).scalar_one() == 3


def test_one_run_naming_an_agency_twice_keeps_the_surer_record_with_all_evidence(arc):
    directory = dataclasses.replace(FINANCE, confidence=0.5, portal_url="https://www.gl.gov.cn/old/",
                                    evidence=(Evidence("https://www.gl.gov.cn/bm/", Signal.DIRECTORY, "财政局"),))
    with arc.engine.begin() as conn:
        done = record(conn, "d1", FUJIAN, [directory, FINANCE], at=T1)
        [row] = current(conn)
    assert done.new == 1 and row.confidence == 0.8 and row.portal_url == FINANCE.portal_url
    assert set(row.evidence) == {*directory.evidence, *FINANCE.evidence}


def test_an_agency_not_seen_again_keeps_its_row_and_age_but_is_no_longer_current(arc):
    with arc.engine.begin() as conn:
        record(conn, "d1", FUJIAN, [FUZHOU, GULOU, FINANCE], at=T1)
        # An interrupted run (batches, never finished) removes nothing: its silence is no evidence.
        record(conn, "d2", FUJIAN, [FUZHOU], complete=False, at=T2)
        assert {e.name for e in current(conn)} == {FUZHOU.name, GULOU.name, FINANCE.name}
        # A finished run looking only for governments says nothing of departments.
        record(conn, "d3", FUJIAN, [FUZHOU], levels=["prefecture", "county"], at=T3)
        assert {e.name for e in current(conn)} == {FUZHOU.name, FINANCE.name}
        everything = {e.name: e for e in current(conn, include_gone=True)}
    assert set(everything) == {FUZHOU.name, GULOU.name, FINANCE.name}
    assert (everything[GULOU.name].first_seen, everything[GULOU.name].last_seen) == (T1, T1)


def test_a_run_finished_in_batches_removes_only_what_none_of_its_batches_saw(arc):
    with arc.engine.begin() as conn:
        record(conn, "d1", FUJIAN, [FUZHOU, GULOU, FINANCE], at=T1)
        record(conn, "d2", FUJIAN, [FUZHOU], complete=False, at=T2)
        record(conn, "d2", FUJIAN, [GULOU], complete=False, at=datetime(2026, 11, 8, 10))
        record(conn, "d2", FUJIAN, [], at=datetime(2026, 11, 8, 11))
        assert {e.name for e in current(conn)} == {FUZHOU.name, GULOU.name}
        with pytest.raises(ValueError, match="福建省"):
            record(conn, "d2", "广东省", [], at=T3)  # a run is of one province


def test_with_nothing_accepted_the_diff_shows_everything_as_added(arc):
    with arc.engine.begin() as conn:
        record(conn, "d1", FUJIAN, [FUZHOU, GULOU, FINANCE], at=T1)
        changes = diff(conn)
    assert [(c.kind, c.entry.name) for c in changes.changes] == [(ChangeKind.ADDED, "福州市人民政府"), (
        ChangeKind.ADDED, "福州市鼓楼区人民政府"), (ChangeKind.ADDED, "鼓楼区财政局")]
    assert changes.changes[0].after.evidence == FUZHOU.evidence
    assert changes.summary() == "3 added, 0 removed, 0 changed; 0 conflicts"


def test_the_diff_names_each_kind_of_change_with_its_evidence(arc):
    with arc.engine.begin() as conn:
        record(conn, "d1", FUJIAN, [FUZHOU, GULOU, FINANCE], at=T1)
        accept(conn, at=T1)
        assert diff(conn).changes == []  # accepted, then nothing to show
        record(conn, "d2", FUJIAN, [
            dataclasses.replace(FUZHOU, portal_url="https://www.fz.gov.cn/"),
            dataclasses.replace(GULOU, column_urls=(*GULOU.column_urls, "https://www.gl.gov.cn/xxgk/ndbg2/")),
            XIAMEN], at=T2)
        record(conn, "d2", FUJIAN, [dataclasses.replace(FINANCE, confidence=0.6)], at=T2)
        changes = diff(conn, FUJIAN)
    by_name = {c.entry.name: c for c in changes.changes}
    assert {name: (c.kind, c.fields) for name, c in by_name.items()} == {
        "福州市人民政府": (ChangeKind.CHANGED, ("portal",)),
        "福州市鼓楼区人民政府": (ChangeKind.CHANGED, ("columns",)),
        "鼓楼区财政局": (ChangeKind.CHANGED, ("confidence",)),
        "厦门市人民政府": (ChangeKind.ADDED, ()),
    }
    fz = by_name["福州市人民政府"]
    assert (fz.before.portal_url, fz.after.portal_url) == (FUZHOU.portal_url, "https://www.fz.gov.cn/")
    assert fz.after.evidence == FUZHOU.evidence
    with arc.engine.begin() as conn:
        record(conn, "d3", FUJIAN, [FUZHOU, GULOU, XIAMEN], levels=["prefecture", "county", "department"], at=T3)
        removed = [c for c in diff(conn).changes if c.kind is ChangeKind.REMOVED]
    assert [(c.entry.name, c.after) for c in removed] == [("鼓楼区财政局", None)]


def test_accepting_a_province_leaves_the_others_as_they_were(arc):
    guangzhou = found("广州市人民政府", "prefecture", "440100", "广东省人民政府", "https://www.gz.gov.cn/")
    with arc.engine.begin() as conn:
        record(conn, "fj", FUJIAN, [FUZHOU, GULOU], at=T1)
        record(conn, "gd", "广东省", [guangzhou], at=T1)
        [done] = accept(conn, FUJIAN, at=T2)
        assert (done.province, done.agencies, done.added) == (FUJIAN, 2, 2)
        assert [c.entry.name for c in diff(conn).changes] == ["广州市人民政府"]  # 广东省 was not accepted
        assert diff(conn, FUJIAN).changes == []
        assert {e.name for e in accepted(conn)} == {FUZHOU.name, GULOU.name}
        accept(conn, at=T3)
        assert diff(conn).changes == [] and len(accepted(conn)) == 3
        log = acceptances(conn)
    assert [(a.province, a.accepted_at, a.added) for a in log] == [
        (FUJIAN, T2, 2), ("广东省", T3, 1), (FUJIAN, T3, 0)]


def test_conflicts_are_kept_with_their_age_shown_and_never_accepted(arc):
    clone = Conflict("http://fuzhou-gov.cn.example.com/", "3501000001",
                     "claims 福州市人民政府's SiteIDCode, but www.fuzhou.gov.cn carries it too",
                     (Evidence("http://fuzhou-gov.cn.example.com/", Signal.SITE_ID_CODE, "3501000001"),))
    with arc.engine.begin() as conn:
        assert record(conn, "d1", FUJIAN, [FUZHOU], [clone], at=T1).conflicts == 1
        record(conn, "d2", FUJIAN, [FUZHOU], [clone, clone], at=T2)
        [kept] = current_conflicts(conn)
        assert (kept.first_seen, kept.last_seen, kept.evidence, kept.reason) == (T1, T2, clone.evidence, clone.reason)
        assert diff(conn).conflicts == [kept]
        accept(conn, at=T2)
        assert [e.name for e in accepted(conn)] == [FUZHOU.name]
        assert diff(conn).conflicts == [kept]  # shown until discovery stops seeing it
        record(conn, "d3", FUJIAN, [FUZHOU], at=T3)
        assert current_conflicts(conn) == [] and diff(conn).summary() == "0 added, 0 removed, 0 changed; 0 conflicts"
        assert conn.execute(select(func.count()).select_from(T["conflicts"])).scalar_one() == 1  # the row stays


def test_accepted_rows_are_the_crawls_targets(arc):
    town = found("福州市鼓楼区鼓东街道办事处", "township", "350102", "福州市鼓楼区人民政府", "https://www.gl.gov.cn/",
                 ("https://www.gl.gov.cn/xxgk/ndbg/xzjd/",))
    with arc.engine.begin() as conn:
        record(conn, "d1", FUJIAN, [FUZHOU, GULOU, FINANCE, town], at=T1)
        accept(conn, at=T1)
        rows, problems = csv_registry.from_entries(accepted(conn))
    targets = {t.portal: t for t in csv_registry.targets(rows)}
    assert not problems and set(targets) == {"https://www.fuzhou.gov.cn/", "https://www.gl.gov.cn/"}
    gl = targets["https://www.gl.gov.cn/"]
    assert gl.agency == GULOU.name and set(gl.agencies) == {GULOU.name, FINANCE.name, town.name}
    assert set(gl.entries) == {*GULOU.column_urls, *FINANCE.column_urls, *town.column_urls}
    assert targets["https://www.fuzhou.gov.cn/"].entries == list(FUZHOU.column_urls)


def _fujian_release() -> Release:
    divisions = tuple(d for d in bundled().divisions if d.code[:2] == "35")
    return Release("test fujian", date(2025, 12, 31), "f" * 64, divisions, dict(Counter(d.level for d in divisions)))


def test_a_discovered_government_joins_its_national_row_by_code_and_name(arc):
    release = _fujian_release()
    gudong = next(d for d in release.divisions if d.parent_code == "350102" and d.name == "鼓东街道")
    wrong_name = found("福州市台江区人民政府", "county", "350102", "福州市人民政府", "https://clone.example.com/")
    town = found("福州市鼓楼区鼓东街道办事处", "township", "350102", GULOU.name, "https://www.gl.gov.cn/")
    with arc.engine.begin() as conn:
        apply_release(conn, release)
        record(conn, "d1", FUJIAN, [FUZHOU, GULOU, FINANCE, town, wrong_name], at=T1)
        rows = {e.name: e for e in current(conn)}
        assert province_named(conn, "35") == FUJIAN and province_named(conn, FUJIAN) == FUJIAN
        with pytest.raises(LookupError, match="福建省"):
            province_named(conn, "广东省")
    assert (rows[FUZHOU.name].government_code, rows[FUZHOU.name].agency) == ("350100", "福州市人民政府")
    assert (rows[GULOU.name].government_code, rows[GULOU.name].agency) == ("350102", "福州市鼓楼区人民政府")
    # A township carrying its county's code joins its own row, not the county's.
    assert rows[town.name].government_code == gudong.code and rows[town.name].agency == "鼓楼区鼓东街道办事处"
    # A department joins under its government; it has no agency of its own until a registry or a report makes one.
    assert (rows[FINANCE.name].government_code, rows[FINANCE.name].agency) == ("350102", None)
    # Code without a name that agrees: no join (a clone, or a wrong code), never a guess.
    assert (rows[wrong_name.name].government_code, rows[wrong_name.name].agency) == (None, None)


def _cli(capsys, *argv: str) -> tuple[int, str, str]:
    from crawler.cli import main

    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_registry_diff_and_accept_on_the_command_line(tmp_path, capsys):
    import csv
    import io
    import json

    db = str(tmp_path / "archive.sqlite")
    arc = open_archive(db)
    code, _, err = _cli(capsys, "registry", "diff", "--db", db)
    assert code == 2 and err.count("\n") == 1 and "nothing discovered" in err  # one line, no traceback
    clone = Conflict("http://clone.example.com/", "3501000001", "a copy of www.fuzhou.gov.cn",
                     (Evidence("http://clone.example.com/", Signal.SITE_ID_CODE, "3501000001"),))
    with arc.engine.begin() as conn:
        record(conn, "d1", FUJIAN, [FUZHOU, GULOU], [clone], at=T1)
    code, out, err = _cli(capsys, "registry", "diff", "--db", db)
    assert code == 0 and "2 added, 0 removed, 0 changed; 1 conflicts" in err
    lines = out.splitlines()
    assert lines[0].split() == ["change", "province", "name", "division_code", "what", "confidence", "evidence"]
    assert lines[1].startswith("added") and "福州市人民政府" in lines[1] and "SiteIDCode=3501000001" in lines[1]
    assert lines[3].startswith("conflict") and "a copy of www.fuzhou.gov.cn" in lines[3]
    code, _, err = _cli(capsys, "registry", "diff", "--db", db, "--province", "无此省")
    assert code == 2 and err.count("\n") == 1 and "无此省" in err and "福建省" in err

    code, out, _ = _cli(capsys, "registry", "accept", "--db", db, "--province", FUJIAN)
    assert code == 0 and out == "accepted 福建省: 2 agencies (2 added, 0 removed, 0 changed)\n"
    with arc.engine.begin() as conn:
        record(conn, "d2", FUJIAN, [dataclasses.replace(FUZHOU, confidence=0.75), GULOU], at=T2)
    code, out, _ = _cli(capsys, "registry", "diff", "--db", db, "--format", "csv")
    [changed] = list(csv.DictReader(io.StringIO(out)))
    assert code == 0 and (changed["change"], changed["name"], changed["what"]) == (
        "changed", "福州市人民政府", "confidence: 1.00 → 0.75")
    assert changed["first_seen"] == "2026-11-01 09:00:00" and changed["last_seen"] == "2026-11-08 09:00:00"
    assert f"<{FUZHOU.portal_url}>" in changed["evidence"]
    code, out, _ = _cli(capsys, "registry", "diff", "--db", db, "--format", "json", "--province", "35")
    [record_json] = json.loads(out)
    assert record_json["evidence"][0] == {"url": FUZHOU.portal_url, "signal": "SiteIDCode", "value": "3501000001"}
    assert record_json["column_urls"] == list(FUZHOU.column_urls)


def test_the_crawl_reads_the_accepted_registry_from_the_archive(tmp_path, capsys):
    import argparse

    from crawler.cli.exits import UserError
    from crawler.cli.registry import registry_path

    db, data = str(tmp_path / "archive.sqlite"), tmp_path / "data"
    arc = open_archive(db, data)
    args = argparse.Namespace(registry="accepted", db=db, data=str(data))
    with pytest.raises(UserError, match="no accepted registry"):
        registry_path(args)
    with arc.engine.begin() as conn:
        record(conn, "d1", FUJIAN, [FUZHOU, GULOU, FINANCE], at=T1)
        accept(conn, at=T1)
        expected, _ = csv_registry.from_entries(accepted(conn))
    path = registry_path(args)
    rows, problems = csv_registry.load(path)
    assert not problems and [dataclasses.replace(r, line=0) for r in rows] == [
        dataclasses.replace(r, line=0) for r in expected]
    assert "3 agencies, 2 portals" in capsys.readouterr().err
    assert registry_path(argparse.Namespace(registry="some.csv")) == "some.csv"
    open_archive(str(tmp_path / "empty.sqlite")).engine.dispose()
    code, _, err = _cli(capsys, "crawl", "--registry", "accepted", "--db", str(tmp_path / "empty.sqlite"))
    assert code == 2 and "no accepted registry" in err and err.count("\n") == 1
