"""Incidents: opening from complaints, the traced scope and holds, the INCIDENT moves
(close is signed), stale edits, cluster suggestions."""

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Action, AuditEvent, Complaint, Incident, IncidentComplaint, IncidentLot, Lot, Signature
from tests import factories
from tests.factories import PASSWORD


def audit_actions(record_type, record_id):
    return db.session.scalars(
        sa.select(AuditEvent.action)
        .where(AuditEvent.record_type == record_type, AuditEvent.record_id == record_id)
        .order_by(AuditEvent.id)
    ).all()


def incident_form(owner, **overrides):
    data = {
        "title": "Plastic in crisps",
        "description": "Two customers found hard plastic.",
        "owner_id": str(owner.id),
        "severity": "4",
        "probability": "2",
    }
    data.update(overrides)
    return data


def close_form(**overrides):
    data = {"closing_summary": "Sieve replaced; verified.", "meaning": "approved", "password": PASSWORD}
    data.update(overrides)
    return data


@pytest.fixture
def production(login_as):
    return login_as("production")


@pytest.fixture
def contained(production):
    """An incident under investigation with its containment recorded, a root cause, and its
    complaints answered (set straight: the tests start where closing becomes possible)."""
    incident = factories.make_incident(actor=production.user)
    incident.containment = "Line stopped."
    incident.root_cause = "Worn sieve mesh."
    db.session.execute(sa.update(Incident).where(Incident.id == incident.id).values(status="investigating"))
    linked = sa.select(IncidentComplaint.complaint_id).where(IncidentComplaint.incident_id == incident.id)
    db.session.execute(sa.update(Complaint).where(Complaint.id.in_(linked)).values(status="resolved"))
    db.session.commit()
    db.session.expire_all()
    return db.session.get(Incident, incident.id)


def test_open_from_two_complaints_and_link_another(app, production):
    first, second, third = (factories.make_complaint() for _ in range(3))
    factories.triage(first, severity=3, probability=2)
    factories.triage(second, severity=2, probability=4)
    page = production.get(f"/incidents/new?complaint={first.id}&complaint={second.id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert first.reference in html and second.reference in html
    assert '<option selected value="3">' in html and '<option selected value="4">' in html  # max of each

    url = f"/incidents/new?complaint={first.id}&complaint={second.id}"
    response = production.post(url, data=incident_form(production.user, severity="3", probability="4"))
    assert response.status_code == 302
    incident = db.session.scalar(sa.select(Incident))
    assert incident.reference == f"INC-{datetime.now(UTC).year}-0001"
    assert (incident.status, incident.risk_score, incident.owner_id) == ("open", 12, production.user.id)
    links = db.session.scalars(sa.select(IncidentComplaint.complaint_id)).all()
    assert sorted(links) == sorted([first.id, second.id])
    assert "linked to incident" in audit_actions("complaint", first.id)
    assert audit_actions("incident", incident.id) == ["created"]

    response = production.post(f"/incidents/{incident.id}/complaints", data={"reference": third.reference.lower()})
    assert response.status_code == 302
    assert db.session.scalar(sa.select(sa.func.count()).select_from(IncidentComplaint)) == 3
    assert audit_actions("incident", incident.id)[-1] == "linked complaint"
    assert audit_actions("complaint", third.id)[-1] == "linked to incident"
    timeline = production.get(f"/complaints/{third.id}").get_data(as_text=True)
    assert incident.reference in timeline

    again = production.post(f"/incidents/{incident.id}/complaints", data={"reference": third.reference})
    assert again.status_code == 422 and "already linked" in again.get_data(as_text=True)
    unknown = production.post(f"/incidents/{incident.id}/complaints", data={"reference": "CMP-1999-9999"})
    assert unknown.status_code == 422 and "There is no complaint" in unknown.get_data(as_text=True)


def test_open_needs_complaints_and_valid_fields(app, production):
    assert production.get("/incidents/new").status_code == 302
    complaint = factories.make_complaint()
    url = f"/incidents/new?complaint={complaint.id}"
    response = production.post(url, data=incident_form(production.user, title="", severity="9"))
    assert response.status_code == 422
    sales = factories.make_user(("sales",))
    response = production.post(url, data=incident_form(sales))
    assert response.status_code == 422  # not among the owners offered
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Incident)) == 0


