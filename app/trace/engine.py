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

from ..extensions import db
from ..models import Customer, Lot, LotInput, Product, Shipment

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

LotSource = Iterable[int] | sa.Select


def _ids(lot_ids: Iterable[int]) -> list[int]:
    return sorted({int(i) for i in lot_ids})


def _walk(root_ids: list[int], direction: str, max_depth: int) -> sa.CTE:
    """CTE (lot_id, depth): lots reached from the roots, one step per genealogy edge."""
    start, step = (
        (LotInput.input_lot_id, LotInput.output_lot_id)
        if direction == "forward"
        else (LotInput.output_lot_id, LotInput.input_lot_id)
    )
    walk = (
        sa.select(step.label("lot_id"), sa.literal(1).label("depth"))
        .where(start.in_(root_ids))
        .cte(f"{direction}_walk", recursive=True)
    )
    return walk.union(
        sa.select(step, walk.c.depth + 1).join(walk, start == walk.c.lot_id).where(walk.c.depth < max_depth)
    )


def _reached(root_ids: list[int], direction: str, max_depth: int) -> sa.Select:
    walk = _walk(root_ids, direction, max_depth)
    reached = (
        sa.select(walk.c.lot_id, sa.func.min(walk.c.depth).label("depth")).group_by(walk.c.lot_id).subquery("reached")
    )
    return (
        sa.select(*LOT_COLUMNS, reached.c.depth)
        .join(reached, reached.c.lot_id == Lot.id)
        .join(Product, Product.id == Lot.product_id)
        .order_by(reached.c.depth, Lot.code)
    )


def backward(lot_ids: Iterable[int], max_depth: int = MAX_DEPTH) -> list[sa.Row]:
    """Every input lot of the given lots, recursively, with its (shortest) depth."""
    roots = _ids(lot_ids)
    return db.session.execute(_reached(roots, "backward", max_depth)).all() if roots else []


def forward(lot_ids: Iterable[int], max_depth: int = MAX_DEPTH) -> list[sa.Row]:
    """Every lot made from the given lots, recursively, with its (shortest) depth."""
    roots = _ids(lot_ids)
    return db.session.execute(_reached(roots, "forward", max_depth)).all() if roots else []


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
            sa.select(Lot.id.label("lot_id")).where(Lot.id.in_(roots)),
            sa.select(walk.c.lot_id),
        )
        .subquery("affected")
        .select()
    )


def consignees(lots: LotSource) -> list[sa.Row]:
    """Who received these lots: consignee, number of lots, total quantity, first and last
    ship date, and the lot codes. `lots` is a list of ids or a SELECT of ids (such as
    `affected_ids(roots)`), so a whole trace is answered in one statement."""
    lot_filter = Shipment.lot_id.in_(lots if isinstance(lots, sa.Select) else _ids(lots))
    stmt = (
        sa.select(
            Customer.id,
            Customer.name,
            Customer.kind,
            Customer.country,
            Customer.email,
            Customer.phone,
            sa.func.count(sa.distinct(Shipment.lot_id)).label("lots"),
            sa.func.count(Shipment.id).label("shipments"),
            sa.func.sum(Shipment.quantity).label("quantity"),
            sa.func.min(Shipment.shipped_on).label("first_shipped"),
            sa.func.max(Shipment.shipped_on).label("last_shipped"),
        )
        .join(Customer, Customer.id == Shipment.consignee_id)
        .where(lot_filter)
        .group_by(Customer.id, Customer.name, Customer.kind, Customer.country, Customer.email, Customer.phone)
        .order_by(Customer.name)
    )
    return db.session.execute(stmt).all()


def shipments(lots: LotSource, limit: int | None = None) -> list[sa.Row]:
    """Shipment lines of these lots (one row per lot × consignee × document)."""
    lot_filter = Shipment.lot_id.in_(lots if isinstance(lots, sa.Select) else _ids(lots))
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
