"""The one state engine: the only code in the application that changes a record's state.

`apply(record, move, actor, values)` makes one move of one record; `apply_many` makes one
move of many rows of one table in bulk (a hold of a whole traced scope, the notices of a
recall). Both do the same steps in the same order for every record type:

1. the move exists, the actor holds its permission (or owns the record), four eyes holds
   (always checked with the record), the record is in a state the move starts from, and a
   move without a button is only made as part of a larger step;
2. the version the actor saw is the record's version (optimistic locking);
3. the required values are given (the caller's `validate` adds the domain's own checks);
4. the guards declared for the move in consequences.py hold;
5. a signed move is signed with the meaning the table names (password re-entered);
6. the values and the target state are set and flushed;
7. the consequences declared for the move change the records around it;
8. one audit event records the move, its values, notes and consequences;
9. the move's events are raised (alerts subscribe to them, inside the same transaction).
"""

from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa

from .. import events
from ..audit import services as audit
from ..errors import NotAllowed, StaleRecord, ValidationError
from ..extensions import db
from ..models import Action, Complaint, Incident, Lot, PressInquiry, Recall, RecallNotice, Statement, User
from ..models.bulk import id_in
from ..signatures.services import sign
from . import consequences
from .tables import ACTION, COMPLAINT, INCIDENT, INQUIRY, LOT, NOTICE, RECALL, STATEMENT, Transition, Workflow

WORKFLOW_OF: dict[type, Workflow] = {
    Complaint: COMPLAINT,
    Lot: LOT,
    Incident: INCIDENT,
    Action: ACTION,
    Recall: RECALL,
    PressInquiry: INQUIRY,
    Statement: STATEMENT,
    RecallNotice: NOTICE,
}
# Audit changes name people, not ids.
_USER_FIELDS = ("investigator_id", "owner_id", "assignee_id", "notified_by_id", "approved_by_id", "author_id")


@dataclass(frozen=True)
class Signing:
    """What the signer typed: the meaning chosen and their password (21 CFR 11.200)."""

    meaning: str
    password: str


def workflow_of(record) -> Workflow:
    return WORKFLOW_OF[type(record)]


def available(record, user) -> list[Transition]:
    """The moves `user` may make on `record` now (the buttons to show)."""
    return workflow_of(record).available(record, user)


def apply(
    record,
    move: str,
    actor,
    values: dict | None = None,
    *,
    signing: Signing | None = None,
    version: int | None = None,
    validate: Callable[[dict], dict] | None = None,
    effects: Callable[[], dict] | None = None,
    as_part_of: str | None = None,
) -> Transition:
    """Make `move` on `record` as `actor`; see the module's docstring for the steps.

    `validate(values) -> values` is the domain's check of the values (and may add derived
    ones); `effects() -> changes` runs after the move for what only the calling service can
    do, and its changes join the audit event; `as_part_of` names the larger step that makes
    a move without a button.
    """
    workflow = workflow_of(record)
    transition = _check(workflow, record, move, actor, as_part_of)
    if version is not None and version != record.version:
        raise StaleRecord(f"Someone else changed this {workflow.record_type} meanwhile; check it and try again.")
    taken = _required(workflow, transition, values or {})
    if validate is not None:
        taken = validate(taken)
    for guard in consequences.guards(workflow.record_type, move):
        guard(record, actor)
    if transition.signature:
        _sign(workflow, transition, record, actor, signing)
    kept = {workflow.column(k): v for k, v in taken.items() if k not in transition.notes}
    before = {"status": record.status} | audit.snapshot(record, kept)
    for key, value in kept.items():
        setattr(record, key, value)
    if transition.target is not None:
        record.status = transition.target
    db.session.flush()
    changes = audit.diff(before, {"status": record.status} | kept)
    changes |= {k: [None, v] for k, v in taken.items() if k in transition.notes and v}
    for consequence in consequences.after(workflow.record_type, move):
        changes |= consequence(record, actor) or {}
    if effects is not None:
        changes |= effects() or {}
    record_type, record_id, label = workflow.audit_target(record)
    audit.record(transition.action, record_type, record_id, label=label, changes=_readable(changes), actor=actor)
    subject = [record.id] if workflow.events_of_many else record
    for event in transition.triggers:
        events.emit(event, subject, actor=actor, **({"reason": taken.get("reason")} if workflow.events_of_many else {}))
    return transition


