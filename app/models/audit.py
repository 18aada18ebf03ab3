"""The audit trail: append-only, hash-chained events."""

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from ..extensions import db
from .types import UTCDateTime, utcnow


class AuditEvent(db.Model):
    __tablename__ = "audit_events"
    __table_args__ = (sa.Index("ix_audit_events_record", "record_type", "record_id"),)
    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    actor_id: so.Mapped[int | None] = so.mapped_column(sa.Integer, nullable=True)
    # Names are copied, not joined: the trail must read the same after a user is renamed.
    actor_name: so.Mapped[str] = so.mapped_column(sa.String(120))
    record_type: so.Mapped[str] = so.mapped_column(sa.String(30))
    record_id: so.Mapped[int | None] = so.mapped_column(sa.Integer, nullable=True)
    record_label: so.Mapped[str | None] = so.mapped_column(sa.String(200), nullable=True)
    action: so.Mapped[str] = so.mapped_column(sa.String(40))
    # JSON text: {"field": [old, new], ...} or {"note": "..."}; kept as text so the hash
    # is computed over exactly the bytes stored.
    changes: so.Mapped[str] = so.mapped_column(sa.Text, default="{}")
    prev_hash: so.Mapped[str] = so.mapped_column(sa.String(64))
    hash: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
