"""`nianbao seed --distributed redis://…` and the worker side of `nianbao crawl --distributed redis://…`.

The seed command runs the spider's own start logic (`ReportsSpider.visit` on every registry portal, with the crawl
state shared in the archive's database, so a re-run skips what is fresh) and pushes the requests into the run's
frontier. Workers are `nianbao crawl` processes with the distributed scheduler. All of them archive under the
run's id, so the archive's run tables add their counts up; each writes its own WARC file (`<run>.<worker>-…`) and
run record file (`runs/<worker>/<run>.json`).
"""
from __future__ import annotations

import argparse
import sys

from crawler import settings
from crawler.distributed import CURRENT, Frontier, current_run, reach, worker_name


def worker_settings(url: str, run: str, worker: str, idle_exit: float | None) -> dict:
    """The settings that make `nianbao crawl` a worker of `run`."""
    prefix = f"nianbao:{run}:"
    out = {"NIANBAO_REDIS": url, "REDIS_URL": url, "NIANBAO_RUN": run, "NIANBAO_WORKER": worker,
           "SCHEDULER": "crawler.distributed.Scheduler", "SCHEDULER_QUEUE_CLASS": "crawler.distributed.LeasedQueue",
           "SCHEDULER_QUEUE_KEY": prefix + "frontier", "SCHEDULER_DUPEFILTER_KEY": prefix + "seen",
           "DUPEFILTER_CLASS": "scrapy_redis.dupefilter.RFPDupeFilter", "SCHEDULER_PERSIST": True,
           # The outermost spider middleware: its loop ends once every other one has handled the output. (A setting
           # given here replaces the project's dict, so that is repeated.)
           "SPIDER_MIDDLEWARES": {**settings.SPIDER_MIDDLEWARES, "crawler.distributed.LeaseMiddleware": 10},
           # A worker leases as many requests as it has room for, and what its hosts cannot take at once (two each)
           # waits in its slots, out of the other workers' reach: with 64, one worker of two now and then leased a
           # small run whole (tests/test_distributed.py). Leasing only what a host can take is not done yet.
           "CONCURRENT_REQUESTS": 16}
    if idle_exit is not None:
        out["NIANBAO_IDLE_EXIT"] = idle_exit
    return out


def worker(url: str, run: str | None, name: str | None, idle_exit: float | None) -> tuple[str, str, dict]:
    """(the run id, the years seeded, this worker's settings) for `nianbao crawl --distributed`."""
    server = reach(url)
    run = run or current_run(server)
    if run is None:
        raise SystemExit(f"no run seeded in {url}: run `nianbao seed --distributed {url}` first, or give --run-id")
    years = server.get(f"nianbao:{run}:years")
    if years is None:
        raise SystemExit(f"run {run!r} was never seeded in {url}")
    name = name or worker_name()
    return run, years.decode(), worker_settings(url, run, name, idle_exit)


def cmd_seed(args: argparse.Namespace) -> int:
    from scrapy.crawler import Crawler

    from crawler.run import parse_setting, settings
    from crawler.spiders.reports import ReportsSpider, parse_years, run_id_now

    parse_years(args.years)  # a clear error before anything is written
    server = reach(args.distributed)
    run = args.run_id or run_id_now()
    overrides = dict(parse_setting(s) for s in args.set or [])
    overrides.update({k: v for k, v in (("NIANBAO_DB", args.db), ("NIANBAO_DATA", args.data)) if v})
    overrides.update(worker_settings(args.distributed, run, "seed", None))
    crawler = Crawler(ReportsSpider, settings(overrides))
    spider = ReportsSpider.from_crawler(crawler, registry=args.registry, years=args.years, run_id=run)
    frontier = Frontier(server, run, "seed", spider)
    spider.frontier = frontier
    pushed = seen = 0
    for n, target in enumerate(spider.targets, 1):
        for child in spider.start_children(target):
            for request in spider.visit(child, target.portal, 0):
                if frontier.push(request):
                    pushed += 1
                else:
                    seen += 1
        if n % 500 == 0:
            print(f"seeding: {n} of {len(spider.targets)} portals, {pushed} requests", file=sys.stderr, flush=True)
    spider.state.close()
    with server.pipeline() as pipe:
        pipe.set(f"nianbao:{run}:years", args.years)
        pipe.set(CURRENT, run)
        pipe.execute()
    print(f"run {run}: {pushed} start requests from {len(spider.targets)} portals pushed to {args.distributed}"
          + (f" ({seen} already seen in this run)" if seen else ""))
    print(f"workers: nianbao crawl --distributed {args.distributed} --run-id {run} --registry {args.registry}")
    return 0


def add_crawl_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--distributed", metavar="REDIS_URL",
                   help="run as a worker of the run seeded in this Redis (`nianbao seed`); --years comes from the seed")
    p.add_argument("--idle-exit", type=float, metavar="SECONDS",
                   help="distributed: stop after the shared frontier has been idle this long (default 30)")
    p.add_argument("--worker", help="distributed: this worker's name (default host-pid)")


def add_parsers(sub) -> None:  # type: ignore[no-untyped-def]
    from archive.cli import _common
    from crawler.registry_cli import BUNDLED

    p = sub.add_parser("seed", help="push a registry's start requests into a distributed crawl's shared frontier")
    p.add_argument("--distributed", metavar="REDIS_URL", required=True, help="redis://host:port/db")
    p.add_argument("--registry", default=str(BUNDLED), help="registry CSV (default: the bundled one)")
    p.add_argument("--years", default="2019-2025", help="years reported on, YYYY or YYYY-YYYY (default 2019-2025)")
    p.add_argument("--run-id", help="name of the run (default crawl-<UTC time>); workers find it in Redis")
    p.add_argument("-s", "--set", action="append", metavar="NAME=VALUE", help="a Scrapy or NIANBAO_ setting")
    _common(p)
    p.set_defaults(func=cmd_seed)
