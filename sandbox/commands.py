"""`nianbao sandbox serve|manifest` and `nianbao demo`: the sandbox's subcommands, which the main command line
(`crawler.cli`) mounts with `add_parsers` when the sandbox is installed."""
from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import sys
import time
from pathlib import Path

from crawler import settings as defaults
from crawler.cli import options
from crawler.years import parse_years
from sandbox.app import CONTROL_HOST, Options, Sandbox
from sandbox.timeline import TODAY
from sandbox.world import YEARS


def _world_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--scale", type=int, default=7, help="government portals in the world (default 7)")
    p.add_argument("--seed", type=int, default=1, help="the world's random seed: the same seed, the same world")
    p.add_argument("--today", type=dt.date.fromisoformat, default=TODAY,
                   help=f"the sandbox's date: reports published later do not exist yet (default {TODAY})")
    p.add_argument("--documents", type=int, default=2,
                   help="distinct PDF/DOCX/DOC/WPS/XLS report files per format (each takes ~1 s to make once)")
    p.add_argument("--province", action="append", default=[], metavar="NAME",
                   help="instead of --scale: a world on this province's real divisions (福建省; repeat for more), "
                        "whose registry names only the provincial portal (discovery starts there)")
    p.add_argument("--report-years", type=_report_years, default=YEARS, metavar="YYYY[-YYYY]",
                   help=f"with --province: the report years its agencies publish (default {YEARS[0]}-{YEARS[-1]}; "
                        "fewer years, fewer reports)")


def _report_years(text: str) -> tuple[int, ...]:
    try:
        years = tuple(parse_years(text))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    if not set(years) <= set(YEARS):
        raise argparse.ArgumentTypeError(f"report years must lie within {YEARS[0]}-{YEARS[-1]}, got {text!r}")
    return years


def _options(args: argparse.Namespace) -> Options:
    return Options(seed=args.seed, scale=args.scale, today=args.today, documents_per_format=args.documents,
                   slow_seconds=getattr(args, "slow_seconds", 1.5), province=tuple(args.province),
                   years=args.report_years)


class Progress:
    """`prerender: done/total` on stderr, at most every few seconds, and once when all are done."""

    def __init__(self, every: float = 5.0):
        self.started = self.shown = time.monotonic()
        self.every, self.done = every, -1

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if (done == total and self.done != total) or (now - self.shown >= self.every and done != self.done):
            self.shown, self.done = now, done
            print(f"prerender: {done:,}/{total:,} renderings, {now - self.started:.0f} s", file=sys.stderr, flush=True)


def cmd_serve(args: argparse.Namespace) -> int:
    from sandbox.server import start

    sandbox = Sandbox(_options(args))
    if args.write_dir:
        write(sandbox, Path(args.write_dir))
    if args.prerender:
        sandbox.prerender(progress=Progress())

    async def main() -> None:
        server = await start(sandbox.handle, args.host, args.port)
        port = server.sockets[0].getsockname()[1]
        if not args.no_prewarm:
            sandbox.store.prewarm(sandbox.slow_documents())
        w = sandbox.world
        where = f"{'、'.join(w.discovery.provinces)}, seed portal {w.discovery.seeds[0]}" if w.discovery else \
            f"scale {w.scale}"
        print(f"sandbox: {len(w.portals)} hosts, {len(w.agencies())} agencies (seed {w.seed}, {where}, "
              f"today {sandbox.today})\nproxy: export http_proxy=http://{args.host}:{port}\n"
              f"control: http://{CONTROL_HOST}/manifest.json, /registry.csv, /today?set=YYYY-MM-DD, /stats "
              "(through the proxy)", flush=True)
        async with server:
            await server.serve_forever()

    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
    finally:
        sandbox.close()
    return 0


def write(sandbox: Sandbox, folder: Path, fields: bool = True) -> tuple[Path, Path]:
    from sandbox import manifest

    folder.mkdir(parents=True, exist_ok=True)
    manifest_path, registry_path = folder / "manifest.json", folder / "registry.csv"
    with manifest_path.open("w", encoding="utf-8") as out:
        manifest.write(sandbox, out, fields)
    registry_path.write_text(sandbox.registry(), encoding="utf-8")
    return manifest_path, registry_path


def cmd_manifest(args: argparse.Namespace) -> int:
    sandbox = Sandbox(_options(args))
    manifest_path, registry_path = write(sandbox, Path(args.out), fields=not args.no_fields)
    print(f"wrote {manifest_path} and {registry_path}", file=sys.stderr)
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from sandbox import demo

    if args.discover:
        from sandbox import discovery_demo

        # The default span becomes its last year: a province publishes ~2,100 reports a year.
        years = None if args.years == defaults.NIANBAO_YEARS else args.years
        code = discovery_demo.run(Path(args.out), province=args.province, seed=args.seed, years=years)
    else:
        code = demo.run(Path(args.out), scale=args.scale, seed=args.seed, years=args.years)
    if args.serve and code == 0:
        return demo.serve_forever(Path(args.out))
    return code


def add_parsers(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("demo", help="crawl the sandbox into a fresh archive under ./demo/ and show coverage")
    p.add_argument("--out", default="demo", help="folder for the archive (default ./demo)")
    p.add_argument("--scale", type=int, default=7, help="government portals in the sandbox (default 7)")
    p.add_argument("--seed", type=int, default=1, help="the sandbox's random seed: the same seed, the same world")
    options.years(p)
    p.add_argument("--discover", action="store_true",
                   help="instead: discover a province of the sandbox from its provincial portal alone (real divisions; "
                        "`nianbao registry discover`), accept it, crawl the discovered registry, and measure each step "
                        "against the ground truth (--years: the last year unless given)")
    p.add_argument("--province", default="福建省", help="with --discover: the province (default 福建省)")
    p.add_argument("--serve", action="store_true", help="serve the dashboard over the archive afterwards")
    p.set_defaults(func=cmd_demo)

    sandbox = subparsers.add_parser("sandbox", help="a local replica of the government web (HTTP proxy)")
    sub = sandbox.add_subparsers(dest="sandbox_command", required=True)
    p = sub.add_parser("serve", help="serve the sandbox as an HTTP proxy on loopback")
    _world_options(p)
    p.add_argument("--host", default="127.0.0.1", help="address to listen on")
    p.add_argument("--port", type=int, default=8899, help="port to listen on")
    p.add_argument("--slow-seconds", type=float, default=1.5, help="delay of the slow portal's slow responses")
    p.add_argument("--write-dir", help="also write manifest.json and registry.csv into this folder")
    p.add_argument("--no-prewarm", action="store_true", help="make slow documents only when first asked for")
    p.add_argument("--prerender", action="store_true",
                   help="render every report document, table picture and article body before serving (one process "
                        "per core; kept in the cache directory, so a later start with the same renderers is quick)")
    p.set_defaults(func=cmd_serve)
    p = sub.add_parser("manifest", help="write the ground-truth manifest and the registry of a world")
    _world_options(p)
    p.add_argument("-o", "--out", default="sandbox-out", help="folder for manifest.json and registry.csv")
    p.add_argument("--no-fields", action="store_true", help="leave out expected field values (large worlds)")
    p.set_defaults(func=cmd_manifest)
