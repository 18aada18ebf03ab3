"""Recall pages: proposing from an incident (traced scope, exclusions, unknown codes), the
signed four-eyes approval (lots recalled, notices per consignee), the other RECALL moves,
the list with filters and CSV, the detail page for every role."""

from decimal import Decimal

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import AuditEvent, Lot, Recall, RecallLot, RecallNotice, RecallNoticeLine, Signature
from app.recalls import services
from tests import factories
from tests.factories import PASSWORD


def audit_actions(record_type, record_id):
    return db.session.scalars(
        sa.select(AuditEvent.action)
        .where(AuditEvent.record_type == record_type, AuditEvent.record_id == record_id)
        .order_by(AuditEvent.id)
    ).all()


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def recall_form(root_lots, **overrides):
    data = {
        "title": "Plastic pieces in crisps",
        "reason": "Hard plastic found by two customers.",
        "hazard": "Sharp pieces of plastic that can cut the mouth.",
        "classification": "II",
        "depth": "retail",
        "effectiveness_level": "C",
        "remedy": "refund",
        "instructions": "Stop selling, count the stock and return it.",
        "root_lots": root_lots,
    }
    data.update(overrides)
    return data


def recall_data(**overrides) -> dict:
    data = {k: v for k, v in recall_form("").items() if k != "root_lots"}
    data.update(public_warning=False, effectiveness_percent=None, estimated_completion=None)
    data.update(overrides)
    return data


@pytest.fixture
def tree(app):
    """A raw lot used in two finished lots, and an unrelated lot."""
    raw = factories.make_lot(kind="raw")
    first, second, other = factories.make_lot(), factories.make_lot(), factories.make_lot()
    factories.make_edge(raw, first)
    factories.make_edge(raw, second)
    return {"raw": raw, "first": first, "second": second, "other": other}


@pytest.fixture
def incident(app):
    return factories.make_incident()


def scope_codes(recall_id) -> set[str]:
    return set(
        db.session.scalars(
            sa.select(Lot.code).join(RecallLot, RecallLot.lot_id == Lot.id).where(RecallLot.recall_id == recall_id)
        )
    )


def propose(incident, roots, actor) -> Recall:
    recall = services.propose(incident, recall_data(), [lot.id for lot in roots], actor)
    db.session.commit()
    return recall


# --- proposing ---------------------------------------------------------------------------


def test_propose_from_incident_traces_forward(app, login_as, tree, incident):
    production = login_as("production")
    page = production.get(f"/incidents/{incident.id}").get_data(as_text=True)
    assert f"/recalls/propose?incident={incident.id}" in page
    assert production.get(f"/recalls/propose?incident={incident.id}").status_code == 200

    response = production.post(f"/recalls/propose?incident={incident.id}", data=recall_form(tree["raw"].code))
    assert response.status_code == 302
    recall = db.session.scalars(sa.select(Recall)).one()
    assert response.headers["Location"].endswith(f"/recalls/{recall.id}")
    assert recall.status == "proposed" and recall.proposed_by_id == production.user.id
    assert scope_codes(recall.id) == {tree["raw"].code, tree["first"].code, tree["second"].code}
    roots = db.session.scalars(sa.select(RecallLot.lot_id).where(RecallLot.is_root.is_(True))).all()
    assert roots == [tree["raw"].id]
    assert "proposed" in audit_actions("recall", recall.id)
    assert "recall proposed" in audit_actions("incident", incident.id)
    page = production.get(f"/recalls/{recall.id}").get_data(as_text=True)
    assert recall.reference in page and tree["second"].code in page and "Proposed" in page


def test_propose_prefills_root_lots_named_by_complaints(app, login_as, incident):
    lot = factories.make_lot(code="L24-117")  # the code the factory complaint names
    page = login_as("marketing").get(f"/recalls/propose?incident={incident.id}").get_data(as_text=True)
    assert lot.code in page


def test_propose_excluded_lot_dropped_roots_kept(app, login_as, tree, incident):
    client = login_as("marketing")
    data = recall_form(tree["raw"].code, exclude_lots=f"{tree['second'].code}, {tree['raw'].code}")
    assert client.post(f"/recalls/propose?incident={incident.id}", data=data).status_code == 302
    recall = db.session.scalars(sa.select(Recall)).one()
    assert scope_codes(recall.id) == {tree["raw"].code, tree["first"].code}


