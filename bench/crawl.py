"""Crawler benchmark on a large sandbox: ours with the full pipeline (extraction and archive) against a naive
Scrapy CrawlSpider that follows every in-domain link to depth 5, side by side in one run.

    python -m bench.crawl [--scale 150] [--years 2025] [--baseline-timeout 600]

The sandbox runs in its own process (so that it does not share a core's GIL with the crawler), its documents
prerendered before the crawl starts (as a real portal's files exist before anyone asks), each crawl in a
subprocess whose memory (with its extraction workers) is sampled from /proc. Reported: requests, pages/s,
reports/s, peak RSS, recall against the manifest and requests against its minimum; for the baseline, requests,
recall of report pages and time.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def control(proxy: str, path: str) -> bytes:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({"http": proxy}))
    with opener.open(f"http://nianbao.sandbox{path}", timeout=600) as response:
        return response.read()


def rss_kb(pid: int) -> int:
    """Resident memory of a process and its descendants, from /proc."""
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            status = Path(f"/proc/{p}/status").read_text()
            total += int(re.search(r"VmRSS:\s+(\d+)", status).group(1))
            todo += [int(c) for c in Path(f"/proc/{p}/task/{p}/children").read_text().split()]
        except (OSError, AttributeError):
            continue
    return total


def run_sampled(args: list[str], env: dict, timeout: float) -> tuple[float, int, int]:
    """(seconds, exit code, peak RSS in kB) of a subprocess."""
    started = time.time()
    process = subprocess.Popen(args, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    peak = 0
    while process.poll() is None and time.time() - started < timeout:
        peak = max(peak, rss_kb(process.pid))
        time.sleep(0.5)
    if process.poll() is None:
        process.terminate()
        process.wait()
    return time.time() - started, process.returncode, peak


# -- the naive baseline --------------------------------------------------------------------------------------------

def baseline_main(registry: str, out: str) -> None:
    """A Scrapy CrawlSpider following every in-domain link from each portal's home page, to depth 5."""
    from scrapy.crawler import CrawlerProcess
    from scrapy.linkextractors import LinkExtractor
    from scrapy.spiders import CrawlSpider, Rule

    from crawler.discovery.registry import load, targets

    portals = targets(load(registry)[0])
    fetched: list[str] = []

    class Naive(CrawlSpider):
        name = "naive"
        allowed_domains = sorted({t.host for t in portals})
        start_urls = [t.portal for t in portals]  # noqa: RUF012 (Scrapy's class attribute)
        rules = (Rule(LinkExtractor(deny_extensions=[]), callback="seen", follow=True),)

        def seen(self, response):
            fetched.append(response.url)
            return

    process = CrawlerProcess({"DEPTH_LIMIT": 5, "ROBOTSTXT_OBEY": True, "CONCURRENT_REQUESTS": 64,
                              "CONCURRENT_REQUESTS_PER_DOMAIN": 2, "LOG_LEVEL": "WARNING",
                              "DOWNLOAD_MAXSIZE": 50 * 1024 * 1024, "TELNETCONSOLE_ENABLED": False})
    crawler = process.create_crawler(Naive)
    process.crawl(crawler)
    process.start()
    stats = crawler.stats.get_stats()
    Path(out).write_text(json.dumps({"requests": stats.get("downloader/request_count", 0), "urls": fetched}))


