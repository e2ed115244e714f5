"""Throughput and memory of the sandbox server: HTML responses per second on one core, and RSS by world size.

Starts `nianbao sandbox serve` as a subprocess (one core for the server, the other for the load generator), then
drives it with absolute-form proxy requests over keep-alive connections for a bounded time: with `wrk` when
installed (Debian package `wrk`), else with a bounded Python client. The URLs are HTML pages of every kind —
home, 政务公开, list pages, report pages and other articles — on every host without a stateful hazard (WAF
cookies, first-time 500s, delays), each visited in turn.

    .venv/bin/python -m bench.sandbox --scales 200,2000 --seconds 10

`--replay YEARS` measures instead what the server costs a crawl: the CPU seconds it spends answering the manifest's
minimum request set for those years (each host's requests in order on its own connection, WAF cookies kept, as a
crawler makes them), drawing its documents on request and prerendered (`--prerender`), with its RSS and start-up.

    .venv/bin/python -m bench.sandbox --scales 150 --replay 2025
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

from bench.crawl import control
from sandbox.app import Options, Sandbox

ROOT = Path(__file__).resolve().parent.parent
STATEFUL = {"waf_200", "waf_412", "waf_521", "flaky_500", "slow", "https_home", "robots_all"}


def html_urls(scale: int, seed: int, limit: int) -> list[str]:
    sb = Sandbox(Options(seed=seed, scale=scale))
    urls: list[str] = []
    for portal in sb.world.portals:
        if portal.down or set(portal.hazards) & STATEFUL:
            continue
        site, platform = sb.site(portal), sb.platform(portal)
        base = f"http://{portal.netloc}"
        urls += [base + "/", base + platform.openness(site)]
        for col in site.columns:
            urls += [base + c.url for c in platform.listing_calls(site, col, sb.today) if c.method == "GET"][:2]
        urls += [base + platform.item(site, i) for i in list(site.items.values())[::5]
                 if i.kind != "dead" and i.published <= sb.today]
        if len(urls) >= limit:
            break
    return urls[:limit]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(scale: int, seed: int, port: int, *options: str) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-m", "crawler.cli", "sandbox", "serve", "--scale", str(scale),
                             "--seed", str(seed), "--port", str(port), *options],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    for line in proc.stdout:
        if line.startswith("proxy:"):
            return proc
        if line.startswith("prerender:"):
            print("  " + line, end="", flush=True)
    raise RuntimeError("the sandbox server did not start")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def rss_mb(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmRSS:\s+(\d+)", status)[1]) / 1024


def run_wrk(urls: list[str], port: int, seconds: int, connections: int) -> float:
    folder = Path(tempfile.mkdtemp(prefix="nianbao-bench-"))
    (folder / "urls.txt").write_text("\n".join(urls) + "\n")
    (folder / "urls.lua").write_text(
        f'local urls = {{}}\nfor line in io.lines("{folder / "urls.txt"}") do urls[#urls + 1] = line end\n'
        "local i = 0\nrequest = function()\n  i = i % #urls + 1\n  return wrk.format(\"GET\", urls[i])\nend\n")
    out = subprocess.run(["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "-s", str(folder / "urls.lua"),
                          f"http://127.0.0.1:{port}"], capture_output=True, text=True, check=True).stdout
    shutil.rmtree(folder)
    if "Non-2xx" in out:
        print(out, file=sys.stderr)
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out)[1])


def run_python(urls: list[str], port: int, seconds: int, connections: int) -> float:
    """A bounded keep-alive client: `connections` threads, each cycling through its share of the URLs."""
    done, stop = [0] * connections, time.perf_counter() + seconds

    def worker(n: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine = urls[n::connections] or urls
        i = 0
        while time.perf_counter() < stop:
            conn.request("GET", mine[i % len(mine)])
            conn.getresponse().read()
            done[n] += 1
            i += 1
        conn.close()

    start = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(n,)) for n in range(connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(done) / (time.perf_counter() - start)


def replay(calls: list[dict], port: int, connections: int) -> Counter:
    """The calls through the proxy, each host's in order on one keep-alive connection that keeps the cookie the
    host sets (a WAF's), `connections` hosts at a time; the statuses counted."""
    hosts: dict[str, list[dict]] = {}
    for call in calls:
        hosts.setdefault(call["url"].split("/")[2], []).append(call)
    shares, statuses, lock = list(hosts.values()), Counter(), threading.Lock()

    def worker(n: int) -> None:
        for share in shares[n::connections]:
            conn, cookie = http.client.HTTPConnection("127.0.0.1", port, timeout=120), ""
            for call in share:
                headers = {"Cookie": cookie} if cookie else {}
                if call["body"]:
                    headers["Content-Type"] = "application/x-www-form-urlencoded"
                conn.request(call["method"], call["url"], call["body"] and call["body"].encode(), headers)
                response = conn.getresponse()
                response.read()
                cookie = (response.getheader("Set-Cookie") or "").split(";")[0] or cookie
                with lock:
                    statuses[response.status] += 1
                if response.will_close:
                    conn.close()
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
            conn.close()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return statuses


def replay_cost(scale: int, seed: int, years: str, connections: int, *options: str) -> str:
    """Start-up seconds, the server's CPU seconds for the minimum requests of `years`, and its RSS after them."""
    from crawler.spiders.reports import parse_years

    wanted, port, started = set(parse_years(years)), free_port(), time.perf_counter()
    server = start_server(scale, seed, port, "--documents", "1", "--slow-seconds", "0.1", *options)
    startup = time.perf_counter() - started
    try:
        truth = json.loads(control(f"http://127.0.0.1:{port}", "/manifest.json"))
        calls = [c for c in truth["minimum_requests"] if c["years"] is None or wanted & set(c["years"])]
        before, started = cpu_seconds(server.pid), time.perf_counter()
        statuses = replay(calls, port, connections)
        spent, seconds, rss = cpu_seconds(server.pid) - before, time.perf_counter() - started, rss_mb(server.pid)
    finally:
        server.terminate()
        server.wait(10)
    return (f"{len(calls):,} requests ({', '.join(f'{n} × {s}' for s, n in sorted(statuses.items()))}) in "
            f"{seconds:.0f} s: server CPU {spent:.1f} s, RSS {rss:.0f} MB; started in {startup:.0f} s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scales", default="200", help="comma-separated world sizes (government portals)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--urls", type=int, default=20000, help="distinct URLs in the rotation")
    parser.add_argument("--replay", metavar="YEARS", help="instead: the server's cost of the minimum requests of "
                        "YEARS (2025, 2019-2025), documents drawn on request and prerendered")
    args = parser.parse_args(argv)
    if args.replay:
        for scale in (int(s) for s in args.scales.split(",")):
            for label, options in (("drawn on request", ()), ("prerendered", ("--prerender",))):
                print(f"scale {scale}, {label}: …", flush=True)
                print(f"scale {scale}, {label}: " + replay_cost(scale, args.seed, args.replay, args.connections,
                                                                *options), flush=True)
        return 0
    load = run_wrk if shutil.which("wrk") else run_python
    print(f"load generator: {'wrk' if load is run_wrk else 'python http.client threads'}; "
          f"{args.connections} keep-alive connections, {args.seconds} s per phase; CPU cores: {os.cpu_count()}")
    for scale in (int(s) for s in args.scales.split(",")):
        urls = html_urls(scale, args.seed, args.urls)
        port = free_port()
        server = start_server(scale, args.seed, port, "--no-prewarm")
        try:
            cold = load(urls, port, args.seconds, args.connections)
            warm = load(urls, port, args.seconds, args.connections)
            rss = rss_mb(server.pid)
        finally:
            server.terminate()
            server.wait(10)
        print(f"scale {scale}: {len(urls)} distinct HTML URLs; first pass {cold:,.0f} responses/s, "
              f"second pass {warm:,.0f} responses/s; server RSS {rss:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
