"""`nianbao registry check|list|import|build|show|diff|accept`: the registry of agencies and portals (CSV), the
national registry of governments, and the registry discovery found (what changed since it was last accepted)."""
from __future__ import annotations

import argparse
import os
import sys
import time
from typing import TYPE_CHECKING

from crawler import settings as defaults
from crawler.cli import options
from crawler.cli.exits import UserError

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from archive.registry.acceptance import Change
    from archive.registry.bindings import Evidence
    from archive.registry.discoveries import StoredConflict


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


def cmd_registry_discover(args: argparse.Namespace) -> int:
    from datetime import UTC, datetime

    from archive.registry.discoveries import current, record
    from archive.runs import new_run_id
    from archive.store.db import open_archive
    from crawler.discovery import registry_csv
    from crawler.discovery.progress import summary
    from crawler.discovery.seeds import seed_for
    from crawler.process import discover
    from crawler.spiders.discover import parse_levels

    try:
        seed = seed_for(args.province)
        levels = parse_levels(args.levels)
    except (LookupError, ValueError) as exc:
        raise UserError(exc.args[0]) from None
    province = seed.name.removesuffix("人民政府")
    print(f"discovering {province} from {args.start or seed.portal_url} (levels: {args.levels})", file=sys.stderr,
          flush=True)
    result = discover(seed.division_code, args.levels, args.start, options.settings_from(args))
    finished = result.stats.get("finish_reason") == "finished"
    for line in summary(result.discovered, result.conflicts, result.findings, result.fetched, result.recalled,
                        result.stats.get("downloader/request_count", 0)):
        print(line)
    # Into the archive's discovered registry (`nianbao registry diff` / `accept`); only a finished run says what
    # it no longer saw.
    run = new_run_id("discover")
    archive = open_archive(*options.archive_location(args))
    with archive.engine.begin() as conn:
        done = record(conn, run, province, result.discovered, result.conflicts, levels=levels, complete=finished)
        seen = {e.key: (e.first_seen, e.last_seen) for e in current(conn, province, with_evidence=False)}
    print(f"archive: run {run}, {done.new} agencies new, {done.seen_again} seen again, {done.conflicts} conflicts"
          + ("" if finished else f" (the run stopped early: {result.stats.get('finish_reason')})"))
    if args.out:
        count = registry_csv.write(args.out, result.discovered, datetime.now(UTC).replace(microsecond=0), seen)
        print(f"{args.out}: {count} registry rows")
    return 0 if finished else 1


# `registry diff`: the table's columns; CSV and JSON have these and the rest of DIFF_COLUMNS.
DIFF_TABLE = ("change", "province", "name", "division_code", "what", "confidence", "evidence")
DIFF_COLUMNS = ("change", "province", "name", "division_code", "level", "kind", "what", "portal_url", "column_urls",
                "platform", "confidence", "evidence", "first_seen", "last_seen")


def _evidence(evidence: tuple[Evidence, ...], fmt: str) -> object:
    if fmt == "json":
        return [{"url": e.url, "signal": str(e.signal), "value": e.value} for e in evidence]
    if fmt == "csv":  # as `registry discover --out` writes it
        from crawler.discovery.registry_csv import evidence_cell

        return evidence_cell(evidence)
    return ", ".join(f"{e.signal}={e.value}" for e in evidence)


def _what(change: Change) -> str:
    from archive.registry.acceptance import COMPARED, ChangeKind

    if change.kind is ChangeKind.ADDED:
        return "not accepted yet"
    if change.kind is ChangeKind.REMOVED:
        return "accepted, no longer discovered"
    assert change.before and change.after

    def shown(value: object) -> str:
        return " ".join(value) if isinstance(value, tuple) else f"{value:.2f}" if isinstance(value, float) else str(
            value)

    return "; ".join(f"{name}: {shown(getattr(change.before, COMPARED[name]))} → "
                     f"{shown(getattr(change.after, COMPARED[name]))}" for name in change.fields)


def _change_record(change: Change, fmt: str) -> dict[str, object]:
    e = change.entry
    columns = list(e.column_urls) if fmt == "json" else " ".join(e.column_urls)
    return {"change": str(change.kind), "province": e.province, "name": e.name, "division_code": e.division_code,
            "level": e.level, "kind": e.kind, "what": _what(change), "portal_url": e.portal_url,
            "column_urls": columns, "platform": e.platform, "confidence": round(e.confidence, 3),
            "evidence": _evidence(e.evidence, fmt),
            "first_seen": e.first_seen.isoformat(sep=" ") if e.first_seen else None,
            "last_seen": e.last_seen.isoformat(sep=" ") if e.last_seen else None}


def _conflict_record(conflict: StoredConflict, fmt: str) -> dict[str, object]:
    return {"change": "conflict", "province": conflict.province, "name": conflict.claims, "division_code": "",
            "level": "", "kind": "", "what": conflict.reason, "portal_url": conflict.url,
            "column_urls": [] if fmt == "json" else "", "platform": "", "confidence": None,
            "evidence": _evidence(conflict.evidence, fmt), "first_seen": conflict.first_seen.isoformat(sep=" "),
            "last_seen": conflict.last_seen.isoformat(sep=" ")}


