"""Recall notices through the outbox to a real SMTP server, hand-recorded notifications,
responses (by link once, by hand to correct), effectiveness and replacement arithmetic."""

import io
from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from pypdf import PdfReader

from app.alerts.worker import Worker
from app.errors import NotAllowed, ValidationError
from app.extensions import db
from app.models import AuditEvent, OutboxMessage, RecallNotice
from app.models.types import utcnow
from app.recalls import notices, responses, services, tokens
from tests import factories
from tests.factories import PASSWORD, RECALL_DATA

# Shop One's lots: FIN-A (15 shipped) and FIN-B (3).
ANSWER = factories.answer((2, 10, "1.5"), (0, 0, 0), confirm_receipt=True)


@pytest.fixture
def recall_app(make_app, smtp_server, tmp_path):
    app = make_app(MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp_server.port, MAIL_FILE_DIR=tmp_path / "mail")
    with app.app_context():
        yield app


@pytest.fixture
def approved(recall_app):
    """An approved recall of RAW-1 (FIN-A, FIN-B): Shop One has email, Shop Two has none."""
    plant = factories.make_plant()
    recall = services.propose(plant["incident"], RECALL_DATA, [plant["raw"].id], plant["proposer"])
    plant["marketing"] = factories.make_user(("marketing",))
    services.approve(recall, plant["marketing"], "approved", PASSWORD)
    db.session.commit()
    by_consignee = {n.consignee_id: n for n in db.session.scalars(sa.select(RecallNotice))}
    plant["one"] = by_consignee[plant["shop1"].id]
    plant["two"] = by_consignee[plant["shop2"].id]
    plant["recall"] = recall
    return plant


def test_send_all_mails_each_consignee_with_email_its_letter(approved, smtp_server, recall_app):
    recall, one = approved["recall"], approved["one"]
    assert notices.send_notices(recall, approved["marketing"]) == 1  # Shop Two has no email
    db.session.commit()
    assert recall.status == "notifying"
    assert one.status == "queued" and one.method == "email" and approved["two"].status == "pending"

    tally = Worker(recall_app).run_once()
    assert tally.sent == 1
    (message,) = smtp_server.messages
    assert message["To"] == "one@example.com"
    assert message["Subject"].startswith("URGENT: PRODUCT RECALL") and recall.reference in message["Subject"]
    text = message.get_body(("plain",)).get_content()
    assert "FIN-A: 15" in text.replace(",", "") and "FIN-B: 3" in text and "FIN-C" not in text
    link = notices.response_link(one)
    assert link in text and tokens.token_for(one) in link
    (attachment,) = list(message.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    pdf = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(attachment.get_content())).pages)
    assert "URGENT: PRODUCT RECALL" in pdf and "FIN-A" in pdf and "FIN-B" in pdf and "Shop One" in pdf
    state = db.session.execute(
        sa.select(responses.notification_state(), responses.notified_at())
        .select_from(RecallNotice)
        .outerjoin(OutboxMessage, OutboxMessage.id == RecallNotice.outbox_id)
        .where(RecallNotice.id == one.id)
    ).one()
    assert state[0] == "sent" and state[1] is not None

    with pytest.raises(ValidationError, match="No notice to send"):
        notices.send_notices(recall, approved["marketing"])  # nothing is sent twice
    db.session.rollback()


def test_only_marketing_sends_and_only_after_approval(approved):
    with pytest.raises(NotAllowed):
        notices.send_notices(approved["recall"], factories.make_user(("production",)))
    db.session.rollback()
    approved["recall"].status = "completed"
    with pytest.raises(ValidationError, match="notices go out"):
        notices.send_notices(approved["recall"], approved["marketing"])
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count(OutboxMessage.id))) == 0


def test_failed_notices_can_be_resent_with_the_same_message(approved, make_app, smtp_server, tmp_path):
    recall = approved["recall"]
    notices.send_notices(recall, approved["marketing"])
    db.session.commit()
    row = db.session.get(OutboxMessage, approved["one"].outbox_id)
    row.status, row.attempts = "failed", 10
    db.session.commit()
    assert notices.resend_failed(recall, approved["marketing"]) == 1
    db.session.commit()
    assert db.session.get(OutboxMessage, row.id).status == "pending"
    with pytest.raises(ValidationError, match="No failed"):
        notices.resend_failed(recall, approved["marketing"])


