"""The `nianbao` command line: a module per command group, mounted here in the order `nianbao --help` lists them.

Each module's `add_parsers(subparsers)` adds its subcommands; each subcommand sets `func`, which takes the parsed
arguments and returns the exit status (`exits`). Options several commands share are declared once, in `options`.
A user's mistake is one line on stderr and exit 2, never a traceback: a command raises `exits.UserError`, and `main`
turns that, a file that cannot be opened, Ctrl-C and a closed pipe into their line and status.

The sandbox's commands (`nianbao demo`, `nianbao sandbox …`) belong to the sandbox, a test instrument installed with
the `sandbox` extra: they are mounted when it can be imported, and otherwise say how to install it.
"""
from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Iterator
from importlib.metadata import version

from crawler.cli import archive, crawl, dashboard, exits, extract, health, options, registry, schedule, seed

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


class HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Every option's help ends with its default, unless the help already says it or there is none to say."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        if "default" in text or action.default in (None, False, argparse.SUPPRESS) \
                or (not action.option_strings and action.nargs not in ("?", "*")):
            return text
        return f"{text} (default: %(default)s)"


def _subparsers(parser: argparse.ArgumentParser) -> Iterator[argparse.ArgumentParser]:
    """Every parser under `parser`, at any depth."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in dict.fromkeys(action.choices.values()):  # aliases name a parser more than once
                yield child
                yield from _subparsers(child)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="nianbao", description="The `nianbao` command line. Exit status: 0 done, "
                                     "1 some inputs failed or a threshold was crossed, 2 a usage error, 3 a damaged "
                                     "archive.", formatter_class=HelpFormatter)
    parser.add_argument("--version", action="version", version=f"nianbao {version('nianbao')}")
    sub = parser.add_subparsers(dest="command", required=True)
    for group in GROUPS:
        group.add_parsers(sub)
    _mount_sandbox(sub)
    for child in _subparsers(parser):
        child.formatter_class = HelpFormatter
    return parser


def _command(args: argparse.Namespace) -> str:
    """`nianbao registry show`, as the user typed the command (for the one line of an error)."""
    words = [args.command] + [v for k, v in vars(args).items() if k.endswith("_command") and isinstance(v, str)]
    return " ".join(["nianbao", *words])


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        code = args.func(args)
        sys.stdout.flush()  # a closed pipe shows here, inside the handler below, not at the interpreter's exit
        return code
    except exits.UserError as exc:
        print(f"{_command(args)}: {exc}", file=sys.stderr)
        return exc.code
    except BrokenPipeError:
        # The reader went away (`| head`): stop quietly, as Unix tools do. Python would flush stdout once more at
        # exit and complain, so it is pointed at /dev/null.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return exits.BROKEN_PIPE
    except KeyboardInterrupt:
        print(f"{_command(args)}: interrupted", file=sys.stderr)
        return exits.INTERRUPTED
    except Exception as exc:
        from archive.store.damage import EXIT_DAMAGED, described
        from archive.store.db import sqlite_path

        message = described(exc, sqlite_path(options.archive_location(args)[0]) if hasattr(args, "db") else None)
        if message is not None:
            print(f"nianbao: {message}", file=sys.stderr)
            return EXIT_DAMAGED
        if isinstance(exc, OSError) and exc.filename is not None:  # a path the user gave that cannot be used
            print(f"{_command(args)}: {exc.filename}: {exc.strerror}", file=sys.stderr)
            return exits.USAGE
        raise