@dataclass
class Moved:
    """What a bulk move did: the rows moved (id, label) and how many were skipped."""

    rows: list[tuple[int, str]]
    skipped: int


def apply_many(
    model,
    chosen: sa.Select | list[int],
    move: str,
    actor,
    values: dict | None = None,
    *,
    label_column=None,
    stamps: dict | None = None,
    summary_on: tuple[str, int, str] | None = None,
    as_part_of: str | None = None,
) -> Moved:
    """Make `move` on every chosen row of `model` that is in a state the move starts from
    (the others are skipped and counted), in one UPDATE per source state.

    Each moved row gets its own audit event, or, with `summary_on` (record_type, id, label),
    one event there counting them (the notices of a recall are audited on the recall).
    `stamps` are columns set with the move that the audit does not repeat (a time stamp).
    """
    workflow = WORKFLOW_OF[model]
    transition = workflow.get(move)
    if not transition.allows(actor, None):
        raise NotAllowed(transition.refusal(actor, None))
    if not transition.manual and not as_part_of:
        raise NotAllowed(f"“{transition.label}” is made only as part of another step, not on its own.")
    taken = _required(workflow, transition, values or {})
    in_chosen = model.id.in_(chosen) if isinstance(chosen, sa.Select) else id_in(model.id, chosen)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(model).where(in_chosen))
    label_column = label_column if label_column is not None else model.reference
    moved: list[tuple[int, str]] = []
    for source in transition.sources:
        rows = db.session.execute(
            sa.update(model)
            .where(in_chosen, model.status == source)
            .values(
                status=transition.target,
                version=model.version + 1,
                **{workflow.column(k): v for k, v in taken.items()},
                **(stamps or {}),
            )
            .returning(model.id, label_column)
            .execution_options(synchronize_session=False)
        ).all()
        if summary_on is None:
            changes = {"status": [source, transition.target]} | {k: [None, v] for k, v in taken.items()}
            audit.record_many(
                transition.action, workflow.record_type, [tuple(r) for r in rows], changes=changes, actor=actor
            )
        moved.extend((r[0], r[1]) for r in rows)
    if summary_on is not None and moved:
        record_type, record_id, label = summary_on
        changes = {"status": [", ".join(transition.sources), transition.target], "count": [None, len(moved)]}
        audit.record(transition.action, record_type, record_id, label=label, changes=changes, actor=actor)
    if moved:
        for event in transition.triggers:
            events.emit(event, [row[0] for row in moved], actor=actor, **taken)
    db.session.expire_all()  # ORM copies of these rows are stale after the bulk update
    return Moved(rows=moved, skipped=total - len(moved))


def _check(workflow: Workflow, record, move: str, actor, as_part_of: str | None) -> Transition:
    transition = workflow.check(record, move, actor)
    if not transition.manual and not as_part_of:
        raise NotAllowed(f"“{transition.label}” is made only as part of another step, not on its own.")
    return transition


def _required(workflow: Workflow, transition: Transition, values: dict) -> dict:
    """The values the move takes (text stripped, blanks as None); refuse missing required ones."""
    taken = {}
    for name in transition.fields:
        if name not in values and name not in transition.required:
            continue  # an optional value not given leaves the record's as it is
        value = values.get(name)
        if isinstance(value, str):
            value = value.strip() or None
        taken[name] = value
    missing = [name for name in transition.required if taken.get(name) in (None, "")]
    if missing:
        labels = ", ".join(workflow.field_label(name) for name in missing)
        raise ValidationError(f"Fill in: {labels}.", {name: ["This is required."] for name in missing})
    return taken


def _sign(workflow: Workflow, transition: Transition, record, actor, signing: Signing | None) -> None:
    from ..models import MEANINGS

    wanted = MEANINGS.get(transition.signature, transition.signature)
    if signing is None or signing.meaning != transition.signature:
        raise ValidationError(f"{transition.label} is signed as “{wanted}”.", {"meaning": [f"Choose “{wanted}”."]})
    _, _, label = workflow.audit_target(record)
    sign(workflow.record_type, record.id, label, transition.name, signing.meaning, actor, signing.password or "")


def _readable(changes: dict) -> dict:
    """People by name in the audit event (ids mean nothing to an inspector)."""
    for name in _USER_FIELDS:
        if name in changes:
            changes[name] = [_user_name(v) for v in changes[name]]
    return changes


def _user_name(value):
    if isinstance(value, int):
        user = db.session.get(User, value)
        return user.name if user is not None else value
    return value
