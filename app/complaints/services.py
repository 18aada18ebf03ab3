"""Complaint rules: intake, editing before triage, transitions, comments."""

from datetime import date, datetime, timedelta

import sqlalchemy as sa

from .. import events
from ..audit import services as audit
from ..errors import NotAllowed, StaleRecord, ValidationError
from ..extensions import db
from ..models import Comment, Complaint, ComplaintLot, Customer, Product, User
from ..models.lot import parse_lot_codes
from ..models.types import utcnow
from ..permissions import Permission
from ..references import next_reference
from ..workflow import COMPLAINT, engine
from . import customers

EDITABLE_FIELDS = (
    "received_at",
    "channel",
    "customer_id",
    "complainant_name",
    "complainant_contact",
    "product_id",
    "lot_codes",
    "quantity_affected",
    "description",
    "category",
    "injury",
    "sample_available",
)
FIELD_LABELS = {
    "received_at": "Received at",
    "customer_id": "Customer",
    "product_id": "Product",
    "lot_codes": "Lot codes",
    "quantity_affected": "Quantity affected",
    "investigator_id": "Investigator",
    "due_date": "Due date",
    "risk_score": "Risk score",
    "reply_to_complainant": "Reply to complainant",
    "reportable_reason": "Reportability reason",
    "sample_available": "Sample available",
    "injury": "Injury / illness",
}


def _resolve_customer(data: dict, actor) -> None:
    """Quick-create: a typed new customer name becomes (or finds) a customer record.
    With the customer search (many customers), the typed `customer_name` is resolved."""
    name = data.pop("new_customer_name", None)
    searched = "customer_name" in data
    typed = data.pop("customer_name", None)
    if not name and searched:
        data["customer_id"] = customers.resolve(typed, data.get("customer_id"))
        return
    if not name:
        if not data.get("customer_id") or db.session.get(Customer, data["customer_id"]) is None:
            raise ValidationError(
                "Choose a customer or type the name of a new one.", {"customer_id": ["Choose a customer."]}
            )
        return
    customer = db.session.scalar(sa.select(Customer).where(sa.func.lower(Customer.name) == name.lower()))
    if customer is None:
        customer = Customer(name=name, kind="other")
        db.session.add(customer)
        db.session.flush()
        audit.record(
            "created",
            "customer",
            customer.id,
            label=name,
            actor=actor,
            changes={"name": [None, name], "via": [None, "complaint intake"]},
        )
    data["customer_id"] = customer.id


def _check_product(data: dict) -> None:
    if not data.get("product_id") or db.session.get(Product, data["product_id"]) is None:
        raise ValidationError("Choose the product.", {"product_id": ["Choose the product."]})


def _check_received_at(value: datetime) -> None:
    if value > utcnow() + timedelta(minutes=5):
        raise ValidationError(
            "The received time cannot be in the future.", {"received_at": ["This time is in the future."]}
        )


def _link_lots(complaint: Complaint) -> None:
    """Keep complaint_lots in step with the reported codes (known lots or not)."""
    wanted = parse_lot_codes(complaint.lot_codes)
    db.session.execute(sa.delete(ComplaintLot).where(ComplaintLot.complaint_id == complaint.id))
    db.session.add_all(ComplaintLot(complaint_id=complaint.id, lot_code=c) for c in wanted)


def _labelled(changes: dict) -> dict:
    """Readable values for foreign keys in audit changes (names, not ids)."""
    lookups = {
        "customer_id": (Customer, "name"),
        "product_id": (Product, "sku"),
        "investigator_id": (User, "name"),
    }
    for field, (model, attr) in lookups.items():
        if field in changes:
            changes[field] = [getattr(db.session.get(model, v), attr, v) if v else None for v in changes[field]]
    return changes


def create_complaint(data: dict, actor) -> Complaint:
    """Log a new complaint; raises the complaint.logged event."""
    data = dict(data)
    # Take the reference first: every intake then locks the counter row before the audit
    # chain, in the same order, so concurrent intakes queue instead of deadlocking.
    reference = next_reference("CMP")
    _resolve_customer(data, actor)
    _check_product(data)
    _check_received_at(data["received_at"])
    complaint = Complaint(
        reference=reference,
        status=COMPLAINT.initial,
        created_by_id=actor.id,
        **{k: data.get(k) for k in EDITABLE_FIELDS},
    )
    db.session.add(complaint)
    db.session.flush()
    _link_lots(complaint)
    changes = _labelled(audit.diff({}, {k: getattr(complaint, k) for k in EDITABLE_FIELDS}))
    audit.record("created", "complaint", complaint.id, label=complaint.reference, changes=changes, actor=actor)
    events.emit("complaint.logged", complaint, actor=actor)
    return complaint


def can_edit(complaint: Complaint, user) -> bool:
    return COMPLAINT.in_set("editable", complaint.status) and user.can(Permission.COMPLAINT_EDIT)


def update_complaint(complaint: Complaint, data: dict, actor, opened_version: int | None):
    """Save an edit; only sales, only before triage, only from the current version."""
    if not can_edit(complaint, actor):
        raise NotAllowed("Only sales can edit a complaint, and only until it is triaged.")
    if opened_version != complaint.version:
        raise StaleRecord("This complaint was changed by someone else since you opened it.")
    data = dict(data)
    _resolve_customer(data, actor)
    _check_product(data)
    _check_received_at(data["received_at"])
    before = audit.snapshot(complaint, EDITABLE_FIELDS)
    for key in EDITABLE_FIELDS:
        setattr(complaint, key, data.get(key))
    changes = _labelled(audit.diff(before, audit.snapshot(complaint, EDITABLE_FIELDS)))
    if changes:
        db.session.flush()
        if "lot_codes" in changes:
            _link_lots(complaint)
        audit.record("updated", "complaint", complaint.id, label=complaint.reference, changes=changes, actor=actor)
    return changes


def _triage_values(values: dict) -> dict:
    """Triage's own rules beyond the required values; the risk score follows from them."""
    for field in ("severity", "probability"):
        if values[field] not in range(1, 6):
            raise ValidationError(f"{field.title()} must be 1 to 5.", {field: ["Choose 1 to 5."]})
    investigator = db.session.get(User, values["investigator_id"])
    if investigator is None or not investigator.active or not investigator.can(Permission.COMPLAINT_TRIAGE):
        raise ValidationError(
            "The investigator must be an active production user.",
            {"investigator_id": ["Choose a production user."]},
        )
    if values["due_date"] < date.today() - timedelta(days=1):
        raise ValidationError("The due date is in the past.", {"due_date": ["Choose a later date."]})
    return values | {"risk_score": values["severity"] * values["probability"]}


def apply_transition(complaint: Complaint, name: str, data: dict, actor) -> Complaint:
    """Move the complaint through the engine (triage has rules of its own)."""
    validate = _triage_values if name == "triage" else None
    engine.apply(complaint, name, actor, data, validate=validate)
    return complaint


def add_comment(complaint: Complaint, body: str, actor) -> Comment:
    comment = Comment(record_type="complaint", record_id=complaint.id, author_id=actor.id, body=body)
    db.session.add(comment)
    db.session.flush()
    audit.record(
        "commented",
        "complaint",
        complaint.id,
        label=complaint.reference,
        changes={"comment": [None, body]},
        actor=actor,
    )
    return comment


def investigators() -> list[User]:
    from ..models import UserRole

    return list(
        db.session.scalars(
            sa.select(User)
            .join(UserRole)
            .where(UserRole.role == "production", User.active.is_(True))
            .order_by(User.name)
        )
    )
