"""Time-based alerts (action due soon, action overdue): raised by the worker, once per item per day.

"Once" holds with several workers too: an AlertMark row (event, record, day) is inserted
with ON CONFLICT DO NOTHING, and only the worker whose insert went in raises the event.
"""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.dialects import postgresql, sqlite

from .. import events
from ..capa.queries import OVERDUE_STATES
from ..extensions import db
from ..models import Action, AlertMark


def today() -> date:
    """Today in the plant's zone (LOTLINE_TIMEZONE): an action is late from local midnight."""
    return datetime.now(ZoneInfo(current_app.config["DEFAULT_TIMEZONE"])).date()


def mark_new(event: str, record_type: str, ids: list[int], day: date) -> set[int]:
    """Record (event, id, day) for each id; return the ids not marked before."""
    if not ids:
        return set()
    dialect = postgresql if db.engine.dialect.name == "postgresql" else sqlite
    fresh: set[int] = set()
    for start in range(0, len(ids), 500):
        rows = [
            {"event": event, "record_type": record_type, "record_id": i, "day": day} for i in ids[start : start + 500]
        ]
        statement = dialect.insert(AlertMark).values(rows).on_conflict_do_nothing().returning(AlertMark.record_id)
        fresh.update(db.session.scalars(statement))
    return fresh


def action_alerts(day: date) -> dict[str, int]:
    soon_until = day + timedelta(days=current_app.config["ALERT_DUE_SOON_DAYS"])
    open_action = Action.status.in_(OVERDUE_STATES)
    checks = {
        "action.due_soon": sa.and_(open_action, Action.due_date >= day, Action.due_date <= soon_until),
        "action.overdue": sa.and_(open_action, Action.due_date < day),
    }
    counts = {}
    for event, condition in checks.items():
        ids = list(db.session.scalars(sa.select(Action.id).where(condition).order_by(Action.id)))
        fresh = mark_new(event, "action", ids, day)
        for action in db.session.scalars(sa.select(Action).where(Action.id.in_(fresh)).order_by(Action.id)):
            events.emit(event, action, actor=None, days=abs((action.due_date - day).days))
        counts[event] = len(fresh)
    return counts


def press_deadline_alerts(day: date) -> dict[str, int]:
    """Open inquiries whose deadline is within ALERT_PRESS_DEADLINE_HOURS (or passed today):
    once per inquiry per day."""
    from ..models import PressInquiry
    from ..models.types import utcnow

    now = utcnow()
    until = now + timedelta(hours=current_app.config["ALERT_PRESS_DEADLINE_HOURS"])
    condition = sa.and_(
        PressInquiry.status.in_(("received", "drafting")),
        PressInquiry.deadline.is_not(None),
        PressInquiry.deadline <= until,
        PressInquiry.deadline >= now - timedelta(days=1),
    )
    ids = list(db.session.scalars(sa.select(PressInquiry.id).where(condition).order_by(PressInquiry.id)))
    fresh = mark_new("inquiry.deadline_near", "inquiry", ids, day)
    for inquiry in db.session.scalars(sa.select(PressInquiry).where(PressInquiry.id.in_(fresh))):
        hours = max(0, int((inquiry.deadline - now).total_seconds() // 3600))
        events.emit("inquiry.deadline_near", inquiry, actor=None, hours=hours)
    return {"inquiry.deadline_near": len(fresh)}


# Each check takes the day and returns {event: how many raised}.
TIME_CHECKS = [action_alerts, press_deadline_alerts]


def raise_time_based_alerts(day: date | None = None) -> dict[str, int]:
    day = day or today()
    counts: dict[str, int] = {}
    for check in TIME_CHECKS:
        counts.update(check(day))
    return counts
