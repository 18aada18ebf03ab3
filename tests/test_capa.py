"""CAPA actions: creation on an incident, owner/production moves, signed verification,
justification, overdue flag and "My actions", stale edits."""

from datetime import date, timedelta

import sqlalchemy as sa

from app.capa import services as capa
from app.extensions import db
from app.models import Action, AuditEvent, Signature
from tests import factories
from tests.factories import PASSWORD


def action_form(owner, **overrides) -> dict:
    data = {
        "kind": "corrective",
        "description": "Fit a magnet at the sieve outlet.",
        "owner_id": str(owner.id),
        "due_date": (date.today() + timedelta(days=10)).isoformat(),
        "effectiveness_check": "No metal detector reject for 3 months.",
        "effectiveness_due": (date.today() + timedelta(days=100)).isoformat(),
    }
    data.update(overrides)
    return data


def counts() -> tuple[int, int]:
    return (
        db.session.scalar(sa.select(sa.func.count(Action.id))),
        db.session.scalar(sa.select(sa.func.count(AuditEvent.id))),
    )


def audit_actions(record_type, record_id) -> list[str]:
    return db.session.scalars(
        sa.select(AuditEvent.action)
        .where(AuditEvent.record_type == record_type, AuditEvent.record_id == record_id)
        .order_by(AuditEvent.id)
    ).all()


def test_create_action_on_incident(app, login_as, make_user):
    production = login_as("production")
    owner = make_user(("sales",))
    incident = factories.make_incident_row(production.user)
    assert production.get(f"/actions/new?incident={incident.id}").status_code == 200
    response = production.post(f"/actions/new?incident={incident.id}", data=action_form(owner))
    assert response.status_code == 302
    action = db.session.scalars(sa.select(Action).where(Action.owner_id == owner.id)).one()
    assert action.reference.startswith(f"CAPA-{date.today().year}-")
    assert (action.status, action.kind, action.incident_id) == ("planned", "corrective", incident.id)
    assert audit_actions("action", action.id) == ["created"]
    assert "action added" in audit_actions("incident", incident.id)
    page = production.get(response.headers["Location"]).get_data(as_text=True)
    assert action.reference in page and "Fit a magnet" in page and "Planned" in page
    assert f'href="/incidents/{incident.id}"' in page


def test_create_refuses_bad_input_and_leaves_db_unchanged(app, login_as, make_user):
    production = login_as("production")
    owner = make_user(("production",))
    incident = factories.make_incident_row(production.user)
    url = f"/actions/new?incident={incident.id}"
    before = counts()
    yesterday = (date.today() - timedelta(days=1)).isoformat()
    cases = [
        ({k: "" for k in action_form(owner)}, "Describe the action."),
        (action_form(owner, due_date=yesterday), "The due date is in the past."),
        (
            action_form(owner, effectiveness_due=date.today().isoformat()),
            "cannot be due before the action itself",
        ),
        (action_form(owner, owner_id="999999"), "Not a valid choice"),
        (action_form(owner, kind="cosmetic"), "Not a valid choice"),
        (action_form(owner, description="x" * 10_001), "10000"),
        (action_form(owner, due_date="not-a-date"), "Not a valid date"),
    ]
    for data, message in cases:
        response = production.post(url, data=data)
        assert response.status_code == 422, data
        assert message in response.get_data(as_text=True), message
    assert counts() == before


