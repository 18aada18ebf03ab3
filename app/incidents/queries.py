"""Incident list (search, status, CSV) and the read-only views of one incident (8D, actions)."""

from dataclasses import dataclass, field

import sqlalchemy as sa
import sqlalchemy.orm as so

from ..models import Action, Complaint, Incident, IncidentComplaint, Recall
from ..trace.engine import id_in
from ..web.filters import FilterParser, like_pattern
from ..workflow import ACTION, INCIDENT


@dataclass
class IncidentFilters:
    q: str = ""
    status: str = ""
    errors: list[str] = field(default_factory=list)

    @classmethod
    def from_args(cls, args) -> "IncidentFilters":
        p = FilterParser(args)
        filters = cls(q=p.text("q"), status=p.choice("status", INCIDENT.states))
        filters.errors = p.errors
        return filters

    def statement(self) -> sa.Select:
        # The list shows the owner's name: their roles are not loaded with them.
        stmt = sa.select(Incident).options(so.joinedload(Incident.owner))
        if self.q:
            pattern = like_pattern(self.q)
            stmt = stmt.where(
                sa.or_(Incident.reference.ilike(pattern, escape="\\"), Incident.title.ilike(pattern, escape="\\"))
            )
        if self.status:
            stmt = stmt.where(Incident.status == self.status)
        return stmt.order_by(Incident.created_at.desc(), Incident.id.desc())


def complaint_references(session, incident_ids) -> dict[int, list[str]]:
    """{incident id: [complaint references]} for these incidents, in one query."""
    # id_in: the CSV passes every incident, more ids than an IN list may bind.
    refs: dict[int, list[str]] = {}
    rows = session.execute(
        sa.select(IncidentComplaint.incident_id, Complaint.reference)
        .join(Complaint, Complaint.id == IncidentComplaint.complaint_id)
        .where(id_in(IncidentComplaint.incident_id, incident_ids))
        .order_by(Complaint.reference)
    )
    for incident_id, reference in rows:
        refs.setdefault(incident_id, []).append(reference)
    return refs


def recall_references(session, incident_ids) -> dict[int, list[str]]:
    """{incident id: [recall references]} for these incidents, in one query."""
    refs: dict[int, list[str]] = {}
    rows = session.execute(
        sa.select(Recall.incident_id, Recall.reference)
        .where(id_in(Recall.incident_id, incident_ids))
        .order_by(Recall.id)
    )
    for incident_id, reference in rows:
        refs.setdefault(incident_id, []).append(reference)
    return refs


CSV_HEADER = [
    "reference",
    "status",
    "title",
    "severity",
    "probability",
    "risk_score",
    "owner",
    "complaints",
    "decision",
    "root_cause",
    "opened_at_utc",
    "traced_at_utc",
]


def csv_rows(session, stmt):
    incidents = session.scalars(stmt).all()
    refs = complaint_references(session, [i.id for i in incidents])
    for i in incidents:
        yield [
            i.reference,
            i.status,
            i.title,
            i.severity,
            i.probability,
            i.risk_score,
            i.owner.name,
            " ".join(refs.get(i.id, [])),
            i.decision or "",
            i.root_cause or "",
            i.created_at.isoformat(),
            i.traced_at.isoformat() if i.traced_at else "",
        ]


@dataclass(frozen=True)
class Step:
    code: str
    label: str
    done: bool


def eight_d(incident: Incident, actions: list[Action]) -> list[Step]:
    """The 8D steps, each done or not as the record shows it (derived, never stored)."""
    corrective = [a for a in actions if a.kind == "corrective"]
    implemented = bool(actions) and all(
        a.status in ACTION.get("verify").sources or ACTION.in_set("done", a.status) for a in actions
    )
    return [
        Step("D0", "Plan / emergency response", True),
        Step("D1", "Team (owner)", incident.owner_id is not None),
        Step("D2", "Problem description", bool((incident.description or "").strip())),
        Step("D3", "Containment", bool((incident.containment or "").strip())),
        Step("D4", "Root cause", bool((incident.root_cause or "").strip())),
        Step("D5", "Corrective actions planned", bool(corrective)),
        Step("D6", "Actions implemented", implemented),
        Step("D7", "Prevent recurrence (preventive action)", any(a.kind == "preventive" for a in actions)),
        Step("D8", "Closed and recognised", INCIDENT.in_set("closed", incident.status)),
    ]
