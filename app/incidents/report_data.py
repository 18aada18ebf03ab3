"""Gather what the incident report prints, in a fixed number of queries (thirteen, however many
lots, actions or events), as plain rows for the pure builder in app/reports."""

import sqlalchemy as sa
import sqlalchemy.orm as so

from ..audit.checkpoints import printed_seal
from ..audit.services import events_for
from ..extensions import db
from ..models import (
    ACTION_KINDS,
    CATEGORIES,
    DECISIONS,
    FISHBONE,
    MEANINGS,
    Action,
    Complaint,
    Incident,
    IncidentLot,
    Lot,
    Product,
    User,
)
from ..models.types import utcnow
from ..reports.data import (
    ActionRow,
    ComplaintRow,
    ConsigneeRow,
    EventRow,
    IncidentReportData,
    LotRow,
    SignatureRow,
)
from ..signatures.services import signatures_for
from ..trace import engine
from ..trends.queries import weekly_for_incident
from ..workflow import ACTION, INCIDENT, LOT

# A recall can reach tens of thousands of lots; past this the printout lists the first lots
# and says where the complete list is (the report must still build in seconds).
MAX_REPORT_LOTS = 5000


def _complaints(incident: Incident) -> list[ComplaintRow]:
    # The collection as a statement (with_parent: the relationship's own join), so each row's
    # customer and product come in the same query instead of one lazy load per complaint.
    complaints = db.session.scalars(
        sa.select(Complaint)
        .where(so.with_parent(incident, Incident.complaints))
        .options(so.joinedload(Complaint.product), so.joinedload(Complaint.customer))
        .order_by(Complaint.reference)
    )
    return [
        ComplaintRow(
            c.reference,
            c.received_at,
            c.customer.name,
            c.product.label,
            c.lot_codes or "",
            CATEGORIES.get(c.category, c.category),
            bool(c.injury),
        )
        for c in complaints
    ]


def _lots(incident: Incident) -> tuple[int, list[LotRow], list[ConsigneeRow]]:
    in_snapshot = IncidentLot.incident_id == incident.id
    total = db.session.scalar(sa.select(sa.func.count()).select_from(IncidentLot).where(in_snapshot)) or 0
    if not total:
        return 0, [], []
    rows = db.session.execute(
        sa.select(Lot.code, Product.sku, Product.name, Lot.kind, Lot.status, IncidentLot.depth)
        .join(IncidentLot, IncidentLot.lot_id == Lot.id)
        .join(Product, Product.id == Lot.product_id)
        .where(in_snapshot)
        .order_by(IncidentLot.depth, Lot.code)
        .limit(MAX_REPORT_LOTS)
    )
    lots = [LotRow(r.code, f"{r.sku} — {r.name}", r.kind, LOT.label(r.status), r.depth) for r in rows]
    # A SELECT of the snapshot's ids: the consignees are one statement, however many lots.
    received = engine.consignees(sa.select(IncidentLot.lot_id).where(in_snapshot))
    consignees = [ConsigneeRow(r.name, r.country or "", r.lots, r.quantity) for r in received]
    return total, lots, consignees


def _actions(incident: Incident) -> list[ActionRow]:
    actions = db.session.scalars(
        sa.select(Action)
        .where(so.with_parent(incident, Incident.actions))
        .options(so.joinedload(Action.owner))
        .order_by(Action.id)
    )
    return [
        ActionRow(
            a.reference,
            ACTION_KINDS.get(a.kind, a.kind),
            a.description,
            a.owner.name,
            a.due_date,
            ACTION.label(a.status),
            a.effectiveness_check,
            a.effectiveness_result or "",
            a.justification or "",
        )
        for a in actions
    ]


def incident_report_data(incident: Incident) -> IncidentReportData:
    """Everything the report of this incident prints, read now (the report's timestamp)."""
    owner = db.session.get(User, incident.owner_id)
    lot_total, lots, consignees = _lots(incident)
    risk = "not assessed"
    if incident.risk_score:
        risk = f"{incident.severity} × {incident.probability} = {incident.risk_score}"
    return IncidentReportData(
        reference=incident.reference,
        title=incident.title,
        status=INCIDENT.label(incident.status),
        risk=risk,
        owner=owner.name if owner else "",
        opened_at=incident.created_at,
        traced_at=incident.traced_at,
        description=incident.description,
        generated_at=utcnow(),
        complaints=_complaints(incident),
        weekly=weekly_for_incident(incident.id),
        lot_total=lot_total,
        lots=lots,
        consignees=consignees,
        containment=incident.containment or "",
        whys=[w.text for w in incident.whys],
        fishbone=FISHBONE.get(incident.fishbone_category or "", incident.fishbone_category or ""),
        root_cause=incident.root_cause or "",
        escape_point=incident.escape_point or "",
        decision=DECISIONS.get(incident.decision or "", incident.decision or ""),
        decision_reason=incident.decision_reason or "",
        closing_summary=incident.closing_summary or "",
        actions=_actions(incident),
        timeline=[
            EventRow(e.created_at, e.actor_name, e.action, e.record_label or "")
            for e in events_for("incident", incident.id)
        ],
        audit_seal=printed_seal(),
        signatures=[
            SignatureRow(s.printed_name, s.username, MEANINGS.get(s.meaning, s.meaning), s.signed_at, s.action)
            for s in signatures_for("incident", [incident.id])
        ],
    )
