"""What every chart shares: size, fonts, a colour-blind-safe palette, title, legend, empty
state, nice axis ranges, and turning a Drawing into SVG for the web (PDFs take it as is)."""

import base64
import math

from reportlab.graphics import renderSVG
from reportlab.graphics.shapes import Drawing, Group, Line, Rect, String
from reportlab.lib import colors
from reportlab.pdfbase.pdfmetrics import stringWidth

FONT = "Helvetica"
BOLD = "Helvetica-Bold"
WIDTH = 500  # points: fits an A4 page between 15 mm margins (510 pt)
HEIGHT = 260
TITLE_SIZE = 11
LABEL_SIZE = 7
LEGEND_ROW = 11  # points per legend row
# Okabe & Ito (2008), readable with every common colour-vision deficiency.
PALETTE = [colors.HexColor(c) for c in ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00")]
BLUE, ORANGE, GREEN, PURPLE, SKY, VERMILLION = PALETTE
GREY = colors.HexColor("#999999")
INK = colors.HexColor("#222222")
GRID = colors.HexColor("#dddddd")


def new_drawing(title: str, width: float = WIDTH, height: float = HEIGHT) -> Drawing:
    """A blank white drawing with its title at the top left."""
    drawing = Drawing(width, height)
    drawing.add(Rect(0, 0, width, height, fillColor=colors.white, strokeColor=None))
    heading = fit_text(title, width - 8, TITLE_SIZE, BOLD)
    drawing.add(String(4, height - 15, heading, fontName=BOLD, fontSize=TITLE_SIZE, fillColor=INK))
    return drawing


def empty_drawing(title: str, message: str, width: float = WIDTH, height: float = 90) -> Drawing:
    """The chart's place when there is nothing to draw: its title and why it is empty."""
    drawing = new_drawing(title, width, height)
    drawing.add(String(width / 2, height / 2 - 10, message, fontName=FONT, fontSize=9, textAnchor="middle"))
    return drawing


def fit_text(text: str, width: float, size: float = LABEL_SIZE, font: str = FONT) -> str:
    """`text` cut with an ellipsis so it is at most `width` points wide."""
    if stringWidth(text, font, size) <= width:
        return text
    while text and stringWidth(text + "…", font, size) > width:
        text = text[:-1]
    return text + "…"


def _legend_layout(items: list[tuple], width: float) -> list[tuple[int, float]]:
    """(row, x offset) of each legend item, wrapping to a new row when the line is full."""
    out, row, cursor = [], 0, 0.0
    for item in items:
        size = 14 + stringWidth(item[1], FONT, LABEL_SIZE) + 12
        if cursor and cursor + size > width:
            row, cursor = row + 1, 0.0
        out.append((row, cursor))
        cursor += size
    return out


def legend_rows(items: list[tuple], width: float) -> int:
    """How many rows the legend takes in `width` points."""
    layout = _legend_layout(items, width)
    return layout[-1][0] + 1 if layout else 0


def legend(drawing: Drawing, items: list[tuple], x: float, y: float, width: float) -> None:
    """Swatches and labels in rows, the first row at `y` and the next ones below it.

    An item is (colour, label) for a filled swatch, or (colour, label, shape) with shape
    "line", "dash" or "tick" (a short upright line); a line may add its dash pattern."""
    for item, (row, offset) in zip(items, _legend_layout(items, width), strict=True):
        colour, label = item[0], item[1]
        cursor, base = x + offset, y - LEGEND_ROW * row
        shape = item[2] if len(item) > 2 else "swatch"
        if shape in ("line", "dash"):
            dashes = item[3] if len(item) > 3 else ([3, 2] if shape == "dash" else None)
            drawing.add(
                Line(cursor, base + 3, cursor + 10, base + 3, strokeColor=colour, strokeWidth=2, strokeDashArray=dashes)
            )
        elif shape == "tick":
            drawing.add(Line(cursor + 5, base - 1, cursor + 5, base + 8, strokeColor=colour, strokeWidth=2))
        else:
            drawing.add(Rect(cursor, base, 9, 7, fillColor=colour, strokeColor=None))
        drawing.add(String(cursor + 13, base, label, fontName=FONT, fontSize=LABEL_SIZE, fillColor=INK))


def axis_title(drawing: Drawing, text: str, x: float, y: float, vertical: bool = False) -> None:
    """A centred axis title at (x, y), turned a quarter left when `vertical`."""
    label = String(0, 0, text, fontName=FONT, fontSize=LABEL_SIZE, textAnchor="middle", fillColor=INK)
    if vertical:
        group = Group(label)
        group.translate(x, y)
        group.rotate(90)
        drawing.add(group)
    else:
        label.x, label.y = x, y
        drawing.add(label)


def nice_scale(top: float, ticks: int = 5) -> tuple[float, float]:
    """(maximum, step) of a value axis from 0 that holds `top` in about `ticks` round steps."""
    if top <= 0:
        return 1.0, 1.0
    raw = top / ticks
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    if step < 1 and top >= 1:
        step = 1.0
    return step * math.ceil(top / step), step


def to_svg(drawing: Drawing) -> str:
    """The drawing as SVG text (ReportLab's own renderer)."""
    return renderSVG.drawToString(drawing)


def data_uri(drawing: Drawing) -> str:
    """The drawing as a `data:image/svg+xml;base64,...` URI: an <img> the page's CSP allows."""
    return "data:image/svg+xml;base64," + base64.b64encode(to_svg(drawing).encode("utf-8")).decode("ascii")
