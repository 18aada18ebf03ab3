"""The trace engine: each answer is ONE recursive SQL query (a recursive CTE), never a
query per node, on SQLite and PostgreSQL alike.

Answers are plain rows (SQLAlchemy Row tuples), not ORM objects: a recall trace can reach
tens of thousands of lots and consignees, and building an object per row would cost more
than the query. `UNION` (not `UNION ALL`) in the recursive part drops rows already found,
so a diamond (two paths to one lot) is walked once per depth and counted once in the
answer. `max_depth` bounds every walk, so even a cycle that slipped past the checks
cannot make a query run forever.
"""

from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY

from ..extensions import db
from ..models import Customer, Lot, LotInput, Product, Shipment
from ..models.bulk import id_in  # noqa: F401  (re-exported: callers use engine.id_in)

MAX_DEPTH = 64

LOT_COLUMNS = (
    Lot.id,
    Lot.code,
    Lot.kind,
    Lot.status,
    Lot.quantity,
    Lot.unit,
    Lot.produced_on,
    Lot.expires_on,
    Lot.site,
    Product.sku.label("product_sku"),
    Product.name.label("product_name"),
)

# The same columns from the Core tables. Statements built only from Core tables take the
# Core path of Session.execute (still autoflushed): no ORM row loading, which otherwise
# costs a third of the time of a 7,000-lot trace. Callers get the same plain Rows.
_lots, _edges, _products = Lot.__table__, LotInput.__table__, Product.__table__
_customers, _shipments = Customer.__table__, Shipment.__table__


def _core(column):
    """The Core table column behind an ORM attribute, or a label of one (same name and type)."""
    if isinstance(column, sa.Label):
        return _core(column.element).label(column.name)
    return column.table.c[column.key]


_LOT_ROW = tuple(_core(column) for column in LOT_COLUMNS)

LotSource = Iterable[int] | sa.Select


def _ids(lot_ids: Iterable[int]) -> list[int]:
    return sorted({int(i) for i in lot_ids})


def _walk(root_ids: list[int], direction: str, max_depth: int) -> sa.CTE:
    """CTE (lot_id, depth): lots reached from the roots, one step per genealogy edge."""
    start, step = (
        (_edges.c.input_lot_id, _edges.c.output_lot_id)
        if direction == "forward"
        else (_edges.c.output_lot_id, _edges.c.input_lot_id)
    )
    walk = (
        sa.select(step.label("lot_id"), sa.literal(1).label("depth"))
        .where(start.in_(root_ids))
        .cte(f"{direction}_walk", recursive=True)
    )
    # `depth BETWEEN 1 AND max_depth - 1` means `depth < max_depth` (depth starts at 1), but
    # PostgreSQL estimates a two-sided range as 0.5% of rows instead of a third: otherwise it
    # expects millions of rows from any walk starting at a busy lot, hashes whole tables and
    # JIT-compiles the query (150 ms) for a trace of a few thousand lots.
    return walk.union(
        sa.select(step, walk.c.depth + 1)
        .join(walk, start == walk.c.lot_id)
        .where(walk.c.depth.between(1, max_depth - 1))
    )


def _reached(root_ids: list[int], direction: str, max_depth: int) -> sa.Select:
    walk = _walk(root_ids, direction, max_depth)
    reached = (
        sa.select(walk.c.lot_id, sa.func.min(walk.c.depth).label("depth")).group_by(walk.c.lot_id).subquery("reached")
    )
    return (
        sa.select(*_LOT_ROW, reached.c.depth)
        .join(reached, reached.c.lot_id == _lots.c.id)
        .join(_products, _products.c.id == _lots.c.product_id)
        .order_by(reached.c.depth, _lots.c.code)
    )


def backward(lot_ids: Iterable[int], max_depth: int = MAX_DEPTH) -> list[sa.Row]:
    """Every input lot of the given lots, recursively, with its (shortest) depth."""
    roots = _ids(lot_ids)
    return db.session.execute(_reached(roots, "backward", max_depth)).all() if roots else []


