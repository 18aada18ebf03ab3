"""Writing lot rows: create new lot codes, update changed ones; a lot's status is never touched."""

import sqlalchemy as sa

from ..extensions import db
from ..models import Lot, Product
from ..models.bulk import insert_rows
from .context import ImportContext, Row
from .lookups import AMBIGUOUS, NameCache, among

LOTS = Lot.__table__
# CSV columns stored as they are; `product_sku` becomes product_id. Status belongs to the
# hold/release workflow, never to an ERP file.
_PLAIN = ("kind", "quantity", "unit", "produced_on", "expires_on", "site", "line")


class LotWriter:
    """Creates and updates lots chunk by chunk, matched on lot_code."""

    def __init__(self, ctx: ImportContext):
        self.ctx = ctx
        self.products = NameCache(Product.__table__.c.id, Product.__table__.c.sku)
        # Absent optional columns are left as stored rather than cleared.
        self.fields = ("product_id", *(f for f in _PLAIN if f in ctx.present))
        self._select = sa.select(LOTS.c.code, LOTS.c.id, *(LOTS.c[f] for f in self.fields))
        # Core executemany bypasses the ORM, so bump the version here: an edit form opened
        # before the import must see it as a concurrent change.
        self._update = sa.update(LOTS).where(LOTS.c.id == sa.bindparam("_id")).values(version=LOTS.c.version + 1)

    def process(self, rows: list[Row]) -> None:
        ctx = self.ctx
        codes = [v["lot_code"] for _, v in rows]
        existing = {r[0]: r[1:] for r in db.session.execute(self._select.where(among(LOTS.c.code, codes)))}
        fields = self.fields[1:]
        new, changed = [], []
        for line, v in rows:
            product_id = self.products.get(v["product_sku"])
            if product_id is None or product_id == AMBIGUOUS:
                problem = "No product has" if product_id is None else "Several products have"
                ctx.error(line, "product_sku", f"{problem} the SKU '{v['product_sku']}'.")
                continue
            stored = (product_id, *(v[f] for f in fields))
            old = existing.get(v["lot_code"])
            if old is None:
                new.append({"code": v["lot_code"], **dict(zip(self.fields, stored))})
            elif tuple(old[1:]) != stored:
                changed.append({"_id": old[0], **dict(zip(self.fields, stored))})
        if ctx.writing:
            if new:
                insert_rows(LOTS, new)
            if changed:
                db.session.execute(self._update, changed)
        ctx.counted(len(rows), len(new), len(changed))
