"""Archive benchmark: ingest rate and database size per 10,000 reports; coverage time for 150,000 agencies.

python -m bench.archive [--reports N] [--agencies N]
Runs on SQLite, and on PostgreSQL too when NIANBAO_TEST_PG names a server where it may create a database.
Targets (issue 3): ingest ≥ 300 reports/s; coverage ≤ 2 s for 150k agencies.
"""
from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from sqlalchemy import text

from archive.agencies import AgencyRecord, register_agencies
from archive.coverage import coverage
from archive.db import Archive, open_archive
from tests.archive import synthetic
from tests.conftest_archive import PG_URL, capture, ingestor, pg_database


def db_size(arc: Archive) -> int:
    with arc.engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            return conn.execute(text("SELECT pg_database_size(current_database())")).scalar_one()
        # Pages in use (main file and WAL alike), without the freelist.
        pages = conn.exec_driver_sql("PRAGMA page_count").scalar_one()
        free = conn.exec_driver_sql("PRAGMA freelist_count").scalar_one()
        return (pages - free) * conn.exec_driver_sql("PRAGMA page_size").scalar_one()


def bench_ingest(arc: Archive, n: int) -> dict[str, float]:
    # Built before timing: extraction is the pipeline's cost, measured by bench.extraction.
    items = []
    for i in range(n):
        r = synthetic.report(f"基准县第{i}局", 2023, seed=f"b{i}")
        items.append((capture(f"https://bench.gov.cn/{i}.html", i % 1000), synthetic.body(r), r))
    ing = ingestor(arc, "bench")
    start = time.perf_counter()
    for cap, body, r in items:
        ing.ingest(cap, body, r)
    seconds = time.perf_counter() - start
    blobs = sum(p.stat().st_size for p in (arc.data_dir / "blobs").rglob("*") if p.is_file())
    return {"reports": n, "seconds": round(seconds, 2), "reports_per_s": round(n / seconds, 1),
            "db_mb_per_10k": round(db_size(arc) / n * 10_000 / 2**20, 1),
            "blob_mb_per_10k": round(blobs / n * 10_000 / 2**20, 1)}


def bench_coverage(arc: Archive, agencies: int) -> dict[str, float]:
    records = [AgencyRecord(f"合成机构{i:06d}", "department" if i % 4 else "government",
                            "department" if i % 4 else "county", f"{330000 + i // 50:06d}") for i in range(agencies)]
    with arc.engine.begin() as conn:
        register_agencies(conn, records)
    with arc.reader.connect() as conn:
        start = time.perf_counter()
        rows = coverage(conn, 2023)
        seconds = time.perf_counter() - start
    return {"agencies": len(rows), "coverage_s": round(seconds, 2)}


def run(label: str, url: str, data: Path, reports: int, agencies: int) -> dict[str, object]:
    arc = open_archive(url, data)
    result = {"backend": label, **bench_ingest(arc, reports), **bench_coverage(arc, agencies)}
    arc.engine.dispose()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=3000)
    parser.add_argument("--agencies", type=int, default=150_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        results = [run("sqlite", str(Path(tmp) / "bench.sqlite"), Path(tmp) / "sqlite", args.reports, args.agencies)]
        if PG_URL:
            url, drop = pg_database()
            try:
                results.append(run("postgresql", url, Path(tmp) / "pg", args.reports, args.agencies))
            finally:
                drop()
    for r in results:
        print(json.dumps(r, ensure_ascii=False))


if __name__ == "__main__":
    main()