def forward(lot_ids: Iterable[int], max_depth: int = MAX_DEPTH) -> list[sa.Row]:
    """Every lot made from the given lots, recursively, with its (shortest) depth."""
    roots = _ids(lot_ids)
    return db.session.execute(_reached(roots, "forward", max_depth)).all() if roots else []


def forward_with_consignees(lot_ids: Iterable[int], max_depth: int = MAX_DEPTH) -> tuple[list[sa.Row], list[sa.Row]]:
    """A forward trace and its consignees: the walk runs once, and the consignees are read
    for the lots it found (roots included)."""
    roots = _ids(lot_ids)
    reached = forward(roots, max_depth)
    return reached, (consignees([*roots, *(row.id for row in reached)]) if roots else [])


def reach_count(lot_ids: Iterable[int], direction: str, max_depth: int = MAX_DEPTH) -> int:
    """How many lots a forward or backward trace reaches, without fetching them."""
    roots = _ids(lot_ids)
    if not roots:
        return 0
    walk = _walk(roots, direction, max_depth)
    return db.session.scalar(sa.select(sa.func.count(sa.distinct(walk.c.lot_id)))) or 0


def affected_ids(root_ids: Iterable[int], max_depth: int = MAX_DEPTH) -> sa.Select:
    """A SELECT of the roots and everything made from them, to embed in other statements."""
    roots = _ids(root_ids)
    walk = _walk(roots, "forward", max_depth)
    return (
        sa.union(
            sa.select(_lots.c.id.label("lot_id")).where(_lots.c.id.in_(roots)),
            sa.select(walk.c.lot_id),
        )
        .subquery("affected")
        .select()
    )


def _shipped_lots(lots: LotSource) -> sa.ColumnElement[bool]:
    """Shipments of these lots: an id list, or a SELECT of ids such as a trace."""
    if not isinstance(lots, sa.Select):
        return id_in(_shipments.c.lot_id, lots)
    if db.session.get_bind().dialect.name == "postgresql":
        # PostgreSQL plans `IN (walk)` before knowing the walk's size, and for a wide trace
        # picks a hash join over all shipments (2M rows: 400 ms). One array value makes it
        # probe the lot_id index instead, which is right from one lot to tens of thousands.
        ids = lots.subquery()
        as_array = sa.cast(sa.select(sa.func.array_agg(ids.c[0])).scalar_subquery(), ARRAY(sa.Integer))
        return _shipments.c.lot_id == sa.any_(as_array)
    return _shipments.c.lot_id.in_(lots)


def consignees(lots: LotSource) -> list[sa.Row]:
    """Who received these lots: consignee, number of lots, total quantity, first and last
    ship date, and the lot codes. `lots` is a list of ids or a SELECT of ids (such as
    `affected_ids(roots)`), so a whole trace is answered in one statement."""
    shipped = _shipments.c
    # Group by the consignee id alone, then read each consignee once: sorting thousands of
    # shipments on one integer instead of six text columns takes a third off a wide trace.
    received = (
        sa.select(
            shipped.consignee_id,
            sa.func.count(sa.distinct(shipped.lot_id)).label("lots"),
            sa.func.count(shipped.id).label("shipments"),
            sa.func.sum(shipped.quantity).label("quantity"),
            sa.func.min(shipped.shipped_on).label("first_shipped"),
            sa.func.max(shipped.shipped_on).label("last_shipped"),
        )
        .where(_shipped_lots(lots))
        .group_by(shipped.consignee_id)
        .subquery("received")
    )
    customer = _customers.c
    stmt = (
        sa.select(
            customer.id,
            customer.name,
            customer.kind,
            customer.country,
            customer.email,
            customer.phone,
            *(received.c[name] for name in ("lots", "shipments", "quantity", "first_shipped", "last_shipped")),
        )
        .join(received, received.c.consignee_id == customer.id)
        .order_by(customer.name)
    )
    return db.session.execute(stmt).all()


