"""The `nianbao` command line: a module per command group, mounted here in the order `nianbao --help` lists them.

Each module's `add_parsers(subparsers)` adds its subcommands; each subcommand sets `func`, which takes the parsed
arguments and returns the exit status. Options several commands share are declared once, in `options`.

The sandbox's commands (`nianbao demo`, `nianbao sandbox …`) belong to the sandbox, a test instrument installed with
the `sandbox` extra: they are mounted when it can be imported, and otherwise say how to install it.
"""
from __future__ import annotations

import argparse
import importlib
import sys

from crawler.cli import archive, crawl, dashboard, extract, health, options, registry, schedule, seed

GROUPS = (extract, crawl, registry, seed, schedule, health, archive, dashboard)
# The module that mounts the sandbox's commands, and the commands it adds (named here so that they can say how to
# install the extra when it is missing).
SANDBOX_COMMANDS = "sandbox.commands"
SANDBOX_NAMES = ("demo", "sandbox")
INSTALL_SANDBOX = "pip install 'nianbao[sandbox]'"


def _sandbox_missing(name: str, reason: str):
    def missing(_args: argparse.Namespace) -> int:
        print(f"nianbao {name} needs the sandbox, a test instrument installed as an extra ({reason}): "
              f"{INSTALL_SANDBOX}", file=sys.stderr)
        return 2
    return missing


def _mount_sandbox(sub: argparse._SubParsersAction) -> None:
    try:
        commands = importlib.import_module(SANDBOX_COMMANDS)
    except ImportError as exc:
        for name in SANDBOX_NAMES:
            # Whatever follows is taken as it is (no option of its own, not even -h), to reach the message.
            p = sub.add_parser(name, help=f"needs the sandbox extra: {INSTALL_SANDBOX}", add_help=False,
                               prefix_chars="\0")
            p.add_argument("rest", nargs="*")
            p.set_defaults(func=_sandbox_missing(name, f"cannot import {exc.name}"))
        return
    commands.add_parsers(sub)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="nianbao", description="The `nianbao` command line.")
    sub = parser.add_subparsers(dest="command", required=True)
    for group in GROUPS:
        group.add_parsers(sub)
    _mount_sandbox(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except Exception as exc:
        from archive.damage import EXIT_DAMAGED, described
        from archive.db import sqlite_path

        message = described(exc, sqlite_path(options.archive_location(args)[0]) if hasattr(args, "db") else None)
        if message is None:
            raise
        print(f"nianbao: {message}", file=sys.stderr)
        return EXIT_DAMAGED
