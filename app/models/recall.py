"""Recalls (21 CFR Part 7): the decision, its scope of lots, and one notice per consignee.

The scope is a snapshot: the lots chosen when the recall was proposed (the forward trace
of its root lots, edited by people), kept even if the genealogy changes later. The notice
lines are the quantities shipped to each consignee of each lot in scope, read from the
shipments when the recall is approved.
"""

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
import sqlalchemy.orm as so

from ..extensions import db
from .types import UTCDateTime, utcnow

CLASSIFICATIONS = {
    "I": "Class I — reasonable probability of serious adverse health consequences or death",
    "II": "Class II — temporary or medically reversible adverse health consequences",
    "III": "Class III — not likely to cause adverse health consequences",
}
DEPTHS = {"wholesale": "Wholesale", "retail": "Retail", "consumer": "Consumer / user"}
# 21 CFR 7.42(b)(3): the share of consignees to contact to check the recall worked.
EFFECTIVENESS_LEVELS = {
    "A": "Level A — 100% of consignees",
    "B": "Level B — between 10% and 100% (set per recall)",
    "C": "Level C — 10% of consignees",
    "D": "Level D — 2% of consignees",
    "E": "Level E — no effectiveness checks",
}
REMEDIES = {"refund": "Refund", "replace": "Replace", "repair": "Repair", "destroy": "Destroy"}
NOTICE_METHODS = {"email": "Email", "phone": "Phone", "post": "Post", "visit": "In person"}
# A consignee's answer: checked by the response service and by the response form, which
# both the consignee's page and marketing's page use.
RESPONSE_NAME_LIMIT = 120  # the response_by column
RESPONSE_COMMENT_LIMIT = 2000


class Recall(db.Model):
    __tablename__ = "recalls"
    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    reference: so.Mapped[str] = so.mapped_column(sa.String(20), unique=True)
    incident_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("incidents.id"), index=True)
    status: so.Mapped[str] = so.mapped_column(sa.String(20), default="proposed", index=True)
    title: so.Mapped[str] = so.mapped_column(sa.String(200))
    reason: so.Mapped[str] = so.mapped_column(sa.Text)
    hazard: so.Mapped[str] = so.mapped_column(sa.Text)  # in plain words, as the notice says it
    classification: so.Mapped[str] = so.mapped_column(sa.String(3))
    depth: so.Mapped[str] = so.mapped_column(sa.String(20))
    public_warning: so.Mapped[bool] = so.mapped_column(sa.Boolean, default=False)
    effectiveness_level: so.Mapped[str] = so.mapped_column(sa.String(1))
    # Level B only: the share of consignees to check, in percent (10 < p < 100).
    effectiveness_percent: so.Mapped[int | None] = so.mapped_column(sa.SmallInteger, nullable=True)
    remedy: so.Mapped[str] = so.mapped_column(sa.String(20))
    instructions: so.Mapped[str] = so.mapped_column(sa.Text)  # what consignees must do
    estimated_completion: so.Mapped[date | None] = so.mapped_column(sa.Date, nullable=True)
    completion_note: so.Mapped[str | None] = so.mapped_column(sa.Text, nullable=True)
    termination_note: so.Mapped[str | None] = so.mapped_column(sa.Text, nullable=True)
    # A second recall of one incident names the recall whose scope it extends.
    extends_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("recalls.id"), nullable=True)

    proposed_by_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id"))
    approved_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"), nullable=True)
    approved_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime, nullable=True)
    terminated_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime, nullable=True)
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    updated_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    version: so.Mapped[int] = so.mapped_column(sa.Integer, default=1)

    incident: so.Mapped["Incident"] = so.relationship(back_populates="recalls")  # noqa: F821
    proposed_by: so.Mapped["User"] = so.relationship(foreign_keys=[proposed_by_id])  # noqa: F821
    approved_by: so.Mapped["User | None"] = so.relationship(foreign_keys=[approved_by_id])  # noqa: F821
    extends: so.Mapped["Recall | None"] = so.relationship(remote_side=[id])
    # Up to tens of thousands of consignees: never loaded whole. `recall.notices.select()`
    # is the recall's notices as a statement to filter, page or count; the database deletes
    # them with the recall (ON DELETE CASCADE).
    notices: so.WriteOnlyMapped["RecallNotice"] = so.relationship(back_populates="recall", passive_deletes=True)

    __mapper_args__ = {"version_id_col": version}

    @property
    def is_urgent(self) -> bool:
        """Class I and II notices are headed "URGENT: PRODUCT RECALL" (21 CFR 7.49(c))."""
        return self.classification in ("I", "II")

    def __repr__(self) -> str:
        return f"<Recall {self.reference}>"


class RecallLot(db.Model):
    """A lot in the recall's scope (snapshot); roots are the lots the trace started from."""

    __tablename__ = "recall_lots"
    recall_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("recalls.id", ondelete="CASCADE"), primary_key=True)
    lot_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("lots.id"), primary_key=True, index=True)
    is_root: so.Mapped[bool] = so.mapped_column(sa.Boolean, default=False)


