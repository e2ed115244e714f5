"""Discovery and the report crawl at scale (issue 16): a sandbox on real divisions at 1/100 and 1/10 of national size
(≈ 420 and ≈ 4,200 governments), discovered province by province from the provincial portals alone, accepted, and
crawled end to end; then how each figure grows from the one size to the other, and the national run extrapolated.

    nice -n 5 .venv/bin/python -m bench.discovery [--sizes 1/100,1/10] [--years 2024-2025] [--discovery-only 1/10]

The sandbox serves from its own process, its documents prerendered first when the size is crawled (as bench.crawl
does). Each command runs as the user runs it (`nianbao registry build|discover|accept`, `nianbao crawl --registry
accepted`), in a subprocess whose memory with its children (the extraction workers) is sampled from /proc. Reported
per size: wall time, requests (counted by the sandbox), pages/s, peak RSS, discovery against the manifest (the lines
of `nianbao demo --discover`), report recall and precision, the archive's size on disk (database, blobs, WARC) and
the machine's load. The growth between the sizes gives each figure's exponent k (figure ∝ governments^k), and the
national run (41,931 governments) is each figure at national size: hours on one machine, and on N machines. A size
named in --discovery-only is discovered but not crawled (its crawl, ~15,000 reports at 1/10, takes hours on a
shared 2-core machine); the crawl's figures then come from the largest size crawled, grown linearly (said so).
"""
from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench.crawl import ROOT, control, free_port, run_sampled

# Provinces whose governments add up to about 1/100 and 1/10 of the nation's 41,931 (MCA 2025-12-31, as packaged:
# 青海省 458; 福建省 1,203 + 江西省 1,693 + 吉林省 1,042 + 宁夏回族自治区 271 = 4,209).
SIZES = {"1/100": ("青海省",), "1/10": ("福建省", "江西省", "吉林省", "宁夏回族自治区")}
NATIONAL_GOVERNMENTS = 41_931
MACHINES = (1, 4, 16)


@dataclass
class Phase:
    """Discovery or the report crawl at one size."""

    seconds: float = 0.0
    requests: int = 0  # as the sandbox counted them
    pages: int = 0  # discovery: its requests; the crawl: the pages of its run record
    peak_kb: int = 0

    def add(self, seconds: float, requests: int, pages: int, peak_kb: int) -> None:
        self.seconds += seconds
        self.requests += requests
        self.pages += pages
        self.peak_kb = max(self.peak_kb, peak_kb)

    def figures(self) -> dict[str, float]:
        return {"seconds": self.seconds, "requests": self.requests, "peak RSS (MB)": self.peak_kb / 1024}


@dataclass
class Size:
    label: str
    governments: int = 0
    agencies: int = 0
    reports: int = 0
    discovery: Phase = field(default_factory=Phase)
    crawl: Phase | None = None  # None: discovered only
    archive_bytes: int = 0  # of the crawled size
    load: tuple[float, float] = (0.0, 0.0)  # the machine's load average (1 min) at the start and at the end
    lines: list[str] = field(default_factory=list)

    def figures(self) -> dict[str, float]:
        out = {f"discovery {k}": v for k, v in self.discovery.figures().items()}
        if self.crawl:
            out |= {f"report crawl {k}": v for k, v in self.crawl.figures().items()}
            out["archive (MB)"] = self.archive_bytes / 1e6
        return out

    def show(self) -> None:
        d, c = self.discovery, self.crawl
        print(f"\n{self.label} of national size: {self.governments:,} governments, {self.agencies:,} agencies, "
              f"{self.reports:,} reports (load average {self.load[0]:.1f} at the start, {self.load[1]:.1f} at the end)")
        print(f"  discovery     {d.seconds:6.0f} s, {d.requests:,} requests ({d.pages / max(d.seconds, 0.1):.1f} "
              f"pages/s), peak RSS {d.peak_kb / 1024:.0f} MB")
        if c:
            print(f"  report crawl  {c.seconds:6.0f} s, {c.requests:,} requests, {c.pages:,} pages "
                  f"({c.pages / max(c.seconds, 0.1):.1f} pages/s), peak RSS {c.peak_kb / 1024:.0f} MB (the crawler "
                  "and its extraction workers)")
            print(f"  end to end    {d.seconds + c.seconds:6.0f} s; archive {self.archive_bytes / 1e6:.0f} MB on disk")
        for line in self.lines:
            print("  " + line, flush=True)


def _stats(proxy: str, reset: bool = False) -> int:
    return json.loads(control(proxy, "/stats?reset=1" if reset else "/stats"))["requests"]


def _folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and p.suffix not in (".csv", ".json"))


def start_sandbox(provinces: tuple[str, ...], years: str, port: int, prerender: bool) -> subprocess.Popen:
    command = [sys.executable, "-m", "crawler.cli", "sandbox", "serve", "--port", str(port), "--documents", "1",
               "--report-years", years, *(["--prerender"] if prerender else ["--no-prewarm"])]
    for province in provinces:
        command += ["--province", province]
    server = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert server.stdout is not None
    for line in server.stdout:  # "proxy: export http_proxy=…" once it listens
        if line.startswith("proxy:"):
            return server
        print("  " + line, end="", flush=True)
    raise RuntimeError(f"the sandbox did not start (exit {server.wait()})")


