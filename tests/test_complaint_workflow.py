"""Complaint life cycle through the workflow table: who may move it, what each move needs."""

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import AuditEvent, Complaint
from app.workflow import COMPLAINT, roles_with
from tests import factories


def triage_form(investigator, **overrides):
    data = {
        "severity": "4",
        "probability": "3",
        "reportable": "yes",
        "reportable_reason": "Injury reported; MedWatch within 30 days.",
        "investigator_id": str(investigator.id),
        "due_date": (date.today() + timedelta(days=5)).isoformat(),
    }
    data.update(overrides)
    return data


def audit_count():
    return db.session.scalar(sa.select(sa.func.count(AuditEvent.id)))


def test_full_life_cycle(app, login_as):
    sales, production = login_as("sales"), login_as("production")
    complaint = factories.make_complaint(actor=sales.user)
    url = f"/complaints/{complaint.id}"

    assert production.post(f"{url}/do/triage", data=triage_form(production.user)).status_code == 302
    db.session.refresh(complaint)
    assert (complaint.status, complaint.risk_score, complaint.reportable) == ("triaged", 12, True)
    assert complaint.investigator_id == production.user.id

    assert production.post(f"{url}/do/investigate").status_code == 302
    assert sales.post(f"{url}/do/resolve", data={"reply_to_complainant": "Refund sent."}).status_code == 302
    assert production.post(f"{url}/do/close", data={"closing_note": "Root cause fixed."}).status_code == 302
    db.session.refresh(complaint)
    assert complaint.status == "closed"
    assert complaint.reply_to_complainant == "Refund sent."

    actions = db.session.scalars(
        sa.select(AuditEvent.action)
        .where(AuditEvent.record_type == "complaint", AuditEvent.record_id == complaint.id)
        .order_by(AuditEvent.id)
    ).all()
    assert actions == ["created", "triage", "investigate", "resolve", "close"]
    page = sales.get(url).get_data(as_text=True)
    assert "Closed" in page and "Refund sent." in page
    assert not COMPLAINT.available(db.session.get(Complaint, complaint.id), production.user)


@pytest.mark.parametrize(
    "name, status, allowed_role",
    [(t.name, t.sources[0], roles_with(t.permission)[0]) for t in COMPLAINT.transitions],
)
@pytest.mark.parametrize("role", ["sales", "production", "marketing", "admin"])
def test_forged_transitions_are_refused(app, login_as, name, status, allowed_role, role):
    """Each move, each role: only the roles in the table get past the check (403 otherwise)."""
    complaint = factories.make_complaint()
    complaint.status = status
    db.session.commit()
    client = login_as(role)
    before = audit_count()
    response = client.post(f"/complaints/{complaint.id}/do/{name}", data={})
    transition = COMPLAINT.get(name)
    if role in roles_with(transition.permission):
        # allowed role: an empty form is refused for missing fields, or the move happens
        assert response.status_code in (302, 422)
    else:
        assert response.status_code == 403
        db.session.expire_all()
        assert db.session.get(Complaint, complaint.id).status == status
        assert audit_count() == before


def test_wrong_state_is_a_clear_409(app, login_as):
    production = login_as("production")
    complaint = factories.make_complaint()
    response = production.post(f"/complaints/{complaint.id}/do/close", data={"closing_note": "x"})
    assert response.status_code == 409
    assert "Cannot close: the complaint is new" in response.get_data(as_text=True)
    assert production.get(f"/complaints/{complaint.id}/do/nonsense").status_code == 404


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("severity", "", "Choose a severity from 1 to 5"),
        ("severity", "9", "Not a valid choice"),
        ("probability", "0", "Choose a probability from 1 to 5"),
        ("reportable", "", "Say whether it is reportable"),
        ("reportable_reason", "  ", "Give the reason for the decision"),
        ("investigator_id", "0", "Choose an investigator"),
        ("due_date", "", "Enter a due date"),
        ("due_date", "31/12/2026", "Not a valid date"),
        ("due_date", "2001-01-01", "The due date is in the past"),
    ],
)
def test_triage_requires_its_fields(app, login_as, field, value, message):
    production = login_as("production")
    complaint = factories.make_complaint()
    before = audit_count()
    response = production.post(
        f"/complaints/{complaint.id}/do/triage", data=triage_form(production.user, **{field: value})
    )
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    db.session.refresh(complaint)
    assert complaint.status == "new" and complaint.severity is None
    assert audit_count() == before


def test_investigator_must_be_production(app, login_as):
    production = login_as("production")
    marketing = factories.make_user(("marketing",))
    complaint = factories.make_complaint()
    response = production.post(f"/complaints/{complaint.id}/do/triage", data=triage_form(marketing))
    assert response.status_code == 422
    db.session.refresh(complaint)
    assert complaint.status == "new"


def test_reject_needs_a_reason_and_records_who(app, login_as):
    production = login_as("production")
    complaint = factories.make_complaint()
    url = f"/complaints/{complaint.id}/do/reject"
    assert production.post(url, data={"rejection_reason": ""}).status_code == 422
    assert production.post(url, data={"rejection_reason": "Competitor's product."}).status_code == 302
    db.session.refresh(complaint)
    assert complaint.status == "rejected"
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "reject"))
    assert event.actor_id == production.user.id and "Competitor" in event.changes


def test_triaged_complaint_can_still_be_rejected_but_not_resolved_by_production(app, login_as):
    production = login_as("production")
    complaint = factories.triage(factories.make_complaint(), actor=production.user)
    assert [t.name for t in COMPLAINT.available(complaint, production.user)] == [
        "investigate",
        "reject",
    ]
    factories.make_user(("sales",))
    assert production.post(f"/complaints/{complaint.id}/do/resolve", data={}).status_code == 403


def test_every_transition_target_and_source_is_a_known_state():
    for transition in COMPLAINT.transitions:
        assert transition.target in COMPLAINT.states
        assert set(transition.sources) <= set(COMPLAINT.states)
        assert roles_with(transition.permission)