def test_propose_unknown_code_changes_nothing(app, login_as, tree, incident):
    client = login_as("production")
    data = recall_form(f"{tree['raw'].code}\nNOPE-1,NOPE-2")
    response = client.post(f"/recalls/propose?incident={incident.id}", data=data)
    assert response.status_code == 422
    assert "NOPE-1, NOPE-2" in response.get_data(as_text=True)
    response = client.post(
        f"/recalls/propose?incident={incident.id}", data=recall_form(tree["raw"].code, exclude_lots="GONE-9")
    )
    assert response.status_code == 422 and "GONE-9" in response.get_data(as_text=True)
    assert count(Recall) == 0 and count(RecallLot) == 0


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"title": ""}, "Give the recall a short title."),
        ({"hazard": "   "}, "Describe the hazard in plain words."),
        ({"classification": "IV"}, "Not a valid choice"),
        ({"effectiveness_level": "B"}, "For level B give the share to check"),
        ({"effectiveness_level": "B", "effectiveness_percent": "abc"}, "Not a valid integer value"),
        ({"title": "x" * 201}, "Field cannot be longer than 200 characters."),
        ({"root_lots": ""}, "Give at least one root lot code."),
        ({"estimated_completion": "next week"}, "Not a valid date value"),
    ],
)
def test_propose_bad_input(app, login_as, tree, incident, overrides, message):
    client = login_as("production")
    data = {**recall_form(tree["raw"].code), **overrides}
    response = client.post(f"/recalls/propose?incident={incident.id}", data=data)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert count(Recall) == 0


def test_propose_level_b_with_percent(app, login_as, tree, incident):
    client = login_as("production")
    data = recall_form(tree["raw"].code, effectiveness_level="B", effectiveness_percent="25")
    assert client.post(f"/recalls/propose?incident={incident.id}", data=data).status_code == 302
    assert db.session.scalars(sa.select(Recall)).one().effectiveness_percent == 25


def test_propose_needs_incident_and_role(app, login_as, tree, incident):
    sales = login_as("sales")
    assert sales.get(f"/recalls/propose?incident={incident.id}").status_code == 403
    assert sales.post(f"/recalls/propose?incident={incident.id}", data=recall_form(tree["raw"].code)).status_code == 403
    assert "/recalls/propose" not in sales.get(f"/incidents/{incident.id}").get_data(as_text=True)
    production = login_as("production")
    assert production.get("/recalls/propose").status_code == 404
    assert production.get("/recalls/propose?incident=999999").status_code == 404
    assert count(Recall) == 0


# --- approval ----------------------------------------------------------------------------


@pytest.fixture
def shipped(app, tree):
    """Two consignees: the first got both finished lots (one of them twice), the second one lot."""
    north, south = factories.make_customer("North Foods"), factories.make_customer("South Market")
    factories.make_shipment(tree["first"], north, quantity=10)
    factories.make_shipment(tree["first"], north, quantity=5)
    factories.make_shipment(tree["second"], north, quantity=3)
    factories.make_shipment(tree["first"], south, quantity=7)
    factories.make_shipment(tree["other"], south, quantity=99)  # not in scope
    return {"north": north, "south": south}


def approve_form(**overrides):
    data = {"meaning": "approved", "password": PASSWORD}
    data.update(overrides)
    return data


def test_approve_by_second_marketing_user(app, login_as, tree, incident, shipped):
    proposer = login_as("marketing")
    recall = propose(incident, [tree["raw"]], proposer.user)
    approver = login_as("marketing")
    page = approver.get(f"/recalls/{recall.id}").get_data(as_text=True)
    assert f"/recalls/{recall.id}/do/approve" in page
    assert approver.get(f"/recalls/{recall.id}/do/approve").status_code == 200

    response = approver.post(f"/recalls/{recall.id}/do/approve", data=approve_form())
    assert response.status_code == 302
    db.session.expire_all()
    recall = db.session.get(Recall, recall.id)
    assert recall.status == "approved" and recall.approved_by_id == approver.user.id
    statuses = {lot.code: lot.status for lot in db.session.scalars(sa.select(Lot))}
    assert {statuses[tree[k].code] for k in ("raw", "first", "second")} == {"recalled"}
    assert statuses[tree["other"].code] == "released"

    notices = {n.consignee_id: n for n in db.session.scalars(sa.select(RecallNotice))}
    assert set(notices) == {shipped["north"].id, shipped["south"].id}
    assert notices[shipped["north"].id].quantity_shipped == Decimal(18)
    assert notices[shipped["south"].id].quantity_shipped == Decimal(7)
    lines = {(line.notice_id, line.lot_id): line.quantity for line in db.session.scalars(sa.select(RecallNoticeLine))}
    north_id, south_id = notices[shipped["north"].id].id, notices[shipped["south"].id].id
    assert lines == {
        (north_id, tree["first"].id): Decimal(15),
        (north_id, tree["second"].id): Decimal(3),
        (south_id, tree["first"].id): Decimal(7),
    }
    signature = db.session.scalars(sa.select(Signature)).one()
    assert (signature.record_type, signature.record_id, signature.action) == ("recall", recall.id, "approve")
    assert signature.signer_id == approver.user.id
    assert audit_actions("recall", recall.id)[-2:] == ["signed", "approve"]
    page = approver.get(f"/recalls/{recall.id}").get_data(as_text=True)
    assert "Approved" in page and "consignees to notify" in page and signature.printed_name in page


