"""Dashboard benchmark: response times of the overview, a coverage-matrix page and a report page on a
150,000-agency archive (synthetic rows). Target (issue 6): ≤ 300 ms each at the median on this machine.

    python -m bench.dashboard [--agencies 150000] [--repeats 15] [--db PATH_OR_URL]

The archive is built with set-based inserts rather than through ingest (that path is benchmarked by bench.archive):
a registry of provinces, prefectures, counties, their departments and townships; three years of reports, most on
time, some late, some missing, a few with failed checks or a second version. Bulk reports share a pool of
extraction results (nothing on these pages reads them); a few showcase reports are ingested properly, with
captures, so that the report page measured has sources, versions and a diff. `--db` keeps (and reuses) the archive.

The server is the real one (uvicorn in a subprocess); the client times full HTTP requests on loopback after a
warm-up request per URL.
"""
from __future__ import annotations

import argparse
import http.client
import json
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select

from archive.ingest import stored_results
from archive.queries.coverage import deadline
from archive.registry.agencies import AgencyRecord, register_agencies
from archive.store.db import Archive, open_archive
from archive.store.models import T
from archive.store.sql import insert_new
from sandbox import synthetic
from sandbox.synthetic import capture, ingestor

YEARS = (2021, 2022, 2023)
PROVINCES = ("11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37", "41", "42",
             "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65")
PREFECTURES, COUNTIES, PROVINCE_DEPARTMENTS, COUNTY_DEPARTMENTS, TOWNSHIPS = 10, 10, 10, 31, 15
POOL = 64  # distinct extraction results the bulk versions share
CHUNK = 20_000
TARGET_MS = 300


def registry(size: int) -> list[AgencyRecord]:
    """A tree of about `size` agencies, provinces first, in the shape of domain.md §1 (≈ 47 units per county)."""
    out: list[AgencyRecord] = []

    def add(name: str, kind: str, level: str, code: str, parent: str | None) -> None:
        if len(out) < size:
            out.append(AgencyRecord(name, kind, level, code, parent))

    for p in PROVINCES:
        province = f"合成{p}省"
        add(province, "government", "province", f"{p}0000", None)
        for d in range(PROVINCE_DEPARTMENTS):
            add(f"{province}第{d:02d}厅", "department", "department", f"{p}0000", province)
        for c in range(1, PREFECTURES + 1):
            city = f"{province}{c:02d}市"
            add(city, "government", "prefecture", f"{p}{c:02d}00", province)
            for d in range(PROVINCE_DEPARTMENTS):
                add(f"{city}第{d:02d}局", "department", "department", f"{p}{c:02d}00", city)
            for k in range(1, COUNTIES + 1):
                county = f"{city}{k:02d}县"
                code = f"{p}{c:02d}{k:02d}"
                add(county, "government", "county", code, city)
                for d in range(COUNTY_DEPARTMENTS):
                    add(f"{county}第{d:02d}局", "department", "department", code, county)
                for t in range(1, TOWNSHIPS + 1):
                    add(f"{county}第{t:02d}镇", "government", "township", f"{code}{t:03d}", county)
    n = 0
    while len(out) < size:  # central departments make up the rest
        add(f"合成中央第{n:04d}部", "department", "department", "100000", None)
        n += 1
    return out


def _pool(conn, now: datetime) -> list[int]:
    """Extraction rows (with their blob rows) for the bulk versions to point at."""
    ex, blobs = T["extractions"], T["blobs"]
    rows, blob_rows = [], []
    for n in range(POOL):
        r = synthetic.report(f"合成样本{n}", 2022, seed=f"pool{n}")
        data = synthetic.body(r)
        sha = synthetic.digest(data)
        meta, body = stored_results.pack(r.as_dict())
        blob_rows.append({"sha256": sha, "size": len(data), "format": "html", "path": f"blobs/{sha}",
                          "stored_at": now})
        rows.append({"sha256": sha, "parser_version": "bench", "is_report": True, "error": None, "agency": r.agency,
                     "year": r.year, "template": r.template, "fingerprint": sha, "tables": sha, "table_only": False,
                     "meta": meta, "body": body, "created_at": now})
    insert_new(conn, blobs, blob_rows, ("sha256",))
    insert_new(conn, ex, rows, ("sha256", "parser_version"))
    return list(conn.execute(select(ex.c.id).where(ex.c.parser_version == "bench").order_by(ex.c.id)).scalars())


