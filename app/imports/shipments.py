"""Writing shipment rows: one lot to one consignee on one shipping document (the reference)."""

import sqlalchemy as sa

from ..extensions import db
from ..models import Customer, Shipment
from ..models.bulk import insert_rows
from ..models.types import utcnow
from .context import ImportContext, Row
from .lookups import AMBIGUOUS, NameCache, keys_among, lot_ids

SHIPMENTS = Shipment.__table__


class ShipmentWriter:
    """Creates and updates shipment lines chunk by chunk, matched on (reference, lot, consignee)."""

    def __init__(self, ctx: ImportContext):
        self.ctx = ctx
        self.customers = NameCache(Customer.__table__.c.id, Customer.__table__.c.name)
        self._update = (
            sa.update(SHIPMENTS)
            .where(SHIPMENTS.c.id == sa.bindparam("_id"))
            .values(quantity=sa.bindparam("_quantity"), shipped_on=sa.bindparam("_shipped_on"))
        )

    def process(self, rows: list[Row]) -> None:
        ctx = self.ctx
        lots = lot_ids({v["lot_code"] for _, v in rows})
        resolved = []
        for line, v in rows:
            lot_id = lots.get(v["lot_code"])
            consignee_id = self.customers.get(v["consignee"])
            if lot_id is None:
                ctx.error(line, "lot_code", f"No lot has the code '{v['lot_code']}'; import the lots first.")
            if consignee_id is None:
                ctx.error(line, "consignee", f"No customer is named '{v['consignee']}'; add it under Customers.")
            elif consignee_id == AMBIGUOUS:
                ctx.error(line, "consignee", f"Several customers are named '{v['consignee']}' (in different case).")
            elif lot_id is not None:
                resolved.append(((v["reference"], lot_id, consignee_id), v))
        existing = self._existing([key for key, _ in resolved])
        new, changed = [], []
        now = utcnow()
        for (reference, lot_id, consignee_id), v in resolved:
            old = existing.get((reference, lot_id, consignee_id))
            if old is None:
                new.append(
                    {
                        "reference": reference,
                        "lot_id": lot_id,
                        "consignee_id": consignee_id,
                        "quantity": v["quantity"],
                        "shipped_on": v["shipped_on"],
                        "created_at": now,
                    }
                )
            elif (old[1], old[2]) != (v["quantity"], v["shipped_on"]):
                changed.append({"_id": old[0], "_quantity": v["quantity"], "_shipped_on": v["shipped_on"]})
        if ctx.writing:
            if new:
                insert_rows(SHIPMENTS, new)
            if changed:
                db.session.execute(self._update, changed)
        ctx.counted(len(rows), len(new), len(changed))

    def _existing(self, keys: list[tuple[str, int, int]]) -> dict[tuple[str, int, int], tuple]:
        """{(reference, lot, consignee): (id, quantity, shipped_on)} of the stored lines among `keys`."""
        if not keys:
            return {}
        wanted = set(keys)
        c = SHIPMENTS.c
        stmt = sa.select(c.reference, c.lot_id, c.consignee_id, c.id, c.quantity, c.shipped_on).where(
            keys_among((c.reference, c.lot_id, c.consignee_id), wanted)
        )
        found = {(r[0], r[1], r[2]): (r[3], r[4], r[5]) for r in db.session.execute(stmt)}
        return {key: value for key, value in found.items() if key in wanted}
