"""Complaints per 10,000 units shipped, per lot, against the rate of the lot's product; lots
far above their product's rate are flagged.

Definitions (also printed on the Trends page):
- a lot's rate = complaints in the period naming the lot ÷ units of the lot ever shipped × 10,000;
- its product's rate = all complaints in the period naming any lot of the product ÷ units
  shipped of those same lots × 10,000 (the complaint-weighted mean of the lots' rates);
- a lot is flagged when it has at least FLAG_MIN_COMPLAINTS complaints AND its rate is at
  least FLAG_FACTOR times its product's rate.
Lots named but never shipped have no rate and are left out.
"""

from dataclasses import dataclass
from decimal import Decimal

from reportlab.graphics.charts.barcharts import HorizontalBarChart
from reportlab.graphics.shapes import Drawing, Line

from .drawing import (
    BLUE,
    FONT,
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

RATES_TITLE = "Complaints per 10,000 units shipped, by lot"
PER_UNITS = 10_000
FLAG_MIN_COMPLAINTS = 3
FLAG_FACTOR = 3
TOP_LOTS = 20
FLAG_RULE = (
    f"a lot is flagged when it has at least {FLAG_MIN_COMPLAINTS} complaints in the period and its rate is at "
    f"least {FLAG_FACTOR} times its product's rate"
)


def per_units(complaints: int, units) -> float:
    """Complaints per 10,000 units shipped."""
    return PER_UNITS * complaints / float(units) if units else 0.0


def is_flagged(complaints: int, units, product_complaints: int, product_units) -> bool:
    """The flag rule, by cross-multiplying (no rounding at the boundary)."""
    units, product_units = Decimal(str(units)), Decimal(str(product_units))
    return complaints >= FLAG_MIN_COMPLAINTS and complaints * product_units >= FLAG_FACTOR * product_complaints * units


@dataclass(frozen=True)
class LotRate:
    code: str
    product: str
    complaints: int
    units: Decimal
    rate: float
    product_complaints: int
    product_units: Decimal
    product_rate: float
    flagged: bool


@dataclass(frozen=True)
class RateData:
    lots: tuple[LotRate, ...]  # highest rate first (the chart shows the first TOP_LOTS)
    total_lots: int  # named lots with shipments in the period
    flagged_total: int

    def header(self) -> list[str]:
        return [
            "Lot",
            "Product",
            "Complaints",
            "Units shipped",
            "Rate per 10,000",
            "Product complaints",
            "Product units shipped",
            "Product rate per 10,000",
            "Flagged",
        ]

    def rows(self) -> list[list]:
        return [
            [
                r.code,
                r.product,
                r.complaints,
                f"{r.units:f}",
                f"{r.rate:.2f}",
                r.product_complaints,
                f"{r.product_units:f}",
                f"{r.product_rate:.2f}",
                "yes" if r.flagged else "no",
            ]
            for r in self.lots
        ]

    def describe(self) -> str:
        if not self.lots:
            return "No shipped lot is named by a complaint in the period."
        shown = self.lots[:TOP_LOTS]
        top = shown[0]
        flagged = [r.code for r in shown if r.flagged]
        text = (
            f"Horizontal bars of the {len(shown)} highest complaint rates per 10,000 units shipped among "
            f"{self.total_lots} lots; highest {top.code} at {top.rate:.1f} "
            f"against its product's {top.product_rate:.1f}. "
        )
        if flagged:
            return text + f"{self.flagged_total} lot(s) flagged, shown: {', '.join(flagged)}."
        return text + "No lot is flagged."


def rates_chart(data: RateData, title: str = RATES_TITLE, width: float = WIDTH) -> Drawing:
    """One bar per lot (highest at the top), flagged lots vermillion and starred, and a black
    tick on each bar at its product's rate."""
    lots = list(data.lots[:TOP_LOTS])
    if not lots:
        return empty_drawing(title, "No shipped lot is named by a complaint in this period.", width)
    lots.reverse()  # the chart draws the first category at the bottom
    slot = 14
    height = 70 + slot * len(lots)
    drawing = new_drawing(title, width, height)
    chart = HorizontalBarChart()
    chart.x, chart.y = 110, 42
    chart.width, chart.height = width - chart.x - 16, slot * len(lots)
    chart.data = [[r.rate for r in lots]]
    chart.categoryAxis.categoryNames = [fit_text(r.code, 96) + (" *" if r.flagged else "") for r in lots]
    chart.categoryAxis.labels.fontName = FONT
    chart.categoryAxis.labels.fontSize = LABEL_SIZE
    top, step = nice_scale(max(max(r.rate, r.product_rate) for r in lots))
    chart.valueAxis.valueMin, chart.valueAxis.valueMax, chart.valueAxis.valueStep = 0, top, step
    chart.valueAxis.labelTextFormat = "%g"
    chart.valueAxis.labels.fontName = FONT
    chart.valueAxis.labels.fontSize = LABEL_SIZE
    chart.valueAxis.visibleGrid = True
    chart.valueAxis.gridStrokeColor = GRID
    chart.bars.strokeColor = None
    chart.barSpacing = 1
    for i, row in enumerate(lots):
        chart.bars[(0, i)].fillColor = VERMILLION if row.flagged else BLUE
    drawing.add(chart)
    for i, row in enumerate(lots):
        x = chart.x + chart.width * row.product_rate / top
        y = chart.y + slot * i
        drawing.add(Line(x, y + 1, x, y + slot - 1, strokeColor=INK, strokeWidth=2))
    axis_title(drawing, "Complaints per 10,000 units shipped", chart.x + chart.width / 2, chart.y - 20)
    legend(
        drawing,
        [(BLUE, "Lot's rate"), (VERMILLION, "Flagged lot (*)"), (INK, "Its product's rate", "tick")],
        chart.x,
        6,
        chart.width,
    )
    return drawing