def _bulk_rows(agencies: list[tuple[int, str, str | None, str]], pool: list[int], first_id: int
               ) -> Iterator[tuple[dict, dict]]:
    """(report row, version row) pairs: about 85 % found, a fifth of those late, a few undated, some failing."""
    rng = random.Random(6)
    report_id = first_id
    for year_index, year in enumerate(YEARS):
        found_rate = 0.9 - 0.05 * year_index
        for agency_id, name, level, kind in agencies:
            if rng.random() > found_rate:
                continue
            due = deadline(year, kind, level)
            offset = rng.randint(1, 90) if rng.random() < 0.2 else -rng.randint(0, 45)
            day = due + timedelta(days=offset)
            seen = datetime.combine(day, datetime.min.time()) + timedelta(days=rng.randint(0, 3), hours=9)
            stated = day if rng.random() > 0.05 else None
            failed = [{"rule": "R1", "ok": False, "where": "applications.*.total", "detail": "3 + 0 != 2 + 0"}] \
                if rng.random() < 0.05 else []
            report_id += 1
            yield ({"id": report_id, "agency_id": agency_id, "year": year, "kind": kind,
                    "current_version_id": report_id, "versions": 1, "first_seen": seen, "published": stated,
                    "url": f"http://bench.gov.cn/{year}/{agency_id}.html", "failed_checks": failed,
                    "cross_checks": []},
                   {"id": report_id, "report_id": report_id, "fingerprint": f"bulk{report_id}", "seq": 1,
                    "extraction_id": pool[report_id % len(pool)], "first_seen": seen, "last_seen": seen,
                    "published": stated, "title": f"{name}{year}年政府信息公开工作年度报告", "template": "2021",
                    "diff": None, "minhash": None})


def _showcase(arc: Archive) -> list[int]:
    """Reports ingested the ordinary way, each with two versions: the report pages the benchmark requests."""
    ing = ingestor(arc, "bench-showcase")
    for n in range(3):
        agency = f"合成示例{n}局"
        first = synthetic.report(agency, 2023, seed=f"showcase{n}", published="2024-01-20")
        second = synthetic.report(agency, 2023, seed=f"showcase{n}", published="2024-01-20")
        second.fields = {**second.fields, "applications.new_received.natural_person": 999}
        ing.ingest(capture(f"http://bench.gov.cn/show/{n}.html"), synthetic.body(first), first)
        ing.ingest(capture(f"http://bench.gov.cn/show/{n}.html", 60 * 24), synthetic.body(second), second)
    ing.finish()
    rep, ag = T["reports"], T["agencies"]
    with arc.reader.connect() as conn:
        return list(conn.execute(select(rep.c.id).join(ag, ag.c.id == rep.c.agency_id)
                                 .where(ag.c.name.like("合成示例%")).order_by(rep.c.id)).scalars())


def build(arc: Archive, size: int) -> None:
    now = datetime(2024, 6, 1)
    with arc.engine.begin() as conn:
        register_agencies(conn, registry(size))
    ag = T["agencies"]
    with arc.reader.connect() as conn:
        agencies = conn.execute(select(ag.c.id, ag.c.name, ag.c.level, ag.c.kind).order_by(ag.c.id)).all()
    with arc.engine.begin() as conn:
        pool = _pool(conn, now)
        first = conn.execute(select(func.coalesce(func.max(T["reports"].c.id), 0))).scalar_one()
        batch: list[tuple[dict, dict]] = []
        for pair in _bulk_rows(agencies, pool, first):
            batch.append(pair)
            if len(batch) == CHUNK:
                _write(conn, batch)
                batch = []
        _write(conn, batch)
        if conn.dialect.name == "postgresql":  # ids were given: the sequences must move past them for ingest
            for table in ("reports", "versions"):
                conn.exec_driver_sql(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                     f"(SELECT max(id) FROM {table}))")
    _showcase(arc)


