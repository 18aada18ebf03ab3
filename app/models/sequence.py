"""Counters behind human references such as CMP-2026-0001."""

import sqlalchemy as sa
import sqlalchemy.orm as so

from ..extensions import db


class ReferenceCounter(db.Model):
    __tablename__ = "reference_counters"
    prefix: so.Mapped[str] = so.mapped_column(sa.String(10), primary_key=True)
    year: so.Mapped[int] = so.mapped_column(sa.Integer, primary_key=True)
    last_value: so.Mapped[int] = so.mapped_column(sa.Integer, default=0)
