"""Distributed crawling benchmark: 1, 2 and 4 worker processes against one Redis and one PostgreSQL, and a
single-node crawl into the same PostgreSQL, on one sandbox.

    python -m bench.distributed [--scale 150] [--years 2025] [--workers 1,2,4] [--fingerprints 1000000]

Reported per run: pages/s and reports/s (pages from the workers' run records, reports found against the manifest,
over the time until the frontier went idle: wall time less the idle wait before the workers exit), peak RSS of the
workers with their extraction processes, recall; the overhead of distributed mode against the single node at one
worker; Redis memory per million seen URLs, measured with INFO memory while adding that many fingerprints to a
scratch set, and as seen in the runs (MEMORY USAGE of the seen set over its size). Redis and PostgreSQL come from
NIANBAO_TEST_REDIS / NIANBAO_TEST_PG, or are started here as throwaway servers on Unix sockets (as `.ci/run` does).
The sandbox serves from this process (which otherwise only waits); its documents are prerendered first, so that
no measured run pays for drawing them.
"""
from __future__ import annotations

import argparse
import atexit
import contextlib
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from functools import partial
from pathlib import Path

from bench.crawl import ROOT, rss_kb

IDLE_EXIT = 2.0
QUICK = ["-s", "AUTOTHROTTLE_ENABLED=False", "-s", "NIANBAO_PROGRESS_SECONDS=0", "-q"]


@contextlib.contextmanager
def throwaway_servers(folder: Path):
    """(Redis URL, PostgreSQL URL): the environment's, or servers on Unix sockets in `folder`, stopped on exit."""
    redis_url, pg_url = os.environ.get("NIANBAO_TEST_REDIS"), os.environ.get("NIANBAO_TEST_PG")
    stops = []
    try:
        if not redis_url:
            sock = folder / "redis.sock"
            redis = subprocess.Popen(["redis-server", "--port", "0", "--unixsocket", str(sock), "--unixsocketperm",
                                      "700", "--save", "", "--appendonly", "no", "--dir", str(folder)],
                                     stdout=subprocess.DEVNULL)
            stops.append(lambda: (redis.terminate(), redis.wait()))
            redis_url = f"unix://{sock}"
            _wait_for(sock)
        if not pg_url:
            pg_bin = max(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name))
            data = Path(tempfile.mkdtemp(prefix="nianbao-bench-pg-"))  # its own folder: the server's user enters it
            stops.append(lambda: shutil.rmtree(data, ignore_errors=True))
            as_pg = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
            if as_pg:
                shutil.chown(data, "postgres")
            subprocess.run([*as_pg, str(pg_bin / "initdb"), "-D", str(data / "data"), "-A", "trust", "-U", "postgres",
                            "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"], check=True, stdout=subprocess.DEVNULL)
            subprocess.run([*as_pg, str(pg_bin / "pg_ctl"), "-D", str(data / "data"), "-l", str(data / "log"), "-w",
                            "-o", f"-k {data} -c listen_addresses='' -c fsync=off -c max_connections=100", "start"],
                           check=True, stdout=subprocess.DEVNULL)
            stops.append(lambda: subprocess.run([*as_pg, str(pg_bin / "pg_ctl"), "-D", str(data / "data"), "-m",
                                                 "immediate", "stop"], stdout=subprocess.DEVNULL))
            pg_url = f"postgresql://postgres@/postgres?host={data}"
        yield redis_url, pg_url
    finally:
        for stop in reversed(stops):
            stop()


def _wait_for(path: Path) -> None:
    for _ in range(100):
        if path.exists():
            return
        time.sleep(0.1)
    raise RuntimeError(f"{path} did not appear")


