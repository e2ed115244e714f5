"""The options several commands share, each declared once, and the one function that turns command-line flags into
crawler settings (`settings_from`). Defaults come from `crawler.settings`."""
from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from crawler import settings as defaults
from crawler.cli.exits import UserError
from crawler.years import parse_years

if TYPE_CHECKING:
    from archive.store.db import Archive
    from archive.web.db import ReadOnlyArchive

BUNDLED_REGISTRY = Path(__file__).resolve().parents[1] / "data" / "registry.csv"


def archive(p: argparse.ArgumentParser, data: bool = True) -> None:
    """--db and --data: where the archive is."""
    p.add_argument("--db", help="postgresql://… or a SQLite path (default: $NIANBAO_DB or data/archive.sqlite)")
    if data:
        p.add_argument("--data", help="folder for blobs and WARC files (default: beside the SQLite file, or ./data)")


def archive_location(args: argparse.Namespace) -> tuple[str, str | None]:
    """(database, data folder) of the archive a command works on: its --db/--data, else the settings' defaults."""
    return args.db or defaults.NIANBAO_DB, getattr(args, "data", None) or defaults.NIANBAO_DATA


def read_only_archive(args: argparse.Namespace) -> ReadOnlyArchive:
    """The archive of a command that only reads it, opened read-only: one that does not exist (a mistyped --db) or
    whose schema is older is a usage error, never an empty archive created on the spot."""
    from archive.web.db import ArchiveUnavailable, open_read_only

    try:
        return open_read_only(*archive_location(args))
    except ArchiveUnavailable as exc:
        raise UserError(str(exc)) from None


def must_exist(args: argparse.Namespace) -> None:
    """A usage error when the SQLite archive a command needs is not there (a mistyped --db)."""
    from archive.store.db import sqlite_path
    from archive.web.db import ArchiveUnavailable, require_file

    path = sqlite_path(archive_location(args)[0])
    try:
        if path is not None:
            require_file(Path(path))
    except ArchiveUnavailable as exc:
        raise UserError(str(exc)) from None


def existing_archive(args: argparse.Namespace) -> Archive:
    """The archive of a command that changes what it holds (`reparse`): it must exist already."""
    from archive.store.db import open_archive

    must_exist(args)
    return open_archive(*archive_location(args))


def _years(text: str) -> str:
    """The text of a valid --years (kept as text: "2019-" is worked out at each run)."""
    try:
        parse_years(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


def year(text: str) -> int:
    """A --year: one year reported on, within the span --years accepts."""
    try:
        if text.isdigit():
            return parse_years(text).start
    except ValueError:
        pass
    raise argparse.ArgumentTypeError(f"expected a year reported on, YYYY, got {text!r}")


def years(p: argparse.ArgumentParser) -> None:
    p.add_argument("--years", type=_years, default=defaults.NIANBAO_YEARS,
                   help="years reported on: YYYY, YYYY-YYYY or YYYY- (to last year, worked out at each run, so that "
                        "a scheduled command line never goes stale)")


def existing_file(text: str) -> str:
    """A file the command reads, checked while the arguments are parsed (a usage error, before any work)."""
    if not Path(text).is_file():
        raise argparse.ArgumentTypeError(f"no such file: {text}")
    return text


ACCEPTED = "accepted"  # --registry accepted: the archive's accepted discovered registry


def registry_source(text: str) -> str:
    """A --registry: a registry file, or `accepted`."""
    return text if text == ACCEPTED else existing_file(text)


def registry(p: argparse.ArgumentParser) -> None:
    p.add_argument("--registry", type=registry_source, default=str(BUNDLED_REGISTRY),
                   help="registry CSV (default: the bundled one), or `accepted`: the registry discovery found and "
                        "`nianbao registry accept` accepted, from the archive (written to registry-accepted.csv in "
                        "its data folder, and crawled from there)")


def registry_file(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", nargs="?", type=existing_file, default=str(BUNDLED_REGISTRY),
                   help="registry CSV (default: the bundled one)")


def run_id(p: argparse.ArgumentParser, note: str = "") -> None:
    p.add_argument("--run-id", help=f"name of the run (default crawl-<UTC time>){note}")


def settings(p: argparse.ArgumentParser) -> None:
    """-s NAME=VALUE, as in `scrapy crawl`."""
    p.add_argument("-s", "--set", action="append", type=parse_setting, metavar="NAME=VALUE",
                   help="a Scrapy or NIANBAO_ setting (repeatable)")


def parse_setting(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name.strip():
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE, got {text!r}")
    return name.strip(), value.strip()


def proxy(p: argparse.ArgumentParser) -> None:
    """--proxy URL and --trust-env-proxy: the user's own proxy, trusted on loopback without opening the host guard."""
    p.add_argument("--proxy", metavar="URL",
                   help="fetch everything through this HTTP proxy (e.g. http://127.0.0.1:7890): yours, so it may be "
                        "on loopback or a private address while the crawl itself stays off them")
    p.add_argument("--trust-env-proxy", action="store_true",
                   help="the same trust for $http_proxy/$https_proxy (refused on loopback or private addresses "
                        "without it)")


def settings_from(args: argparse.Namespace, preset: str | None = None) -> dict:
    """The settings a command's flags ask for, over `preset` (a name in `crawler.settings.PRESETS`): the preset,
    then -s NAME=VALUE, then the flags that name a setting (--db, --data, --proxy, --trust-env-proxy,
    --allow-private, --quiet)."""
    out = dict(defaults.PRESETS[preset]) if preset else {}
    out.update(getattr(args, "set", None) or [])
    out.update({k: v for k, v in (("NIANBAO_DB", getattr(args, "db", None)),
                                  ("NIANBAO_DATA", getattr(args, "data", None)),
                                  ("NIANBAO_PROXY", getattr(args, "proxy", None))) if v})
    if getattr(args, "trust_env_proxy", False):
        out["NIANBAO_TRUST_ENV_PROXY"] = True
    if getattr(args, "allow_private", False):
        out["NIANBAO_ALLOW_PRIVATE"] = True
    if getattr(args, "quiet", False):
        out.setdefault("LOG_LEVEL", "WARNING")
        out.setdefault("NIANBAO_PROGRESS_SECONDS", 0)  # progress is shown whatever the log level
    return out
