"""Chart geometry for the overview, drawn as inline SVG by templates/charts.html (so pages work offline and every
label passes through the templates' escaping). Coordinates are in the SVG's viewBox units."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from archive.queries.statuses import LABELS as STATUS_LABELS, ORDER as STATUS_ORDER
from archive.web.schemas import DayCount, Deadline, StatusCounts, StatusGroup, TrendPoint

WIDTH = 760
LABEL_W, TOTAL_W = 150, 70
BAR_H, GAP = 18, 6


@dataclass(frozen=True)
class Segment:
    status: str
    label: str
    count: int
    x: float
    width: float


@dataclass(frozen=True)
class BarRow:
    label: str
    key: str
    total: int
    y: float
    segments: list[Segment]


@dataclass(frozen=True)
class StackedBars:
    """Each group's agencies split by status, as shares of one full-width bar."""

    width: int
    height: int
    bar_x: int
    bar_w: int
    bar_h: int
    rows: list[BarRow]


def stacked_bars(groups: list[StatusGroup]) -> StackedBars:
    bar_w = WIDTH - LABEL_W - TOTAL_W
    rows = []
    for n, group in enumerate(groups):
        total = group.counts.total
        x, segments = float(LABEL_W), []
        for status in STATUS_ORDER:
            count = getattr(group.counts, status.value)
            if count:
                w = bar_w * count / total
                segments.append(Segment(status.value, STATUS_LABELS[status], count, round(x, 2), round(w, 2)))
                x += w
        rows.append(BarRow(group.label, group.key, total, n * (BAR_H + GAP), segments))
    return StackedBars(WIDTH, max(1, len(rows) * (BAR_H + GAP)), LABEL_W, bar_w, BAR_H, rows)


@dataclass(frozen=True)
class DayBar:
    day: date
    count: int
    x: float
    y: float
    height: float


@dataclass(frozen=True)
class Marker:
    label: str
    x: float


@dataclass(frozen=True)
class DayChart:
    """Reports by publication date, one bar a day, with the deadlines and the first of each month marked."""

    width: int
    height: int
    plot_top: int
    plot_bottom: int
    bar_w: float
    max_count: int
    bars: list[DayBar]
    deadlines: list[Marker]
    months: list[Marker] = field(default_factory=list)


def day_chart(days: list[DayCount], deadlines: list[Deadline]) -> DayChart:
    left, top, bottom, height = 40, 24, 190, 220
    step = (WIDTH - left - 10) / max(1, len(days))
    peak = max((d.count for d in days), default=0) or 1
    index = {d.day: n for n, d in enumerate(days)}
    bars = []
    for n, d in enumerate(days):
        h = (bottom - top) * d.count / peak
        bars.append(DayBar(d.day, d.count, round(left + n * step, 2), round(bottom - h, 2), round(h, 2)))
    marks = [Marker(f"{dl.label} {dl.day.month}月{dl.day.day}日", round(left + (index[dl.day] + 0.5) * step, 2))
             for dl in deadlines if dl.day in index]
    months = [Marker(f"{d.day.month}月", round(left + n * step, 2)) for n, d in enumerate(days) if d.day.day == 1]
    return DayChart(WIDTH, height, top, bottom, round(max(step - 0.5, 0.5), 2), peak, bars, marks, months)


@dataclass(frozen=True)
class TrendColumn:
    year: int
    found: int
    agencies: int
    rate: float
    x: float
    bar_y: float
    bar_h: float
    rate_y: float


@dataclass(frozen=True)
class TrendChart:
    """Per year: a bar of reports found (against the agencies known) and the on-time rate as a line."""

    width: int
    height: int
    plot_top: int
    plot_bottom: int
    col_w: float
    max_agencies: int
    columns: list[TrendColumn]

    @property
    def line(self) -> str:
        return " ".join(f"{c.x + self.col_w / 2:.1f},{c.rate_y:.1f}" for c in self.columns)


def trend_chart(points: list[TrendPoint]) -> TrendChart:
    left, top, bottom, height = 60, 20, 170, 200
    col_w = (WIDTH - left - 60) / max(1, len(points))
    peak = max((p.agencies for p in points), default=0) or 1
    span = bottom - top
    columns = [TrendColumn(p.year, p.found, p.agencies, p.on_time_rate, round(left + n * col_w, 2),
                           round(bottom - span * p.found / peak, 2), round(span * p.found / peak, 2),
                           round(bottom - span * p.on_time_rate, 2))
               for n, p in enumerate(points)]
    return TrendChart(WIDTH, height, top, bottom, round(col_w, 2), peak, columns)


def percent(part: int, counts: StatusCounts) -> str:
    return f"{100 * part / counts.total:.1f}%" if counts.total else "—"


@dataclass(frozen=True)
class Series:
    key: str
    label: str


@dataclass(frozen=True)
class GroupBar:
    series: str
    label: str
    value: int | float
    x: float
    y: float
    height: float


@dataclass(frozen=True)
class YearGroup:
    year: int
    x: float  # the group's centre
    bars: list[GroupBar]


@dataclass(frozen=True)
class GroupedBars:
    """Per year, one bar per series side by side, on one scale from zero (an agency's numbers over the years).

    Narrower than the overview's charts, with larger type: drawn at a phone's width, labels stay readable."""

    width: int
    height: int
    plot_top: int
    plot_bottom: int
    bar_w: float
    peak: int | float
    series: list[Series]
    groups: list[YearGroup]


SMALL_WIDTH = 420


def grouped_bars(rows: list[dict[str, int | float | None]], series: list[Series]) -> GroupedBars:
    """`rows`: each a year's values by series key (and "year"); a value that is None draws no bar."""
    left, top, bottom, height = 8, 28, 178, 204
    col_w = (SMALL_WIDTH - 2 * left) / max(1, len(rows))
    bar_w = col_w * 0.8 / max(1, len(series))
    peak = max((v for r in rows for s in series if (v := r.get(s.key)) is not None), default=0) or 1
    groups = []
    for n, row in enumerate(rows):
        x0 = left + n * col_w + col_w * 0.1
        bars = []
        for m, s in enumerate(series):
            value = row.get(s.key)
            if value is not None:
                h = (bottom - top) * value / peak
                bars.append(GroupBar(s.key, s.label, value, round(x0 + m * bar_w, 2), round(bottom - h, 2),
                                     round(h, 2)))
        groups.append(YearGroup(int(row["year"] or 0), round(left + (n + 0.5) * col_w, 2), bars))
    return GroupedBars(SMALL_WIDTH, height, top, bottom, round(bar_w, 2), peak, series, groups)