def _write(conn, batch: list[tuple[dict, dict]]) -> None:
    if batch:
        insert_new(conn, T["reports"], [r for r, _ in batch], ("id",))
        insert_new(conn, T["versions"], [v for _, v in batch], ("id",))


def _get(conn: http.client.HTTPConnection, path: str) -> tuple[int, float]:
    start = time.perf_counter()
    conn.request("GET", path)
    response = conn.getresponse()
    response.read()
    return response.status, time.perf_counter() - start


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def measure(db: str, data: Path, report_id: int, repeats: int) -> dict[str, object]:
    """Start `nianbao serve` on the archive and time each page `repeats` times after one warm-up request."""
    port = _free_port()
    server = subprocess.Popen([sys.executable, "-m", "crawler.cli", "serve", "--db", db, "--data", str(data),
                               "--port", str(port), "--log-level", "warning"])
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        deadline = time.monotonic() + 60
        while True:
            try:
                _get(conn, "/api/years")
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise RuntimeError("the dashboard did not start") from None
                conn.close()
                time.sleep(0.2)
        # The first overview waits for the figures the server started computing at start-up: the cold cost.
        status, cold = _get(conn, "/")
        assert status == 200
        pages = {"overview": "/", "matrix": "/coverage", "matrix_page_1000": "/coverage?page=1000",
                 "matrix_filtered": "/coverage?region=33&status=late",
                 # Sorting by status orders every agency by a computed value: the matrix's slowest view.
                 "matrix_by_status": "/coverage?sort=status", "report": f"/reports/{report_id}",
                 "api_matrix": "/api/coverage", "api_report": f"/api/reports/{report_id}"}
        out: dict[str, object] = {"overview_first_request_ms": round(cold * 1000)}
        for name, path in pages.items():
            status, _ = _get(conn, path)  # warm-up
            assert status == 200, (path, status)
            times = sorted(_get(conn, path)[1] * 1000 for _ in range(repeats))
            out[name] = {"median_ms": round(statistics.median(times), 1),
                         "p90_ms": round(times[int(0.9 * (repeats - 1))], 1), "max_ms": round(times[-1], 1)}
        conn.close()
        return out
    finally:
        server.terminate()
        server.wait(10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agencies", type=int, default=150_000)
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--db", help="SQLite path or postgresql:// URL to build once and reuse (default: a temp dir)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = args.db or str(Path(tmp) / "archive.sqlite")
        data = Path(db).parent if "://" not in db else Path(tmp)
        arc = open_archive(db, data)
        with arc.reader.connect() as conn:
            known = conn.execute(select(func.count()).select_from(T["agencies"])).scalar_one()
        start = time.perf_counter()
        if known < args.agencies:
            build(arc, args.agencies)
        built_s = time.perf_counter() - start
        rep, ag = T["reports"], T["agencies"]
        with arc.reader.connect() as conn:
            agencies = conn.execute(select(func.count()).select_from(ag)).scalar_one()
            reports = conn.execute(select(func.count()).select_from(rep)).scalar_one()
            showcase = conn.execute(select(rep.c.id).join(ag, ag.c.id == rep.c.agency_id)
                                    .where(ag.c.name.like("合成示例%"), rep.c.versions == 2).limit(1)).scalar_one()
        arc.engine.dispose()
        result = {"backend": "postgresql" if "://" in db else "sqlite", "agencies": agencies, "reports": reports,
                  "build_s": round(built_s, 1), **measure(db, data, showcase, args.repeats)}
    print(json.dumps(result, ensure_ascii=False, indent=1))
    slow = [k for k in ("overview", "matrix", "report") if result[k]["median_ms"] > TARGET_MS]
    print(f"target ≤ {TARGET_MS} ms median: {'met' if not slow else 'missed by ' + ', '.join(slow)}")


if __name__ == "__main__":
    main()