def _province(conn: Connection, province: str | None) -> str | None:
    """The province a command names, as discovery recorded it; a usage error when nothing was discovered yet, or
    discovery has no such province."""
    from archive.registry.acceptance import province_named
    from archive.registry.discoveries import provinces
    from crawler.cli.exits import UserError

    if not provinces(conn):
        raise UserError("nothing discovered in this archive yet; run "
                        "`nianbao registry discover --province …` first")
    if province is None:
        return None
    try:
        return province_named(conn, province)
    except LookupError as exc:
        raise UserError(exc.args[0]) from None


def cmd_registry_diff(args: argparse.Namespace) -> int:
    from archive.registry.acceptance import diff
    from crawler.cli.tables import write_records

    archive = options.read_only_archive(args)
    with archive.engine.connect() as conn:
        changes = diff(conn, _province(conn, args.province))
    records = ([_change_record(c, args.format) for c in changes.changes]
               + [_conflict_record(c, args.format) for c in changes.conflicts])
    write_records(records, DIFF_TABLE if args.format == "table" else DIFF_COLUMNS, args.format, sys.stdout)
    print(f"since the last acceptance: {changes.summary()}", file=sys.stderr)
    return 0


def cmd_registry_accept(args: argparse.Namespace) -> int:
    from archive.registry.acceptance import accept

    archive = options.existing_archive(args)
    with archive.engine.begin() as conn:
        done = accept(conn, _province(conn, args.province))
    for a in done:
        print(f"accepted {a.province}: {a.agencies} agencies ({a.added} added, {a.removed} removed, "
              f"{a.changed} changed)")
    return 0


def accepted_registry_file(args: argparse.Namespace) -> str:
    """`--registry accepted`: the archive's accepted registry written as a registry file in its data folder (what
    the crawl then reads, and a record of what it crawled); a usage error when nothing was accepted yet."""
    from archive.registry.acceptance import accepted
    from crawler.cli.exits import UserError
    from crawler.discovery import registry

    archive = options.existing_archive(args)
    with archive.engine.connect() as conn:
        entries = accepted(conn)
    if not entries:
        raise UserError("no accepted registry in this archive: run `nianbao registry discover --province …`, check "
                        "`nianbao registry diff`, then `nianbao registry accept`")
    rows, problems = registry.from_entries(entries)
    for problem in problems:
        print(problem, file=sys.stderr)
    path = archive.data_dir / "registry-accepted.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(f".{os.getpid()}.tmp")  # workers started together each write it whole, then rename
    with partial.open("w", encoding="utf-8") as out:
        registry.write(rows, out)
    partial.replace(path)
    print(f"the accepted registry: {len(rows)} agencies, {len(registry.targets(rows))} portals ({path})",
          file=sys.stderr)
    return str(path)


def registry_path(args: argparse.Namespace) -> str:
    """The registry file a crawl reads: its --registry, or for `accepted` the accepted registry written out."""
    return accepted_registry_file(args) if args.registry == options.ACCEPTED else args.registry


def add_discovered_parsers(rsub: argparse._SubParsersAction) -> None:
    """`registry diff` and `registry accept`: the discovered registry against the accepted one."""
    about = ("what the discovered registry changed since it was last accepted: agencies added, removed (a finished "
             "discovery run no longer saw them), changed (portal, columns, confidence, platform, parent, level, kind) "
             "with the evidence, and the conflicts discovery reported; before the first `registry accept` everything "
             "is added. Exit 0; 2 when nothing was discovered or --province matches no discovery run")
    p = rsub.add_parser("diff", help=about, description=about)
    p.add_argument("--province", help="one province, by the name discovery was given (福建省) or its code (35)")
    p.add_argument("--format", choices=("table", "csv", "json"), default="table", help="output format")
    options.archive(p, data=False)
    p.set_defaults(func=cmd_registry_diff)
    about = ("accept the discovered registry, a province at a time or all: the report crawl then uses it (`nianbao "
             "crawl --registry accepted`) and `registry diff` compares with it; conflicts are never accepted. Exit 0; "
             "2 when nothing was discovered or --province matches no discovery run")
    p = rsub.add_parser("accept", help=about, description=about)
    p.add_argument("--province", help="only this province, by name or code (default: every province discovered)")
    options.archive(p)
    p.set_defaults(func=cmd_registry_accept)


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
    p = rsub.add_parser("discover", help="find a province's portals, report columns, departments and townships by "
                                         "crawling from its provincial portal, with the evidence for each")
    p.add_argument("--province", required=True, help="a province by name (福建省) or code (350000)")
    p.add_argument("--levels", default=defaults.NIANBAO_DISCOVERY_LEVELS,
                   help=f"what to look for below the province, comma-separated (default "
                        f"{defaults.NIANBAO_DISCOVERY_LEVELS})")
    p.add_argument("--out", metavar="CSV", help="also write the registry CSV `nianbao crawl --registry` reads, with "
                                                "evidence, confidence, first and last seen")
    p.add_argument("--start", metavar="URL", help="start from this portal instead of the bundled provincial one")
    options.proxy(p)
    p.add_argument("--allow-private", action="store_true",
                   help="let the crawl reach loopback and private addresses (a local test server)")
    options.settings(p)
    p.add_argument("-q", "--quiet", action="store_true", help="warnings only, and the summary")
    options.archive(p)
    p.set_defaults(func=cmd_registry_discover)
    add_discovered_parsers(rsub)
