"""Scheduled crawls: the cadence's crontab lines and systemd timer fire on exactly the right days of a whole year
(expanded by croniter and by systemd-analyze, not by our own code), the day-of-month guard works in a real shell,
and `nianbao schedule install|show|remove` round-trips through a crontab file, a `crontab`-like command and a unit
folder while leaving everything else alone."""
from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
import sys
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from croniter import croniter

from crawler.cli import main
from crawler.ops import schedule
from crawler.spiders.reports import parse_years

CADENCES = [
    schedule.Cadence(),  # 15 Jan – 15 Apr daily, Mondays at 03:00 otherwise
    schedule.Cadence((2, 1), (3, 31), weekday=6, hour=23, minute=45),  # whole months only
    schedule.Cadence((12, 10), (2, 20), weekday=3, hour=0, minute=5),  # wraps the year
    schedule.Cadence((3, 10), (3, 20), weekday=4),  # inside one month: quiet on both sides
    schedule.Cadence((1, 1), (12, 31)),  # daily all year
]
YEARS = (2025, 2028)  # a leap year and the Mondays of three others


def expected(cadence: schedule.Cadence, year: int) -> set[date]:
    day, out = date(year, 1, 1), set()
    while day.year == year:
        if cadence.fires_on(day):
            out.add(day)
        day += timedelta(days=1)
    return out


def cron_days(cadence: schedule.Cadence, year: int) -> list[date]:
    """Every firing of every crontab line over `year` by croniter, minus those the shell guard keeps quiet."""
    fired = []
    for line in schedule.cron_lines(cadence):
        it = croniter(line.expression, datetime(year - 1, 12, 31, 23, 59))
        while (when := it.get_next(datetime)).year == year:
            assert (when.hour, when.minute) == (cadence.hour, cadence.minute)
            if line.quiet and line.quiet[0] <= when.day <= line.quiet[1]:
                continue
            fired.append(when.date())
    return fired


@pytest.mark.parametrize("cadence", CADENCES)
@pytest.mark.parametrize("year", YEARS)
def test_crontab_lines_fire_on_exactly_the_cadence_days(cadence, year):
    fired = cron_days(cadence, year)
    assert len(fired) == len(set(fired)), "two lines fire on the same day"
    assert set(fired) == expected(cadence, year)


def test_the_default_cadence_is_daily_in_the_reporting_season_and_weekly_on_mondays_otherwise():
    days = expected(schedule.Cadence(), 2026)
    assert {date(2026, 1, 14), date(2026, 1, 15), date(2026, 3, 31), date(2026, 4, 15)} - days == {date(2026, 1, 14)}
    assert date(2026, 4, 16) not in days and date(2026, 4, 20) in days  # a Thursday; a Monday
    outside = [d for d in days if not (date(2026, 1, 15) <= d <= date(2026, 4, 15))]
    assert {d.weekday() for d in outside} == {0}
    assert len(days) == 91 + len(outside)
    assert schedule.next_runs(schedule.Cadence(), date(2026, 4, 14), 4) == \
        [date(2026, 4, 14), date(2026, 4, 15), date(2026, 4, 20), date(2026, 4, 27)]


def _run_guard(guard: str, day: int, tmp_path: Path) -> bool:
    """The guard as cron hands it to /bin/sh (cron turns `\\%` into `%`), with `date` answering `day`."""
    fake = tmp_path / "bin"
    fake.mkdir(exist_ok=True)
    (fake / "date").write_text(f"#!/bin/sh\n[ \"$1\" = +%d ] && printf '%02d\\n' {day}\n", encoding="utf-8")
    (fake / "date").chmod(0o755)
    script = guard.replace("\\%", "%") + "echo run"
    done = subprocess.run(["/bin/sh", "-c", script], env={"PATH": f"{fake}:/usr/bin:/bin"}, capture_output=True,
                          text=True)
    return done.stdout.strip() == "run"


@pytest.mark.parametrize("quiet", [(15, 31), (1, 15), (10, 20)])
def test_the_day_of_month_guard_keeps_quiet_on_exactly_its_days_in_a_real_shell(quiet, tmp_path):
    line = schedule.CronLine(0, 3, "*", "1", "1", quiet=quiet)
    for day in range(1, 32):
        assert _run_guard(line.guard(), day, tmp_path) == (not quiet[0] <= day <= quiet[1]), day


def _systemd_days(expression: str, year: int) -> set[date]:
    done = subprocess.run(["systemd-analyze", "calendar", "--iterations=400", f"--base-time={year - 1}-12-31 23:59:59",
                           expression], capture_output=True, text=True, env={**os.environ, "TZ": "UTC"})
    assert done.returncode == 0, done.stderr
    days = {date.fromisoformat(d) for d in re.findall(r"(?:Next elapse|Iter\. #\d+): \w+ (\d{4}-\d\d-\d\d)",
                                                         done.stdout)}
    return {d for d in days if d.year == year}


