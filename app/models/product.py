"""Products (finished goods and raw materials)."""

import sqlalchemy as sa
import sqlalchemy.orm as so

from ..extensions import db

PRODUCT_KINDS = {"finished": "Finished product", "raw": "Raw material"}


class Product(db.Model):
    __tablename__ = "products"
    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    sku: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(200), index=True)
    unit: so.Mapped[str] = so.mapped_column(sa.String(20))
    kind: so.Mapped[str] = so.mapped_column(sa.String(20), default="finished")
    version: so.Mapped[int] = so.mapped_column(sa.Integer, default=1)

    __mapper_args__ = {"version_id_col": version}

    @property
    def label(self) -> str:
        return f"{self.sku} — {self.name}"

    def __repr__(self) -> str:
        return f"<Product {self.sku}>"
