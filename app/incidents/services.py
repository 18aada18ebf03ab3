"""Incident rules: opening from complaints, linking, editing, the INCIDENT moves (close is signed)."""

import sqlalchemy as sa

from .. import events
from ..audit import services as audit
from ..errors import InvalidTransition, NotAllowed, StaleRecord, ValidationError
from ..extensions import db
from ..models import (
    DECISIONS,
    FISHBONE,
    Complaint,
    Incident,
    IncidentWhy,
    Recall,
    User,
    UserRole,
)
from ..models.types import utcnow
from ..permissions import Permission
from ..references import next_reference
from ..workflow import INCIDENT, engine
from .clusters import suggest_incidents  # noqa: F401  (complaint pages ask this module)

CREATE_FIELDS = ("title", "description", "owner_id", "severity", "probability")
EDITABLE_FIELDS = (
    *CREATE_FIELDS,
    "containment",
    "fishbone_category",
    "root_cause",
    "escape_point",
    "decision",
    "decision_reason",
)
FIELD_LABELS = {
    "owner_id": "Owner",
    "risk_score": "Risk score",
    "fishbone_category": "Fishbone category",
    "root_cause": "Root cause",
    "escape_point": "Escape point",
    "decision_reason": "Decision reason",
    "closing_summary": "Closing summary",
    "whys": "5 whys",
}


def owners() -> list[User]:
    """Active production users: who may own an incident."""
    return list(
        db.session.scalars(
            sa.select(User)
            .join(UserRole)
            .where(UserRole.role == "production", User.active.is_(True))
            .order_by(User.name)
        )
    )


def risk_defaults(complaints: list[Complaint]) -> tuple[int | None, int | None]:
    """The highest severity and probability among the triaged complaints."""
    triaged = [c for c in complaints if c.severity and c.probability]
    if not triaged:
        return None, None
    return max(c.severity for c in triaged), max(c.probability for c in triaged)


def can_edit(incident: Incident, user) -> bool:
    return not INCIDENT.in_set("final", incident.status) and user.can(Permission.INCIDENT_EDIT)


def check_editable(incident: Incident, user) -> None:
    if not user.can(Permission.INCIDENT_EDIT):
        raise NotAllowed("Only production can change an incident.")
    if INCIDENT.in_set("final", incident.status):
        raise InvalidTransition(f"{incident.reference} is {INCIDENT.label(incident.status).lower()}: it is final.")


def _validate(data: dict, fields) -> dict:
    values = {k: data.get(k) for k in fields}
    errors: dict[str, list[str]] = {}
    for name in ("title", "description"):
        values[name] = (values[name] or "").strip()
        if not values[name]:
            errors[name] = ["This is required."]
    if len(values["title"]) > 200:
        errors["title"] = ["Keep the title under 200 characters."]
    for name in ("severity", "probability"):
        if values[name] not in range(1, 6):
            errors[name] = ["Choose 1 to 5."]
    owner = db.session.get(User, values["owner_id"]) if values["owner_id"] else None
    if owner is None or not owner.active or not owner.can(Permission.INCIDENT_EDIT):
        errors["owner_id"] = ["Choose an active production user."]
    if values.get("fishbone_category") and values["fishbone_category"] not in FISHBONE:
        errors["fishbone_category"] = ["Choose a category from the list."]
    if values.get("decision") and values["decision"] not in DECISIONS:
        errors["decision"] = ["Choose a decision from the list."]
    if errors:
        first = next(iter(errors))
        label = FIELD_LABELS.get(first, first.replace("_", " ").capitalize())
        raise ValidationError(f"{label}: {errors[first][0]}", errors)
    for name in fields:
        if name not in CREATE_FIELDS:
            values[name] = values[name] or None
    values["risk_score"] = values["severity"] * values["probability"]
    return values


def _labelled(changes: dict) -> dict:
    if "owner_id" in changes:
        changes["owner_id"] = [getattr(db.session.get(User, v), "name", v) if v else None for v in changes["owner_id"]]
    return changes


def _audit_link(incident: Incident, complaint: Complaint, actor) -> None:
    """Linking shows on both timelines: the incident's and the complaint's."""
    audit.record(
        "linked complaint",
        "incident",
        incident.id,
        label=incident.reference,
        changes={"complaint": [None, complaint.reference]},
        actor=actor,
    )
    audit.record(
        "linked to incident",
        "complaint",
        complaint.id,
        label=complaint.reference,
        changes={"incident": [None, incident.reference]},
        actor=actor,
    )


