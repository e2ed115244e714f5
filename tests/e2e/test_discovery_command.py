"""`nianbao registry discover` end to end on the sandbox's 福建省 on real divisions (issue 16), from the provincial
portal alone, in a subprocess (a Twisted reactor runs once per process): what it prints, the registry CSV it writes
(which `nianbao crawl --registry` loads as it is), the hazards it must not bind (a clone, an abolished county's
portal, a moved portal's old domain), a re-run routed from memory, a killed run resumed. The measures against the
manifest (recall, precision, requests, a re-run a week later) are tests/e2e/test_discovery_measures.py's."""
from __future__ import annotations

import csv
import re
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from crawler.discovery.registry import parse
from crawler.discovery.registry_csv import COLUMNS
from crawler.discovery.urls import host
from sandbox.app import CONTROL_HOST, Options, Sandbox
from sandbox.discovery_truth import section
from sandbox.server import ServerThread
from tests.support.crawls import ROOT

pytestmark = pytest.mark.slow  # a discovery of a province takes about a minute

PROVINCE = "福建省"
QUICK = ["-s", "AUTOTHROTTLE_ENABLED=False", "-s", "NIANBAO_PROGRESS_SECONDS=0", "-s", "LOG_LEVEL=WARNING"]


def command(proxy: str, db: Path, out: Path) -> list[str]:
    return [sys.executable, "-m", "crawler.cli", "registry", "discover", "--province", PROVINCE, "--db", str(db),
            "--out", str(out), "--proxy", proxy, "--allow-private", *QUICK]


def discover(proxy: str, db: Path, out: Path) -> subprocess.CompletedProcess:
    done = subprocess.run(command(proxy, db, out), cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done


def remembered(db: Path) -> int:
    """Pages discovery has kept the reading of in the crawl state."""
    try:
        with sqlite3.connect(db) as conn:
            return conn.execute("SELECT count(*) FROM crawl_nodes WHERE key LIKE 'discover %'").fetchone()[0]
    except sqlite3.OperationalError:  # the archive's tables are not made yet
        return 0


def killed(proxy: str, db: Path, out: Path, after: int) -> None:
    """A discovery killed with SIGKILL once it has kept `after` readings."""
    process = subprocess.Popen(command(proxy, db, out), cwd=ROOT, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.time() + 300
    while remembered(db) < after and time.time() < deadline and process.poll() is None:
        time.sleep(0.2)
    assert process.poll() is None, "the discovery finished before it could be killed"
    process.send_signal(signal.SIGKILL)
    process.wait()


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """The province served, one discovery of it, and a second one right after (every page read moments ago)."""
    folder = tmp_path_factory.mktemp("discover")
    sandbox = Sandbox(Options(province=(PROVINCE,), documents_per_format=1))
    truth = section(sandbox)

    def requests() -> int:
        return sum(n for h, n in sandbox.requests.items() if h != CONTROL_HOST)

    with ServerThread(sandbox.handle) as server:
        first = discover(server.proxy, folder / "archive.sqlite", folder / "first.csv")
        first_requests = requests()
        second = discover(server.proxy, folder / "archive.sqlite", folder / "second.csv")
        second_requests = requests() - first_requests
        killed(server.proxy, folder / "resumed.sqlite", folder / "resumed.csv", after=400)
        resumed = discover(server.proxy, folder / "resumed.sqlite", folder / "resumed.csv")
    sandbox.close()
    return {"truth": truth, "folder": folder, "first": first, "second": second, "resumed": resumed,
           "requests": (first_requests, second_requests)}


def test_the_registry_csv_loads_as_a_crawl_registry(world):
    path = world["folder"] / "first.csv"
    loaded, problems = parse(path.read_text(encoding="utf-8"), str(path))
    assert problems == []
    written = rows(path)
    assert tuple(written[0]) == COLUMNS and len(loaded) == len(written)
    assert all(r["evidence"] and 0 < float(r["confidence"]) <= 1 and r["first_seen"] for r in written)
    levels = {r["level"] for r in written}
    assert levels == {"province", "prefecture", "county", "township", "department"}
    # Every government the truth gives a portal of its own is bound to that portal.
    portals = {r["division_code"]: r["portal_url"] for r in written if r["kind"] == "government"}
    for p in world["truth"]["portals"]:
        if p["counts"]:
            assert portals.get(p["division_code"]) == p["url"], p


def test_decoys_are_never_bound(world):
    written = rows(world["folder"] / "first.csv")
    hosts = {host(r["portal_url"]) for r in written} | {host(u) for r in written for u in r["column_urls"].split()}
    for decoy in world["truth"]["decoys"]:
        if decoy["kind"] in ("clone", "abolished", "moved"):
            assert host(decoy["url"]) not in hosts, decoy
    assert all(h.endswith(".gov.cn") for h in hosts)
    output = world["first"].stdout
    abolished = next(d for d in world["truth"]["decoys"] if d["kind"] == "abolished")
    assert f"{abolished['url']}: " in output and "not a current unit" in output
    assert "failed requests:" in output and "robots" in output


def test_a_rerun_is_routed_from_memory_and_finds_the_same(world):
    first, second = world["requests"]
    assert second <= 0.1 * first, (first, second)
    assert "recalled from earlier runs" in world["second"].stdout
    assert bindings(world["folder"] / "second.csv") == bindings(world["folder"] / "first.csv")


def bindings(path: Path) -> list[tuple[str, ...]]:
    return sorted((r["name"], r["division_code"], r["portal_url"], r["column_urls"]) for r in rows(path))


def test_a_killed_discovery_resumes_where_it_stopped(world):
    recalled = int(re.search(r"(\d+) recalled from earlier runs", world["resumed"].stdout)[1])
    assert recalled >= 400  # what the killed run had read is not fetched again
    assert bindings(world["folder"] / "resumed.csv") == bindings(world["folder"] / "first.csv")


def test_the_run_is_recorded_in_the_archives_discovered_registry(world):
    from archive.registry.discoveries import current, current_conflicts
    from archive.store.db import open_archive

    archive = open_archive(str(world["folder"] / "archive.sqlite"))
    with archive.engine.connect() as conn:
        entries = current(conn, PROVINCE, with_evidence=False)
        conflicts = current_conflicts(conn, PROVINCE)
    archive.engine.dispose()
    written = rows(world["folder"] / "second.csv")
    assert {(e.name, e.division_code) for e in entries} == {(r["name"], r["division_code"]) for r in written}
    # Seen by both runs: first seen by the first, last seen by the second, as the CSV says.
    assert all(r["first_seen"] < r["last_seen"] for r in written)
    assert any("not a current unit" in c.reason for c in conflicts)
    assert "archive: run discover-" in world["second"].stdout and "0 agencies new" in world["second"].stdout
