"""Electronic signatures (21 CFR Part 11 §11.50, §11.200): append-only."""

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from ..extensions import db
from .types import UTCDateTime, utcnow

MEANINGS = {"reviewed": "Reviewed", "approved": "Approved", "verified": "Verified"}


class Signature(db.Model):
    __tablename__ = "signatures"
    __table_args__ = (sa.Index("ix_signatures_record", "record_type", "record_id"),)
    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    record_type: so.Mapped[str] = so.mapped_column(sa.String(30))
    record_id: so.Mapped[int] = so.mapped_column(sa.Integer)
    action: so.Mapped[str] = so.mapped_column(sa.String(40))  # the move it authorised, e.g. "close"
    signer_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id"))
    # Copied, so the manifest reads the same after a user is renamed (§11.50(a)(1)).
    printed_name: so.Mapped[str] = so.mapped_column(sa.String(120))
    username: so.Mapped[str] = so.mapped_column(sa.String(64))
    meaning: so.Mapped[str] = so.mapped_column(sa.String(20))
    signed_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)


@sa.event.listens_for(Signature, "before_update")
@sa.event.listens_for(Signature, "before_delete")
def _signatures_are_final(mapper, connection, target) -> None:
    """A signature, once given, is never changed or removed."""
    raise ValueError("Electronic signatures cannot be edited or deleted.")
