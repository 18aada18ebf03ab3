"""What both recall reports share: times in the company zone, quantities, the facts table,
tables built from chunks, the timeline, the signature manifest and the document itself.
The styles and helpers are every Lotline PDF's (styles.py: one look)."""

import io
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from functools import partial
from zoneinfo import ZoneInfo

from reportlab import rl_config
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import Paragraph, Table, TableStyle

from ...models.quantity import format_quantity
from ..styles import BODY, CHUNK_ROWS, GRID, H2, NumberedCanvas, a4_document, audit_seal_note, cell, para
from .data import RecallReportData
from .longtable import FONT, PAD_X, SIZE, LongTable, text_width

WIDEST_GLYPH = 1.015 * SIZE  # "@", the widest character of Helvetica's WinAnsi set, in points


class Clock:
    """Formats UTC timestamps in the company zone; the zone is named once per report."""

    def __init__(self, zone: ZoneInfo):
        self.zone = zone

    def at(self, value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
        return value.astimezone(self.zone).strftime(fmt) if value else ""

    def full(self, value: datetime | None) -> str:
        """With the zone's abbreviation, for a time standing on its own (CET, CEST, UTC)."""
        if value is None:
            return "—"
        local = value.astimezone(self.zone)
        return f"{local:%Y-%m-%d %H:%M} {local.tzname()}"


def fit(value, width: float) -> str:
    """A plain-string cell cut with "…" to fit a column `width` points wide (8 pt Helvetica,
    the cell's padding allowed for): plain strings are cheap but never wrap."""
    text = cell(value)
    room = width - 2 * PAD_X
    if len(text) * WIDEST_GLYPH <= room or text_width(text, FONT) <= room:
        return text  # short enough whatever its letters, or measured (repeated values once)
    while text and (width_now := stringWidth(text + "…", FONT, SIZE)) > room:
        text = text[: min(len(text) - 1, int(len(text) * room / width_now))]  # in proportion, then closer
    return text.rstrip() + "…"


def day(value: date | None) -> str:
    return value.isoformat() if value else "—"


def qty(value: Decimal | None, unit: str | None = None) -> str:
    """12 / 2.5 / 12 500 (models.quantity.format_quantity, grouped by a no-break space the
    PDF fonts have); "" when not given."""
    return format_quantity(value, unit, group="\u00a0")


def flag(row) -> str:
    """The mark after a consignee's name: (E) more than shipped of a lot accounted for because
    they also received it from elsewhere; (!) more than shipped, answered before that check."""
    if row.received_elsewhere:
        return " (E)"
    return " (!)" if row.over_reported else ""


FLAG_LEGEND = (
    "(E): the consignee said they also received a lot from elsewhere, so more of it than we shipped is "
    "accounted for; (!): more than shipped of a lot, answered before that was checked. Neither excess "
    "counts in the quantity accounted for."
)


def percent(value: float) -> str:
    return f"{value:.1f}%"


def yes_no(value: bool | None) -> str:
    return "" if value is None else ("yes" if value else "no")


# The grid without the header row's look (label / figure tables have no header), and the
# long tables' narrower padding, so `fit` measures the same room in both.
PLAIN_GRID = TableStyle(
    [
        *(c for c in GRID.getCommands() if c[1] != (0, 0) or c[2] != (-1, 0)),
        ("LEFTPADDING", (0, 0), (-1, -1), PAD_X),
        ("RIGHTPADDING", (0, 0), (-1, -1), PAD_X),
    ]
)
LEAD = BODY.clone("RecallLead", spaceAfter=4)  # a summary line just above a table


def facts(rows: list[tuple[str, str]]) -> Table:
    """Label / value pairs in two columns (the values wrap)."""
    return Table(
        [[cell(label), para(value)] for label, value in rows],
        colWidths=[45 * mm, 135 * mm],
        style=TableStyle([("FONT", (0, 0), (0, -1), "Helvetica-Bold", 8), ("VALIGN", (0, 0), (-1, -1), "TOP")]),
        hAlign="LEFT",
    )


def figures(rows: list[tuple[str, str]], widths=(120 * mm, 60 * mm)) -> Table:
    """A small grid of label / figure rows, figures right-aligned."""
    style = TableStyle([*PLAIN_GRID.getCommands(), ("ALIGN", (1, 0), (-1, -1), "RIGHT")])
    return Table(
        [[fit(a, widths[0]), fit(b, widths[1])] for a, b in rows], colWidths=list(widths), style=style, hAlign="LEFT"
    )


def chunked(header: list[str], chunks: Iterable[list[list]], widths: list[float], right: tuple[int, ...] = ()) -> list:
    """One LongTable per chunk of rows (header repeated on every page); "None." if empty.
    Columns numbered in `right` (numbers) are right-aligned.

    Chunks come from a streamed query: each becomes a table as it arrives, so the rows are
    never all held twice.
    """
    tables = [LongTable(header, rows, widths, right) for rows in chunks if rows]
    return tables or [para("None.", BODY)]


def timeline(data: RecallReportData, clock: Clock) -> list:
    w = [27 * mm, 34 * mm, 38 * mm, 81 * mm]
    events = [[clock.at(e.at), fit(e.who, w[1]), fit(e.action, w[2]), fit(e.details, w[3])] for e in data.timeline]
    note = []
    if data.consignee_events_counted:
        note = [
            para(
                f"The {data.consignee_events_counted:,} events about single consignees (notified by hand, "
                "response received or corrected) are counted per day and action; each consignee's notification "
                "and answer is in the consignee table, and each event in the audit log.",
                LEAD,
            )
        ]
    return [
        Paragraph(f"Timeline (audit trail, times {data.zone.key})", H2),
        *note,
        *chunked(
            ["Time", "Who", "Action", "Details"],
            [events[i : i + CHUNK_ROWS] for i in range(0, len(events), CHUNK_ROWS)],
            w,
        ),
    ]


def signatures(data: RecallReportData, clock: Clock) -> list:
    rows = [
        [
            fit(s.printed_name, 50 * mm),
            fit(s.username, 30 * mm),
            s.meaning,
            clock.full(s.signed_at),
            fit(s.action, 35 * mm),
        ]
        for s in data.signatures
    ]
    return [
        Paragraph("Electronic signatures (21 CFR Part 11 manifest)", H2),
        *chunked(
            ["Printed name", "Username", "Meaning", "Signed", "Action"],
            [rows],
            [50 * mm, 30 * mm, 25 * mm, 40 * mm, 35 * mm],
        ),
        *audit_seal_note(data.audit_seal),
    ]


def render(story: list, data: RecallReportData, title: str) -> bytes:
    """The story as PDF bytes; every page carries reference, time generated and page x of y."""
    buffer = io.BytesIO()
    doc = a4_document(buffer, f"{data.facts.reference} {title}", "Lotline")
    # Every part of the footer is the app's own text (reference, zone name): nothing to clean.
    footer = f"Lotline · {data.facts.reference} {title} · generated {Clock(data.zone).full(data.generated_at)}"
    # ReportLab wraps each compressed page in ASCII85 by default (for 7-bit transports; an
    # HTTP download is binary): without its C accelerator that costs 0.4 s of a 500-page
    # report and makes the file 20% larger. The setting is global and read when the file is
    # written; a PDF written meanwhile on another thread is valid either way.
    a85, rl_config.useA85 = rl_config.useA85, 0
    try:
        doc.build(story, canvasmaker=partial(NumberedCanvas, footer=footer))
    finally:
        rl_config.useA85 = a85
    return buffer.getvalue()
