"""One voice: the approved holding statements and talking points that sales must repeat,
found for a complaint or a lot through the incidents and recalls they belong to.

What is shown is the last *approved* version: while marketing drafts new words, sales keeps
the approved ones; a withdrawn statement disappears.
"""

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from ..extensions import db
from ..models import (
    ONE_VOICE_KINDS,
    IncidentComplaint,
    IncidentLot,
    Recall,
    RecallLot,
    Statement,
    StatementVersion,
    User,
)
from ..workflow import STATEMENT

LIMIT = 5


@dataclass(frozen=True)
class ApprovedWords:
    statement_id: int
    reference: str
    kind: str
    version: int
    title: str
    body: str
    approved_at: datetime
    approved_by: str


def _statements(*where) -> list[ApprovedWords]:
    rows = db.session.execute(
        sa.select(
            Statement.id,
            Statement.reference,
            Statement.kind,
            StatementVersion.number,
            StatementVersion.title,
            StatementVersion.body,
            Statement.approved_at,
            User.name,
        )
        .join(
            StatementVersion,
            sa.and_(
                StatementVersion.statement_id == Statement.id, StatementVersion.number == Statement.approved_version
            ),
        )
        .join(User, User.id == Statement.approved_by_id)
        .where(
            Statement.approved_version.is_not(None),
            Statement.status.not_in(STATEMENT.sets["final"]),
            Statement.kind.in_(ONE_VOICE_KINDS),
            *where,
        )
        .order_by(Statement.approved_at.desc(), Statement.id.desc())
        .limit(LIMIT)
    ).all()
    return [ApprovedWords(*row) for row in rows]


def _linked_to(incident_ids: sa.Select, recall_ids: sa.Select) -> list[ApprovedWords]:
    return _statements(sa.or_(Statement.incident_id.in_(incident_ids), Statement.recall_id.in_(recall_ids)))


def latest() -> list[ApprovedWords]:
    """The most recently approved words of any incident or recall (sales' home page)."""
    return _statements()


def for_complaint(complaint_id: int) -> list[ApprovedWords]:
    incidents = sa.select(IncidentComplaint.incident_id).where(IncidentComplaint.complaint_id == complaint_id)
    recalls = sa.select(Recall.id).where(Recall.incident_id.in_(incidents))
    return _linked_to(incidents, recalls)


def for_lot(lot_id: int) -> list[ApprovedWords]:
    incidents = sa.select(IncidentLot.incident_id).where(IncidentLot.lot_id == lot_id)
    recalls = sa.select(RecallLot.recall_id).where(RecallLot.lot_id == lot_id)
    return _linked_to(incidents, recalls)


def for_incident(incident_id: int) -> list[ApprovedWords]:
    recalls = sa.select(Recall.id).where(Recall.incident_id == incident_id)
    return _linked_to(sa.select(sa.literal(incident_id)), recalls)


def for_recall(recall: Recall) -> list[ApprovedWords]:
    return _linked_to(sa.select(sa.literal(recall.incident_id)), sa.select(sa.literal(recall.id)))
