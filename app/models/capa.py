"""Corrective and preventive actions (CAPA) of an incident."""

from datetime import date, datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from ..extensions import db
from .types import UTCDateTime, utcnow

ACTION_KINDS = {"corrective": "Corrective", "preventive": "Preventive"}


class Action(db.Model):
    __tablename__ = "actions"
    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    reference: so.Mapped[str] = so.mapped_column(sa.String(20), unique=True)
    incident_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("incidents.id"), index=True)
    kind: so.Mapped[str] = so.mapped_column(sa.String(20))
    description: so.Mapped[str] = so.mapped_column(sa.Text)
    owner_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id"), index=True)
    due_date: so.Mapped[date] = so.mapped_column(sa.Date, index=True)
    status: so.Mapped[str] = so.mapped_column(sa.String(20), default="planned", index=True)
    # What will show the action worked, and when it will be checked
    effectiveness_check: so.Mapped[str] = so.mapped_column(sa.Text)
    effectiveness_due: so.Mapped[date | None] = so.mapped_column(sa.Date, nullable=True)
    implementation_note: so.Mapped[str | None] = so.mapped_column(sa.Text, nullable=True)
    effectiveness_result: so.Mapped[str | None] = so.mapped_column(sa.Text, nullable=True)
    # Why the incident may close although this action is not verified effective
    justification: so.Mapped[str | None] = so.mapped_column(sa.Text, nullable=True)
    created_by_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id"))
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    updated_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    version: so.Mapped[int] = so.mapped_column(sa.Integer, default=1)

    incident: so.Mapped["Incident"] = so.relationship(back_populates="actions")  # noqa: F821
    owner: so.Mapped["User"] = so.relationship(foreign_keys=[owner_id])  # noqa: F821

    __mapper_args__ = {"version_id_col": version}

    def is_overdue(self, today: date) -> bool:
        return self.status in ("planned", "in_progress", "ineffective") and self.due_date < today
