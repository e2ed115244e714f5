"""Discovered registry benchmark (issue 16): recording a discovery run of ~15,000 agencies into the archive, a re-run
that sees them again, `registry diff` and `registry accept`, on SQLite and on PostgreSQL.

    python -m bench.discovered_registry [--agencies 15000] [--db PATH_OR_URL]

With NIANBAO_TEST_PG set (a server where databases may be created, as `.ci/run` starts one), PostgreSQL is measured
too, in a fresh database dropped afterwards. The discovered agencies are real governments (the MCA release as
packaged: every prefecture, county and township of the first provinces by code, until the count is reached, with
departments for each county) with two pieces of evidence each, recorded over the release's governments of those
provinces (so that every government is joined by code and name). The baseline, timed in the same sitting on the same
database: building those provinces' governments from the release (`apply_release`, what `nianbao registry build`
does: ~11,000 divisions and their agencies), against which each step is given as a ratio.
"""
from __future__ import annotations

import argparse
import dataclasses
import os
import resource
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import TypeVar

from archive.registry.acceptance import ChangeKind, accept, diff
from archive.registry.bindings import Discovered, Evidence, Signal
from archive.registry.discoveries import current, record
from archive.registry.divisions import Release, bundled
from archive.registry.governments import agency_names, apply_release
from archive.store.db import Archive, open_archive

DEPARTMENTS_PER_COUNTY = ("财政局", "教育局", "民政局", "卫生健康委员会", "自然资源局", "生态环境局")
T0 = datetime(2026, 11, 1, 9)
BASELINE = "baseline: registry build"
R = TypeVar("R")


def discovered(agencies: int) -> tuple[Release, list[tuple[str, Discovered]]]:
    """The provinces' release and (province, agency) records until `agencies` are reached."""
    release = bundled()
    names = agency_names(release.divisions)
    by_code = {d.code: d for d in release.divisions}
    provinces = sorted(d.code for d in release.divisions if d.level == "province" and d.publisher)
    out: list[tuple[str, Discovered]] = []
    used: list[str] = []
    for prefix in (p[:2] for p in provinces):
        province = by_code[prefix + "0000"]
        used.append(prefix)
        for d in sorted((d for d in release.divisions if d.code.startswith(prefix) and d.publisher),
                        key=lambda d: d.code):
            parent = by_code.get(d.parent_code or "")
            portal = f"https://www.{d.code}.gov.cn/" if d.level != "township" else f"https://www.{d.parent_code}.gov.cn/"
            evidence = (Evidence(portal, Signal.SITE_ID_CODE, f"{d.code}0001"), Evidence(portal, Signal.SITE_NAME,
                                                                                       names[d.code]))
            out.append((province.name, Discovered(
                names[d.code], d.level, "government", d.code, names[parent.code] if parent else "", portal,
                (portal + "xxgk/ndbg/",), "hanweb", evidence, 1.0)))
            if d.level == "county":
                for dept in DEPARTMENTS_PER_COUNTY:
                    name = d.name + dept
                    out.append((province.name, Discovered(
                        name, "department", "department", d.code, names[d.code], portal,
                        (f"{portal}bmxxgk/{len(name)}/ndbg/",), "hanweb",
                        (Evidence(portal + "bmxxgk/", Signal.DIRECTORY, f"部门目录: {name}"),), 0.8)))
            if len(out) >= agencies:
                break
        if len(out) >= agencies:
            break
    divisions = tuple(d for d in release.divisions if d.code[:2] in used)
    return Release("bench", release.data_as_of, "b" * 64, divisions,
                   dict(Counter(d.level for d in divisions))), out[:agencies]


def timed(work: Callable[[], R]) -> tuple[float, R]:
    started = time.perf_counter()
    result = work()
    return time.perf_counter() - started, result


def by_province(found: list[tuple[str, Discovered]]) -> dict[str, list[Discovered]]:
    out: dict[str, list[Discovered]] = {}
    for province, d in found:
        out.setdefault(province, []).append(d)
    return out


def measure(arc: Archive, release: Release, found: list[tuple[str, Discovered]]) -> dict[str, float]:
    figures: dict[str, float] = {}

    def build() -> None:
        with arc.engine.begin() as conn:
            apply_release(conn, release)
    figures[BASELINE], _ = timed(build)
    groups = by_province(found)

    def run(name: str, records: dict[str, list[Discovered]], at: datetime) -> None:
        def work() -> None:
            with arc.engine.begin() as conn:
                for province, batch in records.items():
                    record(conn, f"{name}-{province}", province, batch, at=at)
        figures[name], _ = timed(work)

    run("record (first run)", groups, T0)
    # The week after: every agency again, one in ten with a moved portal, one department in five gone.
    again = {p: [dataclasses.replace(d, portal_url=d.portal_url.replace("www.", "new."))
                 if n % 10 == 0 else d for n, d in enumerate(batch) if not (d.level == "department" and n % 5 == 0)]
             for p, batch in groups.items()}
    with arc.engine.connect() as conn:
        figures["read current"], rows = timed(lambda: current(conn))
    assert len(rows) == len(found), (len(rows), len(found))
    with arc.engine.connect() as conn:
        figures["diff (nothing accepted)"], changes = timed(lambda: diff(conn))
    assert changes.count(ChangeKind.ADDED) == len(found)

    def accepting() -> None:
        with arc.engine.begin() as conn:
            accept(conn, at=T0)
    figures["accept"], _ = timed(accepting)
    run("record (re-run)", again, T0 + timedelta(days=7))
    with arc.engine.connect() as conn:
        figures["diff (after the re-run)"], changes = timed(lambda: diff(conn))
    print(f"    diff after the re-run: {changes.summary()}", file=sys.stderr)
    return figures


def report(label: str, figures: dict[str, float], agencies: int) -> None:
    base = figures[BASELINE]
    print(f"{label} ({agencies:,} discovered agencies):")
    for name, seconds in figures.items():
        print(f"  {name:32s} {seconds:7.2f} s   {seconds / base:5.2f} × baseline")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--agencies", type=int, default=15_000, help="discovered agencies (default 15,000)")
    parser.add_argument("--db", help="an archive to measure on instead of a fresh SQLite file (a fresh database!)")
    args = parser.parse_args(argv)
    release, found = discovered(args.agencies)
    provinces = sorted({p for p, _ in found})
    print(f"{len(found):,} agencies of {', '.join(provinces)}; {len(release.divisions):,} divisions",
          file=sys.stderr)
    with tempfile.TemporaryDirectory() as tmp:
        db = args.db or str(Path(tmp) / "archive.sqlite")
        report("SQLite" if not args.db else args.db, measure(open_archive(db, Path(tmp) / "data"), release, found),
               len(found))
        pg = os.environ.get("NIANBAO_TEST_PG")
        if pg and not args.db:
            from sandbox.databases import fresh_postgresql

            url, drop = fresh_postgresql(pg)
            try:
                arc = open_archive(url, Path(tmp) / "pg-data")
                report("PostgreSQL", measure(arc, release, found), len(found))
                arc.engine.dispose()
            finally:
                drop()
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
