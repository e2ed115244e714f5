"""`nianbao crawl`: find and archive the annual reports of every portal in a registry, alone or as a worker of a
distributed run (`--distributed`, seeded by `nianbao seed`)."""
from __future__ import annotations

import argparse

from crawler import settings as defaults
from crawler.cli import options


def cmd_crawl(args: argparse.Namespace) -> int:
    from crawler.cli.registry import registry_path
    from crawler.process import crawl

    overrides = options.settings_from(args)
    run_id, years = args.run_id, args.years
    redis_url = args.distributed or overrides.get("NIANBAO_REDIS")
    if redis_url:
        from crawler.distributed import join_run

        run_id, years, distributed = join_run(redis_url, args.run_id, args.worker, args.idle_exit)
        overrides.update(distributed)
    result = crawl(registry_path(args), years, run_id, overrides)
    print(result.record.summary())
    if result.record_path:
        print(f"run record: {result.record_path}")
    return 0 if result.record.reason == "finished" and not result.record.lost() else 1


def add_parsers(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("crawl", help="find and archive the annual reports of every portal in a registry")
    options.registry(p)
    options.years(p)
    options.run_id(p)
    options.proxy(p)
    p.add_argument("--allow-private", action="store_true",
                   help="let the crawl itself reach loopback and private addresses (a local test server); not needed "
                        "for a proxy of your own (--proxy)")
    options.settings(p)
    p.add_argument("-q", "--quiet", action="store_true", help="warnings only, and the summary")
    p.add_argument("--distributed", metavar="REDIS_URL",
                   help="run as a worker of the run seeded in this Redis (`nianbao seed`); --years comes from the seed")
    p.add_argument("--idle-exit", type=float, metavar="SECONDS",
                   help="distributed: stop after the shared frontier has been idle this long "
                        f"(default {defaults.NIANBAO_IDLE_EXIT:g})")
    p.add_argument("--worker", help="distributed: this worker's name (default host-pid)")
    options.archive(p)
    p.set_defaults(func=cmd_crawl)
