"""Comments on any record (complaints now; incidents and recalls later)."""

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from ..extensions import db
from .types import UTCDateTime, utcnow


class Comment(db.Model):
    __tablename__ = "comments"
    __table_args__ = (sa.Index("ix_comments_record", "record_type", "record_id"),)
    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    record_type: so.Mapped[str] = so.mapped_column(sa.String(30))
    record_id: so.Mapped[int] = so.mapped_column(sa.Integer)
    author_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id"))
    body: so.Mapped[str] = so.mapped_column(sa.Text)
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)

    author: so.Mapped["User"] = so.relationship()  # noqa: F821
