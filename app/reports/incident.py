"""The incident report (8D summary) as a PDF: ReportLab platypus, built from plain data."""

import io
from datetime import date, datetime, timedelta
from functools import partial

from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, Paragraph, Spacer, Table, TableStyle

from ..charts.weekly import WeeklyData, weekly_chart
from .data import IncidentReportData
from .styles import (
    BODY,
    CHUNK_ROWS,
    GRID,
    H1,
    H2,
    H3,
    SMALL,
    NumberedCanvas,
    a4_document,
    audit_seal_note,
    cell,
    clean,
    para,
    text,
)


def utc(value: datetime | date | None, fmt: str = "%Y-%m-%d %H:%M UTC") -> str:
    if value is None:
        return "—"
    return value.strftime(fmt if isinstance(value, datetime) else "%Y-%m-%d")


def table(header: list[str], rows: list[list], widths: list[float]) -> list[Table]:
    """The rows as tables of at most CHUNK_ROWS, each repeating the header on every page."""
    if not rows:
        return [para("None.")]
    return [
        Table([header, *rows[start : start + CHUNK_ROWS]], colWidths=widths, repeatRows=1, style=GRID)
        for start in range(0, len(rows), CHUNK_ROWS)
    ]


def _facts(data: IncidentReportData) -> list:
    rows = [
        ("Reference", data.reference),
        ("Title", data.title),
        ("Status", data.status),
        ("Risk", data.risk),
        ("Owner", data.owner),
        ("Opened", utc(data.opened_at)),
        ("Affected lots traced", utc(data.traced_at) if data.traced_at else "not traced"),
    ]
    facts = Table(
        [[cell(label), para(value)] for label, value in rows],
        colWidths=[40 * mm, 140 * mm],
        style=TableStyle([("FONT", (0, 0), (0, -1), "Helvetica-Bold", 8), ("VALIGN", (0, 0), (-1, -1), "TOP")]),
    )
    return [facts, Spacer(1, 3 * mm), Paragraph("Problem description", H2), para(data.description, BODY)]


def _complaints(data: IncidentReportData) -> list:
    rows = [
        [
            cell(c.reference),
            cell(utc(c.received_at, "%Y-%m-%d")),
            para(c.customer),
            para(c.product),
            para(c.lot_codes),
            cell(c.category),
            cell("yes" if c.injury else "no"),
        ]
        for c in data.complaints
    ]
    header = ["Reference", "Received", "Customer", "Product", "Lot codes", "Category", "Injury"]
    widths = [24 * mm, 20 * mm, 32 * mm, 34 * mm, 34 * mm, 24 * mm, 12 * mm]
    return [Paragraph("Complaints", H2), *table(header, rows, widths)]


WEEKLY_PRODUCTS_TITLE = "Complaints per week for this incident's products"
WEEKLY_LINKED_TITLE = "This incident's complaints per week by product"
TREND_WEEKS = 52


def _linked_weekly(data: IncidentReportData) -> WeeklyData:
    """The linked complaints per UTC week and product, over at most the last TREND_WEEKS weeks."""
    days = [c.received_at.date() for c in data.complaints]
    end = max(days)
    start = max(min(days), end - timedelta(weeks=TREND_WEEKS - 1))
    counts = [(c.product, c.received_at.date(), 1) for c in data.complaints]
    return WeeklyData.from_counts(counts, {}, start, end)


def _trend(data: IncidentReportData) -> list:
    """A weekly chart: all complaints about the incident's products when the loader read
    them, else the incident's own complaints."""
    if data.weekly is not None and data.weekly.total:
        title, weekly, note = (
            WEEKLY_PRODUCTS_TITLE,
            data.weekly,
            "All complaints about the products of this incident's complaints, per ISO week of UTC days.",
        )
    elif data.complaints:
        title, weekly, note = (
            WEEKLY_LINKED_TITLE,
            _linked_weekly(data),
            "The complaints linked to this incident, per ISO week of UTC days.",
        )
    else:
        return []
    chart = weekly_chart(weekly, title=title, width=180 * mm)
    return [KeepTogether([Spacer(1, 3 * mm), chart, para(note + " " + weekly.describe())])]


