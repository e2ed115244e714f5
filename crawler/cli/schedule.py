"""`nianbao schedule install|show|remove`: scheduled crawls as a block in the user's crontab or a systemd user timer.

The crontab is read and written through the `crontab` command ($NIANBAO_CRONTAB names another), or as a plain file
with --crontab-file; units go to ~/.config/systemd/user ($NIANBAO_SYSTEMD_DIR or --unit-dir names another folder).
Only our marked block or our two unit files are ever changed.
"""
from __future__ import annotations

import argparse
import os
import shlex
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

from crawler import settings as defaults
from crawler.cli import options
from crawler.ops import schedule


def _nianbao() -> list[str]:
    """The command that runs nianbao, absolute: cron and systemd start jobs without the user's PATH or venv."""
    script = Path(sys.executable).with_name("nianbao")
    return [str(script)] if script.exists() else [sys.executable, "-m", "crawler.cli"]


def job(args: argparse.Namespace) -> schedule.Job:
    workdir = str(Path.cwd())
    crawl = [*_nianbao(), "crawl", "--registry", str(Path(args.registry).resolve()), "--years", args.years, "--quiet",
             "-s", "NIANBAO_PROGRESS_SECONDS=0"]
    crawl += [a for name in ("db", "data") if getattr(args, name) for a in (f"--{name}", getattr(args, name))]
    crawl += [a for extra in args.crawl_arg or [] for a in shlex.split(extra)]
    health = None
    if args.health:
        health = [*_nianbao(), "health"]
        health += [a for name in ("db", "data") if getattr(args, name) for a in (f"--{name}", getattr(args, name))]
        health += shlex.split(args.health_args or "")
    log = str(Path(args.log).resolve()) if args.log else None
    return schedule.Job(args.name, crawl, health, workdir, log, str(Path(workdir) / f".nianbao-{args.name}.lock"))


def cadence(args: argparse.Namespace) -> schedule.Cadence:
    return schedule.parse_cadence(args.season, args.weekday, args.at)


# -- cron ----------------------------------------------------------------------------------------------------------
def _crontab(*args: str, text: str | None = None) -> subprocess.CompletedProcess:
    command = shlex.split(os.environ.get("NIANBAO_CRONTAB", "crontab"))
    try:
        return subprocess.run([*command, *args], input=text, capture_output=True, text=True)
    except FileNotFoundError:
        raise RuntimeError(f"no {command[0]} command (Debian: apt-get install cron); use --systemd, or "
                           f"--crontab-file to write a file") from None


def read_crontab(args: argparse.Namespace) -> str:
    if args.crontab_file:
        path = Path(args.crontab_file)
        return path.read_text(encoding="utf-8") if path.exists() else ""
    done = _crontab("-l")
    if done.returncode != 0:
        if "no crontab" in done.stderr.lower():
            return ""
        raise RuntimeError(f"crontab -l failed: {done.stderr.strip()}")
    return done.stdout


def write_crontab(args: argparse.Namespace, text: str) -> None:
    if args.crontab_file:
        Path(args.crontab_file).write_text(text, encoding="utf-8")
        return
    done = _crontab("-", text=text)
    if done.returncode != 0:
        raise RuntimeError(f"crontab - failed: {done.stderr.strip()}")


def _where(args: argparse.Namespace) -> str:
    return args.crontab_file or "the crontab"


def cron_install(args: argparse.Namespace) -> int:
    block = schedule.crontab_block(job(args), cadence(args))
    if args.dry_run:
        print(f"# would write to {_where(args)}:\n{block}", end="")
        return 0
    write_crontab(args, schedule.replace_block(read_crontab(args), args.name, block))
    print(f"installed in {_where(args)}:\n{block}", end="")
    return 0


def cron_show(args: argparse.Namespace) -> int:
    block = schedule.find_block(read_crontab(args), args.name)
    if block is None:
        print(f"no schedule named {args.name!r} in {_where(args)}", file=sys.stderr)
        return 1
    print(block, end="")
    return 0


def cron_remove(args: argparse.Namespace) -> int:
    text = read_crontab(args)
    block = schedule.find_block(text, args.name)
    if block is None:
        print(f"no schedule named {args.name!r} in {_where(args)}", file=sys.stderr)
        return 1
    if args.dry_run:
        print(f"# would remove from {_where(args)}:\n{block}", end="")
        return 0
    write_crontab(args, schedule.replace_block(text, args.name, None))
    print(f"removed from {_where(args)}:\n{block}", end="")
    return 0


# -- systemd -------------------------------------------------------------------------------------------------------
def default_unit_dir() -> Path:
    config = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(config) / "systemd" / "user"


def unit_dir(args: argparse.Namespace) -> Path:
    return Path(args.unit_dir or os.environ.get("NIANBAO_SYSTEMD_DIR") or default_unit_dir())