@pytest.mark.skipif(not shutil.which("systemd-analyze"), reason="systemd-analyze is not installed")
@pytest.mark.parametrize("cadence", CADENCES)
def test_systemd_calendar_expressions_fire_on_exactly_the_cadence_days(cadence):
    year = 2028
    fired: list[date] = []
    for expression in schedule.on_calendar(cadence):
        fired += sorted(_systemd_days(expression, year))
    assert len(fired) == len(set(fired))
    assert set(fired) == expected(cadence, year)


def test_a_cadence_that_cannot_be_is_refused():
    for bad in (dict(season="02-30:04-15"), dict(season="04-15:04-01"), dict(weekday="someday"), dict(at="25:00"),
                dict(season="0115-0415")):
        with pytest.raises(ValueError, match=r"no such day|wraps the year|expected a|hour 0-23"):
            schedule.parse_cadence(**bad)


def test_open_ended_years_run_to_last_year():
    assert parse_years("2019-", today=date(2027, 1, 20)) == range(2019, 2027)
    assert parse_years("2019-2021") == range(2019, 2022)


def test_replacing_our_block_keeps_every_other_line():
    others = "MAILTO=me@example.org\n# my backups\n5 4 * * * /usr/bin/backup --all\n"
    job = schedule.Job("nightly", ["/x/nianbao", "crawl"])
    block = schedule.crontab_block(job, schedule.Cadence())
    text = schedule.replace_block(others, "nightly", block)
    assert text.startswith(others) and schedule.find_block(text, "nightly") == block
    other_block = schedule.crontab_block(schedule.Job("other", ["/y"]), schedule.Cadence())
    both = schedule.replace_block(text, "other", other_block)
    assert schedule.replace_block(schedule.replace_block(both, "nightly", None), "other", None) == others
    with pytest.raises(ValueError, match="but not"):
        schedule.find_block(others + block.splitlines(keepends=True)[0], "nightly")


