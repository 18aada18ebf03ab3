"""Writing genealogy rows (input lot -> output lot): create new edges, update changed quantities."""

import sqlalchemy as sa

from ..extensions import db
from ..models import LotInput
from ..models.bulk import insert_rows
from . import cycles
from .context import ImportContext, Row
from .lookups import keys_among, lot_codes, lot_ids

EDGES = LotInput.__table__


class EdgeWriter:
    """Creates and updates edges chunk by chunk, matched on (input, output); refuses cycles."""

    def __init__(self, ctx: ImportContext):
        self.ctx = ctx
        # Without a quantity column the stored quantities are kept, not cleared.
        self.with_quantity = "quantity" in ctx.present
        self._update = (
            sa.update(EDGES)
            .where(EDGES.c.input_lot_id == sa.bindparam("_in"), EDGES.c.output_lot_id == sa.bindparam("_out"))
            .values(quantity=sa.bindparam("_quantity"))
        )

    def process(self, rows: list[Row]) -> None:
        ctx = self.ctx
        ids = lot_ids({v["input_lot_code"] for _, v in rows} | {v["output_lot_code"] for _, v in rows})
        resolved = []
        for line, v in rows:
            source, target = ids.get(v["input_lot_code"]), ids.get(v["output_lot_code"])
            for column, found in (("input_lot_code", source), ("output_lot_code", target)):
                if found is None:
                    ctx.error(line, column, f"No lot has the code '{v[column]}'; import the lots first.")
            if source is not None and target is not None:
                resolved.append((line, source, target, v.get("quantity")))
        existing = self._existing([(s, t) for _, s, t, _ in resolved])
        new, changed, new_edges = [], [], []
        for line, source, target, quantity in resolved:
            if (source, target) not in existing:
                row = {"input_lot_id": source, "output_lot_id": target}
                if self.with_quantity:
                    row["quantity"] = quantity
                new.append(row)
                new_edges.append((line, source, target))
            elif self.with_quantity and existing[(source, target)] != quantity:
                changed.append({"_in": source, "_out": target, "_quantity": quantity})
        if ctx.writing:
            if new:
                insert_rows(EDGES, new)
                self._refuse_cycles(new_edges)
            if changed:
                db.session.execute(self._update, changed)
        ctx.counted(len(rows), len(new), len(changed))

    def _existing(self, pairs: list[tuple[int, int]]) -> dict[tuple[int, int], object]:
        """{(input, output): quantity} of the stored edges among `pairs`."""
        if not pairs:
            return {}
        wanted = set(pairs)
        stmt = sa.select(EDGES.c.input_lot_id, EDGES.c.output_lot_id, EDGES.c.quantity).where(
            keys_among((EDGES.c.input_lot_id, EDGES.c.output_lot_id), wanted)
        )
        return {(s, t): q for s, t, q in db.session.execute(stmt) if (s, t) in wanted}

    def _refuse_cycles(self, new_edges: list[tuple[int, int, int]]) -> None:
        found = cycles.find_cycle(new_edges)
        if found is None:
            return
        line, path = found
        codes = lot_codes(set(path))
        input_code, output_code = codes[path[-1]], codes[path[0]]  # the new edge closes the path
        self.ctx.error(
            line,
            None,
            f"{input_code} -> {output_code} would make a cycle ({input_code} is already made from "
            f"{output_code}: {cycles.describe(path, codes)}).",
        )
