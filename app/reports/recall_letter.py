"""The recall letter to one consignee as a PDF, built from plain data (app/recalls/letter.py
gathers it): the heading, the product and lots with the quantities shipped to this consignee,
the hazard in plain words, what to do and how to answer (21 CFR 7.49, GPSR Art. 36)."""

import io
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, Spacer, Table, TableStyle

from ..models.quantity import format_quantity
from .styles import BODY, GRID, H1, H2, NumberedCanvas, a4_document, cell, text


@dataclass
class LetterLine:
    lot_code: str
    product: str
    quantity: Decimal
    unit: str


@dataclass(frozen=True)
class LetterData:
    company: str
    heading: str  # "URGENT: PRODUCT RECALL" or "PRODUCT RECALL"
    urgent: bool
    dated: date
    reference: str
    title: str
    consignee: str
    address: str
    lines: list[LetterLine]
    hazard: str
    reason: str
    pass_on: str  # what to do if the product went further, for the recall's depth
    remedy_action: str  # return, destroy, ... for the recall's remedy
    instructions: str
    response_link: str
    reply_to: str
    classification: str  # the class code: I, II or III
    depth: str  # label
    remedy: str  # label


def _banner(data: LetterData, width: float) -> Table:
    banner = Table([[data.heading]], colWidths=[width])
    banner.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), "Helvetica-Bold", 18),
                ("TEXTCOLOR", (0, 0), (-1, -1), colors.white),
                ("BACKGROUND", (0, 0), (-1, -1), colors.HexColor("#b02a37" if data.urgent else "#495057")),
                ("ALIGN", (0, 0), (-1, -1), "CENTER"),
                ("TOPPADDING", (0, 0), (-1, -1), 8),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 8),
            ]
        )
    )
    return banner


def build_recall_letter(data: LetterData) -> bytes:
    """The letter as PDF bytes; every page carries the heading, reference, consignee and page x of y."""
    products = sorted({line.product for line in data.lines})
    buffer = io.BytesIO()
    document = a4_document(buffer, f"{data.heading} {data.reference}", data.company)
    address = "<br/>".join(text(part) for part in (data.consignee, data.address) if part)
    story = [
        _banner(data, document.width),
        Spacer(1, 6 * mm),
        Paragraph(f"{text(data.company)} · {data.dated:%d %B %Y} · Recall {text(data.reference)}", BODY),
        Spacer(1, 3 * mm),
        Paragraph(f"To: {address}", BODY),
        Spacer(1, 4 * mm),
        Paragraph(text(f"{data.title}: {', '.join(products) or 'see the lots below'}"), H1),
        Paragraph("Lots shipped to you", H2),
    ]
    rows = [["Product", "Lot code", "Quantity shipped to you"]]
    rows += [
        [cell(line.product), cell(line.lot_code), format_quantity(line.quantity, line.unit, group="\u00a0")]
        for line in data.lines
    ]
    lots_table = Table(rows, colWidths=[document.width * 0.5, document.width * 0.25, document.width * 0.25])
    lots_table.setStyle(GRID)
    story += [
        lots_table,
        Paragraph("Why this product is recalled", H2),
        Paragraph(text(data.hazard), BODY),
        Paragraph(text(data.reason), BODY),
        Paragraph("What you must do now", H2),
        Paragraph("1. Stop selling, using and distributing these lots immediately and set them apart.", BODY),
        Paragraph(f"2. {text(data.pass_on)}", BODY),
        Paragraph(f"3. {text(data.remedy_action)}", BODY),
        Paragraph(f"4. {text(data.instructions)}", BODY),
        Paragraph("How to answer", H2),
        Paragraph(
            "Please answer within 5 working days, even if you have none of this product left: "
            "confirm that you received this notice and tell us, for each lot, the quantity you "
            "still hold, returned and destroyed, and whether you passed the product on.",
            BODY,
        ),
        Paragraph(f"Answer online: <link href='{text(data.response_link)}'>{text(data.response_link)}</link>", BODY),
        Paragraph(text(f"Or reply to {data.reply_to} quoting recall {data.reference}."), BODY),
        Spacer(1, 4 * mm),
        Paragraph(
            text(f"Classification: Class {data.classification} · depth: {data.depth} · remedy: {data.remedy}"),
            BODY,
        ),
    ]
    footer = f"{data.company} · {data.heading} {data.reference} · {data.consignee}"
    document.build(story, canvasmaker=lambda *a, **k: NumberedCanvas(*a, footer=footer, **k))
    return buffer.getvalue()
