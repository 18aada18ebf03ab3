"""CAPA action rules: creation on an incident, editing, the ACTION moves (verify is signed),
justification for closing an incident without verification."""

from datetime import date

import sqlalchemy as sa

from .. import events
from ..audit import services as audit
from ..errors import InvalidTransition, NotAllowed, StaleRecord, ValidationError
from ..extensions import db
from ..models import ACTION_KINDS, Action, Incident, User
from ..permissions import Permission
from ..references import next_reference
from ..workflow import ACTION, INCIDENT, engine
from ..workflow.consequences import open_actions  # noqa: F401  (the rule lives beside the tables)

EDITABLE_FIELDS = ("description", "owner_id", "due_date", "effectiveness_check", "effectiveness_due")
CREATE_FIELDS = ("kind", *EDITABLE_FIELDS)
FIELD_LABELS = {
    "owner_id": "Owner",
    "due_date": "Due date",
    "effectiveness_check": "Effectiveness check",
    "effectiveness_due": "Effectiveness check due",
    "implementation_note": "Implementation note",
    "effectiveness_result": "Effectiveness result",
    "action": "Action",
}


def today() -> date:
    return date.today()


def check_incident_open(incident: Incident) -> None:
    """Actions are added only while the incident is still being worked on."""
    if INCIDENT.in_set("final", incident.status):
        raise InvalidTransition(
            f"Incident {incident.reference} is {incident.status}: no action can be added to it any more."
        )


def _validate(data: dict, fields) -> dict:
    values = {k: data.get(k) for k in fields}
    errors: dict[str, list[str]] = {}
    if "kind" in values and values["kind"] not in ACTION_KINDS:
        errors["kind"] = ["Choose corrective or preventive."]
    for name in ("description", "effectiveness_check"):
        if isinstance(values[name], str):
            values[name] = values[name].strip()
        if not values[name]:
            errors[name] = ["This is required."]
    owner = db.session.get(User, values["owner_id"]) if values["owner_id"] else None
    if owner is None or not owner.active:
        errors["owner_id"] = ["Choose an active user as owner."]
    due, check_due = values["due_date"], values["effectiveness_due"]
    if not isinstance(due, date):
        errors["due_date"] = ["Enter a due date."]
    elif due < today():
        errors["due_date"] = ["The due date is in the past."]
    if not isinstance(check_due, date):
        errors["effectiveness_due"] = ["Enter when the effectiveness will be checked."]
    elif isinstance(due, date) and check_due < due:
        errors["effectiveness_due"] = ["The effectiveness check cannot be due before the action itself."]
    if errors:
        first = next(iter(errors))
        label = FIELD_LABELS.get(first, first.replace("_", " ").capitalize())
        raise ValidationError(f"{label}: {errors[first][0]}", errors)
    return values


def _labelled(changes: dict) -> dict:
    if "owner_id" in changes:
        changes["owner_id"] = [getattr(db.session.get(User, v), "name", v) if v else None for v in changes["owner_id"]]
    return changes


def create_action(incident: Incident, data: dict, actor) -> Action:
    """Add a corrective or preventive action to an incident; raises action.assigned."""
    # Reference first: the counter row is locked before the audit chain, as in every create.
    reference = next_reference("CAPA")
    if not actor.can(Permission.ACTION_CREATE):
        raise NotAllowed("Only production can add actions to an incident.")
    check_incident_open(incident)
    values = _validate(data, CREATE_FIELDS)
    # Through the relationship: an incident.actions already loaded in this session sees it.
    action = Action(reference=reference, incident=incident, status=ACTION.initial, created_by_id=actor.id, **values)
    db.session.add(action)
    db.session.flush()
    changes = _labelled(audit.diff({}, values))
    audit.record("created", "action", action.id, label=reference, changes=changes, actor=actor)
    audit.record(
        "action added",
        "incident",
        incident.id,
        label=incident.reference,
        changes={"action": [None, f"{reference} ({values['kind']}): {values['description'][:200]}"]},
        actor=actor,
    )
    events.emit("action.assigned", action, actor=actor)
    return action


def can_edit(action: Action, user) -> bool:
    return ACTION.in_set("editable", action.status) and (
        user.can(Permission.ACTION_MANAGE) or action.owner_id == user.id
    )


def update_action(action: Action, data: dict, actor, opened_version: int | None) -> dict:
    """Save an edit while planned or in progress: production or the owner, from the current version."""
    if not can_edit(action, actor):
        raise NotAllowed("Only production or the owner can edit an action, and only while planned or in progress.")
    if opened_version != action.version:
        raise StaleRecord("This action was changed by someone else since you opened it.")
    values = _validate(data, EDITABLE_FIELDS)
    before = audit.snapshot(action, EDITABLE_FIELDS)
    for key, value in values.items():
        setattr(action, key, value)
    changes = _labelled(audit.diff(before, values))
    if changes:
        db.session.flush()
        audit.record("updated", "action", action.id, label=action.reference, changes=changes, actor=actor)
        if before["owner_id"] != action.owner_id:
            events.emit("action.assigned", action, actor=actor)
    return changes


def apply_transition(action: Action, name: str, data: dict, actor) -> Action:
    """Move the action through the engine (owner or production); verify is signed."""
    signing = engine.Signing(data.get("meaning") or "", data.get("password") or "")
    engine.apply(action, name, actor, data, signing=signing)
    return action


def can_justify(action: Action, user) -> bool:
    return user.can(Permission.ACTION_MANAGE) and not ACTION.in_set("done", action.status)


def justify(action: Action, text: str, actor) -> Action:
    """Record why the incident may close although this action is not verified effective."""
    if not actor.can(Permission.ACTION_MANAGE):
        raise NotAllowed("Only production can justify closing an incident without this action verified.")
    if ACTION.in_set("done", action.status):
        raise InvalidTransition(f"{action.reference} is verified effective: no justification is needed.")
    text = (text or "").strip()
    if not text:
        raise ValidationError("Give the justification.", {"justification": ["This is required."]})
    changes = audit.diff({"justification": action.justification}, {"justification": text})
    action.justification = text
    db.session.flush()
    audit.record("justified", "action", action.id, label=action.reference, changes=changes, actor=actor)
    incident = action.incident
    audit.record(
        "action justified",
        "incident",
        incident.id,
        label=incident.reference,
        changes={"action": [None, f"{action.reference}: {text[:200]}"]},
        actor=actor,
    )
    return action


def owner_choices() -> list[User]:
    return list(db.session.scalars(sa.select(User).where(User.active.is_(True)).order_by(User.name)))
