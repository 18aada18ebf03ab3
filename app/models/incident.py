"""Quality incidents: one problem behind one or more complaints, its traced scope,
containment, investigation (5 whys, fishbone, root cause) and decision."""

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from ..extensions import db
from .types import UTCDateTime, utcnow

FISHBONE = {
    "people": "People",
    "machine": "Machine",
    "method": "Method",
    "material": "Material",
    "measurement": "Measurement",
    "environment": "Environment",
}
DECISIONS = {
    "no_action": "No action",
    "rework": "Rework",
    "withdrawal": "Market withdrawal",
    "recall_proposed": "Recall proposed",
}


class Incident(db.Model):
    __tablename__ = "incidents"
    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    reference: so.Mapped[str] = so.mapped_column(sa.String(20), unique=True)
    status: so.Mapped[str] = so.mapped_column(sa.String(20), default="open", index=True)
    title: so.Mapped[str] = so.mapped_column(sa.String(200))
    description: so.Mapped[str] = so.mapped_column(sa.Text)
    severity: so.Mapped[int | None] = so.mapped_column(sa.SmallInteger, nullable=True)
    probability: so.Mapped[int | None] = so.mapped_column(sa.SmallInteger, nullable=True)
    risk_score: so.Mapped[int | None] = so.mapped_column(sa.SmallInteger, nullable=True)
    owner_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id"), index=True)
    # Containment, investigation, decision
    containment: so.Mapped[str | None] = so.mapped_column(sa.Text, nullable=True)
    fishbone_category: so.Mapped[str | None] = so.mapped_column(sa.String(20), nullable=True)
    root_cause: so.Mapped[str | None] = so.mapped_column(sa.Text, nullable=True)
    escape_point: so.Mapped[str | None] = so.mapped_column(sa.Text, nullable=True)
    decision: so.Mapped[str | None] = so.mapped_column(sa.String(20), nullable=True)
    decision_reason: so.Mapped[str | None] = so.mapped_column(sa.Text, nullable=True)
    closing_summary: so.Mapped[str | None] = so.mapped_column(sa.Text, nullable=True)
    # When the affected lots were last traced (the snapshot in incident_lots)
    traced_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime, nullable=True)
    created_by_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id"))
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    updated_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    version: so.Mapped[int] = so.mapped_column(sa.Integer, default=1)

    owner: so.Mapped["User"] = so.relationship(foreign_keys=[owner_id])  # noqa: F821
    created_by: so.Mapped["User"] = so.relationship(foreign_keys=[created_by_id])  # noqa: F821
    whys: so.Mapped[list["IncidentWhy"]] = so.relationship(
        order_by="IncidentWhy.position", cascade="all, delete-orphan", back_populates="incident"
    )
    # A handful of rows each: loaded on first access (one query), never with every incident
    # of a list. Pages that show their rows' relations load them with the incident (see
    # incidents.routes.DETAIL_LOAD), so reading the collection stays one query.
    complaints: so.Mapped[list["Complaint"]] = so.relationship(  # noqa: F821
        secondary="incident_complaints", order_by="Complaint.reference", back_populates="incidents"
    )
    actions: so.Mapped[list["Action"]] = so.relationship(order_by="Action.id", back_populates="incident")  # noqa: F821
    # A few at most (a second recall of an incident extends the first).
    recalls: so.Mapped[list["Recall"]] = so.relationship(order_by="Recall.id", back_populates="incident")  # noqa: F821

    __mapper_args__ = {"version_id_col": version}

    def __repr__(self) -> str:
        return f"<Incident {self.reference}>"


class IncidentComplaint(db.Model):
    __tablename__ = "incident_complaints"
    incident_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("incidents.id", ondelete="CASCADE"), primary_key=True)
    complaint_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("complaints.id"), primary_key=True, index=True)
    linked_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)


class IncidentLot(db.Model):
    """The affected lots as traced at `Incident.traced_at`: a snapshot, not a live view."""

    __tablename__ = "incident_lots"
    incident_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("incidents.id", ondelete="CASCADE"), primary_key=True)
    lot_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("lots.id"), primary_key=True, index=True)
    is_root: so.Mapped[bool] = so.mapped_column(sa.Boolean, default=False)
    depth: so.Mapped[int] = so.mapped_column(sa.SmallInteger, default=0)


class IncidentWhy(db.Model):
    """One answer of the 5 whys, in order."""

    __tablename__ = "incident_whys"
    __table_args__ = (sa.UniqueConstraint("incident_id", "position", name="uq_incident_whys_position"),)
    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    incident_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("incidents.id", ondelete="CASCADE"))
    position: so.Mapped[int] = so.mapped_column(sa.SmallInteger)
    text: so.Mapped[str] = so.mapped_column(sa.Text)

    incident: so.Mapped[Incident] = so.relationship(back_populates="whys")
