"""Recall rules: proposing from an incident with a traced scope, the four-eyes signed approval
(lots recalled, consignee notices built from the shipments), and the RECALL moves."""

from collections import defaultdict
from datetime import date
from decimal import Decimal

import sqlalchemy as sa

from .. import events
from ..audit import services as audit
from ..errors import NotAllowed, ValidationError
from ..extensions import db
from ..models import (
    CLASSIFICATIONS,
    DEPTHS,
    EFFECTIVENESS_LEVELS,
    REMEDIES,
    Incident,
    Lot,
    Recall,
    RecallLot,
    RecallNotice,
    RecallNoticeLine,
    Shipment,
)
from ..models.bulk import insert_rows
from ..models.types import utcnow
from ..permissions import Permission
from ..references import next_reference
from ..trace import engine
from ..web.filters import whole_number
from ..workflow import RECALL, consequences
from ..workflow import engine as workflow_engine
from .tokens import new_nonce

FIELDS = (
    "title",
    "reason",
    "hazard",
    "classification",
    "depth",
    "public_warning",
    "effectiveness_level",
    "effectiveness_percent",
    "remedy",
    "instructions",
    "estimated_completion",
)
REQUIRED_TEXT = ("title", "reason", "hazard", "instructions")
FIELD_LABELS = {
    "effectiveness_level": "Effectiveness check level",
    "effectiveness_percent": "Share to check",
    "estimated_completion": "Estimated completion",
    "public_warning": "Public warning",
    "termination_note": "Note",
    "completion_note": "Completion note",
}
MAX_SCOPE = 200_000  # lots in one recall's scope: a plant's whole year fits, a runaway list does not


def _raise(errors: dict[str, list[str]]) -> None:
    first = next(iter(errors))
    label = FIELD_LABELS.get(first, first.replace("_", " ").capitalize())
    raise ValidationError(f"{label}: {errors[first][0]}", errors)


def validate(data: dict) -> dict:
    values = {k: data.get(k) for k in FIELDS}
    errors: dict[str, list[str]] = {}
    for name in REQUIRED_TEXT:
        values[name] = (values[name] or "").strip()
        if not values[name]:
            errors[name] = ["This is required."]
    if len(values["title"]) > 200:
        errors["title"] = ["Keep the title under 200 characters."]
    choices = {
        "classification": CLASSIFICATIONS,
        "depth": DEPTHS,
        "effectiveness_level": EFFECTIVENESS_LEVELS,
        "remedy": REMEDIES,
    }
    for name, allowed in choices.items():
        if values[name] not in allowed:
            errors[name] = ["Choose one from the list."]
    values["public_warning"] = bool(values["public_warning"])
    percent = values["effectiveness_percent"]
    if values["effectiveness_level"] == "B":
        if not isinstance(percent, int) or not 10 < percent < 100:
            errors["effectiveness_percent"] = ["For level B give the share to check, between 11 and 99 percent."]
    else:
        values["effectiveness_percent"] = None
    completion = values["estimated_completion"]
    if completion is not None and not isinstance(completion, date):
        errors["estimated_completion"] = ["Enter a date."]
    if errors:
        _raise(errors)
    return values


def can_propose(user) -> bool:
    return user.can(Permission.RECALL_PROPOSE)


def _existing_lot_ids(ids) -> list[int]:
    wanted = sorted({int(i) for i in ids})
    found: list[int] = []
    for start in range(0, len(wanted), 5000):
        chunk = wanted[start : start + 5000]
        found.extend(db.session.scalars(sa.select(Lot.id).where(Lot.id.in_(chunk))))
    return sorted(found)


def scope_for(root_ids) -> list[int]:
    """The roots and every lot made from them (the forward trace): the default scope."""
    roots = _existing_lot_ids(root_ids)
    return sorted({*roots, *(row.id for row in engine.forward(roots))}) if roots else []


def scope_without(roots, excluded) -> list[int] | None:
    """The forward trace of the roots less the lots people left out (None: nothing left out).
    Root lots are always kept: they are why there is a recall."""
    if not excluded:
        return None
    left_out = set(excluded) - set(roots)
    return [i for i in scope_for(roots) if i not in left_out]


