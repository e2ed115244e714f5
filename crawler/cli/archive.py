"""The archive's `nianbao` subcommands: import, reparse, coverage, export, db."""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import Connection, Engine

from archive.export import dictionary
from archive.export.columns import Export
from archive.export.csv_cells import csv_list
from archive.export.rows import rows
from archive.export.writers import write
from archive.ingest.importer import import_paths
from archive.ingest.ingestor import Ingestor
from archive.queries.coverage import COLUMNS as COVERAGE_COLUMNS, DEFAULT_TOWNSHIP_DEADLINE, coverage
from archive.queries.held import digests as stored_digests, report_years
from archive.queries.rollup import BY as ROLLUP_BY, COLUMNS as ROLLUP_COLUMNS, rollup
from archive.runs import new_run_id
from archive.store.damage import check_integrity
from archive.store.db import make_engine, open_archive, resolve_url
from archive.store.migrate import current_revision, upgrade_to_head
from crawler import settings as defaults
from crawler.cli import options
from crawler.cli.exits import UserError
from crawler.cli.registry import registry_missing
from crawler.cli.tables import write_records


def _month_day(text: str) -> tuple[int, int]:
    try:
        month, day = (int(x) for x in text.split("-"))
        datetime(2001, month, day)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected MM-DD, got {text!r}") from None
    return month, day


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected YYYY-MM-DD, got {text!r}") from None


def cmd_import(args: argparse.Namespace) -> int:
    missing = next((name for name in args.paths if not Path(name).exists()), None)
    if missing is not None:  # before the archive is opened: a mistyped path must not leave an empty archive behind
        print(f"nianbao import: no such file or folder: {missing}", file=sys.stderr)
        return 2
    archive = open_archive(*options.archive_location(args))
    check_integrity(archive.engine)  # writing into a malformed file would spread the damage, and report success
    stats = import_paths(archive, args.paths, new_run_id("import"), url=args.url, agency=args.agency, year=args.year,
                         progress=lambda line: print(line, file=sys.stderr, flush=True))
    print(json.dumps(stats.as_dict(), ensure_ascii=False))
    if stats.failed:
        print(f"{stats.failed} files failed (named above)", file=sys.stderr)
    return 1 if stats.failed else 0


class _Progress:
    """`LABEL: done/total UNIT, rate/s, time left` on stderr, at most every few seconds, and once at the end."""

    def __init__(self, label: str, unit: str, every: float = 5.0):
        self.label, self.unit, self.every = label, unit, every
        self.started = self.shown = time.monotonic()

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if done < total and now - self.shown < self.every:
            return
        self.shown = now
        rate = done / max(now - self.started, 1e-9)
        left = f", {(total - done) / rate / 60:.0f} min left" if done < total and rate else ""
        print(f"{self.label}: {done:,}/{total:,} {self.unit}, {rate:.1f}/s{left}", file=sys.stderr, flush=True)


def cmd_reparse(args: argparse.Namespace) -> int:
    archive = options.existing_archive(args)
    ingestor = Ingestor(archive, new_run_id("reparse"), kind="reparse")
    with archive.reader.connect() as conn:
        digests = stored_digests(conn, args.sha256)
    ingestor.reparse(digests, workers=args.workers, progress=_Progress("reparse", "documents"))
    ingestor.finish()
    print(json.dumps({"parser_version": ingestor.parser_version, **ingestor.stats.as_dict()}, ensure_ascii=False))
    return 0


def _no_report_of(conn: Connection, year: int) -> str | None:
    """What to tell the user when the archive holds no report of `year` (a typo, or a year not crawled yet)."""
    held = report_years(conn)
    if year in held:
        return None
    return f"the archive holds no report of {year}" + (
        f" (it holds {', '.join(map(str, held))})" if held else " (it holds none yet)")


def _say_if_no_report(conn: Connection, year: int) -> None:
    """A line on stderr when the archive holds no report of `year`: the statuses still say who had to publish,
    so the table follows."""
    if problem := _no_report_of(conn, year):
        print(f"nianbao coverage: {problem}", file=sys.stderr)