def _systemctl(args: argparse.Namespace, *command: str) -> None:
    """systemctl --user, only for the folder systemd reads (units elsewhere are for someone to copy by hand)."""
    if unit_dir(args).resolve() != default_unit_dir().resolve() or not shutil.which("systemctl"):
        print(f"(not run: systemctl --user {' '.join(command)})")
        return
    done = subprocess.run(["systemctl", "--user", *command], capture_output=True, text=True)
    print(f"systemctl --user {' '.join(command)}: " + ("ok" if done.returncode == 0 else done.stderr.strip()))


def systemd_install(args: argparse.Namespace) -> int:
    units = schedule.systemd_units(job(args), cadence(args))
    folder = unit_dir(args)
    for name, text in units.items():
        print(f"# {'would write' if args.dry_run else 'writing'} {folder / name}\n{text}")
        if not args.dry_run:
            folder.mkdir(parents=True, exist_ok=True)
            (folder / name).write_text(text, encoding="utf-8")
    if not args.dry_run:
        _systemctl(args, "daemon-reload")
        _systemctl(args, "enable", "--now", f"nianbao-{args.name}.timer")
    return 0


def _unit_files(args: argparse.Namespace) -> list[Path]:
    folder = unit_dir(args)
    return [p for p in (folder / f"nianbao-{args.name}.service", folder / f"nianbao-{args.name}.timer") if p.exists()]


def systemd_show(args: argparse.Namespace) -> int:
    files = _unit_files(args)
    if not files:
        print(f"no schedule named {args.name!r} in {unit_dir(args)}", file=sys.stderr)
        return 1
    for path in files:
        print(f"# {path}\n{path.read_text(encoding='utf-8')}")
    return 0


def systemd_remove(args: argparse.Namespace) -> int:
    files = _unit_files(args)
    if not files:
        print(f"no schedule named {args.name!r} in {unit_dir(args)}", file=sys.stderr)
        return 1
    if args.dry_run:
        print("\n".join(f"would remove {p}" for p in files))
        return 0
    _systemctl(args, "disable", "--now", f"nianbao-{args.name}.timer")
    for path in files:
        path.unlink()
        print(f"removed {path}")
    _systemctl(args, "daemon-reload")
    return 0


ACTIONS = {("cron", "install"): cron_install, ("cron", "show"): cron_show, ("cron", "remove"): cron_remove,
           ("systemd", "install"): systemd_install, ("systemd", "show"): systemd_show,
           ("systemd", "remove"): systemd_remove}


def cmd_schedule(args: argparse.Namespace) -> int:
    try:
        c = cadence(args)
        code = ACTIONS[(args.backend, args.action)](args)
    except (ValueError, RuntimeError, OSError) as exc:
        print(f"nianbao schedule: {exc}", file=sys.stderr)
        return 2
    if args.action in ("install", "show") and code == 0:
        days = ", ".join(d.isoformat() for d in schedule.next_runs(c, date.today(), 5))
        print(f"# next runs (with this cadence): {days} at {c.hour:02d}:{c.minute:02d}")
    return code


def add_parsers(sub: argparse._SubParsersAction) -> None:
    season = defaults.NIANBAO_SCHEDULE_SEASON
    p = sub.add_parser("schedule", help="run crawls on a schedule: a crontab block or a systemd user timer",
                       description=f"Daily in the reporting season (default {season.replace(':', ' to ')}: reports "
                                   "are due 31 Jan and 31 Mar), weekly otherwise. Every scheduled crawl is "
                                   "incremental.")
    p.add_argument("action", choices=("install", "show", "remove"),
                   help="install or replace the schedule, show it, or remove it")
    backend = p.add_mutually_exclusive_group()
    backend.add_argument("--cron", dest="backend", action="store_const", const="cron", help="the crontab (default)")
    backend.add_argument("--systemd", dest="backend", action="store_const", const="systemd",
                         help="a systemd user service and timer")
    p.set_defaults(backend="cron", func=cmd_schedule)
    p.add_argument("--dry-run", action="store_true", help="print what would be written or removed, change nothing")
    p.add_argument("--name", default="nianbao", help="the schedule's name, for several schedules (default nianbao)")
    p.add_argument("--season", default=season, help=f"daily between these days, MM-DD:MM-DD (default {season})")
    p.add_argument("--weekday", default=defaults.NIANBAO_SCHEDULE_WEEKDAY,
                   help=f"weekly runs outside the season on this day (default {defaults.NIANBAO_SCHEDULE_WEEKDAY})")
    p.add_argument("--at", default=defaults.NIANBAO_SCHEDULE_AT,
                   help=f"time of day, HH:MM local time (default {defaults.NIANBAO_SCHEDULE_AT})")
    options.registry(p)
    options.years(p)
    options.archive(p)
    p.add_argument("--crawl-arg", action="append", metavar="ARGS", help="more arguments for `nianbao crawl`")
    p.add_argument("--health", action="store_true", help="run `nianbao health` after each crawl")
    p.add_argument("--health-args", metavar="ARGS", help='arguments for it, e.g. "--max-regressions 0 --webhook URL"')
    p.add_argument("--log", help="cron: append the output to this file (default: cron mails it)")
    p.add_argument("--crontab-file", help="a crontab file to edit instead of the user's crontab")
    p.add_argument("--unit-dir", help="folder for the systemd units (default ~/.config/systemd/user)")
