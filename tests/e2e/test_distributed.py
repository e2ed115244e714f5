"""Distributed crawling on real servers: two `nianbao crawl --distributed` workers share one Redis frontier and
write one PostgreSQL archive. Their union finds what a single-node crawl finds, fetches no URL twice and archives
no document twice; a worker killed with SIGKILL loses nothing, because its leased requests go back to the frontier.
The crawls are the module's own, not the session's shared one (tests/support/shared_crawl.py): the single-node crawl
runs on the same logged sandbox as the workers it is compared with.

Needs NIANBAO_TEST_REDIS (a Redis URL) and, for the crawls, NIANBAO_TEST_PG (a PostgreSQL server where databases
may be created); `.ci/run` starts both on loopback."""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter

import pytest
import scrapy
from sqlalchemy import func, select

from archive.store.db import open_archive
from archive.store.models import T
from crawler.discovery.blocking import is_challenge
from crawler.distributed import LEASE, Frontier, connect
from crawler.spiders.reports import parse_years
from crawler.state import Child
from sandbox.app import Options, Sandbox
from sandbox.evaluate import measure
from sandbox.manifest import manifest
from sandbox.server import ServerThread
from sandbox.synthetic import capture as capture_of
from tests.support.archive import pg_database
from tests.support.crawls import QUICK, ROOT, env, run_crawl

REDIS_URL = os.environ.get("NIANBAO_TEST_REDIS")
PG_URL = os.environ.get("NIANBAO_TEST_PG")
pytestmark = [
    pytest.mark.skipif(not REDIS_URL, reason="NIANBAO_TEST_REDIS unset (.ci/run starts a Redis server)"),
    pytest.mark.slow,
]
needs_pg = pytest.mark.skipif(not PG_URL, reason="NIANBAO_TEST_PG unset (.ci/run starts a PostgreSQL server)")
YEARS = "2024-2025"


class Logged:
    """The sandbox's handler, noting every exchange that delivered a page (not a challenge, not an error)."""

    def __init__(self, sandbox: Sandbox):
        self.sandbox = sandbox
        self.delivered: Counter[tuple[str, str, str, bytes]] = Counter()

    def __call__(self, req):
        response = self.sandbox.handle(req)
        if response.status in (200, 304) and not is_challenge(response.status, response.body) \
                and req.path != "/robots.txt":  # robots.txt is per process, like Scrapy's politeness
            self.delivered[(req.method, req.host, req.target, req.body)] += 1
        return response

    def twice(self) -> list:
        return [key for key, n in self.delivered.items() if n > 1]


@pytest.fixture
def world(tmp_path):
    sandbox = Sandbox(Options(scale=4, seed=11, documents_per_format=1, slow_seconds=0.3))
    registry = tmp_path / "registry.csv"
    registry.write_text(sandbox.registry(), encoding="utf-8")
    db, drop = pg_database()
    run = f"test-{uuid.uuid4().hex[:8]}"
    logged = Logged(sandbox)
    with ServerThread(logged) as server:
        sandbox.store.prewarm(sandbox.slow_documents())
        yield {"sandbox": sandbox, "registry": registry, "db": db, "data": tmp_path / "data", "run": run,
               "proxy": server.proxy, "log": logged, "tmp": tmp_path}
    server_keys = connect(REDIS_URL).keys(f"nianbao:{run}:*")
    if server_keys:
        connect(REDIS_URL).delete(*server_keys)
    sandbox.close()
    drop()


def _seed(w) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "crawler.cli", "seed", "--distributed", REDIS_URL, "--registry", str(w["registry"]),
         "--years", YEARS, "--run-id", w["run"], "--db", w["db"], "--data", str(w["data"])],
        env=env(w["proxy"]), cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def _worker(w, name: str, *extra: str) -> subprocess.Popen:
    log = open(w["tmp"] / f"{name}.log", "w")  # noqa: SIM115 (the worker's stderr, read after it exits)
    args = [sys.executable, "-m", "crawler.cli", "crawl", "--distributed", REDIS_URL, "--run-id", w["run"],
            "--worker", name, "--idle-exit", "2", "--registry", str(w["registry"]), "--db", w["db"],
            "--data", str(w["data"]), "--allow-private", *QUICK, *extra]
    return subprocess.Popen(args, env=env(w["proxy"]), cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)


def _finish(w, process: subprocess.Popen, name: str, timeout: float = 180) -> str:
    process.wait(timeout)
    output = (w["tmp"] / f"{name}.log").read_text()
    assert process.returncode == 0, output[-3000:]
    return output


