"""Recall rules: traced scope, four-eyes signed approval, notices per consignee, the response token."""

from decimal import Decimal

import pytest
import sqlalchemy as sa

from app.errors import NotAllowed, ValidationError
from app.extensions import db
from app.models import AuditEvent, Lot, Recall, RecallLot, RecallNotice, RecallNoticeLine, Signature
from app.recalls import services, tokens
from app.signatures.services import SignatureRefused
from tests import factories
from tests.factories import PASSWORD, RECALL_DATA


@pytest.fixture
def plant(app):
    return factories.make_plant()


def propose(plant, **kw):
    recall = services.propose(plant["incident"], {**RECALL_DATA, **kw}, [plant["raw"].id], plant["proposer"])
    db.session.commit()
    return recall


def test_scope_is_the_forward_trace_of_the_root_lots(plant):
    recall = propose(plant)
    rows = db.session.execute(sa.select(RecallLot.lot_id, RecallLot.is_root).where(RecallLot.recall_id == recall.id))
    scope = {lot_id: root for lot_id, root in rows}
    assert scope == {plant["raw"].id: True, plant["a"].id: False, plant["b"].id: False}
    assert recall.status == "proposed" and recall.reference.startswith("RCL-")


def test_people_may_narrow_the_scope_but_the_roots_stay(plant):
    recall = services.propose(
        plant["incident"], RECALL_DATA, [plant["raw"].id], plant["proposer"], scope_lot_ids=[plant["a"].id]
    )
    db.session.commit()
    lots = set(db.session.scalars(sa.select(RecallLot.lot_id).where(RecallLot.recall_id == recall.id)))
    assert lots == {plant["raw"].id, plant["a"].id}


@pytest.mark.parametrize(
    "change, field",
    [
        ({"classification": "IV"}, "classification"),
        ({"hazard": "  "}, "hazard"),
        ({"effectiveness_level": "B", "effectiveness_percent": None}, "effectiveness_percent"),
        ({"effectiveness_level": "B", "effectiveness_percent": 100}, "effectiveness_percent"),
        ({"remedy": "pray"}, "remedy"),
    ],
)
def test_bad_proposals_are_refused_and_leave_nothing(plant, change, field):
    with pytest.raises(ValidationError) as error:
        services.propose(plant["incident"], {**RECALL_DATA, **change}, [plant["raw"].id], plant["proposer"])
    db.session.rollback()
    assert field in error.value.field_errors
    assert db.session.scalar(sa.select(sa.func.count(Recall.id))) == 0


def test_a_recall_needs_a_root_lot_and_a_role_that_may_propose(plant):
    with pytest.raises(ValidationError):
        services.propose(plant["incident"], RECALL_DATA, [], plant["proposer"])
    db.session.rollback()
    with pytest.raises(NotAllowed):
        services.propose(plant["incident"], RECALL_DATA, [plant["raw"].id], factories.make_user(("sales",)))


def test_approval_recalls_the_lots_and_builds_one_notice_per_consignee(plant):
    recall = propose(plant)
    approver = factories.make_user(("marketing",))
    services.approve(recall, approver, "approved", PASSWORD)
    db.session.commit()

    assert recall.status == "approved" and recall.approved_by_id == approver.id
    statuses = dict(db.session.execute(sa.select(Lot.code, Lot.status)).all())
    assert statuses == {"RAW-1": "recalled", "FIN-A": "recalled", "FIN-B": "recalled", "FIN-C": "released"}
    notices = {n.consignee_id: n for n in db.session.scalars(sa.select(RecallNotice))}
    assert set(notices) == {plant["shop1"].id, plant["shop2"].id}
    assert notices[plant["shop1"].id].quantity_shipped == Decimal(18)  # 10 + 5 of A, 3 of B
    assert notices[plant["shop2"].id].quantity_shipped == Decimal(7)  # C is not in scope
    lines = {(line.notice_id, line.lot_id): line.quantity for line in db.session.scalars(sa.select(RecallNoticeLine))}
    shop1 = notices[plant["shop1"].id].id
    assert lines[(shop1, plant["a"].id)] == Decimal(15) and lines[(shop1, plant["b"].id)] == Decimal(3)
    assert len({n.token_nonce for n in notices.values()}) == 2
    signature = db.session.scalar(sa.select(Signature).where(Signature.record_type == "recall"))
    assert signature.signer_id == approver.id and signature.meaning == "approved"
    actions = set(db.session.scalars(sa.select(AuditEvent.action).where(AuditEvent.record_type == "recall")))
    assert {"proposed", "signed", "approve"} <= actions