def cmd_coverage(args: argparse.Namespace) -> int:
    if args.by and (args.level or args.region):
        raise UserError("--by counts every agency of the nation; --level and --region filter the list without --by")
    engine = options.read_only_archive(args).engine
    as_of = args.as_of or date.today()
    if args.by:
        return _coverage_rollup(args, engine, as_of)
    return _coverage_list(args, engine, as_of)


def _coverage_rollup(args: argparse.Namespace, engine: Engine, as_of: date) -> int:
    """`coverage --by`: the national roll-up by province, level or both."""
    with engine.connect() as conn:
        if registry_missing(conn, f"coverage --by {args.by}"):
            return 2
        _say_if_no_report(conn, args.year)
        rolled = rollup(conn, args.year, as_of, args.by, defaults.NIANBAO_STREET_OFFICES_PUBLISH)
    write_records([r.as_dict() for r in rolled], ROLLUP_COLUMNS, args.format, sys.stdout)
    return 0


def _coverage_list(args: argparse.Namespace, engine: Engine, as_of: date) -> int:
    """`coverage`: every agency that had to publish for the year (of --level, in --region), with its status."""
    with engine.connect() as conn:
        _say_if_no_report(conn, args.year)
        result = coverage(conn, args.year, args.level, args.region, args.township_deadline, as_of,
                          defaults.NIANBAO_STREET_OFFICES_PUBLISH)
    if not result:
        raise UserError(_no_agency_matches(args))
    records = [r.as_dict() for r in result]
    for r in records:
        r["failed_checks"] = csv_list(r["failed_checks"])
        r["copies"] = csv_list(r["copies"])
        # The date column says where it came from, as the issue asks: "2024-01-29 (first seen)".
        if r["date_source"] == "first_seen":
            r["published"] = f"{r['published']} (first seen)"
    write_records([r.as_dict() for r in result] if args.format == "json" else records, COVERAGE_COLUMNS, args.format,
                  sys.stdout)
    return 0


def _no_agency_matches(args: argparse.Namespace) -> str:
    """Why `coverage` lists no agency: the filters match none, or no agency had to publish for the year."""
    given = " and ".join(f"--{name} {value}" for name, value in (("level", args.level), ("region", args.region))
                         if value)
    if given:
        return f"no agency matches {given} (--region is a division code prefix or an agency's name)"
    return (f"no agency in the archive had to publish for {args.year} (register some with `nianbao registry build`, "
            "`registry import`, `import` or a crawl)")


def _export_usage(args: argparse.Namespace) -> str | None:
    """What is wrong with the export's arguments, if anything."""
    allowed = dictionary.FORMATS if args.dictionary else tuple(Export)
    if args.format is not None and args.format not in allowed:
        what = "--dictionary" if args.dictionary else "an export"
        return f"--format {args.format} is not a format of {what}: choose {', '.join(allowed)}"
    if not args.dictionary and args.format is None:
        return "--format is required: csv, jsonl or parquet (or --dictionary for the data dictionary)"
    if args.excel and (args.dictionary or args.format != Export.CSV):
        return "--excel applies to --format csv only"
    if args.format == Export.PARQUET and not args.output:
        return "--format parquet needs --output FILE"
    return None


def cmd_export(args: argparse.Namespace) -> int:
    problem = _export_usage(args)
    if problem:
        raise UserError(problem)
    if args.dictionary:  # the columns' definitions alone: no archive is opened
        text = dictionary.render(args.format or "md")
        if args.output:
            Path(args.output).write_text(text, encoding="utf-8")
        else:
            sys.stdout.write(text)
        return 0
    archive = options.read_only_archive(args)
    with archive.engine.connect() as conn:
        # An export of a year with no report would be an empty file: say so before any file is written.
        if args.year is not None and (problem := _no_report_of(conn, args.year)):
            raise UserError(problem)
        count = write(Export(args.format), rows(conn, args.year, args.township_deadline),
                      Path(args.output) if args.output else None, args.excel, sys.stdout)
    print(f"{count} reports exported", file=sys.stderr)
    return 0


