"""Customer complaints (21 CFR 820.198 / QMSR 820.35 complaint file)."""

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
import sqlalchemy.orm as so

from ..extensions import db
from .types import UTCDateTime, utcnow

CHANNELS = {"phone": "Phone", "email": "Email", "visit": "Visit", "web": "Web form", "oral": "Oral"}
CATEGORIES = {
    "foreign_matter": "Foreign matter",
    "contamination": "Contamination",
    "labeling": "Labeling",
    "packaging": "Packaging",
    "taste_odor": "Taste / odor",
    "performance": "Performance",
    "injury_illness": "Injury / illness",
    "other": "Other",
}


class Complaint(db.Model):
    __tablename__ = "complaints"
    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    reference: so.Mapped[str] = so.mapped_column(sa.String(20), unique=True)
    status: so.Mapped[str] = so.mapped_column(sa.String(20), default="new", index=True)

    received_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, index=True)
    channel: so.Mapped[str] = so.mapped_column(sa.String(10))
    customer_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("customers.id"), index=True)
    complainant_name: so.Mapped[str | None] = so.mapped_column(sa.String(120), nullable=True)
    complainant_contact: so.Mapped[str | None] = so.mapped_column(sa.String(200), nullable=True)
    product_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("products.id"), index=True)
    # Lot codes exactly as the customer reported them: kept even when no such lot is known.
    lot_codes: so.Mapped[str | None] = so.mapped_column(sa.String(500), nullable=True)
    quantity_affected: so.Mapped[Decimal | None] = so.mapped_column(sa.Numeric(14, 3), nullable=True)
    description: so.Mapped[str] = so.mapped_column(sa.Text)
    category: so.Mapped[str] = so.mapped_column(sa.String(20), index=True)
    injury: so.Mapped[bool] = so.mapped_column(sa.Boolean, default=False)
    sample_available: so.Mapped[bool] = so.mapped_column(sa.Boolean, default=False)

    # Triage (production)
    severity: so.Mapped[int | None] = so.mapped_column(sa.SmallInteger, nullable=True)
    probability: so.Mapped[int | None] = so.mapped_column(sa.SmallInteger, nullable=True)
    risk_score: so.Mapped[int | None] = so.mapped_column(sa.SmallInteger, nullable=True)
    reportable: so.Mapped[bool | None] = so.mapped_column(sa.Boolean, nullable=True)
    reportable_reason: so.Mapped[str | None] = so.mapped_column(sa.Text, nullable=True)
    investigator_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"), nullable=True, index=True)
    due_date: so.Mapped[date | None] = so.mapped_column(sa.Date, nullable=True)
    # Closing the loop
    rejection_reason: so.Mapped[str | None] = so.mapped_column(sa.Text, nullable=True)
    reply_to_complainant: so.Mapped[str | None] = so.mapped_column(sa.Text, nullable=True)
    closing_note: so.Mapped[str | None] = so.mapped_column(sa.Text, nullable=True)

    created_by_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id"), index=True)
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    updated_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    version: so.Mapped[int] = so.mapped_column(sa.Integer, default=1)

    customer: so.Mapped["Customer"] = so.relationship()  # noqa: F821
    product: so.Mapped["Product"] = so.relationship()  # noqa: F821
    investigator: so.Mapped["User | None"] = so.relationship(foreign_keys=[investigator_id])  # noqa: F821
    created_by: so.Mapped["User"] = so.relationship(foreign_keys=[created_by_id])  # noqa: F821
    incidents: so.Mapped[list["Incident"]] = so.relationship(  # noqa: F821
        secondary="incident_complaints", order_by="Incident.reference", back_populates="complaints"
    )

    __mapper_args__ = {"version_id_col": version}

    @property
    def category_label(self) -> str:
        return CATEGORIES.get(self.category, self.category)

    @property
    def channel_label(self) -> str:
        return CHANNELS.get(self.channel, self.channel)

    @property
    def high_priority(self) -> bool:
        return bool(self.injury) or (self.severity or 0) >= 4

    def __repr__(self) -> str:
        return f"<Complaint {self.reference}>"


# The list sorted by risk (ORDER BY risk_score DESC NULLS LAST, id DESC, LIMIT one page)
# reads its page from this index instead of sorting every complaint. PostgreSQL needs the
# NULLS order written into the index (its DESC puts NULLs first). SQLite cannot write NULLS
# in an index and needs none: its NULLs sort lowest, so DESC puts them last; migration 0010
# gives it (risk_score DESC, id DESC) under the same name, and create_all skips it there.
sa.Index("ix_complaints_risk_order", Complaint.risk_score.desc().nulls_last(), Complaint.id.desc()).ddl_if(
    dialect="postgresql"
)