def test_proposer_cannot_approve(app, login_as, tree, incident, shipped):
    proposer = login_as("marketing")
    recall = propose(incident, [tree["raw"]], proposer.user)
    detail = proposer.get(f"/recalls/{recall.id}").get_data(as_text=True)
    assert f"/recalls/{recall.id}/do/approve" not in detail  # no button for the proposer
    assert "you proposed this recall" in detail  # the page says why there is no button
    refused = proposer.get(f"/recalls/{recall.id}/do/approve")  # four eyes before any form
    assert refused.status_code == 403 and "you proposed this recall" in refused.get_data(as_text=True)
    response = proposer.post(f"/recalls/{recall.id}/do/approve", data=approve_form())
    assert response.status_code == 403
    assert "Four eyes" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Recall, recall.id).status == "proposed"
    assert count(Signature) == 0 and count(RecallNotice) == 0
    assert db.session.get(Lot, tree["first"].id).status == "released"


def test_production_cannot_approve(app, login_as, tree, incident):
    recall = propose(incident, [tree["raw"]], factories.make_user(("marketing",)))
    production = login_as("production")
    assert f"/recalls/{recall.id}/do/approve" not in production.get(f"/recalls/{recall.id}").get_data(as_text=True)
    assert production.get(f"/recalls/{recall.id}/do/approve").status_code == 403
    assert production.post(f"/recalls/{recall.id}/do/approve", data=approve_form()).status_code == 403
    db.session.expire_all()
    assert db.session.get(Recall, recall.id).status == "proposed"


def test_wrong_password_changes_nothing(app, login_as, tree, incident, shipped):
    recall = propose(incident, [tree["raw"]], factories.make_user(("marketing",)))
    approver = login_as("admin")
    response = approver.post(f"/recalls/{recall.id}/do/approve", data=approve_form(password="wrong-password"))
    assert response.status_code == 422
    assert "nothing was signed" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Recall, recall.id).status == "proposed"
    assert audit_actions("recall", recall.id)[-1] == "signature refused"
    assert count(Signature) == 0 and count(RecallNotice) == 0
    assert db.session.get(Lot, tree["first"].id).status == "released"


def test_unknown_move_and_wrong_state(app, login_as, tree, incident):
    recall = propose(incident, [tree["raw"]], factories.make_user(("marketing",)))
    client = login_as("marketing")
    assert client.get(f"/recalls/{recall.id}/do/fly").status_code == 404
    assert client.get(f"/recalls/{recall.id}/do/notify").status_code == 404  # no button, no form
    assert client.get(f"/recalls/{recall.id}/do/complete").status_code == 409
    assert client.get("/recalls/999999").status_code == 404


# --- other moves -------------------------------------------------------------------------


def test_cancel_needs_a_note(app, login_as, tree, incident):
    recall = propose(incident, [tree["raw"]], factories.make_user(("marketing",)))
    production = login_as("production")
    response = production.post(f"/recalls/{recall.id}/do/cancel", data={"termination_note": " "})
    assert response.status_code == 422
    assert "Say why the product is not recalled." in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Recall, recall.id).status == "proposed"
    data = {"termination_note": "Lab retest: no plastic."}
    assert production.post(f"/recalls/{recall.id}/do/cancel", data=data).status_code == 302
    db.session.expire_all()
    recall = db.session.get(Recall, recall.id)
    assert recall.status == "cancelled" and recall.termination_note == "Lab retest: no plastic."
    assert audit_actions("recall", recall.id)[-1] == "cancel"
    assert "Lab retest: no plastic." in production.get(f"/recalls/{recall.id}").get_data(as_text=True)