def propose(incident: Incident, data: dict, root_lot_ids, actor, scope_lot_ids=None) -> Recall:
    """Propose a recall for the incident; its scope is the forward trace of the root lots,
    or the lots people chose from it (`scope_lot_ids`), kept as a snapshot."""
    reference = next_reference("RCL")  # the counter row first, as in every create
    if not can_propose(actor):
        raise NotAllowed("Only production or marketing can propose a recall.")
    extends_id = whole_number(str(data.get("extends_id"))) if data.get("extends_id") else None
    if refusal := consequences.recall_refusal(incident, extends_id):
        raise ValidationError(refusal, {"extends_id": [refusal]})
    values = validate(data)
    roots = _existing_lot_ids(root_lot_ids or [])
    if not roots:
        raise ValidationError(
            "Choose at least one root lot: the recall's scope is traced forward from it.",
            {"root_lots": ["Choose at least one lot."]},
        )
    scope = _existing_lot_ids(scope_lot_ids) if scope_lot_ids is not None else scope_for(roots)
    scope = sorted(set(scope) | set(roots))
    if len(scope) > MAX_SCOPE:
        raise ValidationError(f"The scope has {len(scope):,} lots; a recall takes at most {MAX_SCOPE:,}.")
    recall = Recall(
        reference=reference,
        incident=incident,  # joins incident.recalls too, if the session has it loaded
        status=RECALL.initial,
        proposed_by_id=actor.id,
        extends_id=extends_id,
        **values,
    )
    db.session.add(recall)
    db.session.flush()
    root_set = set(roots)
    rows = [{"recall_id": recall.id, "lot_id": i, "is_root": i in root_set} for i in scope]
    for start in range(0, len(rows), 5000):
        db.session.execute(sa.insert(RecallLot), rows[start : start + 5000])
    changes = audit.diff({}, values)
    changes["lots"] = [None, f"{len(scope):,} lots ({len(roots)} root lots)"]
    if recall.extends_id:
        changes["extends"] = [None, recall.extends.reference]
    audit.record("proposed", "recall", recall.id, label=reference, changes=changes, actor=actor)
    audit.record(
        "recall proposed",
        "incident",
        incident.id,
        label=incident.reference,
        changes={"recall": [None, reference]},
        actor=actor,
    )
    consequences.recall_proposed(recall, actor)
    events.emit("recall.proposed", recall, actor=actor)
    return recall


def scope_ids(recall: Recall) -> sa.Select:
    return sa.select(RecallLot.lot_id).where(RecallLot.recall_id == recall.id)


def build_notices(recall: Recall) -> int:
    """One notice per consignee that received a lot in scope, with a line per lot: the
    quantity shipped to them (21 CFR 7.49: the letter names the lots and quantities)."""
    shipped = db.session.execute(
        sa.select(Shipment.consignee_id, Shipment.lot_id, sa.func.sum(Shipment.quantity).label("quantity"))
        .where(Shipment.lot_id.in_(scope_ids(recall)))
        .group_by(Shipment.consignee_id, Shipment.lot_id)
        .order_by(Shipment.consignee_id, Shipment.lot_id)
    ).all()
    by_consignee: dict[int, list] = defaultdict(list)
    for row in shipped:
        by_consignee[row.consignee_id].append(row)
    notices = [
        {
            "recall_id": recall.id,
            "consignee_id": consignee_id,
            "quantity_shipped": sum((Decimal(r.quantity or 0) for r in lines), Decimal(0)),
            "token_nonce": new_nonce(),
            "status": "pending",
            "reminders": 0,
            "version": 1,
        }
        for consignee_id, lines in by_consignee.items()
    ]
    insert_rows(RecallNotice.__table__, notices)
    ids = dict(
        db.session.execute(
            sa.select(RecallNotice.consignee_id, RecallNotice.id).where(RecallNotice.recall_id == recall.id)
        ).all()
    )
    lines = [
        {"notice_id": ids[row.consignee_id], "lot_id": row.lot_id, "quantity": row.quantity or 0} for row in shipped
    ]
    insert_rows(RecallNoticeLine.__table__, lines)
    return len(notices)


def approve(recall: Recall, actor, meaning: str, password: str) -> Recall:
    """The signed four-eyes approval: lots in scope marked recalled (a consequence declared
    beside the tables), consignee notices built."""
    now = utcnow()
    workflow_engine.apply(
        recall,
        "approve",
        actor,
        signing=workflow_engine.Signing(meaning, password),
        validate=lambda values: values | {"approved_by_id": actor.id, "approved_at": now},
        effects=lambda: {"consignees": [None, build_notices(recall)]},
    )
    return recall


def apply_transition(recall: Recall, name: str, data: dict, actor, password: str | None = None) -> Recall:
    """Any RECALL move through the engine; terminate is signed and stamps the end."""
    if name == "approve":
        return approve(recall, actor, data.get("meaning") or "", password or "")

    def stamped(values: dict) -> dict:
        return values | {"terminated_at": utcnow()} if name == "terminate" else values

    workflow_engine.apply(
        recall,
        name,
        actor,
        data,
        signing=workflow_engine.Signing(data.get("meaning") or "", password or ""),
        validate=stamped,
    )
    return recall


def accepts_responses(recall: Recall) -> bool:
    """Response links work from approval until the recall is terminated."""
    return RECALL.in_set("responding", recall.status)
