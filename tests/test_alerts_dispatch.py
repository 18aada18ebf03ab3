"""Events → rules → alerts and outbox rows, in the same transaction as the change."""

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from app.alerts import due
from app.alerts.defaults import DEFAULT_RULES, install_default_rules
from app.extensions import db
from app.models import Alert, AlertMark, AlertRule, OutboxMessage
from app.trace import services as trace
from tests import factories


def rule(event, roles="", users=(), assignee=False, min_severity=None, enabled=True, name=None):
    r = AlertRule(
        name=name or f"{event} rule",
        event=event,
        roles=roles,
        notify_assignee=assignee,
        min_severity=min_severity,
        enabled=enabled,
    )
    r.users = list(users)
    db.session.add(r)
    db.session.commit()
    return r


def outbox():
    return db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)).all()


def addresses():
    return sorted(row.to_address for row in outbox())


def test_complaint_logged_goes_to_the_roles_of_enabled_rules_and_not_to_the_actor(app):
    prod1 = factories.make_user(("production",), email="p1@example.com")
    prod2 = factories.make_user(("production",), email="p2@example.com")
    gone = factories.make_user(("production",), email="gone@example.com")
    gone.active = False
    factories.make_user(("marketing",), email="m@example.com")
    sales = factories.make_user(("sales", "production"), email="me@example.com")
    rule("complaint.logged", roles="production")
    rule("complaint.logged", roles="marketing", enabled=False)

    complaint = factories.make_complaint(actor=sales)

    assert addresses() == ["p1@example.com", "p2@example.com"]
    row = outbox()[0]
    assert row.status == "pending" and row.attempts == 0
    assert row.record_type == "complaint" and row.record_id == complaint.id
    assert complaint.reference in row.subject
    assert "HIGH PRIORITY" not in row.subject and row.priority == "normal"
    assert f"/complaints/{complaint.id}" in row.body_text
    alerts = db.session.scalars(sa.select(Alert).order_by(Alert.user_id)).all()
    assert [a.user_id for a in alerts] == [prod1.id, prod2.id]
    assert alerts[0].url == f"/complaints/{complaint.id}"
    assert {r.alert_id for r in outbox()} == {a.id for a in alerts}


def test_injury_makes_the_alert_high_priority_and_meets_a_severity_minimum(app):
    factories.make_user(("marketing",), email="m@example.com")
    factories.make_user(("production",), email="p@example.com")
    rule("complaint.logged", roles="marketing", min_severity=4)
    rule("complaint.logged", roles="production")

    factories.make_complaint(injury=False)
    assert addresses() == ["p@example.com"]  # no severity yet, no injury: the minimum is not met

    factories.make_complaint(injury=True)
    rows = outbox()[1:]
    assert sorted(r.to_address for r in rows) == ["m@example.com", "p@example.com"]
    assert all(r.priority == "high" and r.subject.startswith("[Lotline] HIGH PRIORITY") for r in rows)


def test_one_email_per_person_however_many_rules_name_them(app):
    both = factories.make_user(("production", "marketing"), email="both@example.com")
    rule("complaint.logged", roles="production,marketing")
    rule("complaint.logged", users=[both])
    factories.make_complaint()
    assert addresses() == ["both@example.com"]


def test_triage_alerts_the_investigator_only(app):
    investigator = factories.make_user(("production",), email="inv@example.com")
    factories.make_user(("production",), email="other@example.com")
    rule("complaint.triaged", assignee=True)
    complaint = factories.make_complaint()
    factories.triage(complaint, investigator=investigator)
    assert addresses() == ["inv@example.com"]
    assert "triaged" in outbox()[0].subject


def test_severity_minimum_uses_the_triage_severity(app):
    factories.make_user(("admin",), email="a@example.com")
    rule("complaint.triaged", roles="admin", min_severity=4)
    factories.triage(factories.make_complaint(), severity=3)
    assert outbox() == []
    factories.triage(factories.make_complaint(), severity=5)
    assert addresses() == ["a@example.com"]


def test_rolled_back_change_leaves_no_alert_and_no_email(app):
    factories.make_user(("production",), email="p@example.com")
    rule("complaint.logged", roles="production")
    from app.complaints import services as complaints

    sales = factories.make_user(("sales",))
    data = factories.complaint_data()
    db.session.commit()
    complaints.create_complaint(data, sales)
    assert db.session.scalar(sa.select(sa.func.count(OutboxMessage.id))) == 1  # written in the transaction
    db.session.rollback()
    assert outbox() == []
    assert db.session.scalar(sa.select(sa.func.count(Alert.id))) == 0


def test_rejected_web_submission_queues_nothing(app, login_as):
    factories.make_user(("production",), email="p@example.com")
    rule("complaint.logged", roles="production")
    client = login_as("sales")
    response = client.post("/complaints/new", data={"description": ""})
    assert response.status_code in (200, 422)
    assert outbox() == []