def _archive_counts(db: str) -> tuple[int, list[str], list[tuple[int, int]]]:
    """(captures, URLs captured more than once, reports (agency, year) stored more than once)."""
    archive = open_archive(db, upgrade=False)
    cap, rep = T["captures"], T["reports"]
    try:
        with archive.reader.connect() as conn:
            total = conn.execute(select(func.count()).select_from(cap)).scalar() or 0
            twice = conn.execute(select(cap.c.requested_url).group_by(cap.c.requested_url)
                                 .having(func.count() > 1)).scalars().all()
            doubled = conn.execute(select(rep.c.agency_id, rep.c.year).group_by(rep.c.agency_id, rep.c.year)
                                   .having(func.count() > 1)).all()
    except Exception:  # the tables do not exist yet
        return 0, [], []
    finally:
        archive.engine.dispose()
    return total, twice, [tuple(r) for r in doubled]


@needs_pg
def test_two_workers_match_a_single_node_crawl(world):
    w = world
    years = parse_years(YEARS)
    single = run_crawl(w["proxy"], w["registry"], w["tmp"] / "single" / "archive.sqlite", YEARS, "single")
    assert single.code == 0, single.output[-3000:]
    single_twice = w["log"].twice()
    truth = manifest(w["sandbox"])
    expected = measure(open_archive(str(w["tmp"] / "single" / "archive.sqlite")), truth, years)

    w["log"].delivered.clear()
    assert "start requests" in _seed(w)
    workers = {name: _worker(w, name) for name in ("a", "b")}
    for name, process in workers.items():
        _finish(w, process, name)

    archive = open_archive(w["db"])
    m = measure(archive, truth, years)
    assert m.expected > 50
    assert m.recall == expected.recall, (m.missed, expected.missed)
    assert m.precision == expected.precision == 1.0, m.false_reports
    total, twice, doubled = _archive_counts(w["db"])
    assert total >= m.found and twice == [] and doubled == []
    assert single_twice == [], single_twice  # the single node fetches each URL once …
    assert w["log"].twice() == []  # … and so do two workers together
    records = {name: (w["data"] / "runs" / name / f"{w['run']}.json") for name in workers}
    pages = {name: sum(p["pages"] for p in json.loads(path.read_text())["portals"])
             for name, path in records.items()}
    assert all(n > 0 for n in pages.values()), pages  # both did a share
    server = connect(REDIS_URL)
    assert server.zcard(f"nianbao:{w['run']}:frontier") == 0
    assert server.keys(f"nianbao:{w['run']}:leases:*") == []


@needs_pg
def test_a_worker_killed_mid_run_loses_nothing(world):
    w = world
    _seed(w)
    server = connect(REDIS_URL)
    # A worker silent for 3 s is dead; its requests go back to the frontier for the other.
    fast = ("-s", "NIANBAO_LEASE_SECONDS=3")
    victim = _worker(w, "victim", *fast)
    deadline = time.time() + 120
    leases = f"nianbao:{w['run']}:leases:victim"
    while time.time() < deadline and victim.poll() is None:
        if _archive_counts(w["db"])[0] >= 20 and server.hlen(leases) > 0:
            break
        time.sleep(0.2)
    assert victim.poll() is None, "the worker finished before it could be killed"
    survivor = _worker(w, "survivor", *fast)
    held = server.hlen(leases)
    os.killpg(victim.pid, signal.SIGKILL)
    victim.wait()
    assert held > 0  # it died holding requests in flight
    output = _finish(w, survivor, "survivor")
    truth = manifest(w["sandbox"])
    m = measure(open_archive(w["db"]), truth, parse_years(YEARS))
    assert m.recall == 1.0, (m.missed, m.missed_by_family)
    assert m.precision == 1.0, m.false_reports
    assert "worker victim is gone" in output  # the survivor took the victim's requests over
    _total, twice, doubled = _archive_counts(w["db"])
    assert twice == [] and doubled == []
    assert server.keys(f"nianbao:{w['run']}:leases:*") == []


# -- the frontier's contract, on the Redis server alone ------------------------------------------------------------

class Probe(scrapy.Spider):
    name = "probe"

    def parse_node(self, response):
        return []


