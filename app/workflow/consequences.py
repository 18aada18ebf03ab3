"""Consequences between records, declared once beside the tables.

A guard refuses a move while a record around it disagrees (an incident does not close
while one of its actions is open); a consequence moves the records around it when a move
is made (approving a recall marks its lots recalled). The engine calls both for every
move, so no service or view repeats them. Both see models only.
"""

from collections import defaultdict
from collections.abc import Callable

import sqlalchemy as sa

from ..errors import DomainError
from ..extensions import db
from ..models import Action, Complaint, IncidentComplaint, Lot, Recall, RecallLot
from ..models.types import utcnow
from .tables import ACTION, COMPLAINT, INCIDENT, RECALL

_GUARDS: dict[tuple[str, str], list[Callable]] = defaultdict(list)
_AFTER: dict[tuple[str, str], list[Callable]] = defaultdict(list)


class Blocked(DomainError):
    """A record around this one does not allow the move yet; the message names it."""

    status_code = 409


def before_move(record_type: str, *moves: str):
    """Register a guard(record, actor) that raises Blocked to refuse the move."""

    def register(guard):
        for move in moves:
            _GUARDS[(record_type, move)].append(guard)
        return guard

    return register


def after_move(record_type: str, *moves: str):
    """Register a consequence(record, actor) -> audit changes, run after the move is set."""

    def register(consequence):
        for move in moves:
            _AFTER[(record_type, move)].append(consequence)
        return consequence

    return register


def guards(record_type: str, move: str) -> list[Callable]:
    return _GUARDS.get((record_type, move), [])


def after(record_type: str, move: str) -> list[Callable]:
    return _AFTER.get((record_type, move), [])


# --- incidents -------------------------------------------------------------------------


def open_actions(incident) -> list[Action]:
    """The incident's actions neither verified effective nor justified: they block closing."""
    return [a for a in incident.actions if not ACTION.in_set("done", a.status) and not a.justification]


def unsettled_complaints(incident) -> list[Complaint]:
    """The incident's complaints whose complainant has no answer yet (not resolved, closed or rejected)."""
    return list(
        db.session.scalars(
            sa.select(Complaint)
            .join(IncidentComplaint, IncidentComplaint.complaint_id == Complaint.id)
            .where(IncidentComplaint.incident_id == incident.id, Complaint.status.not_in(COMPLAINT.sets["settled"]))
            .order_by(Complaint.id)
        )
    )


def live_recalls(incident) -> list[Recall]:
    """The incident's recalls that are neither terminated nor turned down."""
    return [r for r in incident.recalls if not RECALL.in_set("final", r.status)]


def _named(records, state_label) -> str:
    return ", ".join(f"{r.reference} ({state_label(r.status).lower()})" for r in records)


def closing_blockers(incident) -> list[str]:
    """What still stops the incident from closing, in words (the close form shows them first).

    Open complaints block it rather than being resolved by it: a complaint is resolved by
    the reply sales gives the complainant, and Lotline must not claim a reply nobody gave."""
    blockers = []
    if not (incident.root_cause or "").strip():
        blockers.append("record the root cause first (Edit → Root cause)")
    actions = open_actions(incident)
    if actions:
        names = ", ".join(f"{a.reference} ({a.status.replace('_', ' ')})" for a in actions)
        blockers.append(f"these actions are neither verified effective nor justified: {names}")
    complaints = unsettled_complaints(incident)
    if complaints:
        blockers.append(
            f"these complaints have no answer for the complainant yet (resolve or reject them): "
            f"{_named(complaints, COMPLAINT.label)}"
        )
    recalls = live_recalls(incident)
    if recalls:
        blockers.append(
            f"its recall is not over (terminate it, or decide not to recall): {_named(recalls, RECALL.label)}"
        )
    return blockers


@before_move("incident", "close")
def _incident_closes_when_settled(incident, actor) -> None:
    blockers = closing_blockers(incident)
    if blockers:
        raise Blocked(f"{incident.reference} cannot close: {'; '.join(blockers)}.")


# --- recalls ---------------------------------------------------------------------------


@after_move("recall", "approve")
def _approved_recall_marks_its_lots(recall, actor) -> dict:
    from . import engine  # the engine calls this module

    moved = engine.apply_many(
        Lot,
        sa.select(RecallLot.lot_id).where(RecallLot.recall_id == recall.id),
        "recall",
        actor,
        {"reason": f"Recall {recall.reference}"},
        label_column=Lot.code,
        stamps={"status_changed_at": utcnow()},
        as_part_of=f"approval of {recall.reference}",
    )
    return {"lots recalled": [None, len(moved.rows)]}


def recall_refusal(incident, extends_id: int | None) -> str | None:
    """Why a recall cannot be proposed for this incident now, or None."""
    if INCIDENT.in_set("closed", incident.status):
        return (
            f"Incident {incident.reference} is closed: reopen it (a signed move with a reason) "
            "before proposing a recall for it."
        )
    live = live_recalls(incident)
    if live and extends_id not in {r.id for r in live}:
        return (
            f"Incident {incident.reference} already has recall {_named(live, RECALL.label)}. A second recall "
            "of one incident is proposed only to extend that recall's scope: choose it under “Extends recall”."
        )
    return None


def recall_proposed(recall, actor) -> None:
    """Proposing a recall moves its incident to "recall proposed" (once: later ones extend it)."""
    from . import engine

    incident = recall.incident
    if incident.status in INCIDENT.get("escalate").sources:
        engine.apply(
            incident,
            "escalate",
            actor,
            {"decision_reason": f"Recall {recall.reference} proposed: {recall.reason}"},
            validate=lambda values: values | {"decision": "recall_proposed"},
            as_part_of=f"the proposal of {recall.reference}",
        )


@after_move("recall", "cancel")
def _incident_back_to_investigating(recall, actor) -> dict:
    """A proposal turned down leaves the incident under investigation, unless another recall lives."""
    from . import engine

    incident = recall.incident
    if incident.status in INCIDENT.get("deescalate").sources and not live_recalls(incident):
        engine.apply(incident, "deescalate", actor, as_part_of=f"the decision not to recall {recall.reference}")
        return {"incident": [None, f"{incident.reference} back to investigating"]}
    return {}