def create_incident(complaint_ids: list[int], data: dict, actor) -> Incident:
    """Open an incident from one or more complaints (each link audited on both records)."""
    # The reference first: the counter row is locked before the audit chain, as in every create.
    reference = next_reference("INC")
    if not actor.can(Permission.INCIDENT_EDIT):
        raise NotAllowed("Only production can open an incident.")
    complaints = db.session.scalars(sa.select(Complaint).where(Complaint.id.in_(complaint_ids))).all()
    if not complaints:
        raise ValidationError("Open an incident from at least one complaint: tick them in the complaint list.")
    values = _validate(data, CREATE_FIELDS)
    incident = Incident(
        reference=reference, status=INCIDENT.initial, created_by_id=actor.id, complaints=list(complaints), **values
    )
    db.session.add(incident)
    db.session.flush()
    changes = _labelled(audit.diff({}, values))
    changes["complaints"] = [None, ", ".join(sorted(c.reference for c in complaints))]
    audit.record("created", "incident", incident.id, label=reference, changes=changes, actor=actor)
    for complaint in sorted(complaints, key=lambda c: c.reference):
        audit.record(
            "linked to incident",
            "complaint",
            complaint.id,
            label=complaint.reference,
            changes={"incident": [None, reference]},
            actor=actor,
        )
    events.emit("incident.opened", incident, actor=actor)
    return incident


def link_complaint(incident: Incident, reference: str, actor) -> Complaint:
    """Link one more complaint, found by its reference."""
    check_editable(incident, actor)
    reference = (reference or "").strip().upper()
    complaint = db.session.scalar(sa.select(Complaint).where(Complaint.reference == reference))
    if complaint is None:
        raise ValidationError(f"There is no complaint {reference[:20]}.", {"reference": ["No such complaint."]})
    if complaint in incident.complaints:
        raise ValidationError(
            f"{complaint.reference} is already linked to {incident.reference}.", {"reference": ["Already linked."]}
        )
    incident.complaints.append(complaint)
    db.session.flush()
    _audit_link(incident, complaint, actor)
    return complaint


def _whys_text(texts) -> str | None:
    return " / ".join(texts) or None


def update_incident(incident: Incident, data: dict, whys: list[str | None], actor, opened_version: int | None):
    """Save an edit (fields and the 5 whys) from the version the form was opened at."""
    check_editable(incident, actor)
    if opened_version != incident.version:
        raise StaleRecord("This incident was changed by someone else since you opened it.")
    values = _validate(data, EDITABLE_FIELDS)
    if values.get("decision") == "recall_proposed":
        raise ValidationError(
            "A recall is proposed with the “Escalate to recall” button, not by editing.",
            {"decision": ["Use Escalate to recall."]},
        )
    new_whys = [w.strip() for w in whys if w and w.strip()]
    old_whys = [w.text for w in incident.whys]
    before = audit.snapshot(incident, values)
    for key, value in values.items():
        setattr(incident, key, value)
    changes = _labelled(audit.diff(before, values))
    if new_whys != old_whys:
        changes["whys"] = [_whys_text(old_whys), _whys_text(new_whys)]
        incident.whys.clear()
        db.session.flush()  # delete the old answers before their positions are reused
        incident.whys.extend(IncidentWhy(position=n, text=text) for n, text in enumerate(new_whys, start=1))
        incident.updated_at = utcnow()  # the row changes, so its version moves too
    if changes:
        db.session.flush()
        audit.record("updated", "incident", incident.id, label=incident.reference, changes=changes, actor=actor)
    return changes


def apply_transition(incident: Incident, name: str, data: dict, actor, password: str | None = None) -> Incident:
    """Move the incident through the engine; a signed move needs the password."""
    signing = engine.Signing(data.get("meaning") or "", password or "")

    def decided(values: dict) -> dict:
        return values | {"decision": "recall_proposed"} if name == "escalate" else values

    engine.apply(incident, name, actor, data, signing=signing, validate=decided)
    return incident


def can_hold(incident: Incident, user) -> bool:
    """Holding the incident's lots: production, while the incident is not closed."""
    return user.can(Permission.INCIDENT_EDIT) and not INCIDENT.in_set("closed", incident.status)


def recalls_of(incident: Incident) -> list[Recall]:
    """The incident's recalls, oldest first (the incident page shows them)."""
    return incident.recalls
