"""`nianbao registry check|list|import`: the registry of agencies and portals (CSV)."""
from __future__ import annotations

import argparse
import sys

from crawler.cli import options


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
    archive = open_archive(*options.archive_location(args))
    with archive.engine.begin() as conn:
        count = register_agencies(conn, registry.agency_records(rows))
    print(f"registered {count} agencies from {args.file}")
    return 1 if problems else 0


def add_parsers(sub: argparse._SubParsersAction) -> None:
    registry = sub.add_parser("registry", help="the registry of agencies and portals (CSV)")
    rsub = registry.add_subparsers(dest="registry_command", required=True)
    p = rsub.add_parser("check", help="validate a registry file")
    options.registry_file(p)
    p.set_defaults(func=cmd_registry_check)
    p = rsub.add_parser("list", help="the portals a registry file makes, with their agencies")
    options.registry_file(p)
    p.set_defaults(func=cmd_registry_list)
    p = rsub.add_parser("import", help="register a registry file's agencies in the archive")
    options.registry_file(p)
    options.archive(p)
    p.set_defaults(func=cmd_registry_import)
