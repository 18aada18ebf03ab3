"""Press rules: inquiries through their states; statements versioned on every edit, approved
by a second person with a signature, sent back to draft when approved words change; one voice."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.errors import InvalidTransition, NotAllowed, ValidationError
from app.extensions import db
from app.models import AuditEvent, Signature, Statement, StatementVersion
from app.models.types import utcnow
from app.press import one_voice
from app.press import services as press
from app.signatures.services import SignatureRefused
from tests import factories
from tests.factories import PASSWORD

INQUIRY = dict(
    outlet="Daily Courier",
    journalist="Jo Reporter",
    contact="jo@courier.example",
    channel="phone",
    question="Is the oat bar recall linked to the injury reported in town?",
    deadline=None,
    incident_id=None,
    recall_id=None,
    assignee_id=None,
)
STATEMENT = dict(
    kind="holding",
    title="Oat bar lots withdrawn as a precaution",
    body="We are withdrawing two lots of oat bars.\n\nNo other products are affected.",
    incident_id=None,
    recall_id=None,
)


@pytest.fixture
def people(app):
    return {
        "author": factories.make_user(("marketing",)),
        "second": factories.make_user(("marketing",)),
        "admin": factories.make_user(("admin",)),
        "sales": factories.make_user(("sales",)),
        "production": factories.make_user(("production",)),
    }


def approve(statement, who):
    press.apply_statement_transition(statement, "approve", {"meaning": "approved"}, who, PASSWORD)
    db.session.commit()


def submit(statement, who):
    press.apply_statement_transition(statement, "submit", {}, who)
    db.session.commit()


def test_inquiry_life_cycle_and_validation(people):
    incident = factories.make_incident()
    deadline = utcnow() + timedelta(hours=3)
    inquiry = press.create_inquiry(
        {**INQUIRY, "incident_id": incident.id, "assignee_id": people["second"].id, "deadline": deadline},
        people["author"],
    )
    db.session.commit()
    assert inquiry.reference.startswith("PRS-") and inquiry.status == "received"
    assert inquiry.owner_id == people["second"].id
    with pytest.raises(ValidationError) as error:
        press.apply_inquiry_transition(inquiry, "answer", {"answer": "  "}, people["author"])
    assert "answer" in error.value.field_errors
    db.session.rollback()
    press.apply_inquiry_transition(inquiry, "draft", {}, people["author"])
    press.apply_inquiry_transition(inquiry, "answer", {"answer": "We sent our holding statement."}, people["author"])
    press.apply_inquiry_transition(inquiry, "close", {}, people["author"])
    db.session.commit()
    assert inquiry.status == "closed" and inquiry.answered_at is not None
    with pytest.raises(InvalidTransition, match="closed"):  # 409, as the edit page answers
        press.update_inquiry(inquiry, INQUIRY, people["author"])
    actions = db.session.scalars(
        sa.select(AuditEvent.action).where(AuditEvent.record_type == "inquiry").order_by(AuditEvent.id)
    ).all()
    assert actions == ["created", "draft", "answer", "close"]


@pytest.mark.parametrize(
    "change, field",
    [
        ({"outlet": " "}, "outlet"),
        ({"channel": "pigeon"}, "channel"),
        ({"question": "q" * 20_001}, "question"),
        ({"incident_id": 999_999}, "incident_id"),
        ({"recall_id": "abc"}, "recall_id"),
        ({"deadline": "tomorrow"}, "deadline"),
    ],
)
def test_bad_inquiries_are_refused_and_leave_nothing(people, change, field):
    from app.models import PressInquiry

    with pytest.raises(ValidationError) as error:
        press.create_inquiry({**INQUIRY, **change}, people["author"])
    db.session.rollback()
    assert field in error.value.field_errors
    assert db.session.scalar(sa.select(sa.func.count(PressInquiry.id))) == 0


def test_the_assignee_must_be_a_press_user(people):
    with pytest.raises(ValidationError) as error:
        press.create_inquiry({**INQUIRY, "assignee_id": people["sales"].id}, people["author"])
    assert "assignee_id" in error.value.field_errors


def test_only_marketing_and_admin_write_press_records(people):
    for role in ("sales", "production"):
        with pytest.raises(NotAllowed):
            press.create_inquiry(INQUIRY, people[role])
        with pytest.raises(NotAllowed):
            press.create_statement(STATEMENT, people[role])
    db.session.rollback()


def test_four_eyes_the_author_cannot_approve_and_sales_cannot_either(people):
    statement = press.create_statement(STATEMENT, people["author"])
    db.session.commit()
    submit(statement, people["author"])
    with pytest.raises(NotAllowed, match="Four eyes"):
        approve(statement, people["author"])
    db.session.rollback()
    with pytest.raises(NotAllowed):
        approve(statement, people["sales"])
    db.session.rollback()
    with pytest.raises(SignatureRefused):
        press.apply_statement_transition(statement, "approve", {"meaning": "approved"}, people["second"], "nope")
    db.session.rollback()
    assert db.session.get(Statement, statement.id).status == "in_review"
    assert db.session.scalar(sa.select(sa.func.count(Signature.id))) == 0

    approve(statement, people["second"])
    assert statement.status == "approved" and statement.approved_version == 1
    signature = db.session.scalars(sa.select(Signature)).one()
    assert signature.signer_id == people["second"].id and signature.record_type == "statement"


def test_every_edit_is_a_version_and_approved_words_need_approval_again(people):
    statement = press.create_statement(STATEMENT, people["author"])
    db.session.commit()
    submit(statement, people["author"])
    approve(statement, people["second"])
    approved_body = statement.body

    # The approver now edits: they become the new version's author and cannot approve it.
    changed = {**STATEMENT, "body": STATEMENT["body"] + "\n\nCall 0800 123 456 for a refund."}
    press.edit_statement(statement, changed, people["second"], note="Added the hotline")
    db.session.commit()
    assert statement.status == "draft" and statement.current_version == 2
    assert statement.author_id == people["second"].id and statement.approved_version == 1
    first, second = db.session.scalars(
        sa.select(StatementVersion).where(StatementVersion.statement_id == statement.id).order_by("number")
    ).all()
    assert first.body == approved_body and second.body == changed["body"] and second.note == "Added the hotline"
    assert one_voice.for_incident(0) == []  # nothing linked yet
    submit(statement, people["second"])
    with pytest.raises(NotAllowed):
        approve(statement, people["second"])
    db.session.rollback()
    approve(statement, people["author"])  # the first author did not write version 2
    assert statement.approved_version == 2

    diff = press.diff_lines(first, second)
    assert ("+", "Call 0800 123 456 for a refund.") in diff and ("-", "") not in diff[:1]


def test_saving_the_same_text_makes_no_version(people):
    statement = press.create_statement(STATEMENT, people["author"])
    db.session.commit()
    press.edit_statement(statement, dict(STATEMENT), people["second"])
    db.session.commit()
    assert statement.current_version == 1 and statement.author_id == people["author"].id


def test_publish_and_withdraw_need_their_fields(people):
    statement = press.create_statement({**STATEMENT, "kind": "press_release"}, people["author"])
    db.session.commit()
    with pytest.raises(InvalidTransition):
        press.apply_statement_transition(statement, "publish", {"published_where": "web"}, people["author"])
    submit(statement, people["author"])
    approve(statement, people["second"])
    with pytest.raises(ValidationError):
        press.apply_statement_transition(statement, "publish", {"published_where": ""}, people["author"])
    db.session.rollback()
    with pytest.raises(ValidationError):
        press.apply_statement_transition(
            statement,
            "publish",
            {"published_where": "Website", "published_at": utcnow() + timedelta(days=1)},
            people["author"],
        )
    db.session.rollback()
    press.apply_statement_transition(statement, "publish", {"published_where": "Website newsroom"}, people["author"])
    db.session.commit()
    assert statement.status == "published" and statement.published_at is not None
    press.apply_statement_transition(statement, "withdraw", {"withdrawn_reason": "Superseded"}, people["author"])
    db.session.commit()
    assert statement.status == "withdrawn"
    with pytest.raises(ValidationError, match="withdrawn"):
        press.edit_statement(statement, STATEMENT, people["author"])


def test_bodies_are_stored_exactly_as_typed(people):
    hostile = '<script>alert("x")</script>\n<b>bold</b> & "quotes"'
    statement = press.create_statement({**STATEMENT, "body": hostile}, people["author"])
    db.session.commit()
    assert db.session.get(Statement, statement.id).body == hostile


def test_one_voice_shows_only_approved_holding_words_for_the_complaint_and_lot(people):
    lot = factories.make_lot(code="OAT-77")
    complaint = factories.make_complaint(lot_codes="OAT-77")
    incident = factories.make_incident()
    from app.models import IncidentComplaint, IncidentLot

    db.session.add_all(
        [
            IncidentComplaint(incident_id=incident.id, complaint_id=complaint.id),
            IncidentLot(incident_id=incident.id, lot_id=lot.id, is_root=True),
        ]
    )
    db.session.commit()
    holding = press.create_statement({**STATEMENT, "incident_id": incident.id}, people["author"])
    release = press.create_statement(
        {**STATEMENT, "kind": "press_release", "incident_id": incident.id}, people["author"]
    )
    db.session.commit()
    assert one_voice.for_complaint(complaint.id) == []  # drafts are never shown
    for statement in (holding, release):
        submit(statement, people["author"])
        approve(statement, people["second"])
    shown = one_voice.for_complaint(complaint.id)
    assert [w.statement_id for w in shown] == [holding.id]  # talking points and holding statements only
    assert shown[0].body == STATEMENT["body"] and shown[0].approved_by == people["second"].name
    assert [w.statement_id for w in one_voice.for_lot(lot.id)] == [holding.id]

    # New words in draft: sales keeps the approved ones until the new version is approved.
    press.edit_statement(holding, {**STATEMENT, "incident_id": incident.id, "body": "New words"}, people["author"])
    db.session.commit()
    assert [(w.version, w.body) for w in one_voice.for_complaint(complaint.id)] == [(1, STATEMENT["body"])]
    submit(holding, people["author"])
    approve(holding, people["second"])
    assert [(w.version, w.body) for w in one_voice.for_complaint(complaint.id)] == [(2, "New words")]
    # Approved words are approved for one use: turning them into a press release takes them away.
    press.edit_statement(
        holding,
        {**STATEMENT, "kind": "press_release", "incident_id": incident.id, "body": "New words"},
        people["author"],
    )
    db.session.commit()
    assert holding.status == "draft" and holding.approved_version is None and holding.current_version == 3
    assert one_voice.for_complaint(complaint.id) == []
    press.edit_statement(holding, {**STATEMENT, "incident_id": incident.id, "body": "New words"}, people["author"])
    submit(holding, people["author"])
    approve(holding, people["second"])
    assert [w.version for w in one_voice.for_complaint(complaint.id)] == [4]
    press.apply_statement_transition(holding, "withdraw", {"withdrawn_reason": "Recall over"}, people["author"])
    db.session.commit()
    assert one_voice.for_complaint(complaint.id) == []