@pytest.fixture
def genealogy(app):
    """raw R feeds finished F1 and F2; F1 is named by a complaint; F2 was shipped."""
    raw = factories.make_lot("R-1", kind="raw")
    f1, f2 = factories.make_lot("F-1"), factories.make_lot("F-2")
    factories.make_edge(raw, f1)
    factories.make_edge(raw, f2)
    factories.make_shipment(f2, factories.make_customer("Shop A"))
    return raw, f1, f2


def test_trace_store_and_hold(app, production, genealogy):
    raw, f1, f2 = genealogy
    complaint = factories.make_complaint(lot_codes="F-1, NOPE-9")
    incident = factories.make_incident([complaint], actor=production.user)
    page = production.get(f"/incidents/{incident.id}").get_data(as_text=True)
    assert f'value="{f1.id}"' in page and f'value="{raw.id}"' in page  # named lot and its input
    assert "NOPE-9" in page

    response = production.post(f"/incidents/{incident.id}/trace", data={"root": [str(raw.id)]})
    assert response.status_code == 302
    db.session.expire_all()
    rows = {r.lot_id: (r.is_root, r.depth) for r in db.session.scalars(sa.select(IncidentLot))}
    assert rows == {raw.id: (True, 0), f1.id: (False, 1), f2.id: (False, 1)}
    incident = db.session.get(Incident, incident.id)
    assert incident.traced_at is not None
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "traced affected lots"))
    assert '"affected_lots": [0, 3]' in event.changes and '"consignees": [null, 1]' in event.changes
    page = production.get(f"/incidents/{incident.id}").get_data(as_text=True)
    assert "Shop A" in page and "<strong>3</strong> lots" in page

    # Re-tracing replaces the snapshot; a typed lot code works too.
    assert production.post(f"/incidents/{incident.id}/trace", data={"lot_code": "F-1"}).status_code == 302
    assert db.session.scalars(sa.select(IncidentLot.lot_id)).all() == [f1.id]
    bad = production.post(f"/incidents/{incident.id}/trace", data={"lot_code": "NOPE-9"})
    assert bad.status_code == 422 and "There is no lot NOPE-9" in bad.get_data(as_text=True)
    assert production.post(f"/incidents/{incident.id}/trace", data={}).status_code == 422

    production.post(f"/incidents/{incident.id}/trace", data={"root": [str(raw.id)]})
    assert production.post(f"/incidents/{incident.id}/hold", data={"reason": ""}).status_code == 422
    response = production.post(f"/incidents/{incident.id}/hold", data={"reason": "Plastic risk"})
    assert response.status_code == 302
    db.session.expire_all()
    assert set(db.session.scalars(sa.select(Lot.status))) == {"on_hold"}
    assert audit_actions("lot", f2.id)[-1] == "hold"
    assert audit_actions("incident", incident.id)[-1] == "held affected lots"
    assert "3 affected lots put on hold" in db.session.get(Incident, incident.id).containment


def test_hold_needs_a_snapshot(app, production):
    incident = factories.make_incident(actor=production.user)
    response = production.post(f"/incidents/{incident.id}/hold", data={"reason": "Risk"})
    assert response.status_code == 422 and "Trace and store" in response.get_data(as_text=True)


@pytest.mark.parametrize("role", ["sales", "marketing", "admin"])
def test_other_roles_cannot_change_incidents(app, login_as, role):
    incident = factories.make_incident()
    client = login_as(role)
    base = f"/incidents/{incident.id}"
    assert client.post(f"{base}/do/investigate").status_code == 403
    assert client.post(f"{base}/do/contain", data={"containment": "x"}).status_code == 403
    assert client.post(f"{base}/edit", data={}).status_code == 403
    assert client.post(f"{base}/trace", data={"lot_code": "X"}).status_code == 403
    page = client.get(base).get_data(as_text=True)
    assert "/do/" not in page and "/edit" not in page
    db.session.expire_all()
    assert db.session.get(Incident, incident.id).status == "open"


def test_containment_runs_beside_the_investigation(app, production):
    """Containment is an activity recorded through the engine, not a state: it neither blocks
    starting the investigation nor is blocked by it, and it can be recorded again."""
    incident = factories.make_incident(actor=production.user)
    base = f"/incidents/{incident.id}"
    page = production.get(base).get_data(as_text=True)
    assert "/do/investigate" in page and "/do/contain" in page and "/do/close" in page
    assert production.post(f"{base}/do/contain", data={"containment": " "}).status_code == 422
    assert production.post(f"{base}/do/contain", data={"containment": "Lots held."}).status_code == 302
    db.session.expire_all()
    incident = db.session.get(Incident, incident.id)
    assert (incident.status, incident.containment) == ("open", "Lots held.")
    assert production.post(f"{base}/do/investigate").status_code == 302  # containment did not block it
    assert production.post(f"{base}/do/contain", data={"containment": "Line 2 stopped too."}).status_code == 302
    db.session.expire_all()
    incident = db.session.get(Incident, incident.id)
    assert (incident.status, incident.containment) == ("investigating", "Line 2 stopped too.")
    assert audit_actions("incident", incident.id)[-3:] == ["contain", "investigate", "contain"]
    # escalation is made by proposing a recall, never by hand
    assert production.get(f"{base}/do/escalate").status_code == 404