def run_size(label: str, provinces: tuple[str, ...], years: str, timeout: float, crawl: bool) -> Size:
    from archive.store.db import open_archive
    from crawler.discovery.registry import load
    from crawler.years import parse_years
    from sandbox.evaluate import measure
    from sandbox.evaluate_discovery import score

    size, started = Size(label, load=(os.getloadavg()[0], 0.0)), time.time()
    folder = Path(tempfile.mkdtemp(prefix="nianbao-bench-discovery-"))
    port = free_port()
    proxy = f"http://127.0.0.1:{port}"
    print(f"\n{label}: {', '.join(provinces)}; starting the sandbox{' (prerendering)' if crawl else ''} …", flush=True)
    server = start_sandbox(provinces, years, port, prerender=crawl)
    try:
        truth = json.loads(control(proxy, "/manifest.json"))
        size.governments = sum(1 for a in truth["agencies"] if a["kind"] == "government")
        size.agencies, size.reports = len(truth["agencies"]), len(truth["reports"])
        print(f"{label}: {size.governments:,} governments, {size.agencies:,} agencies, {size.reports:,} reports "
              f"({time.time() - started:.0f} s to start)", flush=True)
        db = folder / "archive.sqlite"
        crawling = ["--db", str(db), "--allow-private", "-q", "-s", f"NIANBAO_PROXY={proxy}",
                    "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "NIANBAO_PROGRESS_SECONDS=0"]
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        nianbao = [sys.executable, "-m", "crawler.cli"]
        subprocess.run([*nianbao, "registry", "build", "--db", str(db)], cwd=ROOT, env=env, check=True,
                       stdout=subprocess.DEVNULL)
        rows = []
        for province in provinces:
            out = folder / f"discovered-{province}.csv"
            _stats(proxy, reset=True)
            seconds, code, peak = run_sampled([*nianbao, "registry", "discover", "--province", province,
                                               "--out", str(out), *crawling], env,
                                              timeout)
            requests = _stats(proxy)
            size.discovery.add(seconds, requests, requests, peak)
            print(f"{label}: discovered {province} in {seconds:.0f} s (exit {code}), {requests:,} requests, "
                  f"peak RSS {peak / 1024:.0f} MB", flush=True)
            rows += load(out)[0]
            subprocess.run([*nianbao, "registry", "accept", "--province", province, "--db", str(db)], cwd=ROOT,
                           env=env, check=True, stdout=subprocess.DEVNULL)
        size.lines = score(rows, truth, size.discovery.requests).lines()
        if crawl:
            _stats(proxy, reset=True)
            seconds, code, peak = run_sampled([*nianbao, "crawl", "--registry", "accepted", "--years", years,
                                               "--run-id", "bench", *crawling], env, timeout)
            record = json.loads((folder / "runs" / "bench.json").read_text())
            size.crawl = Phase()
            size.crawl.add(seconds, _stats(proxy), record["totals"].get("pages", 0), peak)
            print(f"{label}: crawled in {seconds:.0f} s (exit {code})", flush=True)
            size.lines += measure(open_archive(str(db)), truth, parse_years(years), record["requests"]).lines()
            size.archive_bytes = _folder_bytes(folder)
    finally:
        server.terminate()
        server.wait()
    size.load = (size.load[0], os.getloadavg()[0])
    size.show()
    return size


def extrapolate(sizes: list[Size]) -> None:
    """Each figure's growth between the two sizes that have it (exponent k), and its value at national size."""
    print(f"\ngrowth between the sizes, as the exponent k of figure ∝ governments^k (1: linear), and the national "
          f"run ({NATIONAL_GOVERNMENTS:,} governments):")
    national: dict[str, float] = {}
    for name in dict.fromkeys(n for s in sizes for n in s.figures()):
        having = [s for s in sizes if name in s.figures()]
        large = having[-1]
        value = large.figures()[name]
        if len(having) > 1:
            small = having[0]
            before = small.figures()[name]
            k = math.log(value / before) / math.log(large.governments / small.governments) if before and value \
                else 1.0
            grown = f"{before:>10,.0f} at {small.label} → {value:>10,.0f} at {large.label}, k = {k:.2f}"
        elif "RSS" in name:  # memory follows the crawl's queues and workers, not the work done: no rule to assume
            print(f"  {name:28} {value:>10,.0f} at {large.label} only: not extrapolated")
            continue
        else:
            k, grown = 1.0, f"{value:>10,.0f} at {large.label} only: grown linearly (k = 1 assumed)"
        national[name] = value * (NATIONAL_GOVERNMENTS / large.governments) ** k
        print(f"  {name:28} {grown}; national {national[name]:,.0f}")
    seconds = national.get("discovery seconds", 0.0) + national.get("report crawl seconds", 0.0)
    print("\nthe national run at the sandbox's pace (no politeness waits, this shared 2-core machine): "
          + ", ".join(f"{seconds / 3600 / n:.1f} h on {n} machine{'s' if n > 1 else ''}" for n in MACHINES)
          + ". N machines: the provinces split between them, the work dividing evenly; bench.distributed found no "
            "gain from a second worker on one 2-core machine, so one worker a machine. Real portals set the pace "
            "instead: two requests at a time per host, AutoThrottle's waits.")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sizes", default="1/100,1/10", help=f"comma-separated, smallest first, of {', '.join(SIZES)}")
    p.add_argument("--discovery-only", default="", help="comma-separated sizes to discover without crawling")
    p.add_argument("--years", default="2024-2025", help="the report years the world publishes and the crawl asks for")
    p.add_argument("--timeout", type=float, default=7200, help="seconds allowed to each discovery and crawl")
    args = p.parse_args(argv)
    print(f"load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores (shared with other work)",
          flush=True)
    only = set(filter(None, args.discovery_only.split(",")))
    sizes = [run_size(label, SIZES[label], args.years, args.timeout, label not in only)
             for label in args.sizes.split(",")]
    extrapolate(sizes)
    return 0


if __name__ == "__main__":
    sys.exit(main())
