"""Lot rules: status changes on one or many lots (holds), lot pages' data, trace exports."""

from dataclasses import dataclass

import sqlalchemy as sa
import sqlalchemy.orm as so

from ..errors import NotAllowed, ValidationError
from ..extensions import db
from ..models import Complaint, ComplaintLot, Lot
from ..models.types import utcnow
from ..workflow import LOT
from ..workflow import engine as workflow_engine
from . import engine

MAX_REASON = 2000


@dataclass
class StatusChange:
    moved: int
    skipped: int
    label: str

    def message(self) -> str:
        text = f"{self.label}: {self.moved} lot{'s' if self.moved != 1 else ''} changed."
        if self.skipped:
            text += f" {self.skipped} already in another state were left as they were."
        return text


def lot_moves(user) -> list:
    """The lot moves this user may make by hand ("recall" only comes with a signed recall approval)."""
    return [t for t in LOT.transitions if t.manual and t.allows(user, None)]


def change_status(
    lots: list[int] | sa.Select, name: str, reason: str, actor, *, as_part_of: str | None = None
) -> StatusChange:
    """Move the chosen lots (ids, or a SELECT of ids such as a whole trace) in one transaction.

    Lots not in a state the move starts from are skipped and counted; every moved lot gets
    its own audit event. Moves without a button (recall) are refused unless a service makes
    them `as_part_of` a larger step (the signed approval of a recall).
    """
    transition = LOT.get(name)
    if not transition.manual and not as_part_of:
        raise NotAllowed(f"Lots are marked “{transition.label.lower()}” only through a recall's signed approval.")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("Give the reason for this change.", {"reason": ["Give the reason."]})
    if len(reason) > MAX_REASON:
        raise ValidationError(f"Keep the reason under {MAX_REASON} characters.", {"reason": ["Too long."]})
    chosen = lots if isinstance(lots, sa.Select) else sorted({int(i) for i in lots})
    if not isinstance(chosen, sa.Select) and not chosen:
        raise ValidationError("Choose at least one lot.")
    moved = workflow_engine.apply_many(
        Lot,
        chosen,
        name,
        actor,
        {"reason": reason},
        label_column=Lot.code,
        stamps={"status_changed_at": utcnow()},
        as_part_of=as_part_of,
    )
    return StatusChange(moved=len(moved.rows), skipped=moved.skipped, label=transition.label)


def lots_named_in(complaint_ids: list[int]) -> tuple[list[sa.Row], list[str]]:
    """The known lots named by these complaints, and the codes no lot has (yet)."""
    codes = db.session.scalars(
        sa.select(ComplaintLot.lot_code).where(ComplaintLot.complaint_id.in_(complaint_ids)).distinct()
    ).all()
    known = db.session.execute(
        sa.select(Lot.id, Lot.code, Lot.status).where(Lot.code.in_(codes)).order_by(Lot.code)
    ).all()
    found = {r.code for r in known}
    return known, sorted(c for c in codes if c not in found)


def complaints_about(lot: Lot) -> list[Complaint]:
    return list(
        db.session.scalars(
            sa.select(Complaint)
            .join(ComplaintLot, ComplaintLot.complaint_id == Complaint.id)
            .where(ComplaintLot.lot_code == lot.code)
            .options(so.joinedload(Complaint.customer))
            .order_by(Complaint.received_at.desc())
            .limit(100)
        )
    )


@dataclass
class TreeNode:
    row: sa.Row
    children: list["TreeNode"]


def build_tree(edges: list[sa.Row], root_id: int, max_nodes: int = 400) -> tuple[list[TreeNode], bool]:
    """Nested nodes for drawing a tree from (parent, child) edges; truncated at max_nodes.

    A lot reached by several paths (a diamond) appears under each parent, so the drawing
    is bounded by `max_nodes`; the counts on the page come from the trace, not the drawing.
    """
    by_parent: dict[int, list[sa.Row]] = {}
    for edge in edges:
        by_parent.setdefault(edge.parent, []).append(edge)
    budget = [max_nodes]

    def expand(parent: int, path: frozenset) -> list[TreeNode]:
        nodes = []
        for edge in by_parent.get(parent, []):
            if budget[0] <= 0:
                break
            if edge.child in path:
                continue
            budget[0] -= 1
            nodes.append(TreeNode(edge, expand(edge.child, path | {edge.child})))
        return nodes

    tree = expand(root_id, frozenset({root_id}))
    return tree, budget[0] <= 0


FSMA_HEADER = [
    "traceability_lot_code",
    "product_sku",
    "product_description",
    "event",
    "quantity",
    "unit",
    "event_date",
    "location",
    "country",
    "reference_document",
    "trace_depth",
    "lot_status",
]


def trace_rows(root_ids: list[int]):
    """FSMA 204 style rows for a forward trace: one per lot (its production) and one per
    shipment of any affected lot."""
    roots = {
        r.id: r
        for r in db.session.execute(sa.select(*engine.LOT_COLUMNS).join(Lot.product).where(Lot.id.in_(root_ids)))
    }
    lots = list(roots.values()) + [r for r in engine.forward(root_ids) if r.id not in roots]
    depth = {r.id: getattr(r, "depth", 0) for r in lots}
    status = {}
    for lot in lots:
        status[lot.id] = lot.status
        event = "receiving" if lot.kind == "raw" else "transformation"
        yield [
            lot.code,
            lot.product_sku,
            lot.product_name,
            event,
            lot.quantity,
            lot.unit,
            lot.produced_on,
            lot.site or "",
            "",
            "",
            depth[lot.id],
            lot.status,
        ]
    for s in engine.shipments(engine.affected_ids(root_ids)):
        yield [
            s.lot_code,
            s.product_sku,
            s.product_name,
            "shipping",
            s.quantity,
            s.unit,
            s.shipped_on,
            s.consignee,
            s.country or "",
            s.reference,
            depth.get(s.lot_id, ""),
            status.get(s.lot_id, ""),
        ]
