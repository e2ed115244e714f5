"""`nianbao demo --discover`: discovery end to end on the sandbox's province on real divisions (issue 16).

The sandbox world of one province (福建省 by default) is served in this process. From its provincial portal alone,
`nianbao registry discover` finds the portals, report columns and reporting units, `nianbao registry accept` accepts
them, and `nianbao crawl --registry accepted` crawls the discovered registry: the real commands, each a child
process (a Twisted reactor runs once per process) whose progress shows as it comes. Then, against the sandbox's
ground truth: one line per kind of binding (`discovery portals: 81/82 found (98.8 %), 0 bound wrongly`), the
discovery's requests (counted by the sandbox) against the manifest's minimum, report recall and precision as
`nianbao demo` prints them, and the province's coverage roll-up against the one the truth implies. The figures also
go to `measures.json` beside the archive, which the tests read.
"""
from __future__ import annotations

import json
import subprocess
import sys
import time
from dataclasses import asdict
from pathlib import Path

from crawler import settings as defaults
from sandbox.demo import fresh_folder

DISCOVERED = "discovered.csv"
MEASURES = "measures.json"
RUN_ID = "demo-discover"


class Steps:
    """The commands of the demo, each a child process sharing the demo's terminal, timed from the demo's start."""

    def __init__(self, proxy: str, db: Path, started: float):
        self.db, self.started = db, started
        # The sandbox preset, as -s flags: the sandbox is a proxy on loopback, with no AutoThrottle waiting.
        self.crawling = ["--allow-private", "-s", f"NIANBAO_PROXY={proxy}"]
        for name, value in defaults.PRESETS["sandbox"].items():
            if name != "NIANBAO_ALLOW_PRIVATE":
                self.crawling += ["-s", f"{name}={value}"]

    def __call__(self, what: str, args: list[str], crawls: bool = False) -> None:
        print(f"\n[{time.time() - self.started:5.0f} s] {what}: nianbao {' '.join(args)}", flush=True)
        command = [sys.executable, "-m", "crawler.cli", *args, "--db", str(self.db), *(self.crawling if crawls else ())]
        done = subprocess.run(command, check=False)
        if done.returncode not in (0, 1):  # 1: a crawl that finished with failures of its own, reported above
            raise SystemExit(f"nianbao demo --discover: `nianbao {args[0]} {args[1]}` exited {done.returncode}")


def _requests(sandbox) -> int:
    from sandbox.app import CONTROL_HOST

    return sum(n for host, n in sandbox.requests.items() if host != CONTROL_HOST)


