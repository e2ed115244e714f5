"""`nianbao health`: the portals needing attention after the latest crawls, worst first.

Exit status: 0 within the thresholds, 1 when one is crossed (cron mails it, a systemd unit fails, CI goes red),
2 on bad arguments or an unreadable archive, 3 when the webhook could not be told.
"""
from __future__ import annotations

import argparse
import json
import sys
import urllib.error
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

from archive.runs import RunRecord
from crawler.cli import options
from crawler.cli.exits import UserError
from crawler.ops import health

DEFAULT_RUNS = 10


def _since(text: str) -> datetime:
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date or time, YYYY-MM-DD[THH:MM], got {text!r}") from None
    return when.astimezone(UTC).replace(tzinfo=None) if when.tzinfo else when


def load(args: argparse.Namespace) -> list[RunRecord]:
    """Run records, oldest first: from JSON files with --records, else from the archive."""
    last = args.runs or (None if args.since else DEFAULT_RUNS)
    if args.records:
        if not Path(args.records).is_dir():
            raise UserError(f"no folder {args.records} (--records names a folder of run record JSON files)")
        records = sorted((RunRecord.read(p) for p in Path(args.records).glob("*.json")), key=lambda r: r.started)
        if args.since:
            cutoff = args.since.replace(tzinfo=UTC).timestamp()
            records = [r for r in records if r.started >= cutoff]
        return records[-last:] if last else records
    from archive.runs import load_records

    archive = options.read_only_archive(args)
    with archive.engine.connect() as conn:
        return load_records(conn, args.since, last)


def post(url: str, payload: dict, timeout: float = 10.0) -> None:
    body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    request = urllib.request.Request(url, data=body, method="POST",
                                     headers={"Content-Type": "application/json; charset=utf-8",
                                              "User-Agent": "nianbao-health"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        response.read()


def cmd_health(args: argparse.Namespace) -> int:
    try:
        records = load(args)
    except (OSError, ValueError, KeyError) as exc:
        print(f"nianbao health: cannot read the run records: {exc}", file=sys.stderr)
        return 2
    limits = health.Thresholds(args.error_factor, args.error_increase)
    max_attention = None if args.max_attention < 0 else args.max_attention
    max_regressions = None if args.max_regressions < 0 else args.max_regressions
    v = health.verdict(records, max_regressions, max_attention, limits)
    print(json.dumps(v.as_dict(), ensure_ascii=False, indent=1) if args.json else health.render(v))
    code = 1 if v.crossed else 0
    if args.webhook and (v.crossed or args.webhook_always):
        try:
            post(args.webhook, {"source": "nianbao health", **v.as_dict()})
        except (urllib.error.URLError, OSError) as exc:
            print(f"nianbao health: webhook {args.webhook} failed: {exc}", file=sys.stderr)
            code = code or 3
    return code


def add_parsers(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("health", help="portals needing attention after the latest crawls, worst first",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    window = p.add_mutually_exclusive_group()
    window.add_argument("--since", type=_since, help="runs started since this date or time (UTC)")
    window.add_argument("--runs", type=int, help=f"the latest N runs (default {DEFAULT_RUNS})")
    p.add_argument("--records", help="a folder of run record JSON files instead of the archive (single-node runs; "
                   "a distributed run's workers each write a part of it, which the archive adds up)")
    p.add_argument("--max-regressions", type=int, default=0,
                   help="fail when more portals than this regressed (default 0; -1: never)")
    p.add_argument("--max-attention", type=int, default=-1,
                   help="fail when more portals than this need attention (default -1: never)")
    p.add_argument("--error-factor", type=float, default=health.Thresholds.error_factor,
                   help="an error jump is this many times the earlier runs' median (default 3)")
    p.add_argument("--error-increase", type=int, default=health.Thresholds.error_increase,
                   help="… and at least this many errors more (default 10)")
    p.add_argument("--webhook", metavar="URL", help="POST the findings as JSON here when a threshold is crossed")
    p.add_argument("--webhook-always", action="store_true", help="POST them after every check")
    p.add_argument("--json", action="store_true", help="print the findings as JSON")
    options.archive(p)
    p.set_defaults(func=cmd_health)
