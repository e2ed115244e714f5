"""`nianbao seed --distributed redis://…`: start a distributed run (workers are `nianbao crawl --distributed`).

The seed command runs the spider's own start logic (`ReportsSpider.visit` on every registry portal, with the crawl
state shared in the archive's database, so a re-run skips what is fresh) and pushes the requests into the run's
frontier. Workers are `nianbao crawl` processes with the distributed scheduler. All of them archive under the
run's id, so the archive's run tables add their counts up; each writes its own WARC file (`<run>.<worker>-…`) and
run record file (`runs/<worker>/<run>.json`).
"""
from __future__ import annotations

import argparse
import sys

from crawler.cli import options


def cmd_seed(args: argparse.Namespace) -> int:
    from scrapy.crawler import Crawler

    from archive.runs import new_run_id
    from crawler.cli.registry import registry_path
    from crawler.distributed import CURRENT, Frontier, reach, worker_settings
    from crawler.process import settings
    from crawler.spiders.reports import ReportsSpider

    server = reach(args.distributed)
    run = args.run_id or new_run_id("crawl")
    overrides = options.settings_from(args)
    overrides.update(worker_settings(args.distributed, run, "seed", None))
    crawler = Crawler(ReportsSpider, settings(overrides))
    spider = ReportsSpider.from_crawler(crawler, registry=registry_path(args), years=args.years, run_id=run)
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


def add_parsers(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("seed", help="push a registry's start requests into a distributed crawl's shared frontier")
    p.add_argument("--distributed", metavar="REDIS_URL", required=True, help="redis://host:port/db")
    options.registry(p)
    options.years(p)
    options.run_id(p, "; workers find it in Redis")
    options.settings(p)
    options.archive(p)
    p.set_defaults(func=cmd_seed)