def run(out: Path = Path("demo"), province: str = "福建省", seed: int = 1, years: str | None = None) -> int:
    """The demo; `years` the world publishes and the crawl asks for (default: the last year, ~2,100 reports)."""
    from archive.runs import RunRecord
    from archive.store.db import open_archive
    from crawler.cli.exits import UserError
    from crawler.discovery.registry import load
    from crawler.years import parse_years
    from sandbox.app import Options, Sandbox
    from sandbox.evaluate import measure
    from sandbox.evaluate_discovery import score
    from sandbox.manifest import manifest
    from sandbox.server import ServerThread
    from sandbox.timeline import TODAY

    started = time.time()
    span = parse_years(years or defaults.NIANBAO_YEARS, today=TODAY)
    if years is None:
        span = span[-1:]
    years = f"{span.start}-{span.stop - 1}" if len(span) > 1 else str(span.start)
    try:
        sandbox = Sandbox(Options(seed=seed, province=(province,), years=tuple(span), documents_per_format=1))
    except ValueError as exc:  # a province the release does not have: the user's mistake, not a crash
        raise UserError(str(exc)) from None
    # Only now the folder is emptied: a mistyped province leaves the last demo's archive as it was.
    fresh_folder(out)
    for name in (DISCOVERED, MEASURES, "registry-accepted.csv"):
        (out / name).unlink(missing_ok=True)
    world = sandbox.world
    print(f"nianbao demo --discover: the sandbox's {province} on real divisions, {len(world.portals)} portals and "
          f"{len(world.agencies())} agencies (seed {seed}); discovering it from its provincial portal alone, then "
          f"crawling {years} into {out}/archive.sqlite", flush=True)
    db = out / "archive.sqlite"
    with ServerThread(sandbox.handle) as server:
        sandbox.store.prewarm(sandbox.slow_documents())
        national_registry(db)
        step = Steps(server.proxy, db, started)
        before = _requests(sandbox)
        step("discovery", ["registry", "discover", "--province", province, "--out", str(out / DISCOVERED)], True)
        discovery_requests = _requests(sandbox) - before
        step("acceptance", ["registry", "accept", "--province", province])
        step("report crawl", ["crawl", "--registry", "accepted", "--years", years, "--run-id", RUN_ID], True)
        truth = manifest(sandbox, fields=True)
    today = sandbox.today
    sandbox.close()

    rows, problems = load(out / DISCOVERED)
    found = score(rows, truth, discovery_requests)
    record = RunRecord.read(db.parent / "runs" / f"{RUN_ID}.json")
    archive = open_archive(str(db))
    reports = measure(archive, truth, span, requests=record.requests)
    print(f"\nagainst the sandbox's ground truth ({len(rows)} discovered rows"
          + (f", {len(problems)} rows refused: {problems[0]}" if problems else "") + "):")
    for line in found.lines() + reports.lines():
        print("  " + line)
    differences = roll_up(archive, truth, province, span.stop - 1, today)
    (out / MEASURES).write_text(json.dumps({
        "province": province, "years": list(span),
        "discovery": {kind: {"found": t.found, "expected": t.expected, "wrong": [list(w) for w in t.wrong],
                             "missed": [list(m) for m in t.missed]} for kind, t in found.tallies.items()},
        "unknown": found.unknown, "discovery_requests": found.requests, "discovery_minimum": found.minimum_requests,
        "reports": {"recall": reports.recall, "precision": reports.precision, "requests": reports.requests,
                    "minimum": reports.minimum_requests},
        "rollup_differences": [asdict(d) for d in differences],
    }, ensure_ascii=False, indent=1), encoding="utf-8")
    print(f"\nfinished in {time.time() - started:.0f} s. The archive: {db}; the discovered registry: "
          f"{out / DISCOVERED}; the figures: {out / MEASURES}")
    return 0 if record.reason == "finished" else 1


def national_registry(db: Path) -> None:
    """The national registry of governments into the fresh archive first: discovered agencies join its rows by
    division code and name, and the roll-up counts its units."""
    from archive.registry.divisions import bundled
    from archive.registry.governments import apply_release
    from archive.store.db import open_archive

    release = bundled()
    print(f"\nloading the national registry of governments ({release.package}, {len(release.divisions):,} "
          f"divisions as of {release.data_as_of}) …", flush=True)
    with open_archive(str(db)).engine.begin() as conn:
        print("  " + apply_release(conn, release).summary(), flush=True)


def roll_up(archive, truth: dict, province: str, year: int, as_of) -> list:
    """The province's coverage roll-up by level, as `nianbao coverage --by province-level` shows it, and where it
    differs from the one the truth implies (with the agencies that make the difference, a few of them)."""
    from archive.queries.coverage import coverage
    from archive.queries.rollup import rollup
    from crawler.cli.tables import table
    from sandbox.expected_coverage import differences, disagreeing, expected

    code = next(a["division_code"][:2] for a in truth["agencies"] if a["level"] == "province")
    with archive.reader.connect() as conn:
        rows = [r for r in rollup(conn, year, as_of, "province-level", defaults.NIANBAO_STREET_OFFICES_PUBLISH)
                if r.province == code]
        statuses = {r.agency: str(r.status) for r in coverage(conn, year, region=code, as_of=as_of,
                                                              street_offices=defaults.NIANBAO_STREET_OFFICES_PUBLISH)}
    print(f"\ncoverage roll-up of {province} for {year} on {as_of}, by level:")
    table([r.as_dict() for r in rows], ("level", "agencies", "portal_known", "crawled", "on_time", "late",
                                        "published_date_unknown", "missing", "not_yet_due", "not_crawled",
                                        "no_portal_known", "portal_unreachable"), sys.stdout)
    want = expected(truth, code, year, as_of)
    found = differences(want, rows, code)
    if not found:
        print("  equal to the manifest's: every level and status as the ground truth has it")
    for d in found:
        print(f"  differs from the manifest's: {d.level} {d.status}: {d.archived} archived, {d.expected} in the truth")
    for name, truth_status, archived in disagreeing(want, statuses)[:10] if found else ():
        print(f"    {name}: {archived or 'not in the archive'}, in the truth {truth_status or 'not counted'}")
    return found