@pytest.fixture
def frontiers(tmp_path):
    """Two workers' views of one fresh run, over a SQLite archive."""
    spider = Probe()
    spider.archive = open_archive(str(tmp_path / "archive.sqlite"), tmp_path / "data")
    run = f"unit-{uuid.uuid4().hex[:8]}"
    server = connect(REDIS_URL)
    yield run, Frontier(server, run, "w1", spider, 1), Frontier(server, run, "w2", spider, 1)
    keys = server.keys(f"nianbao:{run}:*")
    if keys:
        server.delete(*keys)
    spider.archive.engine.dispose()


def _request(frontier: Frontier, path: str, role: str = "column", priority: int = 0) -> scrapy.Request:
    url = f"http://www.example.gov.cn/{path}"
    return scrapy.Request(url, callback=frontier.spider.parse_node, priority=priority,
                          meta={"child": Child(url, role), "portal": "http://www.example.gov.cn/"})


def test_a_url_is_queued_once_across_workers_and_popped_by_priority(frontiers):
    _, w1, w2 = frontiers
    assert w1.push(_request(w1, "list", priority=5))
    assert not w2.push(_request(w2, "list", priority=5))  # the other worker has seen it
    assert w2.push(_request(w2, "report.html", "doc", priority=20))
    first, second = w1.pop(), w2.pop()
    assert (first.url.rsplit("/", 1)[1], second.url.rsplit("/", 1)[1]) == ("report.html", "list")
    assert first.callback == w1.spider.parse_node and first.meta["child"].role == "doc"
    assert w1.pop() is None
    assert w1.busy()  # nothing queued, but two requests leased
    w1.done(first)
    w2.done(second)
    assert not w1.busy()
    for path in ("z-first", "a-second", "m-third"):  # within a priority, first come first served, not by URL
        w1.push(_request(w1, path))
    assert [w2.pop().url.rsplit("/", 1)[1] for _ in range(3)] == ["z-first", "a-second", "m-third"]


def test_a_dead_workers_leases_go_back_but_not_its_committed_documents(frontiers):
    run, w1, w2 = frontiers
    for path, role in (("list", "column"), ("a.html", "doc"), ("b.html", "doc")):
        w1.push(_request(w1, path, role))
    w1.heartbeat()
    leased = [w1.pop() for _ in range(3)]
    from archive.ingest.ingestor import Ingestor

    committed = next(r for r in leased if r.url.endswith("a.html"))
    Ingestor(w1.spider.archive, run).ingest(
        capture_of(committed.url, run_id=run), b"<html><body><p>notice</p></body></html>")
    assert w2.reap_dead() == 0  # w1 is alive
    time.sleep(1.5)  # its alive key (1 s) expires: w1 is dead
    assert w2.reap_dead() == 2
    back = sorted(w2.pop().url.rsplit("/", 1)[1] for _ in range(2))
    assert back == ["b.html", "list"] and w2.pop() is None
    assert w2.server.hlen(w1.leases) == 0


def test_a_requeued_request_gives_up_its_lease_and_a_document_waits_for_its_commit(frontiers):
    _, w1, _ = frontiers
    w1.push(_request(w1, "a.html", "doc"))
    popped = w1.pop()
    retry = popped.replace(dont_filter=True)  # what a retry or a challenge's second try looks like
    assert w1.push(retry, fingerprint=False)
    assert w1.server.hlen(w1.leases) == 0 and len(w1) == 1
    again = w1.pop()
    lease = again.meta[LEASE]
    w1.hold(lease).outstanding += 1  # the callback hands its document on …
    w1.await_commit(again.url, lease)
    w1.finished(lease)  # … and returns
    w1.handled(lease)  # the item pipeline has taken the document
    assert w1.server.hlen(w1.leases) == 1  # not yet committed
    w1.committed(again.url)
    assert w1.server.hlen(w1.leases) == 0


def test_budgets_are_shared(frontiers):
    _, w1, w2 = frontiers
    assert [w1.spend("p"), w2.spend("p"), w1.spend("p"), w2.spend("q")] == [1, 2, 3, 1]


def test_workers_and_seeds_refuse_clearly_what_they_cannot_use():
    from crawler.cli import main

    with pytest.raises(SystemExit, match="never seeded"):
        main(["crawl", "--distributed", REDIS_URL, "--run-id", f"absent-{uuid.uuid4().hex[:8]}"])
    with pytest.raises(SystemExit, match=re.escape("cannot use Redis at redis://127.0.0.1:1/0")):
        main(["seed", "--distributed", "redis://127.0.0.1:1/0"])
