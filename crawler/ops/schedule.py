"""When scheduled crawls run, written as crontab lines or a systemd service and timer.

Reports are due on 31 January (departments) and 31 March (governments), so the default cadence is daily from
15 January to 15 April and weekly otherwise. Cron cannot say "daily in a season, weekly otherwise" in one line:
its day-of-month and day-of-week fields, when both are restricted, fire on either. So each month gets its own lines,
and in a month the season covers only in part, the weekly line fires on the weekday all month and a shell test on
the day of the month keeps it quiet on the season's days (which the daily line covers). systemd's calendar events
AND their fields, so the timer needs no such test.
"""
from __future__ import annotations

import calendar
import shlex
from dataclasses import dataclass
from datetime import date, timedelta

from crawler import settings as defaults

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
BEGIN = "# >>> nianbao schedule {name} >>>"
END = "# <<< nianbao schedule {name} <<<"


@dataclass(frozen=True)
class Cadence:
    season_start: tuple[int, int] = (1, 15)  # (month, day), first day of the daily season
    season_end: tuple[int, int] = (4, 15)  # last day of the daily season; before the start: the season wraps the year
    weekday: int = 0  # of the weekly runs, 0 = Monday
    hour: int = 3
    minute: int = 0

    def __post_init__(self) -> None:
        for month, day in (self.season_start, self.season_end):
            if not 1 <= month <= 12 or not 1 <= day <= calendar.monthrange(2024, month)[1]:
                raise ValueError(f"no such day: {month:02d}-{day:02d}")
        if self.season_start[0] == self.season_end[0] and self.season_end < self.season_start:
            raise ValueError("a season that wraps the year must start and end in different months")
        if not 0 <= self.weekday <= 6 or not 0 <= self.hour <= 23 or not 0 <= self.minute <= 59:
            raise ValueError("weekday 0-6, hour 0-23, minute 0-59")

    def in_season(self, month: int, day: int) -> bool:
        if self.season_start <= self.season_end:
            return self.season_start <= (month, day) <= self.season_end
        return (month, day) >= self.season_start or (month, day) <= self.season_end

    def fires_on(self, day: date) -> bool:
        return self.in_season(day.month, day.day) or day.weekday() == self.weekday


def next_runs(cadence: Cadence, start: date, count: int) -> list[date]:
    """The first `count` days from `start` on which the cadence runs."""
    out: list[date] = []
    day = start
    while len(out) < count:
        if cadence.fires_on(day):
            out.append(day)
        day += timedelta(days=1)
    return out


def parse_month_day(text: str) -> tuple[int, int]:
    """"01-15" → (1, 15)."""
    month, sep, day = text.strip().partition("-")
    if not sep or not month.isdigit() or not day.isdigit():
        raise ValueError(f"expected MM-DD, got {text!r}")
    return int(month), int(day)


def parse_cadence(season: str = defaults.NIANBAO_SCHEDULE_SEASON, weekday: str = defaults.NIANBAO_SCHEDULE_WEEKDAY,
                  at: str = defaults.NIANBAO_SCHEDULE_AT) -> Cadence:
    """The CLI's words: season "MM-DD:MM-DD", weekday "mon"…"sun", time "HH:MM"."""
    start, sep, end = season.partition(":")
    if not sep:
        raise ValueError(f"expected a season as MM-DD:MM-DD, got {season!r}")
    if weekday.lower()[:3] not in WEEKDAYS:
        raise ValueError(f"expected a weekday mon…sun, got {weekday!r}")
    hour, sep, minute = at.partition(":")
    if not sep or not hour.isdigit() or not minute.isdigit():
        raise ValueError(f"expected a time as HH:MM, got {at!r}")
    return Cadence(parse_month_day(start), parse_month_day(end), WEEKDAYS.index(weekday.lower()[:3]),
                   int(hour), int(minute))


@dataclass(frozen=True)
class MonthPlan:
    """One month: the season's days in it (an interval, or None) — every other day runs on the weekday only."""
    month: int
    season: tuple[int, int] | None  # first and last day of the month in season; (1, 31) is the whole month


