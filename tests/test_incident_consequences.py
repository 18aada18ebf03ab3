"""Records agree with each other: the consequences between an incident, its complaints,
its actions and its recalls, declared beside the transition tables and applied by the engine."""

import sqlalchemy as sa

from app.events import _signals
from app.extensions import db
from app.models import AuditEvent, Complaint, Incident, IncidentComplaint, Recall
from app.recalls import services as recalls
from tests import factories
from tests.conftest import PASSWORD


def _actions(record_type, record_id):
    return db.session.scalars(
        sa.select(AuditEvent.action)
        .where(AuditEvent.record_type == record_type, AuditEvent.record_id == record_id)
        .order_by(AuditEvent.id)
    ).all()


def _fresh(model, record_id):
    db.session.expire_all()
    return db.session.get(model, record_id)


def _ready_to_close(incident):
    """Root cause recorded; the complaints answered (set straight: the tests start here)."""
    incident.root_cause = "Worn sieve mesh."
    linked = sa.select(IncidentComplaint.complaint_id).where(IncidentComplaint.incident_id == incident.id)
    db.session.execute(sa.update(Complaint).where(Complaint.id.in_(linked)).values(status="resolved"))
    db.session.commit()
    return _fresh(Incident, incident.id)


def _close(client, incident, **overrides):
    data = {"closing_summary": "Sieve replaced.", "meaning": "approved", "password": PASSWORD} | overrides
    return client.post(f"/incidents/{incident.id}/do/close", data=data)


def test_open_complaints_block_closing_and_are_named_before_any_typing(app, login_as):
    production = login_as("production")
    complaint = factories.triage(factories.make_complaint())
    incident = factories.make_incident([complaint], actor=production.user)
    incident.root_cause = "Worn sieve mesh."
    db.session.commit()
    form = production.get(f"/incidents/{incident.id}/do/close").get_data(as_text=True)
    assert "cannot close yet" in form and complaint.reference in form
    assert "must be reopened" in form  # and that a recall then needs a reopening
    response = _close(production, incident)
    assert response.status_code == 409 and complaint.reference in response.get_data(as_text=True)
    assert _fresh(Incident, incident.id).status == "open"
    assert _fresh(Complaint, complaint.id).status == "triaged"  # not changed behind sales' back

    db.session.execute(sa.update(Complaint).where(Complaint.id == complaint.id).values(status="rejected"))
    db.session.commit()
    assert _close(production, incident).status_code == 302
    assert _fresh(Incident, incident.id).status == "closed"


def test_a_closed_incident_is_reopened_by_a_signed_move_with_a_reason(app, login_as):
    production = login_as("production")
    incident = _ready_to_close(factories.make_incident(actor=production.user))
    assert _close(production, incident).status_code == 302
    base = f"/incidents/{incident.id}/do/reopen"
    assert "reopen it" in production.get(f"/recalls/propose?incident={incident.id}").get_data(as_text=True)
    wrong = production.post(base, data={"reopen_reason": "New complaint.", "meaning": "approved", "password": "x"})
    assert wrong.status_code == 422 and _fresh(Incident, incident.id).status == "closed"
    missing = production.post(base, data={"reopen_reason": " ", "meaning": "approved", "password": PASSWORD})
    assert missing.status_code == 422
    done = production.post(base, data={"reopen_reason": "New complaint.", "meaning": "approved", "password": PASSWORD})
    assert done.status_code == 302
    assert _fresh(Incident, incident.id).status == "investigating"
    assert _actions("incident", incident.id)[-2:] == ["signed", "reopen"]
    event = db.session.scalars(sa.select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1)).one()
    assert "New complaint." in event.changes


def test_a_recall_needs_the_incident_open_and_moves_it(app, login_as):
    marketing = login_as("marketing")
    production_user = factories.make_user(("production",))
    incident = _ready_to_close(factories.make_incident(actor=production_user))
    from app.incidents import services as incidents

    incidents.apply_transition(
        incident, "close", {"closing_summary": "Done.", "meaning": "approved"}, production_user, PASSWORD
    )
    db.session.commit()
    lot = factories.make_lot()
    try:
        recalls.propose(incident, dict(factories.RECALL_DATA), [lot.id], marketing.user)
    except Exception as error:  # noqa: BLE001 - the message is what is checked
        db.session.rollback()
        assert "closed" in str(error) and "reopen" in str(error)
    else:
        raise AssertionError("a recall of a closed incident was accepted")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Recall)) == 0

    incident = factories.make_incident()
    raised = []
    with _signals.signal("incident.escalated").connected_to(lambda record, **kw: raised.append(record.id)):
        recall = factories.make_recall(proposer=marketing.user, incident=incident)
    incident = _fresh(Incident, incident.id)
    assert (incident.status, incident.decision) == ("escalated", "recall_proposed")
    assert raised == [incident.id]
    assert _actions("incident", incident.id)[-2:] == ["recall proposed", "escalate"]
    page = marketing.get(f"/incidents/{incident.id}").get_data(as_text=True)
    assert recall.reference in page and "Recall proposed" in page
    listing = marketing.get("/incidents/").get_data(as_text=True)
    assert recall.reference in listing
    # an incident in recall is still worked on: actions can be added
    assert f"/actions/new?incident={incident.id}" in login_as("production").get(f"/incidents/{incident.id}").get_data(
        as_text=True
    )


def test_a_second_recall_of_one_incident_must_extend_the_first(app, login_as):
    marketing = factories.make_user(("marketing",))
    incident = factories.make_incident()
    first = factories.make_recall(proposer=marketing, incident=incident)
    lot = factories.make_lot()
    try:
        recalls.propose(incident, dict(factories.RECALL_DATA), [lot.id], marketing)
    except Exception as error:  # noqa: BLE001 - the message is what is checked
        db.session.rollback()
        assert first.reference in str(error) and "extend" in str(error)
    else:
        raise AssertionError("a second recall without 'extends' was accepted")
    second = recalls.propose(incident, dict(factories.RECALL_DATA, extends_id=first.id), [lot.id], marketing)
    db.session.commit()
    assert _fresh(Recall, second.id).extends_id == first.id


def test_a_recall_not_made_sends_the_incident_back_to_investigating(app, login_as):
    marketing = factories.make_user(("marketing",))
    incident = factories.make_incident()
    recall = factories.make_recall(proposer=marketing, incident=incident)
    assert _fresh(Incident, incident.id).status == "escalated"
    recalls.apply_transition(recall, "cancel", {"termination_note": "A withdrawal is enough."}, marketing)
    db.session.commit()
    assert _fresh(Incident, incident.id).status == "investigating"
    assert _actions("incident", incident.id)[-1] == "deescalate"


def test_a_live_recall_blocks_closing_its_incident(app, login_as):
    production = login_as("production")
    incident = factories.make_incident(actor=production.user)
    recall = factories.make_recall(incident=incident)
    incident = _ready_to_close(incident)
    response = _close(production, incident)
    assert response.status_code == 409 and recall.reference in response.get_data(as_text=True)
    assert _fresh(Incident, incident.id).status == "escalated"
