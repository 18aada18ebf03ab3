"""Recall effectiveness over time: the cumulative share of a recall's consignees who have
responded, by day since the recall was approved (day 0 = the day of approval, UTC)."""

from dataclasses import dataclass
from datetime import date, timedelta

from reportlab.graphics.charts.lineplots import LinePlot
from reportlab.graphics.shapes import Drawing

from .drawing import (
    FONT,
    GRID,
    LABEL_SIZE,
    LEGEND_ROW,
    PALETTE,
    WIDTH,
    axis_title,
    empty_drawing,
    legend,
    legend_rows,
    new_drawing,
    nice_scale,
)

EFFECTIVENESS_TITLE = "Recall effectiveness: consignees responded, by day since approval"
DASHES = [None, [4, 2], [1, 2], [6, 2, 1, 2], [2, 2], [8, 3]]  # a second cue besides colour


@dataclass(frozen=True)
class ResponseCurve:
    reference: str
    title: str
    approved_on: date
    last_day: int  # the curve runs to this day since approval (today, or the termination day)
    consignees: int
    responses: tuple[tuple[int, int], ...]  # (day since approval, consignees answering that day), by day

    @property
    def responded(self) -> int:
        return sum(n for _, n in self.responses)

    @property
    def percent(self) -> float:
        return 100 * self.responded / self.consignees if self.consignees else 0.0

    def cumulative(self) -> list[tuple[int, date, int, int, float]]:
        """Per day with answers: (day, date, answers that day, answers so far, % of consignees so far)."""
        out, running = [], 0
        for day, count in self.responses:
            running += count
            share = 100 * running / self.consignees if self.consignees else 0.0
            out.append((day, self.approved_on + timedelta(days=day), count, running, share))
        return out

    def points(self) -> list[tuple[int, float]]:
        """The step line: flat between answer days, rising on each, from day 0 to last_day."""
        points, share = [(0, 0.0)], 0.0
        for day, _date, _count, _running, new_share in self.cumulative():
            points += [(day, share), (day, new_share)]
            share = new_share
        points.append((max(self.last_day, points[-1][0]), share))
        return points


def effectiveness_header() -> list[str]:
    return ["Recall", "Consignees", "Day since approval", "Date (UTC)", "Responded that day", "Responded so far", "%"]


def effectiveness_rows(curves: list[ResponseCurve]) -> list[list]:
    return [
        [c.reference, c.consignees, day, when.isoformat(), count, running, f"{share:.1f}"]
        for c in curves
        for day, when, count, running, share in c.cumulative()
    ]


def describe(curves: list[ResponseCurve]) -> str:
    if not curves:
        return "No approved recall to show."
    parts = "; ".join(
        f"{c.reference}: {c.responded} of {c.consignees} consignees ({c.percent:.1f}%) by day {c.last_day}"
        for c in curves
    )
    return f"Lines of the cumulative share of consignees who responded, by day since approval. {parts}."


def effectiveness_chart(curves: list[ResponseCurve], title: str = EFFECTIVENESS_TITLE, width: float = WIDTH) -> Drawing:
    """One step line per recall, 0–100% of its consignees, over days since its approval."""
    curves = [c for c in curves if c.consignees]
    if not curves:
        return empty_drawing(title, "No approved recall with consignees to show.", width)
    plot = LinePlot()
    plot.x = 42
    plot.width = width - plot.x - 14
    items = []
    for i, curve in enumerate(curves):
        colour, dashes = PALETTE[i % len(PALETTE)], DASHES[i % len(DASHES)]
        plot.lines[i].strokeColor = colour
        plot.lines[i].strokeWidth = 1.8
        if dashes:
            plot.lines[i].strokeDashArray = dashes
        items.append((colour, f"{curve.reference} ({curve.percent:.0f}% of {curve.consignees})", "line", dashes))
    rows = legend_rows(items, plot.width)
    height = 230 + LEGEND_ROW * rows
    plot.y = 36 + LEGEND_ROW * rows
    plot.height = height - plot.y - 30
    drawing = new_drawing(title, width, height)
    plot.data = [c.points() for c in curves]
    top, step = nice_scale(max(max(c.last_day for c in curves), 1), 8)
    plot.xValueAxis.valueMin, plot.xValueAxis.valueMax, plot.xValueAxis.valueStep = 0, top, step
    plot.xValueAxis.labelTextFormat = "%d"
    plot.yValueAxis.valueMin, plot.yValueAxis.valueMax, plot.yValueAxis.valueStep = 0, 100, 20
    plot.yValueAxis.labelTextFormat = "%d%%"
    plot.yValueAxis.visibleGrid = True
    plot.yValueAxis.gridStrokeColor = GRID
    for axis in (plot.xValueAxis, plot.yValueAxis):
        axis.labels.fontName = FONT
        axis.labels.fontSize = LABEL_SIZE
    drawing.add(plot)
    axis_title(drawing, "Consignees responded", 12, plot.y + plot.height / 2, vertical=True)
    axis_title(drawing, "Days since approval", plot.x + plot.width / 2, plot.y - 20)
    legend(drawing, items, plot.x, 6 + LEGEND_ROW * (rows - 1), plot.width)
    return drawing
