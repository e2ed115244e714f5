"""`nianbao demo`: the main job end to end on the sandbox — start it in this process, crawl it with the real
crawler and pipelines into a fresh SQLite archive under ./demo/, measure the crawl against the sandbox's ground
truth, print the coverage table of the latest year and how to serve the dashboard over the archive."""
from __future__ import annotations

import shutil
import sys
import time
from pathlib import Path

from crawler import settings as defaults


def fresh_folder(out: Path) -> None:
    """Remove what an earlier demo left (only the files the demo makes)."""
    for name in ("archive.sqlite", "archive.sqlite-wal", "archive.sqlite-shm", "crawl-state.sqlite",
                 "crawl-state.sqlite-wal", "crawl-state.sqlite-shm", "registry.csv"):
        (out / name).unlink(missing_ok=True)
    for name in ("blobs", "warc", "runs"):
        shutil.rmtree(out / name, ignore_errors=True)
    out.mkdir(parents=True, exist_ok=True)


def run(out: Path = Path("demo"), scale: int = 7, seed: int = 1, years: str = defaults.NIANBAO_YEARS) -> int:
    from archive.queries.coverage import coverage
    from archive.store.db import open_archive, resolve_url
    from archive.web.search import SearchIndex
    from crawler.cli.tables import table
    from crawler.process import crawl
    from crawler.years import parse_years
    from sandbox.app import Options, Sandbox
    from sandbox.evaluate import measure
    from sandbox.manifest import manifest
    from sandbox.server import ServerThread

    started = time.time()
    fresh_folder(out)
    sandbox = Sandbox(Options(seed=seed, scale=scale, documents_per_format=1))
    world = sandbox.world
    # Years as of the sandbox's day ("2019-" ends the year before it), fixed for the crawl and the evaluation.
    span = parse_years(years, today=sandbox.today)
    years = f"{span.start}-{span.stop - 1}"
    print(f"nianbao demo: a sandbox of {len(world.portals)} portals and {len(world.agencies())} agencies "
          f"(seed {seed}, scale {scale}); crawling {years} into {out}/archive.sqlite", flush=True)
    registry = out / "registry.csv"
    registry.write_text(sandbox.registry(), encoding="utf-8")
    db = out / "archive.sqlite"
    with ServerThread(sandbox.handle) as server:
        sandbox.store.prewarm(sandbox.slow_documents())
        result = crawl(registry, years, overrides={**defaults.PRESETS["sandbox"], "NIANBAO_DB": str(db),
                                                   "NIANBAO_PROXY": server.proxy})
        truth = manifest(sandbox, fields=True)
    today = sandbox.today  # the sandbox world's date: statuses are those of that day
    sandbox.close()
    print("\n" + result.record.summary())
    archive = open_archive(str(db))
    score = measure(archive, truth, span, requests=result.record.requests)
    print("\nagainst the sandbox's ground truth:")
    for line in score.lines():
        print("  " + line)
    latest = span.stop - 1
    with archive.reader.connect() as conn:
        rows = [r.as_dict() for r in coverage(conn, latest, as_of=today)]
    counts: dict[str, int] = {}
    for r in rows:
        counts[r["status"]] = counts.get(r["status"], 0) + 1
        r["failed_checks"] = " ".join(r["failed_checks"])
    print(f"\ncoverage of {latest} ({len(rows)} agencies: "
          + ", ".join(f"{n} {s}" for s, n in sorted(counts.items())) + "):")
    table(rows, ("agency", "level", "status", "days_late", "published", "url"), sys.stdout)
    national_roll_up(archive, latest, today, {r["division_code"][:2] for r in rows if r["division_code"]})
    # The dashboard's full-text search reads its own index; the demo's archive is served right after.
    SearchIndex.for_writing(resolve_url(str(db))).update(archive.engine)
    print(f"\nfinished in {time.time() - started:.0f} s. The archive: {db}; the run record: {result.record_path}")
    # `make demo` installs into .venv without activating it: print the command as it can be pasted.
    nianbao = ".venv/bin/nianbao" if Path(".venv/bin/nianbao").exists() else "nianbao"
    print(f"serve the dashboard over it:  {nianbao} serve --db {db}   (then open http://127.0.0.1:8000/)")
    print(f"the full coverage table:      {nianbao} coverage --db {db} --year {latest}")
    print(f"the national roll-up:         {nianbao} coverage --db {db} --year {latest} --by province-level")
    return 0 if result.record.reason == "finished" else 1


def national_roll_up(archive, year: int, as_of, provinces: set[str]) -> None:
    """The national registry into the archive, then the roll-up of `year`: the nation and the sandbox's provinces
    (its governments are fictional: they count beside the registry's real ones)."""
    from archive.queries.rollup import rollup
    from archive.registry.divisions import bundled
    from archive.registry.governments import apply_release
    from crawler.cli.tables import table

    release = bundled()
    print(f"\nloading the national registry of governments ({release.package}, {len(release.divisions):,} "
          f"divisions as of {release.data_as_of}) …", flush=True)
    with archive.engine.begin() as conn:
        print("  " + apply_release(conn, release).summary())
    with archive.reader.connect() as conn:
        rows = [r for r in rollup(conn, year, as_of, "province", defaults.NIANBAO_STREET_OFFICES_PUBLISH)
                if not r.province or r.province in provinces]
    print(f"\nnational roll-up of {year} on {as_of} (the nation, then the sandbox's provinces):")
    table([r.as_dict() for r in rows], ("province_name", "agencies", "portal_known", "crawled", "on_time", "late",
                                        "published_date_unknown", "missing", "not_yet_due", "not_crawled",
                                        "no_portal_known"), sys.stdout)


def serve_forever(out: Path) -> int:
    from crawler.cli import main

    return main(["serve", "--db", str(out / "archive.sqlite")])
