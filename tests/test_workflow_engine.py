"""Every move of every workflow, walked through the one engine as each kind of actor.

For each move: made by an allowed actor (the target state, one audit event named for the
move, a signature before it where the table asks one, the move's events raised), and
refused for a role without the permission, from a wrong state, with a required value
missing, with the wrong meaning of signature, by the one person four eyes shuts out, from
a stale version, and (moves without a button) when not part of a larger step. A refused
move changes nothing.
"""

from contextlib import ExitStack
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from app import events
from app.errors import InvalidTransition, NotAllowed, StaleRecord, ValidationError
from app.extensions import db
from app.models import MEANINGS, AuditEvent, Complaint, Incident, IncidentComplaint
from app.permissions import ROLES
from app.workflow import WORKFLOWS, engine, roles_with
from tests import factories
from tests.conftest import PASSWORD


def _notice():
    recall = factories.make_recall()
    return factories.make_notice(recall, factories.make_customer(email="shop@example.com").id)


BUILD = {
    "complaint": lambda: factories.make_complaint(),
    "lot": lambda: factories.make_lot(),
    "incident": lambda: factories.make_incident(),
    "action": lambda: factories.make_action(),
    "recall": lambda: factories.make_recall(),
    "inquiry": lambda: factories.make_inquiry(factories.make_user(("marketing",))),
    "statement": lambda: factories.make_statement(factories.make_user(("marketing",))),
    "notice": _notice,
}


def _values(transition) -> dict:
    """A good value for every field the move takes."""
    production = factories.make_user(("production",))
    sample = {
        "severity": 3,
        "probability": 2,
        "reportable": False,
        "investigator_id": production.id,
        "due_date": date.today() + timedelta(days=7),
        "method": "email" if transition.name == "queue" else "phone",
        "notified_at": datetime.now(UTC),
        "notified_by_id": production.id,
        "published_at": datetime.now(UTC) - timedelta(minutes=1),
        "kind": "holding",
        "incident_id": None,
        "recall_id": None,
        "current_version": 2,
        "author_id": production.id,
        "approved_version": None,
    }
    return {name: sample.get(name, f"Written for {name}.") for name in transition.fields}


def _in_state(record, state):
    """The record as it would be in `state` (set straight: the walk is about the engine)."""
    model = type(record)
    db.session.execute(sa.update(model).where(model.id == record.id).values(status=state))
    if model is Incident:  # ready to close: a root cause, its complaints answered
        db.session.execute(sa.update(model).where(model.id == record.id).values(root_cause="Worn sieve."))
        linked = sa.select(IncidentComplaint.complaint_id).where(IncidentComplaint.incident_id == record.id)
        db.session.execute(sa.update(Complaint).where(Complaint.id.in_(linked)).values(status="resolved"))
    db.session.commit()
    db.session.expire_all()
    return db.session.get(model, record.id)


def _allowed_actor(transition):
    return factories.make_user((roles_with(transition.permission)[0],))


def _audit_actions(record) -> list[str]:
    record_type, record_id, _ = engine.workflow_of(record).audit_target(record)
    return list(
        db.session.scalars(
            sa.select(AuditEvent.action)
            .where(AuditEvent.record_type == record_type, AuditEvent.record_id == record_id)
            .order_by(AuditEvent.id)
        )
    )


def _moves():
    for workflow in WORKFLOWS.values():
        for transition in workflow.transitions:
            yield pytest.param(workflow.record_type, transition.name, id=f"{workflow.record_type}-{transition.name}")


def _make(record_type, move, actor, values, **kwargs):
    workflow = WORKFLOWS[record_type]
    transition = workflow.get(move)
    record = _in_state(BUILD[record_type](), transition.sources[0])
    kwargs.setdefault("signing", engine.Signing(transition.signature, PASSWORD) if transition.signature else None)
    kwargs.setdefault("as_part_of", None if transition.manual else "a test of the engine")
    return record, kwargs


@pytest.mark.parametrize("record_type, move", list(_moves()))
def test_the_allowed_actor_makes_the_move(app, record_type, move):
    transition = WORKFLOWS[record_type].get(move)
    actor = _allowed_actor(transition)
    record, kwargs = _make(record_type, move, actor, None)
    before = record.status
    raised = []
    with ExitStack() as stack:
        for name in transition.triggers:
            stack.enter_context(events._signals.signal(name).connected_to(lambda *a, _n=name, **k: raised.append(_n)))
        engine.apply(record, move, actor, _values(transition), version=record.version, **kwargs)
    db.session.commit()
    db.session.expire_all()
    record = db.session.get(type(record), record.id)
    assert record.status == (transition.target or before)
    actions = _audit_actions(record)
    assert actions[-1] == transition.action
    if transition.signature:
        assert actions[-2] == "signed"
    assert raised == list(transition.triggers)


def _refused(record, move, actor, values, error, match=None, **kwargs):
    before = (record.status, len(_audit_actions(record)))
    with pytest.raises(error, match=match):
        engine.apply(record, move, actor, values, **kwargs)
    db.session.rollback()
    db.session.expire_all()
    record = db.session.get(type(record), record.id)
    assert (record.status, len(_audit_actions(record))) == before


@pytest.mark.parametrize("record_type, move", list(_moves()))
def test_refusals_change_nothing(app, record_type, move):
    workflow = WORKFLOWS[record_type]
    transition = workflow.get(move)
    actor = _allowed_actor(transition)
    values = _values(transition)
    record, kwargs = _make(record_type, move, actor, values)
    tried = 0
    # a role without the permission (and not the owner)
    for role in ROLES:
        if role not in roles_with(transition.permission):
            _refused(record, move, factories.make_user((role,)), values, NotAllowed, "Only", **kwargs)
            tried += 1
            break
    # a state the move does not start from
    wrong = [s for s in workflow.states if s not in transition.sources]
    if wrong:
        stale = _in_state(record, wrong[0])
        _refused(stale, move, actor, values, InvalidTransition, **kwargs)
        record = _in_state(record, transition.sources[0])
        tried += 1
    if transition.required:
        missing = {k: v for k, v in values.items() if k != transition.required[0]}
        _refused(record, move, actor, missing, ValidationError, "Fill in", **kwargs)
        tried += 1
    if transition.signature:
        other = next(m for m in MEANINGS if m != transition.signature)
        _refused(
            record,
            move,
            actor,
            values,
            ValidationError,
            "signed as",
            **{**kwargs, "signing": engine.Signing(other, PASSWORD)},
        )
        tried += 1
    # a version older than the record's
    _refused(record, move, actor, values, StaleRecord, **{**kwargs, "version": record.version - 1})
    tried += 1
    if not transition.manual:
        _refused(record, move, actor, values, NotAllowed, "part of", **{**kwargs, "as_part_of": None})
        tried += 1
    if transition.not_by:
        db.session.execute(
            sa.update(type(record)).where(type(record).id == record.id).values({transition.not_by: actor.id})
        )
        db.session.commit()
        record = db.session.get(type(record), record.id)
        _refused(record, move, actor, values, NotAllowed, "Four eyes", **kwargs)
        tried += 1
    assert tried >= 2


def test_every_record_type_has_a_builder_and_every_state_a_label():
    assert set(BUILD) == set(WORKFLOWS)
    for workflow in WORKFLOWS.values():
        for transition in workflow.transitions:
            assert set(transition.sources) <= set(workflow.states)
            assert transition.target is None or transition.target in workflow.states
        for states in workflow.sets.values():
            assert states <= set(workflow.states)