def test_phone_notification_is_recorded_by_hand_and_checked(approved):
    two, marketing = approved["two"], approved["marketing"]
    when = utcnow() - timedelta(minutes=1)
    for method, at, field in (
        ("email", when, "method"),
        ("phone", utcnow() + timedelta(hours=2), "notified_at"),
        ("phone", approved["recall"].approved_at - timedelta(days=1), "notified_at"),
    ):
        with pytest.raises(ValidationError) as error:
            notices.record_notification(two, method, at, "", marketing)
        assert field in error.value.field_errors
        db.session.rollback()
    notices.record_notification(two, "phone", when, "Spoke to the store manager", marketing)
    db.session.commit()
    assert two.status == "notified" and two.method == "phone" and two.notified_by_id == marketing.id
    assert approved["recall"].status == "notifying"
    figures = responses.effectiveness(approved["recall"])
    assert figures.notified == 1 and figures.states == {"notified": 1, "pending": 1}


def test_a_link_response_is_taken_once_and_raises_its_alert(approved):
    from app.alerts.defaults import install_default_rules

    install_default_rules()
    one = approved["one"]
    responses.record_response(one, ANSWER, source="link")
    db.session.commit()
    assert one.responded_at is not None and one.response_source == "link"
    assert (one.quantity_on_hand, one.quantity_returned, one.quantity_destroyed) == (
        Decimal(2),
        Decimal(10),
        Decimal("1.5"),
    )
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "response received"))
    assert event.actor_id is None and "Ann Buyer" in event.actor_name and "Shop One" in event.actor_name
    alerted = sa.select(sa.func.count(OutboxMessage.id)).where(OutboxMessage.event == "recall.response_received")
    assert db.session.scalar(alerted) == 2  # the default rule names marketing: proposer and approver

    replay = {**ANSWER, "lot_0_quantity_on_hand": "999"}
    with pytest.raises(responses.AlreadyAnswered):
        responses.record_response(one, replay, source="link")
    db.session.rollback()
    assert db.session.get(RecallNotice, one.id).quantity_on_hand == Decimal(2)


def test_marketing_may_enter_or_correct_a_response_by_hand(approved):
    one = approved["one"]
    responses.record_response(one, ANSWER, source="link")
    db.session.commit()
    with pytest.raises(NotAllowed):
        responses.record_response(
            one, ANSWER, source="manual", actor=factories.make_user(("sales",)), opened_version=one.version
        )
    db.session.rollback()
    responses.record_response(
        one,
        {**ANSWER, "lot_0_quantity_returned": "11"},
        source="manual",
        actor=approved["marketing"],
        opened_version=one.version,
    )
    db.session.commit()
    assert one.quantity_returned == Decimal(11) and one.response_source == "manual"
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "response corrected"))
    assert event.actor_id == approved["marketing"].id and '"10.000"' in event.changes or "10" in event.changes


@pytest.mark.parametrize(
    "change, field",
    [
        ({"confirm_receipt": False}, "confirm_receipt"),
        ({"lot_0_quantity_on_hand": "-1"}, "lot_0_quantity_on_hand"),
        ({"lot_0_quantity_returned": "ten"}, "lot_0_quantity_returned"),
        ({"lot_0_quantity_returned": "NaN"}, "lot_0_quantity_returned"),
        ({"lot_1_quantity_destroyed": "1e999"}, "lot_1_quantity_destroyed"),
        ({"lot_1_quantity_destroyed": "0.0001"}, "lot_1_quantity_destroyed"),
        ({"lot_0_quantity_on_hand": ""}, "lot_0_quantity_on_hand"),
        ({"lot_1_quantity_returned": "2,500"}, "lot_1_quantity_returned"),
        ({"lot_1_quantity_returned": "4"}, "lot_1_received_elsewhere"),  # 4 of the 3 shipped
        ({"distributed_further": "maybe"}, "distributed_further"),
        ({"response_by": " "}, "response_by"),
        ({"response_by": "x" * 121}, "response_by"),
        ({"response_comment": "y" * 2001}, "response_comment"),
    ],
)
def test_bad_answers_are_refused_and_change_nothing(approved, change, field):
    with pytest.raises(ValidationError) as error:
        responses.record_response(approved["one"], {**ANSWER, **change}, source="link")
    db.session.rollback()
    assert field in error.value.field_errors
    notice = db.session.get(RecallNotice, approved["one"].id)
    assert notice.responded_at is None and notice.quantity_on_hand is None


