"""Signature throttling (issue 17, point 3): wrong e-signature passwords count per user; the
fifth within the window locks signing for the rest of it, with a clear message; admins are
alerted once; every attempt, locked ones too, stays in the audit trail."""

from datetime import timedelta

import sqlalchemy as sa

from app.alerts.defaults import install_default_rules
from app.extensions import db
from app.models import Alert, AuditEvent, Complaint, Incident, IncidentComplaint, Signature
from tests import factories
from tests.factories import PASSWORD


def _incident_ready_to_close(owner):
    incident = factories.make_incident(actor=owner)
    incident.root_cause = "Worn sieve mesh."
    linked = sa.select(IncidentComplaint.complaint_id).where(IncidentComplaint.incident_id == incident.id)
    db.session.execute(sa.update(Complaint).where(Complaint.id.in_(linked)).values(status="resolved"))
    db.session.commit()
    return incident


def _close(client, incident, password):
    data = {"closing_summary": "Sieve replaced.", "meaning": "approved", "password": password}
    return client.post(f"/incidents/{incident.id}/do/close", data=data)


def _count(action, actor_id):
    return db.session.scalar(
        sa.select(sa.func.count())
        .select_from(AuditEvent)
        .where(AuditEvent.action == action, AuditEvent.actor_id == actor_id)
    )


def test_five_wrong_passwords_lock_signing_and_alert_the_admins(app, login_as):
    admin = factories.make_user(("admin",))
    install_default_rules()
    db.session.commit()
    production = login_as("production")
    incident = _incident_ready_to_close(production.user)
    for _ in range(app.config["SIGNATURE_MAX_FAILURES"]):
        response = _close(production, incident, "not-my-password")
        assert response.status_code == 422 and "nothing was signed" in response.get_data(as_text=True)
    locked = _close(production, incident, PASSWORD)  # the right password, but too late
    assert locked.status_code == 429
    assert "Signing is locked" in locked.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Incident, incident.id).status != "closed"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Signature)) == 0
    assert _count("signature refused", production.user.id) == 6  # the locked attempt is kept too
    assert _count("signing locked", production.user.id) == 1
    alerts = db.session.scalars(sa.select(Alert).where(Alert.event == "signature.locked")).all()
    assert [a.user_id for a in alerts] == [admin.id]  # told once, to the admins

    # When the window has passed, the right password signs again.
    window = timedelta(minutes=app.config["SIGNATURE_LOCK_MINUTES"] + 1)
    refused = sa.select(AuditEvent).where(
        AuditEvent.actor_id == production.user.id, AuditEvent.action == "signature refused"
    )
    for event in db.session.scalars(refused):
        event.created_at = event.created_at - window  # as if the attempts were that long ago
    db.session.commit()
    assert _close(production, incident, PASSWORD).status_code == 302
    db.session.expire_all()
    assert db.session.get(Incident, incident.id).status == "closed"


def test_another_users_wrong_passwords_do_not_lock_mine(app, login_as):
    careless = login_as("production")
    for _ in range(app.config["SIGNATURE_MAX_FAILURES"]):
        _close(careless, _incident_ready_to_close(careless.user), "wrong")
    careful = login_as("production")
    assert _close(careful, _incident_ready_to_close(careful.user), PASSWORD).status_code == 302
