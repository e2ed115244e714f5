"""`nianbao extract`: files or folders of reports into the common schema, a summary or JSON Lines."""
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
        (f"{result['source']}: {result['agency'] or '?'} {result['year'] or '?'} "
         f"[{result['format']}, template {result['template']}] published {result['published'] or '?'}"),
        f"  title: {result['title']}",
        (f"  fields: {stated} of {len(fields)} stated; checks: {len(result['checks']) - len(failed)} ok, "
         f"{len(failed)} failed"),
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


def add_parsers(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("extract", help="extract reports into the common schema (JSON Lines with --json)")
    p.add_argument("paths", nargs="+", help="files or folders")
    p.add_argument("--json", action="store_true", help="print one JSON object per document")
    p.set_defaults(func=cmd_extract)
