"""An incident's affected lots: root choices, the stored forward-trace snapshot, holding it."""

from dataclasses import dataclass, field

import sqlalchemy as sa

from ..audit import services as audit
from ..errors import InvalidTransition, NotAllowed, ValidationError
from ..extensions import db
from ..models import Customer, Incident, IncidentLot, Lot, Product, Shipment
from ..models.types import utcnow
from ..permissions import Permission
from ..trace import engine
from ..trace.services import StatusChange, change_status, lots_named_in
from ..workflow import INCIDENT
from .services import check_editable

ROWS_SHOWN = 500
CONSIGNEES_SHOWN = 100  # the PDF report lists them all
MAX_ROOTS = 200


def root_choices(complaint_ids: list[int]) -> tuple[list[sa.Row], list[sa.Row], list[str]]:
    """The lots the complaints name, their upstream lots (to pick a shared input), unknown codes."""
    named, unknown = lots_named_in(complaint_ids)
    upstream = engine.backward([r.id for r in named])[:MAX_ROOTS]
    return named, upstream, unknown


def snapshot_ids(incident: Incident) -> list[int]:
    return list(db.session.scalars(sa.select(IncidentLot.lot_id).where(IncidentLot.incident_id == incident.id)))


def store_trace(incident: Incident, root_ids: list[int], lot_code: str | None, actor) -> dict:
    """Trace forward from the chosen roots and store the result as the incident's snapshot
    (replacing the previous one); audited with the counts."""
    check_editable(incident, actor)
    wanted = set(root_ids[:MAX_ROOTS])
    if lot_code:
        typed = db.session.scalar(sa.select(Lot.id).where(Lot.code == lot_code.strip()))
        if typed is None:
            raise ValidationError(f"There is no lot {lot_code[:64]}.", {"lot_code": ["No such lot."]})
        wanted.add(typed)
    roots = db.session.execute(sa.select(Lot.id, Lot.code).where(Lot.id.in_(wanted)).order_by(Lot.code)).all()
    if not roots:
        raise ValidationError("Choose at least one lot to trace from.", {"lot_code": ["Choose or type a lot."]})
    root_ids = {r.id for r in roots}
    reached = [r for r in engine.forward(root_ids) if r.id not in root_ids]
    previous_roots = db.session.scalars(
        sa.select(Lot.code)
        .join(IncidentLot, IncidentLot.lot_id == Lot.id)
        .where(IncidentLot.incident_id == incident.id, IncidentLot.is_root.is_(True))
        .order_by(Lot.code)
    ).all()
    previous_total = db.session.scalar(
        sa.select(sa.func.count()).select_from(IncidentLot).where(IncidentLot.incident_id == incident.id)
    )
    db.session.execute(sa.delete(IncidentLot).where(IncidentLot.incident_id == incident.id))
    rows = [dict(incident_id=incident.id, lot_id=i, is_root=True, depth=0) for i in sorted(root_ids)]
    rows += [dict(incident_id=incident.id, lot_id=r.id, is_root=False, depth=r.depth) for r in reached]
    for start in range(0, len(rows), 5000):
        db.session.execute(sa.insert(IncidentLot), rows[start : start + 5000])
    consignee_count = len(engine.consignees([row["lot_id"] for row in rows]))
    incident.traced_at = utcnow()
    db.session.flush()
    counts = {"roots": len(roots), "lots": len(rows), "consignees": consignee_count}
    audit.record(
        "traced affected lots",
        "incident",
        incident.id,
        label=incident.reference,
        changes={
            "roots": [", ".join(previous_roots) or None, ", ".join(r.code for r in roots[:50])],
            "affected_lots": [previous_total, counts["lots"]],
            "consignees": [None, consignee_count],
        },
        actor=actor,
    )
    return counts


@dataclass
class Snapshot:
    total: int = 0
    roots: int = 0
    by_status: dict[str, int] = field(default_factory=dict)
    lots: list[sa.Row] = field(default_factory=list)
    consignees: list[sa.Row] = field(default_factory=list)
    consignee_total: int = 0


