"""The recall letter to one consignee (PDF), in the content 21 CFR 7.49 and GPSR Art. 36 ask for:
the heading, the product and lots with the quantities shipped to this consignee, the hazard in
plain words, what to do (stop, pass it on to the recall depth, return or destroy) and how to answer.
"""

import io
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from flask import current_app
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from ..extensions import db
from ..models import DEPTHS, REMEDIES, Lot, Product, RecallNotice, RecallNoticeLine
from ..reports.incident import BODY, GRID, H1, H2, MARGIN, NumberedCanvas, cell, text

REMEDY_ACTIONS = {
    "refund": "Return the product to us for a full refund, or destroy it and tell us the quantity destroyed.",
    "replace": "Return the product to us; we will replace it free of charge.",
    "repair": "Set the product aside; we will arrange its repair with you.",
    "destroy": "Destroy the product on site and tell us the quantity destroyed.",
}
PASS_ON = {
    "wholesale": "If you sold or passed this product to other wholesalers, forward this notice to them at once.",
    "retail": "If you passed this product to retailers, forward this notice to them at once and have them "
    "take it off their shelves.",
    "consumer": "If you sold this product to consumers, tell them of this recall (notice at the point of sale, "
    "direct contact where you can) and take any returns.",
}


@dataclass
class LetterLine:
    lot_code: str
    product: str
    quantity: Decimal
    unit: str


def heading(recall) -> str:
    return "URGENT: PRODUCT RECALL" if recall.is_urgent else "PRODUCT RECALL"


def letter_lines(notice_id: int) -> list[LetterLine]:
    rows = db.session.execute(
        sa.select(Lot.code, Product.name, RecallNoticeLine.quantity, Lot.unit)
        .join(Lot, Lot.id == RecallNoticeLine.lot_id)
        .join(Product, Product.id == Lot.product_id)
        .where(RecallNoticeLine.notice_id == notice_id)
        .order_by(Product.name, Lot.code)
    ).all()
    return [LetterLine(r.code, r.name, r.quantity, r.unit) for r in rows]


def build_letter(notice: RecallNotice, response_link: str) -> bytes:
    recall, consignee = notice.recall, notice.consignee
    company = current_app.config["COMPANY_NAME"]
    lines = letter_lines(notice.id)
    products = sorted({line.product for line in lines})
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN + 5 * mm,
        title=f"{heading(recall)} {recall.reference}",
        author=company,
    )
    banner = Table([[heading(recall)]], colWidths=[document.width])
    banner.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), "Helvetica-Bold", 18),
                ("TEXTCOLOR", (0, 0), (-1, -1), colors.white),
                ("BACKGROUND", (0, 0), (-1, -1), colors.HexColor("#b02a37" if recall.is_urgent else "#495057")),
                ("ALIGN", (0, 0), (-1, -1), "CENTER"),
                ("TOPPADDING", (0, 0), (-1, -1), 8),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 8),
            ]
        )
    )
    address = "<br/>".join(text(part) for part in (consignee.name, consignee.address) if part)
    story = [
        banner,
        Spacer(1, 6 * mm),
        Paragraph(f"{text(company)} · {date.today():%d %B %Y} · Recall {text(recall.reference)}", BODY),
        Spacer(1, 3 * mm),
        Paragraph(f"To: {address}", BODY),
        Spacer(1, 4 * mm),
        Paragraph(text(f"{recall.title}: {', '.join(products) or 'see the lots below'}"), H1),
        Paragraph("Lots shipped to you", H2),
    ]
    rows = [["Product", "Lot code", "Quantity shipped to you"]]
    rows += [[cell(line.product), cell(line.lot_code), f"{line.quantity:,} {line.unit}"] for line in lines]
    lots_table = Table(rows, colWidths=[document.width * 0.5, document.width * 0.25, document.width * 0.25])
    lots_table.setStyle(GRID)
    story += [
        lots_table,
        Paragraph("Why this product is recalled", H2),
        Paragraph(text(recall.hazard), BODY),
        Paragraph(text(recall.reason), BODY),
        Paragraph("What you must do now", H2),
        Paragraph("1. Stop selling, using and distributing these lots immediately and set them apart.", BODY),
        Paragraph(f"2. {text(PASS_ON.get(recall.depth, PASS_ON['retail']))}", BODY),
        Paragraph(f"3. {text(REMEDY_ACTIONS.get(recall.remedy, ''))}", BODY),
        Paragraph(f"4. {text(recall.instructions)}", BODY),
        Paragraph("How to answer", H2),
        Paragraph(
            "Please answer within 5 working days, even if you have none of this product left: "
            "confirm that you received this notice and tell us the quantity you still hold, "
            "returned and destroyed, and whether you passed the product on.",
            BODY,
        ),
        Paragraph(f"Answer online: <link href='{text(response_link)}'>{text(response_link)}</link>", BODY),
        Paragraph(
            text(f"Or reply to {current_app.config['MAIL_DEFAULT_SENDER']} quoting recall {recall.reference}."), BODY
        ),
        Spacer(1, 4 * mm),
        Paragraph(
            text(
                f"Classification: Class {recall.classification} · depth: {DEPTHS.get(recall.depth, recall.depth)} · "
                f"remedy: {REMEDIES.get(recall.remedy, recall.remedy)}"
            ),
            BODY,
        ),
    ]
    footer = f"{company} · {heading(recall)} {recall.reference} · {consignee.name}"
    document.build(story, canvasmaker=lambda *a, **k: NumberedCanvas(*a, footer=footer, **k))
    return buffer.getvalue()
