"""`nianbao registry import|list|check` and `nianbao crawl`: the crawler's subcommands."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

BUNDLED = Path(__file__).resolve().parent / "data" / "registry.csv"


def cmd_registry_check(args: argparse.Namespace) -> int:
    from crawler import registry

    rows, problems = registry.load(args.file)
    for problem in problems:
        print(problem, file=sys.stderr)
    targets = registry.targets(rows)
    unverified = sum(1 for r in rows if r.verified.startswith("unverified"))
    print(f"{args.file}: {len(rows)} agencies, {len(targets)} portals, {len(problems)} problems"
          + (f", {unverified} rows unverified" if unverified else ""))
    return 1 if problems else 0


def cmd_registry_list(args: argparse.Namespace) -> int:
    from crawler import registry

    rows, problems = registry.load(args.file)
    for problem in problems:
        print(problem, file=sys.stderr)
    for target in registry.targets(rows):
        entry = " ".join(target.entries) or "(home page)"
        print(f"{target.agency}\t{target.portal}\t{target.platform or '-'}\t{len(target.agencies)} agencies\t{entry}")
    return 1 if problems else 0


def cmd_registry_import(args: argparse.Namespace) -> int:
    from archive.agencies import register_agencies
    from archive.db import open_archive
    from crawler import registry

    rows, problems = registry.load(args.file)
    for problem in problems:
        print(problem, file=sys.stderr)
    archive = open_archive(args.db, args.data)
    with archive.engine.begin() as conn:
        count = register_agencies(conn, registry.agency_records(rows))
    print(f"registered {count} agencies from {args.file}")
    return 1 if problems else 0


def cmd_crawl(args: argparse.Namespace) -> int:
    from crawler.run import crawl, parse_setting

    overrides = dict(parse_setting(s) for s in args.set or [])
    overrides.update({k: v for k, v in (("NIANBAO_DB", args.db), ("NIANBAO_DATA", args.data)) if v})
    if args.allow_private:
        overrides["NIANBAO_ALLOW_PRIVATE"] = True
    if args.quiet:
        overrides.setdefault("LOG_LEVEL", "WARNING")
    run_id, years = args.run_id, args.years
    redis_url = args.distributed or overrides.get("NIANBAO_REDIS")
    if redis_url:
        from crawler.distributed_cli import worker

        run_id, years, distributed = worker(redis_url, args.run_id, args.worker, args.idle_exit)
        overrides.update(distributed)
    result = crawl(args.registry, years, run_id, overrides)
    print(result.record.summary())
    if result.record_path:
        print(f"run record: {result.record_path}")
    return 0 if result.record.reason == "finished" and not result.record.lost() else 1


def add_parsers(sub) -> None:  # type: ignore[no-untyped-def]
    from archive.cli import _common

    p = sub.add_parser("crawl", help="find and archive the annual reports of every portal in a registry")
    p.add_argument("--registry", default=str(BUNDLED), help="registry CSV (default: the bundled one)")
    p.add_argument("--years", default="2019-2025",
                   help="years reported on, YYYY, YYYY-YYYY or YYYY- (to last year; default 2019-2025)")
    p.add_argument("--run-id", help="name of this run (default crawl-<UTC time>)")
    p.add_argument("--allow-private", action="store_true",
                   help="allow loopback/private addresses as hosts or proxy (the sandbox needs it)")
    p.add_argument("-s", "--set", action="append", metavar="NAME=VALUE", help="a Scrapy or NIANBAO_ setting")
    p.add_argument("-q", "--quiet", action="store_true", help="warnings only, and the summary")
    from crawler.distributed_cli import add_crawl_options

    add_crawl_options(p)
    _common(p)
    p.set_defaults(func=cmd_crawl)

    registry = sub.add_parser("registry", help="the registry of agencies and portals (CSV)")
    rsub = registry.add_subparsers(dest="registry_command", required=True)
    p = rsub.add_parser("check", help="validate a registry file")
    p.add_argument("file", nargs="?", default=str(BUNDLED))
    p.set_defaults(func=cmd_registry_check)
    p = rsub.add_parser("list", help="the portals a registry file makes, with their agencies")
    p.add_argument("file", nargs="?", default=str(BUNDLED))
    p.set_defaults(func=cmd_registry_list)
    p = rsub.add_parser("import", help="register a registry file's agencies in the archive")
    p.add_argument("file", nargs="?", default=str(BUNDLED))
    _common(p)
    p.set_defaults(func=cmd_registry_import)
