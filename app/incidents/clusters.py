"""Finding what belongs together: open incidents related to a complaint, and clusters of
recent complaints whose lots share an input lot."""

from dataclasses import dataclass, field
from datetime import timedelta

import sqlalchemy as sa

from ..extensions import db
from ..models import Complaint, ComplaintLot, Incident, IncidentComplaint, IncidentLot, Lot, LotInput
from ..models.types import utcnow
from ..trace import engine
from ..trace.services import lots_named_in

SUGGESTIONS = 10
CLUSTER_DAYS = 90
CLUSTER_COMPLAINTS = 200
CLUSTER_GROUPS = 100


@dataclass
class Suggestion:
    incident: Incident
    reasons: list[str]


def suggest_incidents(complaint: Complaint, limit: int = SUGGESTIONS, known: list | None = None) -> list[Suggestion]:
    """Open incidents (not closed, not already linked) that share the complaint's product, one
    of its lot codes, or hold one of its lots' inputs in their traced lots. Four queries, two
    when the caller gives the complaint's `known` lots (lots_named_in), as its page has them."""
    if known is None:
        known, _ = lots_named_in([complaint.id])
    upstream = [r.id for r in engine.backward([r.id for r in known])]
    codes = sa.select(ComplaintLot.lot_code).where(ComplaintLot.complaint_id == complaint.id)
    same_product = (
        sa.select(IncidentComplaint.incident_id)
        .join(Complaint, Complaint.id == IncidentComplaint.complaint_id)
        .where(IncidentComplaint.incident_id == Incident.id, Complaint.product_id == complaint.product_id)
        .exists()
    )
    same_lot = sa.or_(
        sa.select(IncidentComplaint.incident_id)
        .join(ComplaintLot, ComplaintLot.complaint_id == IncidentComplaint.complaint_id)
        .where(IncidentComplaint.incident_id == Incident.id, ComplaintLot.lot_code.in_(codes))
        .exists(),
        sa.select(IncidentLot.lot_id)
        .join(Lot, Lot.id == IncidentLot.lot_id)
        .where(IncidentLot.incident_id == Incident.id, Lot.code.in_(codes))
        .exists(),
    )
    shared_input = (
        sa.select(IncidentLot.lot_id)
        .where(IncidentLot.incident_id == Incident.id, engine.id_in(IncidentLot.lot_id, upstream))
        .exists()
        if upstream
        else sa.false()
    )
    linked = sa.select(IncidentComplaint.incident_id).where(IncidentComplaint.complaint_id == complaint.id)
    rows = db.session.execute(
        sa.select(
            Incident,
            same_product.label("same_product"),
            same_lot.label("same_lot"),
            shared_input.label("shared_input"),
        )
        .where(Incident.status != "closed", Incident.id.not_in(linked), sa.or_(same_product, same_lot, shared_input))
        .order_by(Incident.created_at.desc(), Incident.id.desc())
        .limit(limit)
    ).all()
    labels = (("same_lot", "same lot code"), ("shared_input", "shares an input lot"), ("same_product", "same product"))
    return [Suggestion(row[0], [text for name, text in labels if getattr(row, name)]) for row in rows]


@dataclass
class Cluster:
    lot: sa.Row  # the shared input lot (engine.common_cause row)
    complaints: list[tuple[int, str]] = field(default_factory=list)


def _origins(given: list[int], shared: list[int]) -> list[sa.Row]:
    """(origin, lot_id): which of the given lots each shared input lot feeds, in one query."""
    up = (
        sa.select(
            LotInput.output_lot_id.label("origin"), LotInput.input_lot_id.label("lot_id"), sa.literal(1).label("d")
        )
        .where(engine.id_in(LotInput.output_lot_id, given))
        .cte("cluster_ancestry", recursive=True)
    )
    up = up.union(
        sa.select(up.c.origin, LotInput.input_lot_id, up.c.d + 1)
        .join(up, LotInput.output_lot_id == up.c.lot_id)
        .where(up.c.d < engine.MAX_DEPTH)
    )
    return db.session.execute(
        sa.select(up.c.origin, up.c.lot_id).where(engine.id_in(up.c.lot_id, shared)).distinct()
    ).all()


def clusters(days: int = CLUSTER_DAYS, cap: int = CLUSTER_COMPLAINTS) -> tuple[list[Cluster], int]:
    """Groups of recent complaints (not rejected) whose known lots share an input lot, largest
    first; and how many complaints were looked at."""
    recent = (
        sa.select(Complaint.id, Complaint.reference)
        .where(Complaint.received_at >= utcnow() - timedelta(days=days), Complaint.status != "rejected")
        .order_by(Complaint.received_at.desc())
        .limit(cap)
        .subquery()
    )
    looked_at = db.session.scalar(sa.select(sa.func.count()).select_from(recent)) or 0
    pairs = db.session.execute(
        sa.select(recent.c.id, recent.c.reference, Lot.id.label("lot_id"))
        .join(ComplaintLot, ComplaintLot.complaint_id == recent.c.id)
        .join(Lot, Lot.code == ComplaintLot.lot_code)
    ).all()
    by_lot: dict[int, set[tuple[int, str]]] = {}
    for pair in pairs:
        by_lot.setdefault(pair.lot_id, set()).add((pair.id, pair.reference))
    shared = engine.common_cause(by_lot)[:CLUSTER_GROUPS]
    if not shared:
        return [], looked_at
    fed: dict[int, set[tuple[int, str]]] = {}
    for origin, lot_id in _origins(list(by_lot), [r.id for r in shared]):
        fed.setdefault(lot_id, set()).update(by_lot.get(origin, ()))
    groups = [Cluster(r, sorted(fed.get(r.id, ()), key=lambda c: c[1])) for r in shared]
    groups = [g for g in groups if len(g.complaints) >= 2]  # lots of one complaint are no cluster
    groups.sort(key=lambda g: (-len(g.complaints), g.lot.code))
    return groups, looked_at
