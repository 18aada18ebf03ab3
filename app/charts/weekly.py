"""Complaints per ISO week by product: the data (weeks bucketed, top products kept, the rest
as "Other", empty weeks as 0) and its stacked bar chart."""

from collections import defaultdict
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from reportlab.graphics.charts.axes import XCategoryAxis, YValueAxis
from reportlab.graphics.shapes import Drawing, Path

from .drawing import (
    FONT,
    GREY,
    GRID,
    LABEL_SIZE,
    LEGEND_ROW,
    PALETTE,
    WIDTH,
    axis_title,
    empty_drawing,
    fit_text,
    legend,
    legend_rows,
    new_drawing,
    nice_scale,
)

TOP_SERIES = 6
OTHER = "Other"
WEEKLY_TITLE = "Complaints per week by product"


def monday(day: date) -> date:
    """The Monday starting the ISO week of `day`."""
    return day - timedelta(days=day.weekday())


def week_label(week: date) -> str:
    """ISO week name, e.g. 2026-W47."""
    year, number, _ = week.isocalendar()
    return f"{year}-W{number:02d}"


@dataclass(frozen=True)
class WeeklySeries:
    name: str
    counts: tuple[int, ...]  # one per week

    @property
    def total(self) -> int:
        return sum(self.counts)


@dataclass(frozen=True)
class WeeklyData:
    weeks: tuple[date, ...]  # the Monday of each week, oldest first
    series: tuple[WeeklySeries, ...]  # biggest first; "Other" last

    @classmethod
    def from_counts(
        cls,
        counts: Iterable[tuple[Hashable, date, int]],
        names: dict,
        start: date,
        end: date,
        top: int = TOP_SERIES,
    ) -> "WeeklyData":
        """From (key, day, count) rows (any day of the week): one count per week from the week
        of `start` to the week of `end`, zero where nothing came; the `top` biggest keys by
        total are series of their own and the rest are summed as "Other"."""
        weeks: list[date] = []
        week = monday(start)
        while week <= end:
            weeks.append(week)
            week += timedelta(days=7)
        index = {w: i for i, w in enumerate(weeks)}
        per_key: dict = defaultdict(lambda: [0] * len(weeks))
        for key, day, count in counts:
            i = index.get(monday(day))
            if i is not None and count:
                per_key[key][i] += count
        ranked = sorted(per_key, key=lambda k: (-sum(per_key[k]), str(names.get(k, k))))
        if len(ranked) > top:
            kept, rest = ranked[:top], ranked[top:]
        else:
            kept, rest = ranked, []
        series = [WeeklySeries(str(names.get(k, k)), tuple(per_key[k])) for k in kept]
        if rest:
            other = [sum(per_key[k][i] for k in rest) for i in range(len(weeks))]
            series.append(WeeklySeries(OTHER, tuple(other)))
        return cls(tuple(weeks), tuple(series))

    @property
    def totals(self) -> tuple[int, ...]:
        return tuple(sum(s.counts[i] for s in self.series) for i in range(len(self.weeks)))

    @property
    def total(self) -> int:
        return sum(s.total for s in self.series)

    def header(self) -> list[str]:
        return ["Week", "Week starting", *(s.name for s in self.series), "Total"]

    def rows(self) -> list[list]:
        """One row per week: ISO week, its Monday, each series' count, the total."""
        totals = self.totals
        return [
            [week_label(w), w.isoformat(), *(s.counts[i] for s in self.series), totals[i]]
            for i, w in enumerate(self.weeks)
        ]

    def describe(self) -> str:
        """One sentence for the chart's alt text."""
        if not self.total:
            return "No complaints in the period."
        busiest = max(range(len(self.weeks)), key=lambda i: self.totals[i])
        parts = ", ".join(f"{s.name} {s.total}" for s in self.series)
        return (
            f"Stacked bars of complaints per week over {len(self.weeks)} weeks from {self.weeks[0]:%d %b %Y}: "
            f"{self.total} in all ({parts}); busiest week {week_label(self.weeks[busiest])} "
            f"with {self.totals[busiest]}."
        )


def weekly_chart(data: WeeklyData, title: str = WEEKLY_TITLE, width: float = WIDTH) -> Drawing:
    """Stacked bars, one per week, one colour per product ("Other" grey).

    ReportLab's axes, but each product's bars are ONE path: a year of 7 series is 7 shapes
    instead of 371 rectangles, which keeps the SVG small and quick to render."""
    if not data.total:
        return empty_drawing(title, "No complaints in this period.", width)
    colours = [GREY if s.name == OTHER else PALETTE[i % len(PALETTE)] for i, s in enumerate(data.series)]
    items = list(zip(colours, (fit_text(s.name, 150) for s in data.series), strict=True))
    x, plot_width = 42, width - 54
    rows = legend_rows(items, plot_width)
    height = 250 + LEGEND_ROW * rows
    y = 44 + LEGEND_ROW * rows
    plot_height = height - y - 30
    drawing = new_drawing(title, width, height)

    totals = list(data.totals)
    values = YValueAxis()
    values.setPosition(x, y, plot_height)
    top, step = nice_scale(max(totals))
    values.valueMin, values.valueMax, values.valueStep = 0, top, step
    values.labelTextFormat = "%d" if step >= 1 else "%.1f"
    values.labels.fontName, values.labels.fontSize = FONT, LABEL_SIZE
    values.visibleGrid, values.gridStrokeColor = True, GRID
    values.gridStart, values.gridEnd = x, x + plot_width
    values.configure([totals])
    weeks = XCategoryAxis()
    weeks.setPosition(x, y, plot_width)
    weeks.configure([totals])
    every = max(1, -(-len(data.weeks) // 8))
    weeks.categoryNames = [f"{w:%d %b %y}" if i % every == 0 else "" for i, w in enumerate(data.weeks)]
    weeks.labels.fontName, weeks.labels.fontSize, weeks.labels.dy = FONT, LABEL_SIZE, -2
    weeks.tickDown = 2
    drawing.add(values)
    drawing.add(weeks)

    slot = plot_width / len(data.weeks)
    bar = slot * (0.8 if len(data.weeks) > 20 else 0.6)
    base = [0] * len(data.weeks)
    for series, colour in zip(data.series, colours, strict=True):
        path = Path(fillColor=colour, strokeColor=None)
        for i, count in enumerate(series.counts):
            if not count:
                continue
            left, bottom, upper = x + slot * i + (slot - bar) / 2, values.scale(base[i]), values.scale(base[i] + count)
            path.moveTo(left, bottom)
            path.lineTo(left + bar, bottom)
            path.lineTo(left + bar, upper)
            path.lineTo(left, upper)
            path.closePath()
            base[i] += count
        drawing.add(path)
    axis_title(drawing, "Complaints", 12, y + plot_height / 2, vertical=True)
    axis_title(drawing, "Week starting (Monday, UTC)", x + plot_width / 2, y - 24)
    legend(drawing, items, x, 8 + LEGEND_ROW * (rows - 1), plot_width)
    return drawing