def test_hostile_text_is_escaped(app, login_as):
    production = login_as("production")
    incident = factories.make_incident_row(production.user)
    hostile = '<script>alert("x")</script>'
    data = action_form(production.user, description=hostile, effectiveness_check=hostile)
    response = production.post(f"/actions/new?incident={incident.id}", data=data, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert hostile not in page and "&lt;script&gt;" in page


def test_create_refused_on_closed_incident_but_not_one_in_recall(app, login_as):
    production = login_as("production")
    in_recall = factories.make_incident_row(production.user, status="escalated")  # worked on during its recall
    assert production.get(f"/actions/new?incident={in_recall.id}").status_code == 200
    for status in ("closed",):
        incident = factories.make_incident_row(production.user, status=status)
        before = counts()
        for response in (
            production.get(f"/actions/new?incident={incident.id}"),
            production.post(f"/actions/new?incident={incident.id}", data=action_form(production.user)),
        ):
            assert response.status_code == 409
            assert "no action can be added" in response.get_data(as_text=True)
        assert counts() == before
    assert production.get("/actions/new").status_code == 404
    assert production.get("/actions/new?incident=abc").status_code == 404


def test_owner_may_move_others_may_not(app, login_as):
    owner, other, production = login_as("sales"), login_as("sales"), login_as("production")
    action = factories.make_action(owner=owner.user)
    url = f"/actions/{action.id}"
    assert "/do/start" in owner.get(url).get_data(as_text=True)
    assert "/do/start" not in other.get(url).get_data(as_text=True)
    before = counts()
    assert other.get(f"{url}/do/start").status_code == 403
    assert other.post(f"{url}/do/start").status_code == 403  # forged POST
    assert other.post(f"{url}/edit", data={}).status_code == 403
    assert other.post(f"{url}/justify", data={"justification": "x"}).status_code == 403
    assert counts() == before
    assert owner.post(f"{url}/do/start").status_code == 302
    db.session.refresh(action)
    assert action.status == "in_progress"
    second = factories.make_action(owner=owner.user)
    assert production.post(f"/actions/{second.id}/do/start").status_code == 302
    db.session.refresh(second)
    assert second.status == "in_progress"


def test_full_cycle_with_signature(app, login_as):
    owner = login_as("sales")
    action = factories.make_action(owner=owner.user)
    url = f"/actions/{action.id}"
    assert owner.post(f"{url}/do/start").status_code == 302
    assert owner.post(f"{url}/do/implement", data={}).status_code == 422
    assert owner.post(f"{url}/do/implement", data={"implementation_note": "Magnet fitted."}).status_code == 302
    assert "Electronic signature" in owner.get(f"{url}/do/verify").get_data(as_text=True)
    data = {"effectiveness_result": "No reject in 3 months.", "meaning": "verified", "password": PASSWORD}
    assert owner.post(f"{url}/do/verify", data=data).status_code == 302
    db.session.expire_all()
    action = db.session.get(Action, action.id)
    assert action.status == "verified"
    signature = db.session.scalars(sa.select(Signature).where(Signature.record_type == "action")).one()
    assert (signature.record_id, signature.printed_name, signature.meaning) == (action.id, owner.user.name, "verified")
    # signed before the move, as every signed move (the engine signs, then moves)
    assert audit_actions("action", action.id) == ["created", "start", "implement", "signed", "verify"]
    page = owner.get(url).get_data(as_text=True)
    assert "Verified effective" in page and owner.user.name in page and "Not signed yet" not in page
    assert capa.open_actions(action.incident) == []
    assert action.incident.actions == [action]


def test_wrong_password_is_refused_and_audited(app, login_as):
    production = login_as("production")
    action = factories.make_action(actor=production.user)
    action.status = "implemented"
    db.session.commit()
    data = {"effectiveness_result": "Fine.", "meaning": "verified", "password": "wrong-password"}
    response = production.post(f"/actions/{action.id}/do/verify", data=data)
    assert response.status_code == 422
    assert "nothing was signed" in response.get_data(as_text=True)
    db.session.expire_all()
    action = db.session.get(Action, action.id)
    assert (action.status, action.effectiveness_result) == ("implemented", None)
    assert db.session.scalar(sa.select(sa.func.count(Signature.id))) == 0
    assert audit_actions("action", action.id)[-1] == "signature refused"
    wrong_meaning = dict(data, password=PASSWORD, meaning="reviewed")
    assert production.post(f"/actions/{action.id}/do/verify", data=wrong_meaning).status_code == 422


def test_ineffective_then_rework(app, login_as):
    production = login_as("production")
    action = factories.make_action(actor=production.user)
    action.status = "implemented"
    db.session.commit()
    url = f"/actions/{action.id}/do"
    assert production.post(f"{url}/ineffective", data={}).status_code == 422
    assert production.post(f"{url}/ineffective", data={"effectiveness_result": "Metal again."}).status_code == 302
    db.session.refresh(action)
    assert (action.status, action.effectiveness_result) == ("ineffective", "Metal again.")
    assert production.post(f"{url}/verify", data={}).status_code == 409
    assert production.post(f"{url}/rework").status_code == 302
    db.session.refresh(action)
    assert action.status == "in_progress"
    assert production.get(f"{url}/nonsense").status_code == 404


def test_justify(app, login_as):
    production = login_as("production")
    action = factories.make_action(actor=production.user)
    incident = action.incident
    assert capa.open_actions(incident) == [action]
    url = f"/actions/{action.id}/justify"
    assert production.post(url, data={"justification": "  "}).status_code == 422
    response = production.post(url, data={"justification": "Line 2 decommissioned."})
    assert response.status_code == 302
    db.session.refresh(action)
    assert action.justification == "Line 2 decommissioned."
    assert audit_actions("action", action.id)[-1] == "justified"
    assert audit_actions("incident", incident.id)[-1] == "action justified"
    assert capa.open_actions(incident) == []


def test_overdue_flag_and_my_actions(app, login_as):
    owner = login_as("marketing")
    late = factories.make_action(owner=owner.user)
    done = factories.make_action(owner=owner.user)
    late.due_date = date.today() - timedelta(days=3)
    done.status = "verified"
    db.session.commit()
    someone_else = factories.make_action()
    assert late.is_overdue(date.today()) and not done.is_overdue(date.today())

    page = owner.get("/actions/mine").get_data(as_text=True)
    assert late.reference in page and done.reference in page and someone_else.reference not in page
    assert page.index(late.reference) < page.index(done.reference)  # open ones first
    assert "overdue" in page
    home = owner.get("/home").get_data(as_text=True)
    assert "My actions" in home and late.reference in home and done.reference not in home
    assert "My actions" not in login_as("marketing").get("/home").get_data(as_text=True)

    listing = owner.get("/actions/?overdue=1").get_data(as_text=True)
    assert late.reference in listing and someone_else.reference not in listing
    listing = owner.get(f"/actions/?q={someone_else.reference}").get_data(as_text=True)
    assert someone_else.reference in listing and late.reference not in listing
    listing = owner.get("/actions/?status=verified&kind=corrective").get_data(as_text=True)
    assert done.reference in listing and late.reference not in listing
    listing = owner.get(f"/actions/?owner_id={owner.user.id}&status=bogus").get_data(as_text=True)
    assert late.reference in listing and someone_else.reference not in listing and "ignored" in listing
    csv = owner.get("/actions/export.csv?overdue=1").get_data(as_text=True)
    assert late.reference in csv and someone_else.reference not in csv and ",yes," in csv


def test_edit_and_stale_edit(app, login_as, make_user):
    owner, production = login_as("sales"), login_as("production")
    action = factories.make_action(owner=owner.user)
    url = f"/actions/{action.id}/edit"
    assert owner.get(url).status_code == 200
    data = action_form(owner.user, description="Fit two magnets.", version=str(action.version))
    data.pop("kind")
    assert owner.post(url, data=data).status_code == 302
    db.session.refresh(action)
    assert action.description == "Fit two magnets."
    assert audit_actions("action", action.id)[-1] == "updated"

    stale = dict(data, description="An old idea.", version=str(action.version - 1))
    response = production.post(url, data=stale)
    assert response.status_code == 409
    assert "changed by someone else since you opened it" in response.get_data(as_text=True)
    db.session.refresh(action)
    assert action.description == "Fit two magnets."

    action.status = "implemented"
    db.session.commit()
    assert production.get(url).status_code == 403
