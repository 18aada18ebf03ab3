"""Lots (batches), their genealogy (input lot -> output lot) and shipments to consignees."""

import re
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
import sqlalchemy.orm as so

from ..extensions import db
from .types import UTCDateTime, utcnow

LOT_KINDS = {"raw": "Raw material", "intermediate": "Intermediate", "finished": "Finished"}
LOT_CODE_LENGTH = 64
LOT_CODE_SPLIT = re.compile(r"[,;\s]+")


def parse_lot_codes(text: str | None) -> list[str]:
    """The distinct lot codes in a free-text field ("L1, L2; L3")."""
    codes = [c for c in LOT_CODE_SPLIT.split(text or "") if c]
    return list(dict.fromkeys(c[:LOT_CODE_LENGTH] for c in codes))


class Lot(db.Model):
    __tablename__ = "lots"
    __table_args__ = (
        # A product's lots in code order (the lot list filtered by product) straight from the
        # index; it serves every look-up by product_id the single-column index served.
        sa.Index("ix_lots_product_code", "product_id", "code"),
    )
    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    # The traceability lot code (FSMA 204): the natural key of a lot across imports.
    code: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    product_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("products.id"))
    kind: so.Mapped[str] = so.mapped_column(sa.String(20))
    quantity: so.Mapped[Decimal] = so.mapped_column(sa.Numeric(14, 3))
    unit: so.Mapped[str] = so.mapped_column(sa.String(20))
    produced_on: so.Mapped[date] = so.mapped_column(sa.Date, index=True)
    expires_on: so.Mapped[date | None] = so.mapped_column(sa.Date, nullable=True)
    site: so.Mapped[str | None] = so.mapped_column(sa.String(100), nullable=True)
    line: so.Mapped[str | None] = so.mapped_column(sa.String(50), nullable=True)
    status: so.Mapped[str] = so.mapped_column(sa.String(20), default="released", index=True)
    status_reason: so.Mapped[str | None] = so.mapped_column(sa.Text, nullable=True)
    status_changed_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime, nullable=True)
    version: so.Mapped[int] = so.mapped_column(sa.Integer, default=1)

    product: so.Mapped["Product"] = so.relationship()  # noqa: F821

    __mapper_args__ = {"version_id_col": version}

    @property
    def audit_label(self) -> str:
        return self.code

    def __repr__(self) -> str:
        return f"<Lot {self.code}>"


class LotInput(db.Model):
    """One genealogy edge: `input_lot` was consumed to make `output_lot`."""

    __tablename__ = "lot_inputs"
    # The primary key serves forward walks (input -> outputs); the index serves backward ones.
    __table_args__ = (
        sa.Index("ix_lot_inputs_output_input", "output_lot_id", "input_lot_id"),
        sa.CheckConstraint("input_lot_id <> output_lot_id", name="not_self"),
    )
    input_lot_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("lots.id"), primary_key=True)
    output_lot_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("lots.id"), primary_key=True)
    quantity: so.Mapped[Decimal | None] = so.mapped_column(sa.Numeric(14, 3), nullable=True)


class Shipment(db.Model):
    __tablename__ = "shipments"
    __table_args__ = (
        # A shipping document line: one lot to one consignee on one document.
        sa.UniqueConstraint("reference", "lot_id", "consignee_id", name="uq_shipments_line"),
        sa.Index("ix_shipments_consignee_lot", "consignee_id", "lot_id"),
        # Look-ups by lot; with quantity, a lot's shipped total is read from the index alone
        # (the trends page sums it for every lot named by a complaint).
        sa.Index("ix_shipments_lot_quantity", "lot_id", "quantity"),
    )
    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    lot_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("lots.id"))
    consignee_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("customers.id"))
    quantity: so.Mapped[Decimal] = so.mapped_column(sa.Numeric(14, 3))
    shipped_on: so.Mapped[date] = so.mapped_column(sa.Date)
    reference: so.Mapped[str] = so.mapped_column(sa.String(64))
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)

    lot: so.Mapped[Lot] = so.relationship()
    consignee: so.Mapped["Customer"] = so.relationship()  # noqa: F821


class ComplaintLot(db.Model):
    """A lot code named in a complaint, kept even when no such lot is known (yet)."""

    __tablename__ = "complaint_lots"
    complaint_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("complaints.id", ondelete="CASCADE"), primary_key=True
    )
    lot_code: so.Mapped[str] = so.mapped_column(sa.String(LOT_CODE_LENGTH), primary_key=True, index=True)
