"""The sandbox world: deterministic, every family and hazard present, a registry in the crawler's format."""
import csv
import io

from sandbox.app import Options, Sandbox
from sandbox.content import build_site, document_slots
from sandbox.world import FAMILIES, HAZARDS, REGISTRY_HEADER, build_world


def test_same_seed_same_world_other_seed_other_world():
    a, b, c = build_world(3, 9), build_world(3, 9), build_world(4, 9)
    assert a.portals == b.portals
    assert [p.host for p in a.portals] != [p.host for p in c.portals]
    slots = document_slots(a, 2)
    site_a, site_b = build_site(a, a.portals[0], slots), build_site(b, b.portals[0], slots)
    assert site_a.items == site_b.items and site_a.columns == site_b.columns


def test_small_world_shows_every_family_and_hazard():
    world = build_world(1, 7)
    assert {p.family for p in world.portals} >= set(FAMILIES)
    present = {h for p in world.portals for h in p.hazards}
    assert present >= set(HAZARDS) | {"robots_all"}
    assert sum(p.down for p in world.portals) == 1
    assert {p.encoding for p in world.portals} - {"utf-8"}, "some portal must serve GBK pages"
    assert any(a.own_site for a in world.agencies()), "some department must have a site of its own"


def test_benchmark_scale_has_2000_agencies_on_200_hosts():
    world = build_world(1, 160)
    assert len(world.portals) >= 200 and len(world.agencies()) >= 2000
    assert len({p.host for p in world.portals}) == len(world.portals)
    assert len({a.name for a in world.agencies()}) == len(world.agencies())


def test_registry_is_the_crawler_csv_format():
    sb = Sandbox(Options(scale=7))
    rows = list(csv.DictReader(io.StringIO(sb.registry())))
    assert tuple(rows[0]) == REGISTRY_HEADER
    names = {r["name"] for r in rows}
    agencies = sb.world.agencies()
    assert names == {a.name for a in agencies if a.in_registry}
    assert any(not a.in_registry for a in agencies), "some townships are left for the crawler to discover"
    for row in rows:
        assert row["name"] and (row["portal_url"] or row["column_urls"])
    by_host = {p.host: p for p in sb.world.portals}
    for portal in sb.world.portals:
        if "https_home" in portal.hazards:
            row = next(r for r in rows if r["name"] == portal.owner.name)
            assert row["column_urls"], "a portal whose home is https-only must be reachable from its column URL"
    own = next(a for a in agencies if a.own_site and a.in_registry)
    assert next(r for r in rows if r["name"] == own.name)["portal_url"] == by_host[own.own_site].url