def test_close_needs_root_cause_and_finished_actions(app, production, contained):
    base = f"/incidents/{contained.id}"
    contained.root_cause = None
    db.session.commit()
    response = production.post(f"{base}/do/close", data=close_form())
    assert response.status_code == 409 and "root cause" in response.get_data(as_text=True)

    contained.root_cause = "Worn sieve."
    db.session.commit()
    action = factories.make_action_row(contained, production.user)
    response = production.post(f"{base}/do/close", data=close_form())
    assert response.status_code == 409 and "CAPA-T-1 (in progress)" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Incident, contained.id).status == "investigating"

    action = db.session.get(Action, action.id)
    action.justification = "Supplier replaced; effect checked at next audit."
    db.session.commit()
    assert production.post(f"{base}/do/close", data=close_form()).status_code == 302
    db.session.expire_all()
    assert db.session.get(Incident, contained.id).status == "closed"


def test_close_with_verified_action(app, production, contained):
    factories.make_action_row(contained, production.user, status="verified")
    assert production.post(f"/incidents/{contained.id}/do/close", data=close_form()).status_code == 302


def test_close_signature(app, production, contained):
    base = f"/incidents/{contained.id}"
    response = production.post(f"{base}/do/close", data=close_form(password="wrong-password"))
    assert response.status_code == 422
    assert "nothing was signed" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Incident, contained.id).status == "investigating"
    assert audit_actions("incident", contained.id)[-1] == "signature refused"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Signature)) == 0
    assert production.post(f"{base}/do/close", data=close_form(meaning="reviewed")).status_code == 422

    assert production.post(f"{base}/do/close", data=close_form()).status_code == 302
    db.session.expire_all()
    incident = db.session.get(Incident, contained.id)
    assert (incident.status, incident.closing_summary) == ("closed", "Sieve replaced; verified.")
    signature = db.session.scalar(sa.select(Signature))
    assert (signature.record_type, signature.record_id, signature.action) == ("incident", incident.id, "close")
    assert (signature.printed_name, signature.meaning) == (production.user.name, "approved")
    assert audit_actions("incident", incident.id)[-2:] == ["signed", "close"]
    page = production.get(base).get_data(as_text=True)
    assert f"Signed by <strong>{production.user.name}</strong>" in page
    # closed: no move but the signed reopening, no edit
    assert page.count("/do/") == 1 and f"{base}/do/reopen" in page and f"{base}/edit" not in page

    signature.meaning = "reviewed"
    with pytest.raises(ValueError, match="cannot be edited"):
        db.session.commit()
    db.session.rollback()


def edit_form(incident, **overrides):
    data = {
        "version": str(incident.version),
        "title": incident.title,
        "description": incident.description,
        "owner_id": str(incident.owner_id),
        "severity": str(incident.severity),
        "probability": str(incident.probability),
        "containment": "",
        "why_1": "Plastic in product",
        "why_2": "",
        "why_3": "Sieve torn",
        "fishbone_category": "machine",
        "root_cause": "Worn sieve mesh.",
        "escape_point": "Metal detector does not see plastic.",
        "decision": "rework",
        "decision_reason": "Rework held stock.",
    }
    data.update(overrides)
    return data