def test_four_eyes_the_proposer_cannot_approve(plant):
    recall = propose(plant)
    plant["proposer"].set_roles(["marketing", "admin"])
    with pytest.raises(NotAllowed, match="Four eyes"):
        services.approve(recall, plant["proposer"], "approved", PASSWORD)
    db.session.rollback()
    assert db.session.get(Recall, recall.id).status == "proposed"
    assert db.session.scalar(sa.select(sa.func.count(Signature.id))) == 0


def test_production_cannot_approve_and_a_wrong_password_signs_nothing(plant):
    recall = propose(plant)
    with pytest.raises(NotAllowed):
        services.approve(recall, factories.make_user(("production",)), "approved", PASSWORD)
    db.session.rollback()
    with pytest.raises(SignatureRefused):
        services.approve(recall, factories.make_user(("marketing",)), "approved", "wrong password")
    db.session.rollback()
    assert db.session.get(Recall, recall.id).status == "proposed"
    assert db.session.scalar(sa.select(sa.func.count(RecallNotice.id))) == 0
    assert set(db.session.scalars(sa.select(Lot.status))) == {"released"}


def test_life_cycle_moves_need_their_notes_and_terminate_is_signed(plant):
    recall = propose(plant)
    marketing = factories.make_user(("marketing",))
    services.approve(recall, marketing, "approved", PASSWORD)
    recall.status = "in_progress"  # notices are sent by a later step; jump there
    db.session.commit()
    with pytest.raises(ValidationError):
        services.apply_transition(recall, "complete", {}, marketing)
    services.apply_transition(recall, "complete", {"completion_note": "All consignees answered."}, marketing)
    db.session.commit()
    with pytest.raises(SignatureRefused):
        services.apply_transition(
            recall, "terminate", {"termination_note": "Done", "meaning": "approved"}, marketing, "x"
        )
    db.session.rollback()
    services.apply_transition(
        recall, "terminate", {"termination_note": "FDA agreed.", "meaning": "approved"}, marketing, PASSWORD
    )
    db.session.commit()
    assert recall.status == "terminated" and recall.terminated_at is not None
    assert not services.accepts_responses(recall)


def test_response_token_is_bound_to_its_notice_and_the_secret(plant, app):
    recall = propose(plant)
    services.approve(recall, factories.make_user(("marketing",)), "approved", PASSWORD)
    db.session.commit()
    first, second = db.session.scalars(sa.select(RecallNotice).order_by(RecallNotice.id)).all()
    token = tokens.token_for(first)
    nonce, mac = tokens.split(token)
    assert nonce == first.token_nonce and tokens.verify(first, mac)
    assert not tokens.verify(second, mac)  # another notice's mac
    for bad in ("", "x" * 65, token[:-1] + ("0" if token[-1] != "0" else "1"), token.upper(), "../" * 22):
        parts = tokens.split(bad)
        assert parts is None or not tokens.verify(first, parts[1])
    app.config["SECRET_KEY"] = "another-secret-key"
    assert not tokens.verify(first, mac)


def test_lots_are_marked_recalled_only_through_a_recall(plant):
    from app.trace import services as trace

    with pytest.raises(NotAllowed, match="signed approval"):
        trace.change_status([plant["a"].id], "recall", "Because I say so", factories.make_user(("marketing",)))
    db.session.rollback()
    assert db.session.get(Lot, plant["a"].id).status == "released"


def test_proposal_and_approval_raise_their_alerts(plant):
    from app.models import AlertRule, OutboxMessage

    approver = factories.make_user(("marketing",), email="approver@example.com")
    seller = factories.make_user(("sales",), email="seller@example.com")
    db.session.add_all(
        [
            AlertRule(name="p", event="recall.proposed", roles="marketing", enabled=True),
            AlertRule(name="a", event="recall.approved", users=[seller], enabled=True),
        ]
    )
    db.session.commit()
    recall = propose(plant)
    proposed = db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.event == "recall.proposed")).all()
    assert approver.email in {r.to_address for r in proposed}
    assert plant["proposer"].email not in {r.to_address for r in proposed}  # the actor is not told
    assert all(recall.reference in r.subject and f"/recalls/{recall.id}" in r.body_text for r in proposed)

    services.approve(recall, approver, "approved", PASSWORD)
    db.session.commit()
    (approved,) = db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.event == "recall.approved")).all()
    assert approved.to_address == "seller@example.com" and "APPROVED" in approved.subject
    assert approved.priority == "high"
