"""What the recall letter to one consignee says, gathered as plain data for the pure builder
in app/reports/recall_letter.py; the wording of what to do is shared with the notice email."""

from datetime import date

import sqlalchemy as sa
from flask import current_app

from ..extensions import db
from ..models import DEPTHS, REMEDIES, Lot, Product, RecallNotice, RecallNoticeLine
from ..reports.recall_letter import LetterData, LetterLine

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


def heading(recall) -> str:
    return "URGENT: PRODUCT RECALL" if recall.is_urgent else "PRODUCT RECALL"


def letter_lines(notice_id: int) -> list[LetterLine]:
    """The lots shipped to the notice's consignee, with quantities, by product and code."""
    rows = db.session.execute(
        sa.select(Lot.code, Product.name, RecallNoticeLine.quantity, Lot.unit)
        .join(Lot, Lot.id == RecallNoticeLine.lot_id)
        .join(Product, Product.id == Lot.product_id)
        .where(RecallNoticeLine.notice_id == notice_id)
        .order_by(Product.name, Lot.code)
    ).all()
    return [LetterLine(r.code, r.name, r.quantity, r.unit) for r in rows]


def letter_data(notice: RecallNotice, response_link: str) -> LetterData:
    """Everything the letter to this notice's consignee prints, dated today."""
    recall, consignee = notice.recall, notice.consignee
    return LetterData(
        company=current_app.config["COMPANY_NAME"],
        heading=heading(recall),
        urgent=recall.is_urgent,
        dated=date.today(),
        reference=recall.reference,
        title=recall.title,
        consignee=consignee.name,
        address=consignee.address or "",
        lines=letter_lines(notice.id),
        hazard=recall.hazard,
        reason=recall.reason,
        pass_on=PASS_ON.get(recall.depth, PASS_ON["retail"]),
        remedy_action=REMEDY_ACTIONS.get(recall.remedy, ""),
        instructions=recall.instructions,
        response_link=response_link,
        reply_to=current_app.config["MAIL_DEFAULT_SENDER"],
        classification=recall.classification,
        depth=DEPTHS.get(recall.depth, recall.depth),
        remedy=REMEDIES.get(recall.remedy, recall.remedy),
    )
