"""What each role has to do next ("My work")."""

import sqlalchemy as sa
import sqlalchemy.orm as so

from ..extensions import db
from ..models import Complaint, User

LIMIT = 20


def _complaints(*conditions, order=None) -> list[Complaint]:
    stmt = (
        sa.select(Complaint)
        .options(so.joinedload(Complaint.customer), so.joinedload(Complaint.product))
        .where(*conditions)
        .order_by(order if order is not None else Complaint.received_at.desc())
        .limit(LIMIT)
    )
    return list(db.session.scalars(stmt))


def _count(*conditions) -> int:
    return db.session.scalar(sa.select(sa.func.count(Complaint.id)).where(*conditions)) or 0


def _my_actions(user) -> dict | None:
    """The user's open CAPA actions (any role may own one), or None if there are none."""
    from ..capa import queries as capa_queries
    from ..capa.services import today

    stmt = capa_queries.mine_statement(user, open_only=True)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(stmt.order_by(None).subquery())) or 0
    if not total:
        return None
    return {
        "title": "My actions",
        "kind": "actions",
        "empty": "",
        "items": list(db.session.scalars(stmt.limit(LIMIT))),
        "total": total,
        "filter": None,
        "today": today(),
    }


def work_for(user) -> list[dict]:
    """Sections of the home page for the user's roles, each a title, a list and a total."""
    sections = []
    if user.has_role("production"):
        to_triage = (Complaint.status == "new",)
        sections.append(
            {
                "title": "Complaints to triage",
                "empty": "Nothing waiting for triage.",
                "items": _complaints(*to_triage, order=Complaint.injury.desc()),
                "total": _count(*to_triage),
                "filter": {"status": "new"},
            }
        )
        mine = (Complaint.investigator_id == user.id, Complaint.status.in_(("triaged", "investigating")))
        sections.append(
            {
                "title": "My investigations",
                "empty": "No investigation assigned to you.",
                "items": _complaints(*mine, order=Complaint.due_date.asc()),
                "total": _count(*mine),
                "filter": None,
            }
        )
    if user.has_role("sales"):
        awaiting = (Complaint.status == "investigating",)
        sections.append(
            {
                "title": "Complaints awaiting a reply to the customer",
                "empty": "No complaint is waiting for a reply.",
                "items": _complaints(*awaiting),
                "total": _count(*awaiting),
                "filter": {"status": "investigating"},
            }
        )
        logged = (Complaint.created_by_id == user.id,)
        sections.append(
            {
                "title": "Complaints I logged",
                "empty": "You have not logged a complaint yet.",
                "items": _complaints(*logged),
                "total": _count(*logged),
                "filter": None,
            }
        )
    if user.has_role("marketing"):
        injury = (Complaint.injury.is_(True), Complaint.status.not_in(("closed", "rejected")))
        sections.append(
            {
                "title": "Open complaints with injury or illness",
                "empty": "No open complaint reports an injury.",
                "items": _complaints(*injury),
                "total": _count(*injury),
                "filter": {"injury": "1"},
            }
        )
    actions = _my_actions(user)
    if actions:
        sections.append(actions)
    return sections


def admin_summary() -> dict:
    return {
        "users": db.session.scalar(sa.select(sa.func.count(User.id))) or 0,
        "inactive": db.session.scalar(sa.select(sa.func.count(User.id)).where(User.active.is_(False))) or 0,
    }
