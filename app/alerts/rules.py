"""Alert rules: who hears about which event. Validated and audited; never commits."""

import sqlalchemy as sa
import sqlalchemy.orm as so

from ..audit import services as audit
from ..errors import StaleRecord, ValidationError
from ..extensions import db
from ..models import AlertRule, User
from ..models.types import utcnow
from ..permissions import ROLES
from .catalogue import EVENTS

RECORD_TYPE = "alert_rule"
NAME_MAX = 120
SEVERITY_RANGE = (1, 5)
AUDITED = ("name", "event", "roles", "users", "notify_assignee", "min_severity", "enabled")

NO_ASSIGNEE = "This event names no assignee; pick roles or users."
NO_SEVERITY = "This event has no severity; leave the minimum empty."
NO_RECIPIENT = "Choose who hears about it: at least one role, a named user or the assignee."


def rules_by_event() -> list[AlertRule]:
    """Every rule, in catalogue order of its event, then by name (users loaded with them)."""
    # Named users in the same query (not one query per 500 rules).
    users = so.joinedload(AlertRule.users)
    rules = (
        db.session.scalars(sa.select(AlertRule).options(users).order_by(AlertRule.name, AlertRule.id)).unique().all()
    )
    order = {name: i for i, name in enumerate(EVENTS)}
    return sorted(rules, key=lambda r: order.get(r.event, len(order)))


def user_choices(rule: AlertRule | None = None) -> list[User]:
    """Active users, plus any inactive ones the rule already names (so an edit keeps them)."""
    current = [u.id for u in rule.users] if rule else []
    stmt = sa.select(User).where(sa.or_(User.active, User.id.in_(current))).order_by(User.name, User.id)
    return list(db.session.scalars(stmt))


def _state(rule: AlertRule) -> dict:
    """The rule as the audit trail shows it (users by username)."""
    return {
        "name": rule.name,
        "event": rule.event,
        "roles": rule.roles,
        "users": ", ".join(sorted(u.username for u in rule.users)),
        "notify_assignee": bool(rule.notify_assignee),
        "min_severity": rule.min_severity,
        "enabled": bool(rule.enabled),
    }


def _validate(data: dict, rule: AlertRule | None = None) -> dict:
    """Clean values from `data` or a ValidationError naming every wrong field."""
    errors: dict[str, list[str]] = {}
    name = (data.get("name") or "").strip()
    if not name:
        errors["name"] = ["Give the rule a name."]
    elif len(name) > NAME_MAX:
        errors["name"] = [f"Use at most {NAME_MAX} characters."]

    event = data.get("event") or ""
    spec = EVENTS.get(event)
    if spec is None:
        errors["event"] = ["Choose an event from the list."]

    roles = list(dict.fromkeys(data.get("roles") or []))
    unknown_roles = [r for r in roles if r not in ROLES]
    if unknown_roles:
        errors["roles"] = [f"Unknown role: {', '.join(str(r)[:40] for r in unknown_roles)}."]

    user_ids = []
    try:
        user_ids = sorted({int(u) for u in data.get("user_ids") or []})
    except (TypeError, ValueError):
        errors["users"] = ["Choose users from the list."]
    users = []
    if user_ids:
        allowed = {u.id: u for u in user_choices(rule)}
        users = [allowed[i] for i in user_ids if i in allowed]
        if len(users) != len(user_ids):
            errors["users"] = ["Choose active users from the list."]

    notify_assignee = bool(data.get("notify_assignee"))
    if notify_assignee and spec is not None and not spec.has_assignee:
        errors["notify_assignee"] = [NO_ASSIGNEE]

    min_severity = data.get("min_severity")
    if min_severity in ("", None):
        min_severity = None
    else:
        try:
            min_severity = int(min_severity)
        except (TypeError, ValueError):
            min_severity = None
            errors["min_severity"] = ["Enter a whole number from 1 to 5, or leave it empty."]
        else:
            low, high = SEVERITY_RANGE
            if not low <= min_severity <= high:
                errors["min_severity"] = ["Enter a whole number from 1 to 5, or leave it empty."]
            elif spec is not None and not spec.has_severity:
                errors["min_severity"] = [NO_SEVERITY]

    if not roles and not users and not notify_assignee and not errors.keys() & {"roles", "users", "notify_assignee"}:
        errors["roles"] = [NO_RECIPIENT]

    if errors:
        raise ValidationError(" ".join(m for messages in errors.values() for m in messages), errors)
    return {
        "name": name,
        "event": event,
        "roles": ",".join(r for r in ROLES if r in roles),  # stored in a fixed order
        "users": users,
        "notify_assignee": notify_assignee,
        "min_severity": min_severity,
        "enabled": bool(data.get("enabled")),
    }


def _apply(rule: AlertRule, values: dict) -> None:
    for key, value in values.items():
        setattr(rule, key, value)


def create_rule(data: dict, actor) -> AlertRule:
    """Add a rule from form data."""
    values = _validate(data)
    rule = AlertRule()
    _apply(rule, values)
    db.session.add(rule)
    db.session.flush()
    audit.record("created", RECORD_TYPE, rule.id, label=rule.name, changes=audit.diff({}, _state(rule)), actor=actor)
    return rule


def update_rule(rule: AlertRule, data: dict, actor, version: int | None) -> dict:
    """Save an edit made from `version` of the rule; returns the changes (empty if none)."""
    if version != rule.version:
        raise StaleRecord("This alert rule was changed by someone else since you opened it.")
    values = _validate(data, rule)
    before = _state(rule)
    _apply(rule, values)
    changes = audit.diff(before, _state(rule))
    if changes:
        # A change of named users alone touches only the link table: bump the row so its
        # version moves too and a concurrent edit is caught.
        rule.updated_at = utcnow()
        db.session.flush()
        audit.record("updated", RECORD_TYPE, rule.id, label=rule.name, changes=changes, actor=actor)
    return changes


def set_enabled(rule: AlertRule, enabled: bool, actor) -> bool:
    """Switch a rule on or off; returns False if it already was."""
    if bool(rule.enabled) == enabled:
        return False
    rule.enabled = enabled
    db.session.flush()
    audit.record(
        "enabled" if enabled else "disabled",
        RECORD_TYPE,
        rule.id,
        label=rule.name,
        changes={"enabled": [not enabled, enabled]},
        actor=actor,
    )
    return True


def delete_rule(rule: AlertRule, actor) -> None:
    """Remove a rule; the audit event keeps what it said."""
    state = _state(rule)
    changes = audit.diff(state, dict.fromkeys(state))
    audit.record("deleted", RECORD_TYPE, rule.id, label=rule.name, changes=changes, actor=actor)
    db.session.delete(rule)
    db.session.flush()