# -- the benchmark ---------------------------------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--scale", type=int, default=150, help="government portals (150 ≈ 2,200 agencies, ~200 hosts)")
    p.add_argument("--years", default="2025", help="years reported on, for both crawlers' recall")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--timeout", type=float, default=1800, help="seconds allowed to our crawl")
    p.add_argument("--baseline-timeout", type=float, default=600, help="seconds allowed to the naive crawl")
    p.add_argument("--no-baseline", action="store_true")
    p.add_argument("--baseline-main", nargs=2, metavar=("REGISTRY", "OUT"), help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.baseline_main:
        baseline_main(*args.baseline_main)
        return 0

    from archive.store.db import open_archive
    from crawler.spiders.reports import parse_years
    from sandbox.evaluate import measure

    folder = Path(tempfile.mkdtemp(prefix="nianbao-bench-"))
    port = free_port()
    proxy = f"http://127.0.0.1:{port}"
    server = subprocess.Popen([sys.executable, "-m", "crawler.cli", "sandbox", "serve", "--scale", str(args.scale),
                               "--seed", str(args.seed), "--port", str(port), "--documents", "1", "--prerender"],
                              cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        for line in server.stdout:  # "proxy: export http_proxy=…" once it listens
            if line.startswith("proxy:") or server.poll() is not None:
                break
            if line.startswith("prerender:"):
                print(line, end="", flush=True)
        registry = folder / "registry.csv"
        registry.write_bytes(control(proxy, "/registry.csv"))
        truth = json.loads(control(proxy, "/manifest.json"))
        print(f"sandbox: {len(truth['portals'])} hosts, {len(truth['agencies'])} agencies, "
              f"{len(truth['reports'])} reports; years {args.years}", flush=True)
        env = {**os.environ, "http_proxy": proxy, "HTTP_PROXY": proxy, "PYTHONPATH": str(ROOT)}
        db = folder / "archive.sqlite"
        ours = [sys.executable, "-m", "crawler.cli", "crawl", "--registry", str(registry), "--db", str(db),
                "--years", args.years, "--run-id", "bench", "--allow-private", "-q",
                "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "NIANBAO_PROGRESS_SECONDS=0"]
        seconds, code, peak = run_sampled(ours, env, args.timeout)
        record = json.loads((folder / "runs" / "bench.json").read_text())
        years = parse_years(args.years)
        m = measure(open_archive(str(db)), truth, years, record["requests"])
        pages = record["totals"].get("pages", 0)
        print(f"\nours (exit {code}): {record['requests']} requests in {seconds:.0f} s — "
              f"{pages / seconds:.0f} pages/s, {m.found / seconds:.1f} reports/s, "
              f"peak RSS {peak / 1024:.0f} MB (crawler + extraction workers)")
        for line in m.lines():
            print("  " + line)
        if args.no_baseline:
            return 0
        wanted = {d["url"] for r in truth["reports"] if r["year"] in years for d in r["documents"]
                  if d["role"] == "page"}
        out = folder / "baseline.json"
        seconds_b, code_b, peak_b = run_sampled(
            [sys.executable, "-m", "bench.crawl", "--baseline-main", str(registry), str(out)], env,
            args.baseline_timeout)
        naive = json.loads(out.read_text()) if out.exists() else {"requests": "?", "urls": []}
        strip = re.compile(r";jsessionid=[^/?#]*", re.IGNORECASE)
        got = {strip.sub("", u) for u in naive["urls"]} & wanted
        by_agency = {(r["agency"], r["year"]) for r in truth["reports"] if r["year"] in years
                     for d in r["documents"] if d["role"] == "page" and d["url"] in got}
        expected = sum(1 for r in truth["reports"] if r["year"] in years)
        stopped = " (stopped at its time limit)" if seconds_b >= args.baseline_timeout else ""
        print(f"\nnaive CrawlSpider depth 5 (exit {code_b}){stopped}: {naive['requests']} requests in "
              f"{seconds_b:.0f} s, peak RSS {peak_b / 1024:.0f} MB; recall {len(by_agency) / expected:.2%} "
              f"({len(by_agency)} of {expected} reports' pages fetched; it cannot read the JS-API lists)")
        print(f"\nside by side: requests {record['requests']} vs {naive['requests']}, recall {m.recall:.2%} vs "
              f"{len(by_agency) / expected:.2%}, time {seconds:.0f} s vs {seconds_b:.0f} s")
    finally:
        server.terminate()
        server.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