def test_incident_opened_action_assigned_and_lots_held_raise_their_alerts(app):
    owner = factories.make_user(("production",), email="owner@example.com")
    factories.make_user(("marketing",), email="m@example.com")
    factories.make_user(("sales",), email="s@example.com")
    rule("incident.opened", roles="marketing", assignee=True)
    rule("action.assigned", assignee=True)
    rule("lot.held", roles="sales")

    boss = factories.make_user(("production",))
    incident = factories.make_incident(actor=boss, owner_id=owner.id)
    assert addresses() == ["m@example.com", "owner@example.com"]
    assert all(incident.reference in r.subject for r in outbox())

    factories.make_action(incident=incident, owner=owner, actor=boss)
    assert [r.to_address for r in outbox()[2:]] == ["owner@example.com"]
    assert "assigned" in outbox()[2].subject

    lots = [factories.make_lot(code=f"HOLD-{i}") for i in range(3)]
    trace.change_status([lot.id for lot in lots], "hold", "Metal found at the detector", boss)
    db.session.commit()
    held = outbox()[3:]
    from app.models import User, UserRole

    sales_emails = db.session.scalars(
        sa.select(User.email).join(UserRole).where(UserRole.role == "sales").order_by(User.email)
    ).all()
    assert "s@example.com" in sales_emails
    assert sorted(r.to_address for r in held) == sales_emails
    assert "3 lots put on hold" in held[0].subject
    assert "HOLD-0" in held[0].body_text and "Metal found at the detector" in held[0].body_text


def test_email_html_escapes_what_people_typed(app):
    factories.make_user(("production",), email="p@example.com")
    rule("complaint.logged", roles="production")
    factories.make_complaint(description="<script>alert('x')</script> & more")
    row = outbox()[0]
    assert "<script>" not in row.body_html
    assert "&lt;script&gt;" in row.body_html
    assert "<script>alert('x')</script>" in row.body_text


def test_subject_never_carries_a_line_break(app):
    factories.make_user(("production",), email="p@example.com")
    rule("complaint.logged", roles="production")
    product = factories.make_product(name="Oat bars\r\nBcc: victim@example.com")
    factories.make_complaint(product_id=product.id)
    assert "\n" not in outbox()[0].subject and "\r" not in outbox()[0].subject


def test_times_in_the_email_are_in_the_recipients_zone(app):
    factories.make_user(("production",), email="ny@example.com").timezone = "America/New_York"
    rule("complaint.logged", roles="production")
    factories.make_complaint()
    text = outbox()[0].body_text
    assert "EST" in text or "EDT" in text


@pytest.fixture
def due_setup(app):
    owner = factories.make_user(("production",), email="owner@example.com")
    rule("action.due_soon", assignee=True)
    rule("action.overdue", assignee=True)
    rule("action.assigned", assignee=True)
    # Actions cannot be created with a past due date, so "today" is a week from now.
    today = date.today() + timedelta(days=7)
    soon = factories.make_action(owner=owner, actor=owner, due_date=today + timedelta(days=2))
    late = factories.make_action(owner=owner, actor=owner, due_date=today - timedelta(days=1))
    factories.make_action(owner=owner, actor=owner, due_date=today + timedelta(days=30))
    db.session.execute(sa.delete(OutboxMessage))  # the "assigned" mails are not what is tested here
    db.session.commit()
    return today, soon, late


NO_PRESS = {"inquiry.deadline_near": 0}  # no press inquiries in these tests


def test_due_soon_and_overdue_are_raised_once_per_item_per_day(due_setup):
    today, soon, late = due_setup
    counts = due.raise_time_based_alerts(today)
    db.session.commit()
    assert counts == {"action.due_soon": 1, "action.overdue": 1, **NO_PRESS}
    subjects = sorted(r.subject for r in outbox())
    assert any(soon.reference in s and "due in 2 days" in s for s in subjects)
    assert any(late.reference in s and "1 day overdue" in s for s in subjects)

    assert due.raise_time_based_alerts(today) == {"action.due_soon": 0, "action.overdue": 0, **NO_PRESS}
    db.session.commit()
    assert len(outbox()) == 2

    # The next day the overdue action is told again, the other is now due in one day.
    assert due.raise_time_based_alerts(today + timedelta(days=1)) == {
        "action.due_soon": 1,
        "action.overdue": 1,
        **NO_PRESS,
    }
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AlertMark)) == 4


def test_finished_actions_raise_no_overdue_alert(due_setup):
    today, soon, late = due_setup
    late.status = "verified"
    db.session.commit()
    assert due.raise_time_based_alerts(today)["action.overdue"] == 0


def test_default_rules_install_once(app):
    assert install_default_rules() == len(DEFAULT_RULES)
    db.session.commit()
    assert install_default_rules() == 0
    events = {r.event for r in db.session.scalars(sa.select(AlertRule))}
    assert {"complaint.logged", "complaint.triaged", "action.overdue", "lot.held"} <= events