def month_plans(cadence: Cadence) -> list[MonthPlan]:
    plans = []
    for month in range(1, 13):
        days = [d for d in range(1, 32) if cadence.in_season(month, d)]
        plans.append(MonthPlan(month, (days[0], days[-1]) if days else None))
    return plans


@dataclass(frozen=True)
class CronLine:
    """A crontab line's five fields and, for a partly-in-season month, the days it must keep quiet."""
    minute: int
    hour: int
    days: str  # day-of-month field
    months: str
    weekdays: str  # day-of-week field, cron's numbering (0 = Sunday)
    quiet: tuple[int, int] | None = None  # days of the month (inclusive) on which the command must not run

    @property
    def expression(self) -> str:
        return f"{self.minute} {self.hour} {self.days} {self.months} {self.weekdays}"

    def guard(self) -> str:
        """The shell test that is true on the days the line may run (`%` is special to cron, hence `\\%`)."""
        if self.quiet is None:
            return ""
        first, last = self.quiet
        today = '"$(date +\\%d)"'
        tests = ([f"[ {today} -lt {first} ]"] if first > 1 else []) + ([f"[ {today} -gt {last} ]"] if last < 31 else [])
        return (tests[0] if len(tests) == 1 else "{ " + " || ".join(tests) + "; }") + " && "

    def render(self, command: str) -> str:
        return f"{self.expression} {self.guard()}{command}"


def _months(months: list[int]) -> str:
    """[2, 3, 5, 6, 7] → "2-3,5-7"."""
    parts, run = [], [months[0]]
    for m in months[1:]:
        if m == run[-1] + 1:
            run.append(m)
        else:
            parts.append(run)
            run = [m]
    parts.append(run)
    return ",".join(f"{r[0]}-{r[-1]}" if len(r) > 1 else str(r[0]) for r in parts)


def cron_lines(cadence: Cadence) -> list[CronLine]:
    plans = month_plans(cadence)
    weekday = str((cadence.weekday + 1) % 7)
    at = (cadence.minute, cadence.hour)
    full = [p.month for p in plans if p.season == (1, 31)]
    none = [p.month for p in plans if p.season is None]
    lines = []
    if full:
        lines.append(CronLine(*at, "*", _months(full), "*"))
    if none:
        lines.append(CronLine(*at, "*", _months(none), weekday))
    for p in plans:
        if p.season is not None and p.season != (1, 31):
            first, last = p.season
            lines.append(CronLine(*at, f"{first}-{last}", str(p.month), "*"))
            lines.append(CronLine(*at, "*", str(p.month), weekday, quiet=p.season))
    return lines


def on_calendar(cadence: Cadence) -> list[str]:
    """systemd OnCalendar= expressions (local time), one per line of the timer."""
    plans = month_plans(cadence)
    weekday = WEEKDAYS[cadence.weekday].capitalize()
    at = f"{cadence.hour:02d}:{cadence.minute:02d}:00"
    months = lambda ms: _months(ms).replace("-", "..")  # noqa: E731
    full = [p.month for p in plans if p.season == (1, 31)]
    none = [p.month for p in plans if p.season is None]
    out = []
    if full:
        out.append(f"*-{months(full)}-* {at}")
    if none:
        out.append(f"{weekday} *-{months(none)}-* {at}")
    for p in plans:
        if p.season is not None and p.season != (1, 31):
            first, last = p.season
            out.append(f"*-{p.month:02d}-{first:02d}..{last:02d} {at}")
            outside = [r for r in ((1, first - 1), (last + 1, 31)) if r[0] <= r[1]]
            out += [f"{weekday} *-{p.month:02d}-{a:02d}..{b:02d} {at}" for a, b in outside]
    return out


@dataclass(frozen=True)
class Job:
    """What a scheduled run does: the crawl, then (if asked) the health check; commands as argument lists."""
    name: str
    crawl: list[str]
    health: list[str] | None = None
    workdir: str | None = None
    log: str | None = None  # cron only: where the output goes (systemd keeps it in the journal)
    lock: str | None = None  # cron only: a flock file so that a long run is never overlapped by the next

    def shell(self) -> str:
        """The job as one shell command line (for cron: `%` escaped)."""
        crawl = shlex.join(self.crawl)
        if self.lock:
            crawl = f"flock -n {shlex.quote(self.lock)} {crawl}"
        command = crawl + (f"; {shlex.join(self.health)}" if self.health else "")
        if self.workdir:
            command = f"cd {shlex.quote(self.workdir)} && {{ {command}; }}"
        if self.log:
            command = f"{{ {command}; }} >> {shlex.quote(self.log)} 2>&1"
        return command.replace("%", "\\%")


