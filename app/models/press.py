"""Press and public communications: inquiries from journalists, and statements whose every
edit is a version and whose every public word is approved by a second person.

A statement's text lives in its versions; `Statement.current_version` points at the one in
play. Editing an approved or published statement writes a new draft version, so what was
approved stays exactly as it was signed (the signature names the version number).
"""

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from ..extensions import db
from .types import UTCDateTime, utcnow

INQUIRY_CHANNELS = {
    "phone": "Phone",
    "email": "Email",
    "social": "Social media",
    "in_person": "In person",
    "other": "Other",
}
STATEMENT_KINDS = {
    "holding": "Holding statement",
    "press_release": "Press release",
    "talking_points": "Customer talking points",
    "website": "Website notice",
    "social": "Social post",
}
# The kinds sales reps repeat to customers ("one voice").
ONE_VOICE_KINDS = ("holding", "talking_points")


class PressInquiry(db.Model):
    __tablename__ = "press_inquiries"
    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    reference: so.Mapped[str] = so.mapped_column(sa.String(20), unique=True)
    status: so.Mapped[str] = so.mapped_column(sa.String(20), default="received", index=True)
    outlet: so.Mapped[str] = so.mapped_column(sa.String(200))
    journalist: so.Mapped[str] = so.mapped_column(sa.String(200))
    contact: so.Mapped[str | None] = so.mapped_column(sa.String(200), nullable=True)
    channel: so.Mapped[str] = so.mapped_column(sa.String(20))
    question: so.Mapped[str] = so.mapped_column(sa.Text)
    deadline: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime, nullable=True, index=True)
    incident_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("incidents.id"), nullable=True, index=True)
    recall_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("recalls.id"), nullable=True, index=True)
    assignee_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"), nullable=True, index=True)
    answer: so.Mapped[str | None] = so.mapped_column(sa.Text, nullable=True)
    answered_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime, nullable=True)
    statement_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("statements.id"), nullable=True)
    created_by_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id"))
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow, index=True)
    updated_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    version: so.Mapped[int] = so.mapped_column(sa.Integer, default=1)

    incident: so.Mapped["Incident | None"] = so.relationship()  # noqa: F821
    recall: so.Mapped["Recall | None"] = so.relationship()  # noqa: F821
    assignee: so.Mapped["User | None"] = so.relationship(foreign_keys=[assignee_id])  # noqa: F821
    created_by: so.Mapped["User"] = so.relationship(foreign_keys=[created_by_id])  # noqa: F821
    statement: so.Mapped["Statement | None"] = so.relationship()

    __mapper_args__ = {"version_id_col": version}

    @property
    def owner_id(self) -> int | None:
        """The assignee owns the inquiry (the transition table's "owner" role)."""
        return self.assignee_id

    def __repr__(self) -> str:
        return f"<PressInquiry {self.reference}>"


class Statement(db.Model):
    __tablename__ = "statements"
    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    reference: so.Mapped[str] = so.mapped_column(sa.String(20), unique=True)
    kind: so.Mapped[str] = so.mapped_column(sa.String(20), index=True)
    status: so.Mapped[str] = so.mapped_column(sa.String(20), default="draft", index=True)
    incident_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("incidents.id"), nullable=True, index=True)
    recall_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("recalls.id"), nullable=True, index=True)
    # The version in play and a copy of its title/body (lists and searches read these).
    current_version: so.Mapped[int] = so.mapped_column(sa.Integer, default=1)
    title: so.Mapped[str] = so.mapped_column(sa.String(200))
    body: so.Mapped[str] = so.mapped_column(sa.Text)
    author_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id"))  # of the current version
    approved_version: so.Mapped[int | None] = so.mapped_column(sa.Integer, nullable=True)
    approved_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"), nullable=True)
    approved_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime, nullable=True)
    published_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime, nullable=True)
    published_where: so.Mapped[str | None] = so.mapped_column(sa.String(300), nullable=True)
    withdrawn_reason: so.Mapped[str | None] = so.mapped_column(sa.Text, nullable=True)
    created_by_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id"))
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow, index=True)
    updated_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    version: so.Mapped[int] = so.mapped_column(sa.Integer, default=1)  # optimistic lock, not the text version

    incident: so.Mapped["Incident | None"] = so.relationship()  # noqa: F821
    recall: so.Mapped["Recall | None"] = so.relationship()  # noqa: F821
    author: so.Mapped["User"] = so.relationship(foreign_keys=[author_id])  # noqa: F821
    approved_by: so.Mapped["User | None"] = so.relationship(foreign_keys=[approved_by_id])  # noqa: F821

    __mapper_args__ = {"version_id_col": version}

    @property
    def audit_label(self) -> str:
        """Audit events name the text version they concern (approval is of one version)."""
        return f"{self.reference} v{self.current_version}"

    def __repr__(self) -> str:
        return f"<Statement {self.reference} v{self.current_version}>"


class StatementVersion(db.Model):
    """One saved text of a statement; never changed once written."""

    __tablename__ = "statement_versions"
    statement_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("statements.id", ondelete="CASCADE"), primary_key=True
    )
    number: so.Mapped[int] = so.mapped_column(sa.Integer, primary_key=True)
    title: so.Mapped[str] = so.mapped_column(sa.String(200))
    body: so.Mapped[str] = so.mapped_column(sa.Text)
    author_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id"))
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    note: so.Mapped[str | None] = so.mapped_column(sa.String(300), nullable=True)  # why it changed

    author: so.Mapped["User"] = so.relationship()  # noqa: F821
