"""`nianbao serve` (the dashboard) and `nianbao search-index` (its full-text index)."""
from __future__ import annotations

import argparse
import ipaddress
import json
import sys

from crawler.cli import options


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from archive.web.app import LOOPBACK_HOSTS, create_app
    from archive.web.service import Dashboard

    archive = options.read_only_archive(args)
    if _loopback(args.host):
        hosts = list(LOOPBACK_HOSTS)
    else:
        hosts = args.allowed_host or ["*"]
        print(f"nianbao serve: listening on {args.host}, beyond this machine", file=sys.stderr)
    print(f"nianbao dashboard (read-only) on http://{args.host}:{args.port}/", file=sys.stderr, flush=True)
    from crawler import settings as defaults

    dashboard = Dashboard(archive, street_offices=defaults.NIANBAO_STREET_OFFICES_PUBLISH)
    uvicorn.run(create_app(dashboard, hosts), host=args.host, port=args.port, log_level=args.log_level,
                server_header=False)
    return 0


def cmd_search_index(args: argparse.Namespace) -> int:
    from archive.store.db import resolve_url
    from archive.web.search import SearchIndex

    archive = options.read_only_archive(args)
    index = SearchIndex.for_writing(resolve_url(options.archive_location(args)[0]))
    print(json.dumps(index.update(archive.engine), ensure_ascii=False))
    return 0


def add_parsers(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("serve", help="the read-only coverage dashboard (web pages and JSON API)")
    options.archive(p)
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1: this machine only)")
    p.add_argument("--port", type=int, default=8000, help="port to listen on")
    p.add_argument("--allowed-host", action="append", metavar="NAME",
                   help="Host header to accept when listening beyond loopback (repeatable; default: any)")
    p.add_argument("--log-level", default="info", choices=("critical", "error", "warning", "info", "debug"),
                   help="the web server's log level")
    p.set_defaults(func=cmd_serve)

    p = subparsers.add_parser("search-index", help="bring the dashboard's full-text index up to date")
    options.archive(p)
    p.set_defaults(func=cmd_search_index)