class RecallNotice(db.Model):
    """The recall told to one consignee, and what they answered."""

    __tablename__ = "recall_notices"
    __table_args__ = (sa.UniqueConstraint("recall_id", "consignee_id", name="uq_recall_notices_consignee"),)
    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    recall_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("recalls.id", ondelete="CASCADE"), index=True)
    consignee_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("customers.id"), index=True)
    quantity_shipped: so.Mapped[Decimal] = so.mapped_column(sa.Numeric(14, 3), default=0)
    # The response link's secret is never stored: only a nonce, from which the link's
    # HMAC is derived again when a notice or reminder is written (see recalls/tokens.py).
    token_nonce: so.Mapped[str] = so.mapped_column(sa.String(32), unique=True)
    # pending → queued (email in the outbox) → sent / failed; or notified by hand.
    status: so.Mapped[str] = so.mapped_column(sa.String(10), default="pending", index=True)
    method: so.Mapped[str | None] = so.mapped_column(sa.String(10), nullable=True)
    notified_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime, nullable=True)
    notified_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"), nullable=True)
    notified_note: so.Mapped[str | None] = so.mapped_column(sa.String(500), nullable=True)
    outbox_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("outbox.id", ondelete="SET NULL"), nullable=True, index=True
    )
    reminders: so.Mapped[int] = so.mapped_column(sa.SmallInteger, default=0)
    last_reminder_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime, nullable=True)

    responded_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime, nullable=True, index=True)
    response_source: so.Mapped[str | None] = so.mapped_column(sa.String(10), nullable=True)  # link | manual
    response_by: so.Mapped[str | None] = so.mapped_column(sa.String(RESPONSE_NAME_LIMIT), nullable=True)  # who answered
    # The answer's totals over the notice's lots (each lot's own answer is on its line, in
    # its unit). Answers given before per-lot answers (migration 0014) were these totals
    # only: they are kept here as given, and shared out onto the lines (answer_shared_out).
    quantity_on_hand: so.Mapped[Decimal | None] = so.mapped_column(sa.Numeric(14, 3), nullable=True)
    quantity_returned: so.Mapped[Decimal | None] = so.mapped_column(sa.Numeric(14, 3), nullable=True)
    quantity_destroyed: so.Mapped[Decimal | None] = so.mapped_column(sa.Numeric(14, 3), nullable=True)
    # The consignee said they also had some of a lot from elsewhere: more than was shipped
    # to them is accounted for (on purpose, see the lines).
    received_elsewhere: so.Mapped[bool] = so.mapped_column(sa.Boolean, default=False, server_default=sa.false())
    # An answer for all lots together, given before per-lot answers, shared out by migration
    # 0014 in proportion to the quantity of each lot shipped (the totals above are as given).
    answer_shared_out: so.Mapped[bool] = so.mapped_column(sa.Boolean, default=False, server_default=sa.false())
    distributed_further: so.Mapped[bool | None] = so.mapped_column(sa.Boolean, nullable=True)
    response_comment: so.Mapped[str | None] = so.mapped_column(sa.Text, nullable=True)
    version: so.Mapped[int] = so.mapped_column(sa.Integer, default=1)

    recall: so.Mapped[Recall] = so.relationship(back_populates="notices")
    consignee: so.Mapped["Customer"] = so.relationship()  # noqa: F821

    __mapper_args__ = {"version_id_col": version}

    @property
    def accounted_for(self) -> Decimal:
        """Quantity the consignee has accounted for: on hand + returned + destroyed."""
        return sum(
            (q or Decimal(0) for q in (self.quantity_on_hand, self.quantity_returned, self.quantity_destroyed)),
            Decimal(0),
        )


class RecallNoticeLine(db.Model):
    """Quantity of one lot shipped to the notice's consignee (what the letter lists), and the
    consignee's answer for that lot."""

    __tablename__ = "recall_notice_lines"
    notice_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("recall_notices.id", ondelete="CASCADE"), primary_key=True
    )
    lot_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("lots.id"), primary_key=True)
    quantity: so.Mapped[Decimal] = so.mapped_column(sa.Numeric(14, 3))  # shipped, in the lot's unit
    # The consignee's answer for this lot, in the lot's unit (None until answered).
    quantity_on_hand: so.Mapped[Decimal | None] = so.mapped_column(sa.Numeric(14, 3), nullable=True)
    quantity_returned: so.Mapped[Decimal | None] = so.mapped_column(sa.Numeric(14, 3), nullable=True)
    quantity_destroyed: so.Mapped[Decimal | None] = so.mapped_column(sa.Numeric(14, 3), nullable=True)
    # They said they also had this lot from elsewhere: more than `quantity` may be accounted for.
    received_elsewhere: so.Mapped[bool] = so.mapped_column(sa.Boolean, default=False, server_default=sa.false())

    @property
    def accounted_for(self) -> Decimal:
        """On hand + returned + destroyed of this lot, as answered."""
        return sum(
            (q or Decimal(0) for q in (self.quantity_on_hand, self.quantity_returned, self.quantity_destroyed)),
            Decimal(0),
        )