def test_a_terminated_recall_takes_no_responses(approved):
    approved["recall"].status = "terminated"
    db.session.commit()
    with pytest.raises(ValidationError, match="no longer takes responses"):
        responses.record_response(approved["one"], ANSWER, source="link")


def test_effectiveness_and_mass_balance_arithmetic(approved):
    recall, one, two = approved["recall"], approved["one"], approved["two"]
    empty = responses.effectiveness(recall)
    assert (empty.consignees, empty.notified, empty.responded) == (2, 0, 0)
    assert empty.shipped == Decimal(25) and empty.accounted == 0 and empty.unaccounted == Decimal(25)
    assert (empty.sample_share, empty.sample_size) == (10, 1)  # level C: 10% of 2, rounded up

    responses.record_response(one, ANSWER, source="link")  # 2 + 10 + 1.5 of the 18 shipped
    responses.record_response(two, factories.answer((0, 7, 0)), source="link")  # Shop Two: 7 of FIN-A
    db.session.commit()
    figures = responses.effectiveness(recall)
    assert figures.responded == 2 and figures.notified == 2  # an answer proves the notice arrived
    assert figures.accounted == Decimal("20.5") and figures.unaccounted == Decimal("4.5")
    assert figures.accounted_percent == 82.0 and figures.responded_percent == 100.0
    assert figures.shipped_to_responders == Decimal(25)


@pytest.mark.parametrize(
    "level, percent, consignees, expected",
    [
        ("A", None, 37, (100, 37)),
        ("B", 25, 10, (25, 3)),
        ("C", None, 0, (10, 0)),
        ("D", None, 51, (2, 2)),
        ("E", None, 500, (0, 0)),
    ],
)
def test_sample_size_per_level(level, percent, consignees, expected):
    assert responses.sample_size(level, percent, consignees) == expected


def test_replacement_quantities_per_product(approved):
    # FIN-B becomes another product: Shop One's 18 were 15 of A's product and 3 of B's.
    other = factories.make_product(name="Oat bar 12-pack")
    approved["b"].product_id = other.id
    db.session.commit()
    # the new product sorts first: FIN-B is the first lot of the form now
    responses.record_response(approved["one"], factories.answer((1, 2, 0), (5, 10, 0)), source="link")
    db.session.commit()
    needs = {n.product: n for n in responses.replacement_needs(approved["recall"])}
    assert needs["Oat bar 12-pack"].shipped == Decimal(3)
    assert needs["Oat bar 12-pack"].needed == Decimal(3)  # FIN-B: 1 on hand + 2 returned
    first = next(n for name, n in needs.items() if name != "Oat bar 12-pack")
    assert first.shipped == Decimal(22) and first.needed == Decimal(15)  # FIN-A: 5 + 10


def test_reminders_go_to_those_told_by_email_who_have_not_answered(approved, smtp_server, recall_app):
    recall, marketing = approved["recall"], approved["marketing"]
    with pytest.raises(ValidationError, match="No reminder"):
        notices.send_reminders(recall, marketing)  # nobody has been told yet
    db.session.rollback()
    notices.send_notices(recall, marketing)
    db.session.commit()
    assert notices.send_reminders(recall, marketing) == 1
    db.session.commit()
    Worker(recall_app).run_once()
    subjects = sorted(m["Subject"] for m in smtp_server.messages)
    assert len(subjects) == 2 and subjects[0].startswith("REMINDER")
    assert approved["one"].reminders == 1
    responses.record_response(approved["one"], ANSWER, source="link")
    db.session.commit()
    with pytest.raises(ValidationError, match="No reminder"):
        notices.send_reminders(recall, marketing)