def snapshot(incident: Incident) -> Snapshot:
    """The stored affected lots: their counts, the first ROWS_SHOWN of them and the first
    CONSIGNEES_SHOWN consignees with how many there are. Three queries, however wide."""
    result = Snapshot()
    for status, is_root, count in db.session.execute(
        sa.select(Lot.status, IncidentLot.is_root, sa.func.count())
        .join(IncidentLot, IncidentLot.lot_id == Lot.id)
        .where(IncidentLot.incident_id == incident.id)
        .group_by(Lot.status, IncidentLot.is_root)
    ):
        result.by_status[status] = result.by_status.get(status, 0) + count
        result.roots += count if is_root else 0
        result.total += count
    if not result.total:
        return result
    result.lots = db.session.execute(
        sa.select(*engine.LOT_COLUMNS, IncidentLot.depth, IncidentLot.is_root)
        .join(IncidentLot, IncidentLot.lot_id == Lot.id)
        .join(Product, Product.id == Lot.product_id)
        .where(IncidentLot.incident_id == incident.id)
        .order_by(IncidentLot.depth, Lot.code)
        .limit(ROWS_SHOWN)
    ).all()
    result.consignees, result.consignee_total = first_consignees(incident.id, CONSIGNEES_SHOWN)
    return result


def first_consignees(incident_id: int, limit: int) -> tuple[list[sa.Row], int]:
    """The first `limit` consignees (by name) of the stored lots, and how many there are.

    One statement: the count is a window over the grouped consignees, taken before LIMIT, so
    a trace reaching thousands of consignees sends a hundred rows, not thousands.
    """
    shipped = Shipment.__table__.c
    in_snapshot = sa.select(IncidentLot.lot_id).where(IncidentLot.incident_id == incident_id)
    received = (
        sa.select(
            shipped.consignee_id,
            sa.func.count(sa.distinct(shipped.lot_id)).label("lots"),
            sa.func.sum(shipped.quantity).label("quantity"),
            sa.func.max(shipped.shipped_on).label("last_shipped"),
        )
        .where(shipped.lot_id.in_(in_snapshot))
        .group_by(shipped.consignee_id)
        .subquery("received")
    )
    customer = Customer.__table__.c
    rows = db.session.execute(
        sa.select(
            customer.id,
            customer.name,
            customer.country,
            received.c.lots,
            received.c.quantity,
            received.c.last_shipped,
            sa.func.count().over().label("total"),
        )
        .join(received, received.c.consignee_id == customer.id)
        .order_by(customer.name, customer.id)
        .limit(limit)
    ).all()
    return rows, rows[0].total if rows else 0


def hold_affected(incident: Incident, reason: str, actor) -> StatusChange:
    """Put every released lot of the snapshot on hold and write it into the containment."""
    if not actor.can(Permission.INCIDENT_EDIT):
        raise NotAllowed("Only production can hold the affected lots.")
    if INCIDENT.in_set("closed", incident.status):
        raise InvalidTransition(f"{incident.reference} is closed.")
    ids = snapshot_ids(incident)
    if not ids:
        raise ValidationError("Trace and store the affected lots first; then they can be held.")
    incident_id = incident.id
    result = change_status(ids, "hold", reason, actor)  # validates the reason; expires the session
    incident = db.session.get(Incident, incident_id)
    line = (
        f"{utcnow():%Y-%m-%d %H:%M} UTC: {result.moved} affected lot{'s' if result.moved != 1 else ''} "
        f"put on hold ({result.skipped} already in another state). Reason: {reason.strip()}"
    )
    before = incident.containment
    incident.containment = f"{before}\n{line}" if before else line
    db.session.flush()
    audit.record(
        "held affected lots",
        "incident",
        incident.id,
        label=incident.reference,
        changes={"containment": [before, incident.containment], "lots_held": [None, result.moved]},
        actor=actor,
    )
    return result
