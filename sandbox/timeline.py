"""When each agency publishes its report for a year, with which template — or that it never does.

Art. 49 deadlines (domain.md §1): departments by 31 January of the next year, governments by 31 March;
townships follow local deadlines, mostly January–February. Most agencies publish in the weeks before their
deadline, some late, a few never; a few keep printing the 2019 tables after 2021 (laggards).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sandbox.seeding import chance, rng
from sandbox.world import Agency

TODAY = dt.date(2026, 4, 30)  # the sandbox's default "now": every 2025 report due by then has had its chance
MISSING_RATE = 0.06
LATE_RATE = 0.08
LAGGARD_RATE = 0.06


@dataclass(frozen=True, slots=True)
class Publication:
    published: dt.date
    deadline: dt.date
    template: str  # the table format printed: "2019" or "2021"
    url_date: dt.date  # the date TRS puts in the URL: the upload, sometimes days before publication

    @property
    def days_late(self) -> int:
        return max(0, (self.published - self.deadline).days)


def deadline(unit: Agency, year: int) -> dt.date:
    if unit.level == "township":
        return dt.date(year + 1, 2, 28)
    if unit.kind == "government":
        return dt.date(year + 1, 3, 31)
    return dt.date(year + 1, 1, 31)


def template_for(seed: int, unit: Agency, year: int) -> str:
    if year <= 2020:
        return "2019"
    return "2019" if year <= 2023 and chance(LAGGARD_RATE, seed, "laggard", unit.name) else "2021"


def publication(seed: int, unit: Agency, year: int) -> Publication | None:
    """None when the agency never published a report for `year`."""
    if chance(MISSING_RATE, seed, "missing", unit.name, year):
        return None
    r = rng(seed, "published", unit.name, year)
    due = deadline(unit, year)
    if r.random() < LATE_RATE:
        published = due + dt.timedelta(days=r.randint(1, 120))
    else:
        window = 60 if unit.kind == "government" else 26
        published = due - dt.timedelta(days=r.randint(0, window))
    # Weekends are rare publication days on government sites.
    while published.weekday() >= 5:
        published -= dt.timedelta(days=1)
    url_date = published - dt.timedelta(days=r.randint(1, 6)) if r.random() < 0.1 else published
    return Publication(published, due, template_for(seed, unit, year), url_date)
