"""Customers and consignees: whoever buys, receives or complains."""

import sqlalchemy as sa
import sqlalchemy.orm as so

from ..extensions import db

CUSTOMER_KINDS = {
    "distributor": "Distributor",
    "retailer": "Retailer",
    "consumer": "Consumer",
    "other": "Other",
}


class Customer(db.Model):
    __tablename__ = "customers"
    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(200), unique=True)
    kind: so.Mapped[str] = so.mapped_column(sa.String(20), default="other")
    email: so.Mapped[str | None] = so.mapped_column(sa.String(254), nullable=True)
    phone: so.Mapped[str | None] = so.mapped_column(sa.String(50), nullable=True)
    address: so.Mapped[str | None] = so.mapped_column(sa.String(500), nullable=True)
    country: so.Mapped[str | None] = so.mapped_column(sa.String(2), nullable=True)
    version: so.Mapped[int] = so.mapped_column(sa.Integer, default=1)

    __mapper_args__ = {"version_id_col": version}

    def __repr__(self) -> str:
        return f"<Customer {self.name}>"
