"""Archive benchmark: ingest rate (single captures and batches), database size per 10,000 reports, coverage time.

python -m bench.archive [--reports N] [--batch B] [--agencies N]
Runs on SQLite, and on PostgreSQL too when NIANBAO_TEST_PG names a server where it may create a database.
Targets (issue 3): ingest ≥ 300 reports/s; coverage ≤ 2 s for 150k agencies.

The workload is a crawl's: agencies with three years each (so S1/S2, previous-year S5 and neighbour lookups do real
work), and one capture in ten a second rendering (PDF) of a report seen earlier, which takes the general path. The
extraction results are built before timing (extraction is the pipeline's cost, measured by bench.extraction);
everything else — digests, identity, MinHash, packing, durable blob writes, the database — is timed. `single` is
`Ingestor.ingest` per capture (a transaction each); `batch` is `Ingestor.ingest_many` in batches of B. The batch
run's CPU time per report (this process's; a PostgreSQL server's is not in it) tells a loaded machine from a slow
ingest: reports/s cannot exceed 1000 / cpu_ms_per_report on one core.
"""
from __future__ import annotations

import argparse
import copy
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

from sqlalchemy import text

from archive.queries.coverage import coverage
from archive.registry.agencies import AgencyRecord, register_agencies
from archive.store.db import Archive, open_archive
from sandbox import synthetic
from sandbox.databases import fresh_postgresql
from sandbox.synthetic import capture, ingestor

YEARS = (2021, 2022, 2023)
RENDERING_EVERY = 9  # a second rendering after every 9th report …
RENDERING_LAG = 150  # … of the report this many captures back, so that it often falls into a later batch


def db_size(arc: Archive) -> int:
    with arc.engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            return conn.execute(text("SELECT pg_database_size(current_database())")).scalar_one()
        # Pages in use (main file and WAL alike), without the freelist.
        pages = conn.exec_driver_sql("PRAGMA page_count").scalar_one()
        free = conn.exec_driver_sql("PRAGMA freelist_count").scalar_one()
        return (pages - free) * conn.exec_driver_sql("PRAGMA page_size").scalar_one()


def workload(n: int, prefix: str) -> list[tuple]:
    reports, items = [], []
    for i in range(n):
        r = synthetic.report(f"基准{prefix}县第{i // len(YEARS)}局", YEARS[i % len(YEARS)], seed=f"{prefix}{i}")
        reports.append(r)
        items.append((capture(f"https://bench.gov.cn/{prefix}/{i}.html", i % 1000), synthetic.body(r), r))
        if i % RENDERING_EVERY == 0 and i >= RENDERING_LAG:
            pdf = copy.deepcopy(reports[i - RENDERING_LAG])
            pdf.format = "pdf"
            items.append((capture(f"https://bench.gov.cn/{prefix}/{i - RENDERING_LAG}.pdf", i % 1000 + 1),
                          synthetic.body(pdf, stamp="pdf"), pdf))
    return items[:n]


def bench_ingest(arc: Archive, n: int, batch: int | None) -> dict[str, float]:
    items = workload(n, f"b{batch}" if batch else "s")
    ing = ingestor(arc, "bench")
    start, cpu = time.perf_counter(), time.process_time()
    if batch is None:
        for cap, body, r in items:
            ing.ingest(cap, body, r)
    else:
        ing.ingest_many(items, batch)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    assert ing.stats.inserted + ing.stats.unchanged == n, ing.stats
    return {"reports": n, "seconds": round(seconds, 2), "reports_per_s": round(n / seconds, 1),
            "cpu_ms_per_report": round(cpu / n * 1000, 2)}


def bench_coverage(arc: Archive, agencies: int, repeats: int = 3) -> dict[str, float]:
    records = [AgencyRecord(f"合成机构{i:06d}", "department" if i % 4 else "government",
                            "department" if i % 4 else "county", f"{330000 + i // 50:06d}") for i in range(agencies)]
    with arc.engine.begin() as conn:
        register_agencies(conn, records)
    times = []
    for _ in range(repeats):
        with arc.reader.connect() as conn:
            start = time.perf_counter()
            rows = coverage(conn, 2023)
            times.append(time.perf_counter() - start)
    return {"agencies": len(rows), "coverage_s": round(statistics.median(times), 2)}


def run(label: str, urls: dict[str, str], data: Path, reports: int, batch: int, agencies: int) -> dict[str, object]:
    single = open_archive(urls["single"], data / "single")
    # A fifth as many: one transaction (and two fsyncs) per capture is the slow way, measured for comparison.
    one = bench_ingest(single, max(reports // 5, 200), None)
    single.engine.dispose()
    arc = open_archive(urls["batch"], data / "batch")
    empty = db_size(arc)  # the schema and, on PostgreSQL, the system catalogs: not the reports' cost
    many = bench_ingest(arc, reports, batch)
    size = db_size(arc) - empty
    blobs = sum(p.stat().st_size for p in (data / "batch" / "blobs").rglob("*") if p.is_file())
    result = {
        "backend": label, "single_reports_per_s": one["reports_per_s"], "batch_reports_per_s": many["reports_per_s"],
        "batch_cpu_ms_per_report": many["cpu_ms_per_report"], "batch_size": batch, "reports": reports,
        "db_mb_per_10k": round(size / reports * 10_000 / 2**20, 1),
        "blob_mb_per_10k": round(blobs / reports * 10_000 / 2**20, 1), **bench_coverage(arc, agencies),
    }
    arc.engine.dispose()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=3000)
    parser.add_argument("--batch", type=int, default=300)
    parser.add_argument("--agencies", type=int, default=150_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        results = [run("sqlite", {k: str(root / f"{k}.sqlite") for k in ("single", "batch")}, root / "sqlite",
                       args.reports, args.batch, args.agencies)]
        if pg_url := os.environ.get("NIANBAO_TEST_PG"):
            databases = {k: fresh_postgresql(pg_url) for k in ("single", "batch")}
            try:
                results.append(run("postgresql", {k: url for k, (url, _) in databases.items()}, root / "pg",
                                   args.reports, args.batch, args.agencies))
            finally:
                for _, drop in databases.values():
                    drop()
    for r in results:
        print(json.dumps(r, ensure_ascii=False))


if __name__ == "__main__":
    main()
