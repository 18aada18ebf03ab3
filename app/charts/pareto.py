"""Pareto of complaint categories: counts in descending order, the cumulative share, and the
"vital few" (the categories that make up the first 80% of complaints)."""

from collections.abc import Iterable
from dataclasses import dataclass

from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.shapes import Drawing, Line, PolyLine, String
from reportlab.graphics.widgets.markers import makeMarker

from .drawing import (
    BLUE,
    FONT,
    GREY,
    GRID,
    INK,
    LABEL_SIZE,
    VERMILLION,
    WIDTH,
    axis_title,
    empty_drawing,
    fit_text,
    legend,
    new_drawing,
    nice_scale,
)

PARETO_TITLE = "Pareto of complaint categories"
THRESHOLD = 80.0  # percent


@dataclass(frozen=True)
class ParetoRow:
    key: str
    label: str
    count: int
    percent: float  # of all complaints
    cumulative_percent: float  # this category and all bigger ones
    vital: bool  # among the categories making up the first 80%


@dataclass(frozen=True)
class ParetoData:
    rows: tuple[ParetoRow, ...]
    total: int

    @classmethod
    def from_counts(cls, counts: Iterable[tuple[str, int]], labels: dict[str, str]) -> "ParetoData":
        """Biggest first (ties by label). A category is "vital" when the categories before it
        add up to less than 80%: the smallest set of categories reaching 80%."""
        ordered = sorted(((k, n) for k, n in counts if n), key=lambda kn: (-kn[1], labels.get(kn[0], kn[0])))
        total = sum(n for _, n in ordered)
        rows, running = [], 0
        for key, count in ordered:
            vital = running * 100 < THRESHOLD * total  # integers: no rounding at the boundary
            running += count
            rows.append(
                ParetoRow(
                    key,
                    labels.get(key, key),
                    count,
                    100 * count / total,
                    100 * running / total,
                    vital,
                )
            )
        return cls(tuple(rows), total)

    def header(self) -> list[str]:
        return ["Category", "Complaints", "Share %", "Cumulative %", "In first 80%"]

    def rows_out(self) -> list[list]:
        return [
            [r.label, r.count, f"{r.percent:.1f}", f"{r.cumulative_percent:.1f}", "yes" if r.vital else "no"]
            for r in self.rows
        ]

    def describe(self) -> str:
        if not self.total:
            return "No complaints in the period."
        vital = [r.label for r in self.rows if r.vital]
        order = ", ".join(f"{r.label} {r.count}" for r in self.rows)
        share = self.rows[len(vital) - 1].cumulative_percent
        return (
            f"Pareto chart of {self.total} complaints by category, biggest first: {order}. "
            f"The categories making up the first 80%: {', '.join(vital)} ({share:.1f}% together)."
        )


def pareto_chart(data: ParetoData, title: str = PARETO_TITLE, width: float = WIDTH) -> Drawing:
    """Bars (first-80% categories blue, the rest grey) with the cumulative % line on a right
    axis and a dashed 80% line."""
    if not data.total:
        return empty_drawing(title, "No complaints in this period.", width)
    height = 270
    drawing = new_drawing(title, width, height)
    chart = VerticalBarChart()
    chart.x, chart.y = 42, 80
    chart.width, chart.height = width - chart.x - 40, height - chart.y - 30
    chart.data = [[r.count for r in data.rows]]
    chart.categoryAxis.categoryNames = [fit_text(r.label, 70) for r in data.rows]
    chart.categoryAxis.labels.fontName = FONT
    chart.categoryAxis.labels.fontSize = LABEL_SIZE
    chart.categoryAxis.labels.angle = 30
    chart.categoryAxis.labels.boxAnchor = "ne"
    chart.categoryAxis.labels.dy = -2
    top, step = nice_scale(data.rows[0].count)
    chart.valueAxis.valueMin, chart.valueAxis.valueMax, chart.valueAxis.valueStep = 0, top, step
    chart.valueAxis.labelTextFormat = "%d"
    chart.valueAxis.labels.fontName = FONT
    chart.valueAxis.labels.fontSize = LABEL_SIZE
    chart.valueAxis.visibleGrid = True
    chart.valueAxis.gridStrokeColor = GRID
    chart.bars.strokeColor = None
    for i, row in enumerate(data.rows):
        chart.bars[(0, i)].fillColor = BLUE if row.vital else GREY
    drawing.add(chart)

    # The cumulative line: one point over the middle of each bar, 0-100% on the right axis.
    right = chart.x + chart.width
    slot = chart.width / len(data.rows)

    def y_of(percent: float) -> float:
        return chart.y + chart.height * percent / 100

    points = []
    for i, row in enumerate(data.rows):
        points += [chart.x + slot * (i + 0.5), y_of(row.cumulative_percent)]
    drawing.add(Line(chart.x, y_of(THRESHOLD), right, y_of(THRESHOLD), strokeColor=VERMILLION, strokeDashArray=[3, 2]))
    drawing.add(PolyLine(points, strokeColor=INK, strokeWidth=1.5))
    for i in range(0, len(points), 2):
        marker = makeMarker("FilledCircle", x=points[i], y=points[i + 1], size=4, fillColor=INK, strokeColor=None)
        drawing.add(marker)
    drawing.add(Line(right, chart.y, right, chart.y + chart.height, strokeColor=INK, strokeWidth=0.5))
    for percent in range(0, 101, 20):
        y = y_of(percent)
        drawing.add(Line(right, y, right + 3, y, strokeColor=INK, strokeWidth=0.5))
        drawing.add(String(right + 5, y - 2.5, f"{percent}%", fontName=FONT, fontSize=LABEL_SIZE, fillColor=INK))
    axis_title(drawing, "Complaints", 12, chart.y + chart.height / 2, vertical=True)
    axis_title(drawing, "Cumulative share", width - 6, chart.y + chart.height / 2, vertical=True)
    legend(
        drawing,
        [
            (BLUE, "Categories making up the first 80%"),
            (GREY, "Other categories"),
            (INK, "Cumulative %", "line"),
            (VERMILLION, "80% line", "dash"),
        ],
        chart.x,
        8,
        chart.width,
    )
    return drawing