def _cli(capsys, *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out + out.err


def test_cron_install_show_remove_round_trip_through_a_crontab_file(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    crontab = tmp_path / "crontab"
    crontab.write_text("SHELL=/bin/sh\n0 1 * * * echo mine\n", encoding="utf-8")
    options = ["--crontab-file", str(crontab), "--db", "archive.sqlite", "--health", "--health-args",
               "--max-regressions 0 --webhook http://127.0.0.1:9/hook", "--log", "crawl.log"]
    code, out = _cli(capsys, "schedule", "install", "--dry-run", *options)
    assert code == 0 and "would write" in out and "nianbao schedule nianbao" in out
    assert crontab.read_text(encoding="utf-8") == "SHELL=/bin/sh\n0 1 * * * echo mine\n"  # dry run: untouched
    code, out = _cli(capsys, "schedule", "install", *options)
    assert code == 0
    text = crontab.read_text(encoding="utf-8")
    assert text.startswith("SHELL=/bin/sh\n0 1 * * * echo mine\n")
    lines = [line for line in text.splitlines() if line and not line.startswith(("#", "SHELL"))][1:]
    assert len(lines) == 6
    assert all(" crawl --registry " in line and "--years 2019- " in line and "--db archive.sqlite" in line
               and " health --db archive.sqlite --max-regressions 0 --webhook http://127.0.0.1:9/hook" in line
               and f">> {tmp_path / 'crawl.log'} 2>&1" in line and f"cd {tmp_path}" in line for line in lines)
    code, out = _cli(capsys, "schedule", "install", *options, "--at", "04:30")  # again: replaced, not doubled
    text = crontab.read_text(encoding="utf-8")
    assert text.count("# >>> nianbao schedule nianbao >>>") == 1 and "30 4 * 2-3 *" in text
    code, out = _cli(capsys, "schedule", "show", "--crontab-file", str(crontab))
    assert code == 0 and "30 4 15-31 1 *" in out and "next runs" in out
    code, out = _cli(capsys, "schedule", "remove", "--crontab-file", str(crontab))
    assert code == 0 and crontab.read_text(encoding="utf-8") == "SHELL=/bin/sh\n0 1 * * * echo mine\n"
    code, out = _cli(capsys, "schedule", "show", "--crontab-file", str(crontab))
    assert code == 1 and "no schedule named 'nianbao'" in out


def test_the_installed_crontab_line_runs_the_crawl_command_in_a_shell(tmp_path):
    """The line's command part, run by /bin/sh as cron would, starts the program with our arguments."""
    program = tmp_path / "fake-nianbao"
    program.write_text("#!/bin/sh\necho \"$@\" >> \"$(dirname \"$0\")/calls\"\n", encoding="utf-8")
    program.chmod(program.stat().st_mode | stat.S_IEXEC)
    job = schedule.Job("t", [str(program), "crawl", "--years", "2019-", "--run-id", "weekly 100%"],
                       [str(program), "health"], str(tmp_path), str(tmp_path / "log"), str(tmp_path / "lock"))
    line = next(x for x in schedule.cron_lines(schedule.Cadence()) if x.quiet is None)
    command = line.render(job.shell()).split(" ", 5)[5].replace("\\%", "%")
    subprocess.run(["/bin/sh", "-c", command], check=True, timeout=30)
    assert (tmp_path / "calls").read_text(encoding="utf-8") == "crawl --years 2019- --run-id weekly 100%\nhealth\n"


def test_cron_through_a_crontab_command(tmp_path, capsys, monkeypatch):
    """$NIANBAO_CRONTAB names the command: `-l` prints the table ("no crontab" when empty), `-` replaces it."""
    table = tmp_path / "table"
    command = tmp_path / "crontab"
    command.write_text(f"#!/bin/sh\nif [ \"$1\" = -l ]; then [ -f {table} ] || {{ echo 'no crontab for test' >&2; "
                       f"exit 1; }}; cat {table}; else cat > {table}; fi\n", encoding="utf-8")
    command.chmod(0o755)
    monkeypatch.setenv("NIANBAO_CRONTAB", str(command))
    monkeypatch.chdir(tmp_path)
    code, _out = _cli(capsys, "schedule", "install", "--weekday", "fri")
    assert code == 0 and table.read_text(encoding="utf-8").startswith("# >>> nianbao schedule nianbao >>>")
    assert "0 3 * 5-12 5 " in table.read_text(encoding="utf-8")
    code, _out = _cli(capsys, "schedule", "remove")
    assert code == 0 and table.read_text(encoding="utf-8") == ""


def test_systemd_install_show_remove_round_trip_through_a_unit_folder(tmp_path, capsys, monkeypatch):
    units = tmp_path / "units"
    monkeypatch.setenv("NIANBAO_SYSTEMD_DIR", str(units))
    monkeypatch.chdir(tmp_path)
    code, out = _cli(capsys, "schedule", "install", "--systemd", "--dry-run", "--name", "gd", "--health")
    assert code == 0 and "OnCalendar=*-01-15..31 03:00:00" in out and not units.exists()
    code, out = _cli(capsys, "schedule", "install", "--systemd", "--name", "gd", "--health")
    assert code == 0 and "not run: systemctl --user enable --now nianbao-gd.timer" in out
    service = (units / "nianbao-gd.service").read_text(encoding="utf-8")
    timer = (units / "nianbao-gd.timer").read_text(encoding="utf-8")
    exec_lines = [line for line in service.splitlines() if line.startswith("ExecStart=")]
    assert exec_lines[0].startswith("ExecStart=-") and " crawl --registry " in exec_lines[0]
    assert exec_lines[1].endswith(" health")
    assert "Persistent=true" in timer and "Unit=nianbao-gd.service" in timer
    if shutil.which("systemd-analyze"):
        # It reports what it ignores (a calendar spec it cannot parse, an unknown key) on stderr, exiting 0.
        done = subprocess.run(["systemd-analyze", "verify", "--man=no", str(units / "nianbao-gd.timer"),
                               str(units / "nianbao-gd.service")], capture_output=True, text=True)
        assert done.returncode == 0 and "nianbao-gd" not in done.stderr, done.stderr
    code, out = _cli(capsys, "schedule", "show", "--systemd", "--name", "gd")
    assert code == 0 and "OnCalendar=Mon *-5..12-* 03:00:00" in out
    code, out = _cli(capsys, "schedule", "remove", "--systemd", "--name", "gd")
    assert code == 0 and list(units.iterdir()) == []
    code, out = _cli(capsys, "schedule", "remove", "--systemd", "--name", "gd")
    assert code == 1


def test_schedule_refuses_bad_options_with_a_message(capsys, monkeypatch, tmp_path):
    code, out = _cli(capsys, "schedule", "install", "--dry-run", "--season", "13-01:04-15")
    assert code == 2 and "nianbao schedule: no such day: 13-01" in out
    monkeypatch.setenv("NIANBAO_CRONTAB", str(tmp_path / "no-such-crontab"))
    code, out = _cli(capsys, "schedule", "show")
    assert code == 2 and "no-such-crontab command (Debian: apt-get install cron)" in out


def test_the_command_line_is_absolute():
    """cron runs jobs with a bare PATH: the program must be named by its full path."""
    from crawler.cli.schedule import _nianbao

    assert Path(_nianbao()[0]).is_absolute() and Path(_nianbao()[0]).exists()
    assert _nianbao()[0] in (sys.executable, str(Path(sys.executable).with_name("nianbao")))
