"""Alerts: the rules that pick recipients, the in-app alerts (the bell) and the email outbox.

An outbox row is written in the same transaction as the change that raised it, so a
committed change always has its email and a rolled-back change never does. The worker
(app/alerts/worker.py) claims ready rows, sends them and records the outcome.
"""

from datetime import date, datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from ..extensions import db
from .types import UTCDateTime, utcnow

OUTBOX_STATUSES = {"pending": "Pending", "sending": "Sending", "sent": "Sent", "failed": "Failed"}

alert_rule_users = sa.Table(
    "alert_rule_users",
    db.metadata,
    sa.Column("rule_id", sa.ForeignKey("alert_rules.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("user_id", sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
)


class AlertRule(db.Model):
    """Who hears about an event: roles and/or named users, optionally only above a severity."""

    __tablename__ = "alert_rules"
    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(120))
    event: so.Mapped[str] = so.mapped_column(sa.String(60), index=True)
    # Events carrying a severity (complaints, incidents) below this are not sent; events
    # without a known severity only match rules that set no minimum.
    min_severity: so.Mapped[int | None] = so.mapped_column(sa.SmallInteger, nullable=True)
    roles: so.Mapped[str] = so.mapped_column(sa.String(200), default="")  # comma-separated role names
    # The person the record names for this event (the investigator, the action owner).
    notify_assignee: so.Mapped[bool] = so.mapped_column(sa.Boolean, default=False)
    enabled: so.Mapped[bool] = so.mapped_column(sa.Boolean, default=True)
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    updated_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    version: so.Mapped[int] = so.mapped_column(sa.Integer, default=1)

    users: so.Mapped[list["User"]] = so.relationship(secondary=alert_rule_users, lazy="selectin")  # noqa: F821

    __mapper_args__ = {"version_id_col": version}

    @property
    def role_list(self) -> list[str]:
        return [r for r in self.roles.split(",") if r]

    def __repr__(self) -> str:
        return f"<AlertRule {self.event} {self.name!r}>"


class Alert(db.Model):
    """One event told to one user: what the bell shows until it is read."""

    __tablename__ = "alerts"
    __table_args__ = (sa.Index("ix_alerts_user_unread", "user_id", "read_at"),)
    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    event: so.Mapped[str] = so.mapped_column(sa.String(60))
    priority: so.Mapped[str] = so.mapped_column(sa.String(10), default="normal")
    title: so.Mapped[str] = so.mapped_column(sa.String(300))
    record_type: so.Mapped[str | None] = so.mapped_column(sa.String(30), nullable=True)
    record_id: so.Mapped[int | None] = so.mapped_column(sa.Integer, nullable=True)
    url: so.Mapped[str] = so.mapped_column(sa.String(300))  # a path inside the app
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow, index=True)
    read_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime, nullable=True)


class OutboxMessage(db.Model):
    """One email to one address, sent by the worker; kept as the mail log."""

    __tablename__ = "outbox"
    # The worker's claim query reads (status, next_attempt_at) only.
    __table_args__ = (sa.Index("ix_outbox_ready", "status", "next_attempt_at"),)
    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    event: so.Mapped[str] = so.mapped_column(sa.String(60), index=True)
    alert_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("alerts.id", ondelete="SET NULL"), nullable=True, index=True
    )
    record_type: so.Mapped[str | None] = so.mapped_column(sa.String(30), nullable=True)
    record_id: so.Mapped[int | None] = so.mapped_column(sa.Integer, nullable=True)
    to_address: so.Mapped[str] = so.mapped_column(sa.String(254))
    subject: so.Mapped[str] = so.mapped_column(sa.String(300))
    body_text: so.Mapped[str] = so.mapped_column(sa.Text)
    body_html: so.Mapped[str | None] = so.mapped_column(sa.Text, nullable=True)
    priority: so.Mapped[str] = so.mapped_column(sa.String(10), default="normal")
    # Fixed when the row is written, so a retried or resent message keeps its identity
    # and a recipient's mail system can drop duplicates.
    message_id: so.Mapped[str] = so.mapped_column(sa.String(200), unique=True)
    # Attachments built at send time by a registered builder: [{"kind": ..., "ref": ...}].
    attachments: so.Mapped[list | None] = so.mapped_column(sa.JSON, nullable=True)

    status: so.Mapped[str] = so.mapped_column(sa.String(10), default="pending")
    attempts: so.Mapped[int] = so.mapped_column(sa.Integer, default=0)
    # When the row may next be taken: now for a new row, later after a failure, and the
    # end of the lease while a worker holds it (so a crashed worker's rows come back).
    next_attempt_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    claimed_by: so.Mapped[str | None] = so.mapped_column(sa.String(64), nullable=True)
    last_error: so.Mapped[str | None] = so.mapped_column(sa.String(500), nullable=True)
    transport: so.Mapped[str | None] = so.mapped_column(sa.String(10), nullable=True)  # smtp | file
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow, index=True)
    sent_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime, nullable=True)

    @property
    def status_label(self) -> str:
        return OUTBOX_STATUSES.get(self.status, self.status)

    def __repr__(self) -> str:
        return f"<OutboxMessage {self.id} {self.status} {self.to_address}>"


class AlertMark(db.Model):
    """A time-based event already raised for an item on a day (due soon, overdue): once a day."""

    __tablename__ = "alert_marks"
    event: so.Mapped[str] = so.mapped_column(sa.String(60), primary_key=True)
    record_type: so.Mapped[str] = so.mapped_column(sa.String(30), primary_key=True)
    record_id: so.Mapped[int] = so.mapped_column(sa.Integer, primary_key=True)
    day: so.Mapped[date] = so.mapped_column(sa.Date, primary_key=True)
