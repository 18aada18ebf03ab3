"""The home page per role: what each section lists on known data, and a query count that
does not grow with the data (10 records of every kind, then 1,000)."""

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import (
    Action,
    Complaint,
    ComplaintLot,
    Lot,
    OutboxMessage,
    PressInquiry,
    Recall,
    RecallNotice,
    Statement,
    StatementVersion,
)
from app.models.types import utcnow
from tests import factories
from tests.factories import sign_in
from tests.test_recall_pages import approve


def clone(record, n: int, **varying) -> None:
    """Insert n copies of a record in one statement; `varying` gives per-copy values
    (a function of the copy's number) for unique columns and whatever should differ."""
    table = type(record).__table__
    base = {c.name: getattr(record, c.key) for c in table.columns if c.name != "id"}
    rows = [{**base, **{name: value(i) for name, value in varying.items()}} for i in range(n)]
    db.session.execute(sa.insert(table), rows)
    db.session.commit()


def set_values(record, **values) -> None:
    db.session.execute(sa.update(type(record).__table__).where(type(record).id == record.id).values(**values))
    db.session.commit()


@pytest.fixture
def world(app):
    """One record of each kind a dashboard section lists, each in the state that lists it."""
    users = {role: factories.make_user((role,), username=role) for role in ("sales", "production", "marketing")}
    users["admin"] = factories.make_user(("admin",), username="admin")
    mine = factories.make_complaint(actor=users["sales"], lot_codes="CL-1")
    other = factories.make_complaint(actor=users["sales"], lot_codes="CL-1")
    investigating = factories.make_complaint(actor=users["sales"], injury=True, lot_codes="L-9")
    set_values(investigating, status="investigating", investigator_id=users["production"].id, due_date=date.today())
    old = factories.make_complaint(actor=users["sales"], lot_codes="STALE-7")
    factories.make_complaint(actor=users["sales"], lot_codes="STALE-7")
    set_values(old, received_at=utcnow() - timedelta(days=200))
    action = factories.make_action(owner=users["production"])
    set_values(action, due_date=date.today() - timedelta(days=3))
    hold = factories.make_lot(code="HOLD-1", status="on_hold", status_reason="Metal found", status_changed_at=utcnow())
    plant = approve()
    recall = plant["recall"]
    inquiry = PressInquiry(
        reference="PQ-1",
        outlet="Daily Bugle",
        journalist="J. Jameson",
        channel="phone",
        question="Is the product safe?",
        deadline=utcnow() - timedelta(hours=1),
        created_by_id=users["marketing"].id,
    )
    review = Statement(
        reference="PS-1",
        kind="holding",
        status="in_review",
        title="Holding statement on bags",
        body="We are looking into it.",
        author_id=users["marketing"].id,
        created_by_id=users["marketing"].id,
    )
    words = Statement(
        reference="PS-2",
        kind="talking_points",
        status="approved",
        incident_id=plant["incident"].id,
        title="What to tell customers",
        body="Return the bags for a refund.",
        author_id=users["marketing"].id,
        created_by_id=users["marketing"].id,
        approved_version=1,
        approved_by_id=users["admin"].id,
        approved_at=utcnow(),
    )
    failed = OutboxMessage(
        event="complaint.logged",
        to_address="gone@example.com",
        subject="New complaint",
        body_text="...",
        message_id="<failed-1@lotline>",
        status="failed",
        attempts=3,
        last_error="550 mailbox unavailable",
    )
    db.session.add_all([inquiry, review, words, failed])
    db.session.flush()
    db.session.add(
        StatementVersion(statement_id=words.id, number=1, title=words.title, body=words.body, author_id=words.author_id)
    )
    db.session.commit()
    return dict(
        users=users,
        mine=mine,
        other=other,
        investigating=investigating,
        action=action,
        hold=hold,
        recall=recall,
        notice=plant["one"],
        inquiry=inquiry,
        review=review,
        failed=failed,
    )


def home(username: str, app) -> str:
    client = app.test_client()
    assert sign_in(client, username).status_code == 302
    response = client.get("/home")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_sales_sees_their_complaints_those_awaiting_a_reply_and_approved_words(world, app):
    page = home("sales", app)
    assert "My open complaints" in page and world["mine"].reference in page
    assert "Awaiting a reply to the customer" in page and world["investigating"].reference in page
    assert "What to tell customers" in page and "Return the bags for a refund." in page
    assert "Holding statement on bags" not in page  # in review: not words to use yet