def cpu_seconds(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def tree_cpu_seconds(pid: int) -> float:
    """CPU seconds of a process, its children waited for, and its live children (a PostgreSQL postmaster and its
    backends), from /proc."""
    tick = os.sysconf("SC_CLK_TCK")

    def stat(p: int) -> list[str]:
        return Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()

    fields = stat(pid)
    total = sum(int(x) for x in fields[11:15])  # utime, stime, cutime, cstime
    for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split():
        with contextlib.suppress(OSError):
            total += sum(int(x) for x in stat(int(child))[11:13])
    return total / tick


class ServerCpu:
    """CPU seconds used by the Redis server (its INFO) and the PostgreSQL cluster (/proc) since the last call."""

    def __init__(self, redis, pg_url: str):
        from sqlalchemy import create_engine, text

        from archive.store.db import resolve_url

        self.redis = redis
        engine = create_engine(resolve_url(pg_url))
        with engine.connect() as conn:
            data_dir = conn.execute(text("SHOW data_directory")).scalar_one()
        engine.dispose()
        self.postmaster = int(Path(data_dir, "postmaster.pid").read_text().split()[0])
        self.last = self.now()

    def now(self) -> tuple[float, float]:
        info = self.redis.info("cpu")
        return info["used_cpu_user"] + info["used_cpu_sys"], tree_cpu_seconds(self.postmaster)

    def since(self) -> tuple[float, float]:
        now = self.now()
        spent = (now[0] - self.last[0], now[1] - self.last[1])
        self.last = now
        return spent


def run_workers(commands: list[list[str]], env: dict, timeout: float) -> tuple[float, list[int], int, float, float]:
    """(seconds, exit codes, peak RSS in kB of all of them together, their CPU seconds with their extraction
    processes, this process's CPU seconds meanwhile — the sandbox's) of processes run side by side."""
    started = time.time()
    children, own = cpu_seconds(resource.RUSAGE_CHILDREN), cpu_seconds(resource.RUSAGE_SELF)
    # A failed worker's last words are printed; closed below, after the workers.
    logs = [tempfile.TemporaryFile("w+") for _ in commands]  # noqa: SIM115
    processes = [subprocess.Popen(c, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=log)
                 for c, log in zip(commands, logs)]
    peak = 0
    while any(p.poll() is None for p in processes) and time.time() - started < timeout:
        peak = max(peak, sum(rss_kb(p.pid) for p in processes))
        time.sleep(0.5)
    for p, log in zip(processes, logs):
        if p.poll() is None:
            p.terminate()
        p.wait()
        if p.returncode:
            log.seek(0)
            lines = [x for x in log.read().splitlines() if "Warning" not in x and x.strip()]
            print(f"  worker {p.pid} exited {p.returncode}:\n    " + "\n    ".join(lines[-12:]), flush=True)
        log.close()
    return (time.time() - started, [p.returncode for p in processes], peak,
            cpu_seconds(resource.RUSAGE_CHILDREN) - children, cpu_seconds(resource.RUSAGE_SELF) - own)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--scale", type=int, default=150, help="government portals (150 ≈ 2,200 agencies)")
    p.add_argument("--years", default="2025")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--workers", default="1,2,4", help="worker counts to run, comma-separated")
    p.add_argument("--fingerprints", type=int, default=1_000_000, help="fingerprints added to measure Redis memory")
    p.add_argument("--timeout", type=float, default=3600, help="seconds allowed to each crawl")
    p.add_argument("--no-prerender", action="store_true", help="draw the sandbox's documents when first asked for")
    args = p.parse_args(argv)

    from archive.store.db import open_archive
    from crawler.distributed import connect, fingerprints_memory
    from crawler.spiders.reports import parse_years
    from sandbox.app import Options, Sandbox
    from sandbox.commands import Progress
    from sandbox.databases import fresh_postgresql
    from sandbox.evaluate import measure
    from sandbox.manifest import manifest
    from sandbox.server import ServerThread

    years = parse_years(args.years)
    folder = Path(tempfile.mkdtemp(prefix="nianbao-bench-distributed-"))
    atexit.register(shutil.rmtree, folder, True)  # archives of every run: gigabytes at full scale
    sandbox = Sandbox(Options(scale=args.scale, seed=args.seed, documents_per_format=1))
    registry = folder / "registry.csv"
    registry.write_text(sandbox.registry(), encoding="utf-8")
    truth = manifest(sandbox)
    print(f"sandbox: {len(truth['portals'])} hosts, {len(truth['agencies'])} agencies, {len(truth['reports'])} "
          f"reports; years {args.years}; {os.cpu_count()} cores", flush=True)
    if not args.no_prerender:
        sandbox.prerender(progress=Progress())
    results: dict[str, dict] = {}
    with throwaway_servers(folder) as (redis_url, pg_url), ServerThread(sandbox.handle) as server:
        pg_database = partial(fresh_postgresql, pg_url)
        env = {**os.environ, "http_proxy": server.proxy, "HTTP_PROXY": server.proxy, "PYTHONPATH": str(ROOT)}
        base = [sys.executable, "-m", "crawler.cli"]
        redis = connect(redis_url)
        servers = ServerCpu(redis, pg_url)

        def single(label: str) -> dict:
            db, drop = pg_database()
            data = folder / label
            cmd = [*base, "crawl", "--registry", str(registry), "--years", args.years, "--run-id", label, "--db", db,
                   "--data", str(data), "--allow-private", *QUICK]
            servers.since()
            seconds, codes, peak, cpu, sandbox_cpu = run_workers([cmd], env, args.timeout)
            redis_cpu, pg_cpu = servers.since()
            record = json.loads((data / "runs" / f"{label}.json").read_text())
            m = measure(open_archive(db), truth, years)
            drop()
            return {"seconds": seconds, "work": seconds, "codes": codes, "peak": peak, "cpu": cpu,
                    "sandbox_cpu": sandbox_cpu, "redis_cpu": redis_cpu, "pg_cpu": pg_cpu,
                    "pages": record["totals"].get("pages", 0), "found": m.found, "recall": m.recall}

        def distributed(workers: int) -> dict:
            db, drop = pg_database()
            label, data = f"dist{workers}", folder / f"dist{workers}"
            common = ["--db", db, "--data", str(data), "--registry", str(registry)]
            started = time.time()
            subprocess.run([*base, "seed", "--distributed", redis_url, "--years", args.years, "--run-id", label,
                            *common], env=env, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
            seeded = time.time() - started
            cmds = [[*base, "crawl", "--distributed", redis_url, "--run-id", label, "--worker", f"w{n}",
                     "--idle-exit", str(IDLE_EXIT), "--allow-private", *common, *QUICK] for n in range(workers)]
            servers.since()
            seconds, codes, peak, cpu, sandbox_cpu = run_workers(cmds, env, args.timeout)
            redis_cpu, pg_cpu = servers.since()
            pages = sum(json.loads(f.read_text())["totals"].get("pages", 0)
                        for f in (data / "runs").glob(f"w*/{label}.json"))
            seen = f"nianbao:{label}:seen"
            size = redis.scard(seen)
            per_url = (redis.memory_usage(seen) or 0) / size if size else 0.0
            m = measure(open_archive(db), truth, years)
            redis.delete(*redis.keys(f"nianbao:{label}:*"))
            drop()
            return {"seconds": seconds, "work": seconds - IDLE_EXIT, "codes": codes, "peak": peak, "cpu": cpu,
                    "sandbox_cpu": sandbox_cpu, "redis_cpu": redis_cpu, "pg_cpu": pg_cpu, "pages": pages,
                    "found": m.found, "recall": m.recall, "seed": seeded, "seen": size, "per_url": per_url}

        print("single node …", flush=True)
        results["single"] = single("single")
        for n in (int(x) for x in args.workers.split(",")):
            print(f"{n} worker(s) …", flush=True)
            results[f"{n} workers"] = distributed(n)
        per_fingerprint = fingerprints_memory(redis, args.fingerprints)
    sandbox.close()

    print(f"\n{'run':<12} {'exit':<10} {'seconds':>8} {'pages':>7} {'pages/s':>8} {'reports/s':>9} {'recall':>7} "
          f"{'peak RSS':>9}   CPU seconds: crawlers  PostgreSQL  Redis  sandbox  all ÷ (cores × seconds)")
    cores = os.cpu_count() or 1
    for label, r in results.items():
        work = max(0.1, r["work"])
        spent = r["cpu"] + r["pg_cpu"] + r["redis_cpu"] + r["sandbox_cpu"]
        print(f"{label:<12} {','.join(map(str, r['codes'])):<10} {work:8.1f} {r['pages']:7d} {r['pages'] / work:8.1f} "
              f"{r['found'] / work:9.2f} {r['recall']:7.2%} {r['peak'] / 1024:6.0f} MB {r['cpu']:21.0f} "
              f"{r['pg_cpu']:11.1f} {r['redis_cpu']:6.1f} {r['sandbox_cpu']:8.1f}  "
              f"{spent / (cores * r['seconds']):8.0%}")
    rate = {k: r["pages"] / max(0.1, r["work"]) for k, r in results.items()}
    one = rate.get("1 workers")
    if one:
        print(f"\noverhead of distributed mode at 1 worker: {rate['single'] / one:.2f}× the single node's time "
              f"(pages/s {one:.1f} vs {rate['single']:.1f})")
        for label, value in rate.items():
            if label not in ("single", "1 workers"):
                print(f"scaling: {label} = {value / one:.2f}× one worker's pages/s")
    seen = [r for r in results.values() if r.get("seen")]
    if seen:
        print("seeding: " + ", ".join(f"{r['seed']:.1f} s" for r in seen))
        print(f"Redis memory per million seen URLs: {per_fingerprint * 1e6 / 2**20:.0f} MB measured with INFO memory "
              f"({args.fingerprints:,} fingerprints added); {seen[-1]['per_url'] * 1e6 / 2**20:.0f} MB by "
              f"MEMORY USAGE of a run's seen set ({seen[-1]['seen']:,} URLs)")
    print(f"(seconds: wall time less the {IDLE_EXIT:.0f} s idle wait; CPU seconds of the crawlers include their "
          f"extraction processes; the last column is the share of the machine's {cores} cores the run used — near "
          "100 %, more workers cannot help; other load on the machine is not counted)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
