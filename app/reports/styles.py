"""The look every Lotline PDF shares: paragraph and table styles, margins, the numbered
footer, and the helpers that print user text literally."""

import re
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas
from reportlab.platypus import Paragraph, SimpleDocTemplate, TableStyle

# One Table of thousands of rows costs quadratically more to split across pages than the
# same rows as tables of 500 (STACK.md: 11.6 s against 1.7 s for 20,000 rows).
CHUNK_ROWS = 500
# Plain-string cells do not wrap; long values are cut so a row stays inside its column.
CELL_CHARS = 48
MARGIN = 15 * mm
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

_styles = getSampleStyleSheet()
# Headings stay with the table or text under them instead of ending a page alone.
H1, BODY = _styles["Title"], _styles["BodyText"]
H2 = _styles["Heading2"].clone("ReportHeading2", keepWithNext=1)
H3 = _styles["Heading3"].clone("ReportHeading3", keepWithNext=1)
SMALL = _styles["BodyText"].clone("Small", fontSize=8, leading=10)
GRID = TableStyle(
    [
        ("FONT", (0, 0), (-1, -1), "Helvetica", 8),
        ("FONT", (0, 0), (-1, 0), "Helvetica-Bold", 8),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e9ecef")),
        ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
    ]
)


def clean(value: str) -> str:
    """The text without the control characters ReportLab's markup parser rejects."""
    return _CONTROL.sub("", value)


def text(value) -> str:
    """User text as Paragraph markup that prints literally: `<b>` stays `<b>`, never bold,
    and control characters (which the markup parser rejects) are dropped."""
    return escape(clean(str(value or ""))).replace("\n", "<br/>")


def para(value, style=SMALL) -> Paragraph:
    return Paragraph(text(value), style)


def cell(value) -> str:
    """A short value as a plain-string cell: no markup parsing, so no escaping and no cost."""
    value = clean(str("" if value is None else value)).replace("\n", " ")
    return value if len(value) <= CELL_CHARS else value[: CELL_CHARS - 1] + "…"


class NumberedCanvas(canvas.Canvas):
    """Holds every page until save(), when the page count is known, then writes the footer
    "Lotline · <reference> · generated <time> · page x of y" on each."""

    def __init__(self, *args, footer: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self._footer = footer
        self._pages: list[dict] = []

    def showPage(self):  # noqa: N802 (ReportLab's name)
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self):
        total = len(self._pages)
        for number, state in enumerate(self._pages, start=1):
            self.__dict__.update(state)
            self.setFont("Helvetica", 7)
            self.setFillColor(colors.grey)
            self.drawString(MARGIN, 8 * mm, f"{self._footer} · page {number} of {total}")
            super().showPage()
        super().save()


def a4_document(buffer, title: str, author: str, side_margin: float = MARGIN) -> SimpleDocTemplate:
    """An A4 page with the house margins (room for the footer at the bottom)."""
    return SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=side_margin,
        rightMargin=side_margin,
        topMargin=MARGIN,
        bottomMargin=MARGIN + 5 * mm,
        title=title,
        author=author,
    )


def audit_seal_note(seal) -> list:
    """The audit chain's head at printing (a reports.data.AuditSeal), under the Part 11 manifest."""
    if seal is None:
        return [Paragraph("Audit trail at printing: empty.", SMALL)]
    return [
        Paragraph(
            f"Audit trail at printing: the newest event #{seal.last_id}, sealed "
            f"<font name='Courier'>{seal.head}</font>. `flask audit verify` must find this event with "
            "this seal in the trail; if it does not, the trail was cut or rewritten after this page was printed.",
            SMALL,
        )
    ]
