"""`nianbao registry check|list|import`: the registry of agencies and portals (CSV)."""
from __future__ import annotations

import argparse
import sys
import time
from typing import TYPE_CHECKING

from crawler.cli import options

if TYPE_CHECKING:
    from sqlalchemy import Connection


def cmd_registry_check(args: argparse.Namespace) -> int:
    from crawler.discovery import registry

    rows, problems = registry.load(args.file)
    for problem in problems:
        print(problem, file=sys.stderr)
    targets = registry.targets(rows)
    unverified = sum(1 for r in rows if r.verified.startswith("unverified"))
    print(f"{args.file}: {len(rows)} agencies, {len(targets)} portals, {len(problems)} problems"
          + (f", {unverified} rows unverified" if unverified else ""))
    return 1 if problems else 0


def cmd_registry_list(args: argparse.Namespace) -> int:
    from crawler.discovery import registry

    rows, problems = registry.load(args.file)
    for problem in problems:
        print(problem, file=sys.stderr)
    for target in registry.targets(rows):
        entry = " ".join(target.entries) or "(home page)"
        print(f"{target.agency}\t{target.portal}\t{target.platform or '-'}\t{len(target.agencies)} agencies\t{entry}")
    return 1 if problems else 0


def cmd_registry_import(args: argparse.Namespace) -> int:
    from archive.registry.agencies import register_agencies
    from archive.store.db import open_archive
    from crawler.discovery import registry

    rows, problems = registry.load(args.file)
    for problem in problems:
        print(problem, file=sys.stderr)
    archive = open_archive(*options.archive_location(args))
    with archive.engine.begin() as conn:
        count = register_agencies(conn, registry.agency_records(rows))
    print(f"registered {count} agencies from {args.file}")
    return 1 if problems else 0


def cmd_registry_build(args: argparse.Namespace) -> int:
    from archive.registry.divisions import bundled
    from archive.registry.governments import apply_release
    from archive.registry.join import code_conflicts
    from archive.store.db import open_archive

    release = bundled()
    print(f"applying {release.package}: {len(release.divisions):,} divisions as of {release.data_as_of} "
          f"(sha256 {release.sha256[:12]}…)", file=sys.stderr, flush=True)
    archive = open_archive(*options.archive_location(args))
    started = time.monotonic()

    def progress(step: str) -> None:
        print(f"  [{time.monotonic() - started:5.1f} s] {step}…", file=sys.stderr, flush=True)

    with archive.engine.begin() as conn:
        changes = apply_release(conn, release, progress=progress)
        progress("checking division codes the archive's agencies carry")
        conflicts = code_conflicts(conn)
    print(changes.summary())
    details = changes.details()
    for line in details if args.verbose else details[:20]:
        print("  " + line)
    if len(details) > 20 and not args.verbose:
        print(f"  … {len(details) - 20} more (--verbose lists them all)")
    for agency, code, unit in conflicts:
        print(f"not joined: {agency} carries division code {code}, which is {unit} in the registry",
              file=sys.stderr)
    return 0


def registry_missing(conn: Connection, command: str) -> bool:
    """Says so (for `command`) when the archive's national registry was never built: what needs it would otherwise
    find nothing, or count only the agencies someone typed in."""
    from archive.registry.governments import built

    if built(conn):
        return False
    print(f"nianbao {command}: this archive has no national registry yet; run `nianbao registry build` first",
          file=sys.stderr)
    return True


def cmd_registry_show(args: argparse.Namespace) -> int:
    from archive.registry.governments import COLUMNS, listing
    from crawler.cli.tables import write_records

    archive = options.read_only_archive(args)
    with archive.engine.connect() as conn:
        if registry_missing(conn, "registry show"):
            return 2
        try:
            rows = listing(conn, args.province, args.level, args.all)
        except LookupError as exc:
            print(f"nianbao registry show: {exc.args[0]}", file=sys.stderr)
            return 2
    write_records([r.as_dict() for r in rows], COLUMNS, args.format, sys.stdout)
    return 0


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
    p = rsub.add_parser("build", help="write or refresh the national registry's governments in the archive (MCA "
                                      "division codes, as packaged); reports what changed")
    p.add_argument("--verbose", "-v", action="store_true", help="list every change")
    options.archive(p)
    p.set_defaults(func=cmd_registry_build)
    p = rsub.add_parser("show", help="the national registry's governments in the archive")
    p.add_argument("--province", help="a province by name (福建省) or code prefix (35)")
    p.add_argument("--level", choices=("province", "prefecture", "county", "township"), help="only units of this level")
    p.add_argument("--all", action="store_true", help="ended units too (with their validity and successor)")
    p.add_argument("--format", choices=("table", "csv", "json"), default="table", help="output format")
    options.archive(p)
    p.set_defaults(func=cmd_registry_show)
