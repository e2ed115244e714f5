"""The options several commands share, each declared once, and the one function that turns command-line flags into
crawler settings (`settings_from`). Defaults come from `crawler.settings`."""
from __future__ import annotations

import argparse
from pathlib import Path

from crawler import settings as defaults

BUNDLED_REGISTRY = Path(__file__).resolve().parents[1] / "data" / "registry.csv"


def archive(p: argparse.ArgumentParser, data: bool = True) -> None:
    """--db and --data: where the archive is."""
    p.add_argument("--db", help="postgresql://… or a SQLite path (default: $NIANBAO_DB or data/archive.sqlite)")
    if data:
        p.add_argument("--data", help="folder for blobs and WARC files (default: beside the SQLite file, or ./data)")


def archive_location(args: argparse.Namespace) -> tuple[str, str | None]:
    """(database, data folder) of the archive a command works on: its --db/--data, else the settings' defaults."""
    return args.db or defaults.NIANBAO_DB, getattr(args, "data", None) or defaults.NIANBAO_DATA


def years(p: argparse.ArgumentParser, default: str = defaults.NIANBAO_YEARS, note: str = "") -> None:
    p.add_argument("--years", default=default,
                   help=f"years reported on: YYYY, YYYY-YYYY or YYYY- (2019 to last year, worked out at each run); "
                        f"default {default}{note}")


def registry(p: argparse.ArgumentParser) -> None:
    p.add_argument("--registry", default=str(BUNDLED_REGISTRY), help="registry CSV (default: the bundled one)")


def registry_file(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", nargs="?", default=str(BUNDLED_REGISTRY), help="registry CSV (default: the bundled one)")


def run_id(p: argparse.ArgumentParser, note: str = "") -> None:
    p.add_argument("--run-id", help=f"name of the run (default crawl-<UTC time>){note}")


def settings(p: argparse.ArgumentParser) -> None:
    """-s NAME=VALUE, as in `scrapy crawl`."""
    p.add_argument("-s", "--set", action="append", metavar="NAME=VALUE", help="a Scrapy or NIANBAO_ setting")


def parse_setting(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep:
        raise ValueError(f"expected NAME=VALUE, got {text!r}")
    return name.strip(), value.strip()


def settings_from(args: argparse.Namespace, preset: str | None = None) -> dict:
    """The settings a command's flags ask for, over `preset` (a name in `crawler.settings.PRESETS`): the preset,
    then -s NAME=VALUE, then the flags that name a setting (--db, --data, --allow-private, --quiet)."""
    out = dict(defaults.PRESETS[preset]) if preset else {}
    out.update(parse_setting(s) for s in getattr(args, "set", None) or [])
    out.update({k: v for k, v in (("NIANBAO_DB", getattr(args, "db", None)),
                                  ("NIANBAO_DATA", getattr(args, "data", None))) if v})
    if getattr(args, "allow_private", False):
        out["NIANBAO_ALLOW_PRIVATE"] = True
    if getattr(args, "quiet", False):
        out.setdefault("LOG_LEVEL", "WARNING")
    return out