def crontab_block(job: Job, cadence: Cadence) -> str:
    lines = [BEGIN.format(name=job.name),
             (f"# daily {cadence.season_start[0]:02d}-{cadence.season_start[1]:02d} to "
              f"{cadence.season_end[0]:02d}-{cadence.season_end[1]:02d}, weekly on {WEEKDAYS[cadence.weekday]} "
              f"otherwise, at {cadence.hour:02d}:{cadence.minute:02d}; written by `nianbao schedule install`")]
    command = job.shell()
    lines += [line.render(command) for line in cron_lines(cadence)]
    lines.append(END.format(name=job.name))
    return "\n".join(lines) + "\n"


def find_block(crontab: str, name: str) -> str | None:
    """Our block in a crontab's text, markers included, or None."""
    lines = crontab.splitlines(keepends=True)
    begin, end = BEGIN.format(name=name), END.format(name=name)
    starts = [i for i, line in enumerate(lines) if line.rstrip("\n") == begin]
    if not starts:
        return None
    ends = [i for i, line in enumerate(lines) if line.rstrip("\n") == end and i > starts[0]]
    if not ends:
        raise ValueError(f"the crontab has the line {begin!r} but not {end!r}: edit it by hand (crontab -e)")
    return "".join(lines[starts[0]:ends[0] + 1])


def replace_block(crontab: str, name: str, block: str | None) -> str:
    """The crontab with our block replaced by `block` (removed when None; appended when absent); other lines kept."""
    old = find_block(crontab, name)
    if old is not None:
        return crontab.replace(old, block or "", 1)
    if block is None:
        return crontab
    if crontab and not crontab.endswith("\n"):
        crontab += "\n"
    return crontab + block


def _systemd_quote(arg: str) -> str:
    arg = arg.replace("%", "%%")
    if arg and not any(c in arg for c in " \t\"'\\;$"):
        return arg
    return '"' + arg.replace("\\", "\\\\").replace('"', '\\"').replace("$", "$$") + '"'


def _exec(argv: list[str]) -> str:
    return " ".join(_systemd_quote(a) for a in argv)


def systemd_units(job: Job, cadence: Cadence) -> dict[str, str]:
    """{file name: text} of the service and timer (user units; `systemctl --user enable --now NAME.timer`)."""
    unit = f"nianbao-{job.name}"
    service = ["[Unit]", f"Description=nianbao scheduled crawl ({job.name})", "", "[Service]", "Type=oneshot"]
    if job.workdir:
        service.append(f"WorkingDirectory={job.workdir}")
    # A failed crawl still gets its health check ("-": the failure is not fatal to the unit); a crossed health
    # threshold fails the unit, which OnFailure= or the journal's watchers can pick up.
    service.append(f"ExecStart={'-' if job.health else ''}{_exec(job.crawl)}")
    if job.health:
        service.append(f"ExecStart={_exec(job.health)}")
    timer = ["[Unit]", (f"Description=nianbao crawl schedule ({job.name}): daily "
             f"{cadence.season_start[0]:02d}-{cadence.season_start[1]:02d} to "
             f"{cadence.season_end[0]:02d}-{cadence.season_end[1]:02d}, weekly on {WEEKDAYS[cadence.weekday]}"),
             "", "[Timer]"]
    timer += [f"OnCalendar={expression}" for expression in on_calendar(cadence)]
    # A run missed while the machine was off happens at the next boot; the timer never starts a second run while
    # one is still going (the service is still active).
    timer += ["Persistent=true", f"Unit={unit}.service", "", "[Install]", "WantedBy=timers.target"]
    return {f"{unit}.service": "\n".join(service) + "\n", f"{unit}.timer": "\n".join(timer) + "\n"}