def test_edit_investigation_and_stale_edit(app, production, login_as):
    incident = factories.make_incident(actor=production.user)
    base = f"/incidents/{incident.id}"
    assert production.get(f"{base}/edit").status_code == 200
    opened = edit_form(incident)
    assert production.post(f"{base}/edit", data=opened).status_code == 302
    db.session.expire_all()
    incident = db.session.get(Incident, incident.id)
    assert [w.text for w in incident.whys] == ["Plastic in product", "Sieve torn"]
    assert (incident.fishbone_category, incident.decision, incident.risk_score) == ("machine", "rework", 6)
    page = production.get(base).get_data(as_text=True)
    assert "<li>Sieve torn</li>" in page and "Worn sieve mesh." in page

    # Only the whys change: the version still moves on.
    version = incident.version
    assert production.post(f"{base}/edit", data=edit_form(incident, why_2="Nobody checked")).status_code == 302
    db.session.expire_all()
    assert db.session.get(Incident, incident.id).version > version

    stale = production.post(f"{base}/edit", data=opened | {"title": "Mine"})
    assert stale.status_code == 409 and "changed by someone else" in stale.get_data(as_text=True)
    assert db.session.get(Incident, incident.id).title == "Plastic pieces in bags"

    recall = production.post(
        f"{base}/edit", data=edit_form(db.session.get(Incident, incident.id), decision="recall_proposed")
    )
    assert recall.status_code == 422


def test_hostile_text_is_escaped(app, production):
    hostile = "<script>alert('x')</script>"
    complaint = factories.make_complaint()
    response = production.post(
        f"/incidents/new?complaint={complaint.id}", data=incident_form(production.user, title=hostile)
    )
    assert response.status_code == 302
    incident = db.session.scalar(sa.select(Incident))
    for url in (f"/incidents/{incident.id}", "/incidents/", f"/complaints/{complaint.id}"):
        page = production.get(url).get_data(as_text=True)
        assert hostile not in page
    assert "&lt;script&gt;" in production.get(f"/incidents/{incident.id}").get_data(as_text=True)


def test_list_search_and_export(app, production):
    first = factories.make_incident(actor=production.user, title="Glass in jars")
    factories.make_incident(actor=production.user, title="Mould on bread")
    page = production.get("/incidents/?q=glass").get_data(as_text=True)
    assert first.reference in page and "Mould on bread" not in page
    assert "Mould on bread" in production.get("/incidents/?status=open").get_data(as_text=True)
    assert "No incident matches" in production.get("/incidents/?status=closed").get_data(as_text=True)
    assert production.get("/incidents/?status=bogus").status_code == 200
    csv = production.get("/incidents/export.csv?q=glass").get_data(as_text=True)
    assert "Glass in jars" in csv and "Mould" not in csv
    assert "/incidents/" in production.get("/home").get_data(as_text=True)  # nav link


def test_suggestions_same_product_and_shared_input(app, production, genealogy):
    raw, f1, f2 = genealogy
    product = factories.make_product()
    known = factories.make_complaint(product_id=product.id, lot_codes="OTHER-1")
    factories.make_incident([known], actor=production.user, title="Same product incident")
    closed = factories.make_incident([known], actor=production.user, title="Closed one")
    closed.status = "closed"
    db.session.commit()
    by_input = factories.make_incident(actor=production.user, title="Shared input incident")
    production.post(f"/incidents/{by_input.id}/trace", data={"root": [str(raw.id)]})

    complaint = factories.make_complaint(product_id=product.id, lot_codes="F-1")
    page = production.get(f"/complaints/{complaint.id}").get_data(as_text=True)
    assert "Possible related open incidents" in page
    assert "Same product incident" in page and "Shared input incident" in page and "Closed one" not in page
    assert "shares an input lot" in page
    triage = production.get(f"/complaints/{complaint.id}/do/triage").get_data(as_text=True)
    assert "Same product incident" in triage

    lonely = factories.make_complaint(lot_codes="X-1")
    assert "Possible related" not in production.get(f"/complaints/{lonely.id}").get_data(as_text=True)
    linked = production.get(f"/complaints/{known.id}").get_data(as_text=True)
    assert "Same product incident" not in linked  # already linked, not suggested


def test_clusters_page(app, production, genealogy):
    raw, f1, f2 = genealogy
    one = factories.make_complaint(lot_codes="F-1")
    two = factories.make_complaint(lot_codes="F-2")
    factories.make_complaint(lot_codes="F-2", received_at=datetime.now(UTC) - timedelta(days=120))
    page = production.get("/incidents/clusters").get_data(as_text=True)
    assert "R-1" in page and one.reference in page and two.reference in page
    assert f"complaint={one.id}" in page  # open an incident from the cluster


def test_complaint_pages_offer_opening_an_incident(app, login_as):
    complaint = factories.make_complaint()
    for role in ("production", "sales"):
        client = login_as(role)
        detail = client.get(f"/complaints/{complaint.id}").get_data(as_text=True)
        listing = client.get("/complaints/").get_data(as_text=True)
        assert ("/incidents/new?complaint=" in detail) == (role == "production")
        assert ("Open incident from ticked" in listing) == (role == "production")
