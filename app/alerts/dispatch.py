"""Events → alerts: pick the recipients by the rules, write an alert and an outbox row for each.

Runs inside the transaction of the service that raised the event (blinker calls it
synchronously), so the alerts and emails commit or roll back with the change itself.
"""

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa
from flask import current_app, render_template

from .. import events
from ..extensions import db
from ..models import Alert, AlertRule, User, UserRole
from .catalogue import EVENTS, Described
from .outbox import one_line, queue_email

_subscribed = False


def subscribe_all() -> None:
    """Connect the dispatcher to every event of the catalogue (once per process)."""
    global _subscribed
    if _subscribed:
        return
    for name in EVENTS:
        events.subscribe(name, _handler(name))
    _subscribed = True


def _handler(event: str):
    def handle(record, actor=None, **data):
        raise_alert(event, record, actor=actor, **data)

    return handle


def rule_matches(rule: AlertRule, severity: int | None) -> bool:
    if not rule.enabled:
        return False
    if rule.min_severity is None:
        return True
    return severity is not None and severity >= rule.min_severity


def recipients(event: str, described: Described, actor=None) -> list[User]:
    """Active users picked by the enabled rules of this event, each once; never the actor."""
    rules = db.session.scalars(sa.select(AlertRule).where(AlertRule.event == event, AlertRule.enabled)).all()
    roles: set[str] = set()
    user_ids: set[int] = set()
    for rule in rules:
        if not rule_matches(rule, described.severity):
            continue
        roles.update(rule.role_list)
        user_ids.update(u.id for u in rule.users)
        if rule.notify_assignee and described.assignee_id:
            user_ids.add(described.assignee_id)
    if not roles and not user_ids:
        return []
    by_role = sa.select(UserRole.user_id).where(UserRole.role.in_(roles))
    query = sa.select(User).where(User.active, sa.or_(User.id.in_(user_ids), User.id.in_(by_role))).order_by(User.id)
    actor_id = getattr(actor, "id", None)
    return [u for u in db.session.scalars(query) if u.id != actor_id]


def absolute_url(endpoint: str, **values) -> str:
    """A link for an email: LOTLINE_BASE_URL + the route's path (no request needed)."""
    path = current_app.url_map.bind("localhost").build(endpoint, values)
    return current_app.config["BASE_URL"].rstrip("/") + path


def relative_url(endpoint: str, **values) -> str:
    return current_app.url_map.bind("localhost").build(endpoint, values)


def _zone(user: User) -> ZoneInfo:
    try:
        return ZoneInfo(user.timezone or current_app.config["DEFAULT_TIMEZONE"])
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _facts_for(described: Described, user: User) -> list[tuple[str, str]]:
    """Facts as text, with timestamps in the recipient's own zone."""
    zone = _zone(user)
    out = []
    for label, value in described.facts:
        if hasattr(value, "astimezone") and hasattr(value, "hour"):
            local = value.astimezone(zone)
            value = f"{local:%Y-%m-%d %H:%M} {local.tzname()}"
        out.append((label, "" if value is None else str(value)))
    return out


def render_email(event: str, described: Described, user: User, link: str) -> tuple[str, str, str]:
    """(subject, text, html) from templates/email/<event>.* or the generic email/alert.*."""
    prefix = "[Lotline] HIGH PRIORITY: " if described.high_priority else "[Lotline] "
    context = {
        "event": event,
        "event_label": EVENTS[event].label,
        "alert": described,
        "facts": _facts_for(described, user),
        "recipient": user,
        "link": link,
    }
    text = render_template([f"email/{event}.txt", "email/alert.txt"], **context)
    html = render_template([f"email/{event}.html", "email/alert.html"], **context)
    return one_line(prefix + described.title), text, html


def raise_alert(event: str, record, actor=None, **data) -> list[Alert]:
    """Tell everyone the rules pick about this event: an in-app alert and an email each."""
    spec = EVENTS.get(event)
    if spec is None:
        return []
    described = spec.describe(record, **data)
    people = recipients(event, described, actor)
    if not people:
        return []
    link = absolute_url(described.endpoint, **described.url_values)
    path = relative_url(described.endpoint, **described.url_values)
    priority = "high" if described.high_priority else "normal"
    alerts = []
    for user in people:
        alert = Alert(
            user_id=user.id,
            event=event,
            priority=priority,
            title=one_line(described.title),
            record_type=described.record_type,
            record_id=described.record_id,
            url=path,
        )
        db.session.add(alert)
        alerts.append(alert)
    db.session.flush()  # alert ids for the outbox rows
    for user, alert in zip(people, alerts, strict=True):
        if not user.email:
            continue
        subject, text, html = render_email(event, described, user, link)
        queue_email(
            user.email,
            subject,
            text,
            html,
            event=event,
            record_type=described.record_type,
            record_id=described.record_id,
            alert_id=alert.id,
            priority=priority,
        )
    return alerts
