"""The `nianbao` command line."""
from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from concurrent.futures import Future
from pathlib import Path

def _inputs(paths: list[str]) -> Iterator[Path]:
    for name in paths:
        path = Path(name)
        if path.is_dir():
            yield from sorted(p for p in path.rglob("*") if p.is_file() and not p.name.endswith(".expected.json"))
        else:
            yield path


def _summary(result: dict) -> str:
    if "error" in result:
        return f"{result['source']}: ERROR {result['error']}"
    if not result["is_report"]:
        return f"{result['source']}: not a report ({result['reason']})"
    fields = result["fields"]
    stated = sum(1 for v in fields.values() if v is not None)
    failed = [c for c in result["checks"] if not c["ok"]]
    lines = [
        f"{result['source']}: {result['agency'] or '?'} {result['year'] or '?'} "
        f"[{result['format']}, template {result['template']}] published {result['published'] or '?'}",
        f"  title: {result['title']}",
        f"  fields: {stated} of {len(fields)} stated; checks: {len(result['checks']) - len(failed)} ok, "
        f"{len(failed)} failed",
    ]
    lines += [f"  ✗ {c['rule']} {c['where']}: {c['detail']}" for c in failed]
    lines += [f"  ! {w}" for w in result["warnings"]]
    return "\n".join(lines)


def cmd_extract(args: argparse.Namespace) -> int:
    from pipelines.document import ExtractionError
    from pipelines.limits import read_file
    from pipelines.workers import ExtractionPool

    files = list(_inputs(args.paths))
    failures = 0
    with ExtractionPool() as pool:
        pending: list[tuple[int, Path, dict | Future]] = []
        for n, path in enumerate(files, 1):
            try:
                pending.append((n, path, pool.submit(read_file(path), str(path))))
            except (OSError, ExtractionError) as exc:
                error = f"cannot read: {exc.strerror}" if isinstance(exc, OSError) else str(exc)
                pending.append((n, path, {"source": str(path), "sha256": None, "format": None, "error": error}))
            # A few documents ahead keep the workers busy; the rest are read as results come.
            while pending and (len(pending) > 2 * len(pool.supervisors) or n == len(files)):
                done, path, outcome = pending.pop(0)
                result = outcome if isinstance(outcome, dict) else outcome.result().as_dict()
                if len(files) > 1:
                    print(f"[{done}/{len(files)}] {path}", file=sys.stderr, flush=True)
                failures += "error" in result
                if args.json:
                    print(json.dumps(result, ensure_ascii=False, allow_nan=False), flush=True)
                else:
                    print(_summary(result), flush=True)
    if failures:
        print(f"{failures} of {len(files)} inputs could not be read", file=sys.stderr)
    return 1 if failures else 0


def cmd_demo(args: argparse.Namespace) -> int:
    from crawler import demo

    code = demo.run(Path(args.out), scale=args.scale, seed=args.seed, years=args.years)
    if args.serve and code == 0:
        return demo.serve_forever(Path(args.out))
    return code


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="nianbao", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("extract", help="extract reports into the common schema (JSON Lines with --json)")
    p.add_argument("paths", nargs="+", help="files or folders")
    p.add_argument("--json", action="store_true", help="print one JSON object per document")
    p.set_defaults(func=cmd_extract)
    p = sub.add_parser("demo", help="crawl the sandbox into a fresh archive under ./demo/ and show coverage")
    p.add_argument("--out", default="demo", help="folder for the archive (default ./demo)")
    p.add_argument("--scale", type=int, default=7, help="government portals in the sandbox (default 7)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--years", default="2019-2025")
    p.add_argument("--serve", action="store_true", help="serve the dashboard over the archive afterwards")
    p.set_defaults(func=cmd_demo)
    from crawler.registry_cli import add_parsers as add_crawler_parsers

    add_crawler_parsers(sub)
    from crawler import distributed_cli
    distributed_cli.add_parsers(sub)
    from crawler import health_cli, schedule_cli

    schedule_cli.add_parsers(sub)
    health_cli.add_parsers(sub)
    from archive.cli import add_parsers as add_archive_parsers
    from archive.web.cli import add_parsers as add_web_parsers
    from sandbox.cli import add_parsers as add_sandbox_parsers

    add_archive_parsers(sub)
    add_web_parsers(sub)
    add_sandbox_parsers(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except Exception as exc:
        from archive.damage import EXIT_DAMAGED, described
        from archive.db import sqlite_path

        message = described(exc, sqlite_path(args.db) if hasattr(args, "db") else None)
        if message is None:
            raise
        print(f"nianbao: {message}", file=sys.stderr)
        return EXIT_DAMAGED


if __name__ == "__main__":
    sys.exit(main())
