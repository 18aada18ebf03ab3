"""A grid of many rows of short plain text, for the recall reports' long lists.

Why not platypus' Table: it draws every cell with a text object of its own and keeps a
style per cell, about 50 µs a cell on this kind of machine. A recall of 10,000 consignees
has some 80,000 consignee cells and as many again in its timeline: 8 s of Table work for a
report meant to build in 3. This flowable keeps what the report needs (the incident report's
grid look, a header repeated on every page, right-aligned numbers, cells of a few lines)
and draws a page's rows as one text object and one grid, about ten times faster. Page flow,
splitting across frames, footers and fonts stay ReportLab's.
"""

from functools import lru_cache
from itertools import accumulate

from reportlab.lib import colors
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import Flowable

FONT, BOLD, SIZE, LEADING = "Helvetica", "Helvetica-Bold", 8, 9.6  # as the incident report's GRID
PAD_X, PAD_Y = 3, 2
HEADER_BACKGROUND = colors.HexColor("#e9ecef")


@lru_cache(maxsize=8192)
def text_width(text: str, font: str) -> float:
    """Numbers repeat (0, 12, 1.5 …): measure each once."""
    return stringWidth(text, font, SIZE)


def row_height(row) -> float:
    lines = max((str(value).count("\n") for value in row), default=0) + 1
    return lines * LEADING + 2 * PAD_Y


class LongTable(Flowable):
    """Rows of plain strings (a "\\n" starts a new line in a cell) under a header that is
    drawn again at the top of every page; columns numbered in `right` are right-aligned."""

    def __init__(self, header: list[str], rows: list[list], widths: list[float], right=(), heights=None):
        super().__init__()
        self.header, self.rows, self.widths, self.right = header, rows, list(widths), frozenset(right)
        self.heights = heights if heights is not None else [row_height(row) for row in rows]
        self.header_height = row_height(header)
        self.width = sum(self.widths)
        self.height = self.header_height + sum(self.heights)

    def wrap(self, available_width, available_height):
        return self.width, self.height

    def split(self, available_width, available_height):
        """As many rows as fit here (under the header) and the rest; nothing if no row fits."""
        room, used, count = available_height - self.header_height, 0.0, 0
        for height in self.heights:
            if used + height > room:
                break
            used += height
            count += 1
        if count == 0:
            return []
        if count == len(self.rows):
            return [self]
        return [self._part(0, count), self._part(count, len(self.rows))]

    def _part(self, start: int, end: int) -> "LongTable":
        return LongTable(self.header, self.rows[start:end], self.widths, self.right, self.heights[start:end])

    def draw(self):
        canvas = self.canv
        xs = [0.0, *accumulate(self.widths)]
        tops = [self.height - self.header_height]
        for height in self.heights:
            tops.append(tops[-1] - height)
        canvas.saveState()
        canvas.setFillColor(HEADER_BACKGROUND)
        canvas.rect(0, tops[0], self.width, self.header_height, stroke=0, fill=1)
        canvas.setStrokeColor(colors.grey)
        canvas.setLineWidth(0.25)
        canvas.grid(xs, [self.height, *tops])
        text = canvas.beginText()
        text.setFillColor(colors.black)
        text.setFont(BOLD, SIZE, LEADING)
        self._cells(text, xs, self.height, self.header, BOLD)
        text.setFont(FONT, SIZE, LEADING)
        for top, row in zip(tops, self.rows, strict=False):
            self._cells(text, xs, top, row, FONT)
        canvas.drawText(text)
        canvas.restoreState()

    def _cells(self, text, xs: list[float], top: float, row, font: str) -> None:
        # A cell's first baseline is where Table puts it; textLine draws there, then steps
        # down a line (textOut would measure every string to move the cursor across).
        baseline = top - PAD_Y - SIZE
        for column, value in enumerate(row):
            if value is None or value == "":
                continue  # a blank cell costs nothing
            if column in self.right:
                for number, line in enumerate(str(value).split("\n")):
                    x = xs[column + 1] - PAD_X - text_width(line, font)
                    text.setTextOrigin(x, baseline - number * LEADING)
                    text.textLine(line)
            else:
                text.setTextOrigin(xs[column] + PAD_X, baseline)
                for line in str(value).split("\n"):
                    text.textLine(line)