def test_production_sees_triage_overdue_actions_lots_on_hold_and_clusters(world, app):
    page = home("production", app)
    assert "Complaints to triage" in page and world["mine"].reference in page
    assert "My investigations" in page and world["investigating"].reference in page
    assert "Overdue actions" in page and world["action"].reference in page
    assert "Lots on hold" in page and "HOLD-1" in page and "Metal found" in page
    # CL-1 is named by two recent complaints; STALE-7's second complaint is 200 days old.
    assert "CL-1" in page and "named by 2 complaints" in page
    assert "STALE-7" not in page


def test_marketing_sees_recall_progress_inquiries_and_statements_to_approve(world, app):
    page = home("marketing", app)
    recall = world["recall"]
    assert "Active recalls" in page and recall.reference in page
    assert "2 consignees" in page
    assert 'aria-label="Notified: 0 of 2 (0.0%)"' in page
    assert "PQ-1" in page and "past deadline" in page
    assert "PS-1" in page and "your version: another user approves" in page
    assert "Open complaints with injury or illness" in page and world["investigating"].reference in page


def test_recall_bars_move_with_answers_and_deliveries(world, app):
    set_values(world["notice"], status="notified", notified_at=utcnow(), responded_at=utcnow())
    page = home("marketing", app)
    assert 'aria-label="Notified: 1 of 2 (50.0%)"' in page
    assert 'aria-label="Responded: 1 of 2 (50.0%)"' in page


def test_admin_sees_failed_emails_and_users(world, app):
    page = home("admin", app)
    assert "Alert emails that failed" in page and "gone@example.com" in page and "550 mailbox unavailable" in page
    assert "4 users, 0 inactive" in page or "users, 0 inactive" in page


def test_empty_sections_say_so(app, make_user):
    make_user(("production",), username="prod")
    page = home("prod", app)
    assert "Nothing waiting for triage." in page and "No lot is on hold." in page
    assert "No lot is named by more than one recent complaint." in page


def grow(world, n: int) -> None:
    """n more records of every kind the dashboards list."""
    clone(world["mine"], n, reference=lambda i: f"CX-{n}-{i}")
    clone(world["investigating"], n, reference=lambda i: f"CI-{n}-{i}")
    db.session.execute(
        sa.insert(ComplaintLot),
        [{"complaint_id": c.id, "lot_code": f"CL-{n}-{i}"} for i in range(n) for c in (world["mine"], world["other"])],
    )
    clone(world["action"], n, reference=lambda i: f"CAPA-{n}-{i}")
    clone(world["hold"], n, code=lambda i: f"HOLD-{n}-{i}")
    clone(world["recall"], n, reference=lambda i: f"RCL-{n}-{i}")
    recalls = db.session.scalars(sa.select(Recall.id).where(Recall.reference.like(f"RCL-{n}-%"))).all()
    clone(world["notice"], n, token_nonce=lambda i: f"nonce{n}x{i}", recall_id=lambda i: recalls[i])
    clone(world["inquiry"], n, reference=lambda i: f"PQ-{n}-{i}")
    clone(world["review"], n, reference=lambda i: f"PS-{n}-{i}")
    clone(world["failed"], n, message_id=lambda i: f"<failed-{n}-{i}@lotline>")


def count_home_queries(app, username: str) -> int:
    client = app.test_client()
    assert sign_in(client, username).status_code == 302
    statements = []

    def record(conn, cursor, statement, *args):
        statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", record)
    try:
        assert client.get("/home").status_code == 200
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", record)
    return len(statements)


def test_dashboard_queries_do_not_grow_with_the_data(world, app):
    grow(world, 9)  # 10 of each
    small = {role: count_home_queries(app, role) for role in ("sales", "production", "marketing", "admin")}
    grow(world, 990)  # 1,000 of each
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Lot).where(Lot.status == "on_hold")) == 1000
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Recall)) == 1000
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Action)) == 1000
    assert db.session.scalar(sa.select(sa.func.count()).select_from(RecallNotice)) >= 1000
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Complaint)) > 2000
    large = {role: count_home_queries(app, role) for role in small}
    assert large == small
    assert max(small.values()) <= 12, small
    print(small)