def shipments(lots: LotSource, limit: int | None = None) -> list[sa.Row]:
    """Shipment lines of these lots (one row per lot × consignee × document)."""
    lot_filter = _shipped_lots(lots)
    stmt = (
        sa.select(
            Shipment.id,
            Shipment.lot_id,
            Lot.code.label("lot_code"),
            Product.sku.label("product_sku"),
            Product.name.label("product_name"),
            Customer.id.label("consignee_id"),
            Customer.name.label("consignee"),
            Customer.country,
            Shipment.quantity,
            Lot.unit,
            Shipment.shipped_on,
            Shipment.reference,
        )
        .join(Lot, Lot.id == Shipment.lot_id)
        .join(Product, Product.id == Lot.product_id)
        .join(Customer, Customer.id == Shipment.consignee_id)
        .where(lot_filter)
        .order_by(Shipment.shipped_on, Lot.code, Customer.name)
    )
    if limit:
        stmt = stmt.limit(limit)
    return db.session.execute(stmt).all()


def common_cause(lot_ids: Iterable[int], max_depth: int = MAX_DEPTH) -> list[sa.Row]:
    """Input lots shared by two or more of the given lots, ranked by how many they feed."""
    given = _ids(lot_ids)
    if len(given) < 2:
        return []
    up = (
        sa.select(
            LotInput.output_lot_id.label("origin"),
            LotInput.input_lot_id.label("lot_id"),
            sa.literal(1).label("depth"),
        )
        .where(LotInput.output_lot_id.in_(given))
        .cte("ancestry", recursive=True)
    )
    up = up.union(
        sa.select(up.c.origin, LotInput.input_lot_id, up.c.depth + 1)
        .join(up, LotInput.output_lot_id == up.c.lot_id)
        .where(up.c.depth < max_depth)
    )
    shared = (
        sa.select(
            up.c.lot_id,
            sa.func.count(sa.distinct(up.c.origin)).label("feeds"),
            sa.func.min(up.c.depth).label("depth"),
        )
        .group_by(up.c.lot_id)
        .having(sa.func.count(sa.distinct(up.c.origin)) >= 2)
        .subquery("shared")
    )
    stmt = (
        sa.select(*LOT_COLUMNS, shared.c.feeds, shared.c.depth)
        .join(shared, shared.c.lot_id == Lot.id)
        .join(Product, Product.id == Lot.product_id)
        .order_by(shared.c.feeds.desc(), shared.c.depth, Lot.code)
    )
    return db.session.execute(stmt).all()


def tree_edges(lot_id: int, direction: str, max_depth: int = MAX_DEPTH, limit: int = 2000) -> list[sa.Row]:
    """The (parent, child, depth) edges of the upstream or downstream tree of one lot, for
    drawing it; at most `limit` edges, nearest first."""
    if direction == "forward":
        parent_col, child_col = LotInput.input_lot_id, LotInput.output_lot_id
    else:
        parent_col, child_col = LotInput.output_lot_id, LotInput.input_lot_id
    tree = (
        sa.select(parent_col.label("parent"), child_col.label("child"), sa.literal(1).label("depth"))
        .where(parent_col == lot_id)
        .cte(f"{direction}_tree", recursive=True)
    )
    tree = tree.union(
        sa.select(parent_col, child_col, tree.c.depth + 1)
        .join(tree, parent_col == tree.c.child)
        .where(tree.c.depth < max_depth)
    )
    edges = (
        sa.select(tree.c.parent, tree.c.child, sa.func.min(tree.c.depth).label("depth"))
        .group_by(tree.c.parent, tree.c.child)
        .subquery("edges")
    )
    stmt = (
        sa.select(edges.c.parent, edges.c.child, edges.c.depth, *LOT_COLUMNS[1:])
        .join(Lot, Lot.id == edges.c.child)
        .join(Product, Product.id == Lot.product_id)
        .order_by(edges.c.depth, Lot.code)
        .limit(limit)
    )
    return db.session.execute(stmt).all()


def would_cycle(input_lot_id: int, output_lot_id: int, max_depth: int = MAX_DEPTH) -> bool:
    """True if adding input -> output closes a loop: the input is already made from the output."""
    if input_lot_id == output_lot_id:
        return True
    walk = _walk([output_lot_id], "forward", max_depth)
    found = db.session.execute(sa.select(walk.c.lot_id).where(walk.c.lot_id == input_lot_id).limit(1)).first()
    return found is not None