def _scope(data: IncidentReportData) -> list:
    shown = len(data.lots)
    summary = f"{data.lot_total} affected lot(s) and {len(data.consignees)} consignee(s)"
    if data.traced_at:
        summary += f", as traced {utc(data.traced_at)}"
    if shown < data.lot_total:
        summary += f"; the first {shown} lots are listed (the complete list is in the app's CSV export)"
    lots = [[cell(r.code), cell(r.product), cell(r.kind), cell(r.status), cell(r.depth)] for r in data.lots]
    consignees = [
        [cell(r.name), cell(r.country), cell(r.lots), cell("" if r.quantity is None else f"{r.quantity:,}")]
        for r in data.consignees
    ]
    return [
        Paragraph("Trace: affected lots and consignees", H2),
        para(summary + ".", BODY),
        Paragraph("Affected lots", H3),
        *table(["Lot", "Product", "Kind", "Status", "Depth"], lots, [40 * mm, 80 * mm, 22 * mm, 22 * mm, 16 * mm]),
        Paragraph("Consignees", H3),
        *table(["Consignee", "Country", "Lots", "Quantity"], consignees, [90 * mm, 30 * mm, 25 * mm, 35 * mm]),
    ]


def _investigation(data: IncidentReportData) -> list:
    out = [Paragraph("Containment", H2), para(data.containment or "—", BODY), Paragraph("Investigation", H2)]
    whys = [[cell(f"Why {n}"), para(why)] for n, why in enumerate(data.whys, start=1)]
    if whys:
        out += table(["5 whys", ""], whys, [20 * mm, 160 * mm])
    for label, value in (
        ("Fishbone category", data.fishbone),
        ("Root cause", data.root_cause),
        ("Escape point", data.escape_point),
    ):
        out.append(Paragraph(f"<b>{label}:</b> {text(value or '—')}", BODY))
    out += [Paragraph("Decision", H2), Paragraph(f"<b>{text(data.decision or '—')}</b>", BODY)]
    if data.decision_reason:
        out.append(para(data.decision_reason, BODY))
    if data.closing_summary:
        out.append(Paragraph(f"<b>Closing summary:</b> {text(data.closing_summary)}", BODY))
    return out


def _actions(data: IncidentReportData) -> list:
    rows = []
    for a in data.actions:
        check = text(a.effectiveness_check)
        if a.effectiveness_result:
            check += f"<br/><b>Result:</b> {text(a.effectiveness_result)}"
        if a.justification:
            check += f"<br/><b>Justification:</b> {text(a.justification)}"
        rows.append(
            [
                cell(a.reference),
                cell(a.kind),
                para(a.description),
                para(a.owner),
                cell(utc(a.due_date)),
                cell(a.status),
                Paragraph(check, SMALL),
            ]
        )
    header = ["Ref.", "Kind", "Description", "Owner", "Due", "Status", "Effectiveness"]
    widths = [20 * mm, 18 * mm, 45 * mm, 25 * mm, 18 * mm, 17 * mm, 37 * mm]
    return [Paragraph("Corrective and preventive actions", H2), *table(header, rows, widths)]


def _records(data: IncidentReportData) -> list:
    events = [[cell(utc(e.at)), para(e.who), para(e.action), para(e.record)] for e in data.timeline]
    signatures = [
        [para(s.printed_name), cell(s.username), cell(s.meaning), cell(utc(s.signed_at)), cell(s.action)]
        for s in data.signatures
    ]
    return [
        Paragraph("Timeline (audit trail)", H2),
        *table(["Time (UTC)", "Who", "Action", "Record"], events, [34 * mm, 45 * mm, 61 * mm, 40 * mm]),
        Paragraph("Electronic signatures (21 CFR Part 11 manifest)", H2),
        *table(
            ["Printed name", "Username", "Meaning", "Signed (UTC)", "Action"],
            signatures,
            [50 * mm, 30 * mm, 25 * mm, 40 * mm, 35 * mm],
        ),
        *audit_seal_note(data.audit_seal),
    ]


def build_incident_report(data: IncidentReportData) -> bytes:
    """The incident report as PDF bytes; every page carries reference, time and page x of y."""
    buffer = io.BytesIO()
    doc = a4_document(buffer, f"{data.reference} incident report", "Lotline")
    story = [
        Paragraph(f"Incident report {text(data.reference)}", H1),
        *_facts(data),
        *_complaints(data),
        *_trend(data),
        *_scope(data),
        *_investigation(data),
        *_actions(data),
        *_records(data),
    ]
    footer = f"Lotline · {data.reference} · generated {utc(data.generated_at)}"
    doc.build(story, canvasmaker=partial(NumberedCanvas, footer=clean(footer)))
    return buffer.getvalue()