def test_follow_up_complete_and_signed_terminate(app, login_as, tree, incident, shipped):
    recall = propose(incident, [tree["raw"]], factories.make_user(("marketing",)))
    services.approve(recall, factories.make_user(("admin",), password=PASSWORD), "approved", PASSWORD)
    recall.status = "notifying"  # the notices pages make this move; they come later
    db.session.commit()
    client = login_as("marketing")
    base = f"/recalls/{recall.id}/do"
    assert client.post(f"{base}/progress").status_code == 302
    assert client.post(f"{base}/complete", data={}).status_code == 422
    assert client.post(f"{base}/complete", data={"completion_note": "All stock back."}).status_code == 302

    note = {"termination_note": "Every consignee answered."}
    response = client.post(f"{base}/terminate", data=note)
    assert response.status_code == 422 and "Re-enter your password to sign." in response.get_data(as_text=True)
    response = client.post(f"{base}/terminate", data={**note, **approve_form(password="nope-nope")})
    assert response.status_code == 422
    db.session.expire_all()
    assert db.session.get(Recall, recall.id).status == "completed"
    assert audit_actions("recall", recall.id)[-1] == "signature refused"

    assert client.post(f"{base}/terminate", data={**note, **approve_form()}).status_code == 302
    db.session.expire_all()
    recall = db.session.get(Recall, recall.id)
    assert recall.status == "terminated" and recall.terminated_at is not None
    actions = [s.action for s in db.session.scalars(sa.select(Signature).order_by(Signature.id))]
    assert actions == ["approve", "terminate"]
    assert client.get(f"{base}/reopen").status_code == 409


# --- list and detail ---------------------------------------------------------------------


def test_list_filters_search_and_csv(app, login_as, tree, incident):
    marketing = factories.make_user(("marketing",))
    first = propose(incident, [tree["raw"]], marketing)
    glass = recall_data(title="Glass in jars", classification="I", extends_id=first.id)  # a second recall extends
    second = services.propose(incident, glass, [tree["other"].id], marketing)
    db.session.commit()
    client = login_as("sales")
    assert client.get("/recalls/").status_code == 200
    page = client.get("/recalls/").get_data(as_text=True)
    assert first.reference in page and second.reference in page
    page = client.get("/recalls/?classification=I").get_data(as_text=True)
    assert second.reference in page and first.reference not in page
    page = client.get("/recalls/?q=glass").get_data(as_text=True)
    assert second.reference in page and first.reference not in page
    page = client.get("/recalls/?status=approved").get_data(as_text=True)
    assert "No recall matches these filters." in page
    page = client.get("/recalls/?status=bogus&sort=nonsense&page=x").get_data(as_text=True)
    assert "Unknown status" in page and first.reference in page
    page = client.get("/recalls/?sort=reference").get_data(as_text=True)
    assert page.index(first.reference) < page.index(second.reference)

    response = client.get("/recalls/?format=csv&classification=II")
    assert response.mimetype == "text/csv"
    lines = response.get_data(as_text=True).lstrip("\ufeff").splitlines()
    assert lines[0].startswith("reference,status,title,classification")
    assert len(lines) == 2 and lines[1].startswith(f"{first.reference},proposed,")
    assert f",{incident.reference},3," in lines[1]


def test_list_empty(app, login_as):
    page = login_as("production").get("/recalls/").get_data(as_text=True)
    assert "No recalls yet." in page


@pytest.mark.parametrize("role", ["sales", "production", "marketing", "admin"])
def test_detail_renders_for_every_role(app, login_as, tree, incident, role):
    recall = propose(incident, [tree["raw"]], factories.make_user(("marketing",)))
    client = login_as(role)
    response = client.get(f"/recalls/{recall.id}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert recall.reference in page and incident.reference in page and "Scope: 3 lots (1 root)" in page
    assert (f"/recalls/{recall.id}/do/approve" in page) == (role in ("marketing", "admin"))
    assert (f"/recalls/{recall.id}/do/cancel" in page) == (role != "sales")
    assert 'href="/recalls/"' in client.get("/home").get_data(as_text=True)


def test_lots_are_recalled_only_by_an_approved_recall(app, login_as, tree):
    """The lot "recall" move has no button: the lot status form refuses it."""
    client = login_as("marketing")
    data = {"move": "recall", "reason": "Because.", "lot": str(tree["first"].id), "scope": "chosen"}
    assert client.post("/lots/status", data=data).status_code == 403
    assert db.session.get(Lot, tree["first"].id).status == "released"