def cmd_db(args: argparse.Namespace) -> int:
    if args.action == "upgrade":
        print(f"schema at revision {upgrade_to_head(make_engine(resolve_url(options.archive_location(args)[0])))}")
        return 0
    options.must_exist(args)
    with make_engine(resolve_url(options.archive_location(args)[0])).connect() as conn:
        print(current_revision(conn) or "empty database")
    return 0


def add_parsers(subparsers: argparse._SubParsersAction) -> None:
    township = dict(type=_month_day, default=DEFAULT_TOWNSHIP_DEADLINE, metavar="MM-DD",
                    help="townships' deadline in year Y+1 (default 02-28; local rules vary)")

    p = subparsers.add_parser("import", help="archive local files (a folder of downloaded reports)")
    p.add_argument("paths", nargs="+", metavar="PATH", help="files or folders (read recursively)")
    p.add_argument("--url", help="the URL the (single) file was downloaded from")
    p.add_argument("--agency", help="the agency, when the document does not name it")
    p.add_argument("--year", type=options.year, help="the year reported on, when the document does not state it")
    options.archive(p)
    p.set_defaults(func=cmd_import)

    p = subparsers.add_parser("reparse", help="re-run the current extractor over stored blobs (no refetching)")
    p.add_argument("--sha256", nargs="*", help="only these blobs")
    p.add_argument("--workers", type=int, default=len(os.sched_getaffinity(0)),
                   help="extraction processes (default: one per core)")
    options.archive(p)
    p.set_defaults(func=cmd_reparse)

    p = subparsers.add_parser("coverage", help="every agency's publication status for a year, or a national roll-up")
    p.add_argument("--year", type=options.year, required=True, help="the year reported on")
    p.add_argument("--as-of", type=_day, metavar="YYYY-MM-DD",
                   help="the day the statuses are computed for (default: today): before a deadline nothing is late")
    p.add_argument("--by", choices=ROLLUP_BY,
                   help="the national roll-up per province, level or both: agencies counted, with a portal, crawled, "
                        "and each status (a national total first)")
    p.add_argument("--level", choices=("central", "province", "prefecture", "county", "township", "department"),
                   help="only agencies of this level")
    p.add_argument("--region", help="division code prefix, or an agency name (it and everything under it)")
    p.add_argument("--format", choices=("table", "csv", "json"), default="table", help="output format")
    p.add_argument("--township-deadline", **township)
    options.archive(p)
    p.set_defaults(func=cmd_coverage)

    p = subparsers.add_parser("export", help="one row per report, every field as a column; or the data dictionary",
                              description="Columns, types and names: docs/data-dictionary.md (--dictionary).")
    p.add_argument("--format", choices=tuple(dict.fromkeys([*map(str, Export), *dictionary.FORMATS])),
                   help="csv, jsonl or parquet; with --dictionary md (default), csv or json")
    p.add_argument("--dictionary", action="store_true",
                   help="print the data dictionary (every column's meaning, unit, form) instead of reports")
    p.add_argument("--excel", action="store_true",
                   help="CSV for Excel: a UTF-8 byte-order mark and CRLF line ends (default: neither)")
    p.add_argument("--year", type=options.year, help="only reports on this year (default: every year)")
    p.add_argument("--output", "-o", help="file to write (default: standard output; required for parquet)")
    p.add_argument("--township-deadline", **township)
    options.archive(p)
    p.set_defaults(func=cmd_export)

    p = subparsers.add_parser("db", help="database schema (Alembic migrations)")
    p.add_argument("action", choices=("upgrade", "current"),
                   help="upgrade: create or migrate the schema; current: print its revision")
    options.archive(p, data=False)
    p.set_defaults(func=cmd_db)
