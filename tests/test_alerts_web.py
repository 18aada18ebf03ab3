"""Alert pages: the bell and my alerts, alert rules (admin), the mail log (admin)."""

import csv
import io
import json

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Alert, AlertRule, AuditEvent, OutboxMessage, User
from tests import factories

# --- helpers -----------------------------------------------------------------------------


def rule_form(**overrides) -> dict:
    data = {"name": "Injuries to marketing", "event": "complaint.logged", "roles": ["marketing"], "enabled": "y"}
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def audit_rows(record_type: str) -> list[AuditEvent]:
    return list(db.session.scalars(sa.select(AuditEvent).where(AuditEvent.record_type == record_type)))


def rule_count() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(AlertRule))


def fresh(model, ident):
    db.session.expire_all()
    return db.session.get(model, ident)


# --- the bell and my alerts --------------------------------------------------------------


def test_bell_shows_own_unread_count_in_one_query(app, login_as, make_user):
    client = login_as("production")
    other = make_user(("production",))
    for _ in range(3):
        factories.make_alert(client.user)
    factories.make_alert(client.user, read=True)
    factories.make_alert(other)

    statements = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        page = client.get("/home").get_data(as_text=True)
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)
    assert 'aria-label="3 unread alerts"' in page
    assert len([s for s in statements if "FROM alerts" in s]) == 1


def test_bell_without_unread_alerts_and_not_for_anonymous(client, login_as):
    signed_in = login_as("sales")
    page = signed_in.get("/home").get_data(as_text=True)
    assert 'aria-label="0 unread alerts"' in page
    assert "badge rounded-pill" not in page
    assert 'href="/alerts/"' not in client.get("/auth/login").get_data(as_text=True)


def test_inbox_lists_only_own_alerts_newest_first(login_as, make_user):
    client = login_as("sales")
    other = make_user(("sales",))
    factories.make_alert(client.user, title="Older alert", minutes_ago=10, read=True)
    factories.make_alert(client.user, title="Newer alert <b>bold</b>", minutes_ago=1, priority="high")
    factories.make_alert(other, title="Somebody else's alert")

    page = client.get("/alerts/").get_data(as_text=True)
    assert page.index("Newer alert") < page.index("Older alert")
    assert "Somebody else" not in page
    assert "&lt;b&gt;bold&lt;/b&gt;" in page  # titles are text, never HTML
    assert 'badge text-bg-danger">High' in page

    unread = client.get("/alerts/?show=unread").get_data(as_text=True)
    assert "Newer alert" in unread and "Older alert" not in unread


def test_inbox_empty_state_and_bad_filter(login_as):
    client = login_as("marketing")
    page = client.get("/alerts/").get_data(as_text=True)
    assert "No alerts yet" in page
    response = client.get("/alerts/?show=bogus&page=x")
    assert response.status_code == 200
    assert "Unknown show" in response.get_data(as_text=True)
    assert "No unread alerts" in client.get("/alerts/?show=unread").get_data(as_text=True)


def test_opening_an_alert_marks_it_read_and_follows_its_link(login_as):
    client = login_as("production")
    alert = factories.make_alert(client.user, url="/lots/?status=on_hold")
    response = client.get(f"/alerts/{alert.id}/open")
    assert response.status_code == 302
    assert response.headers["Location"] == "/lots/?status=on_hold"
    first_read = fresh(Alert, alert.id).read_at
    assert first_read is not None
    client.get(f"/alerts/{alert.id}/open")
    assert fresh(Alert, alert.id).read_at == first_read  # the first read time is kept
    assert 'aria-label="0 unread alerts"' in client.get("/home").get_data(as_text=True)


def test_someone_elses_alert_is_not_found(login_as, make_user):
    client = login_as("admin")
    other = make_user(("sales",))
    alert = factories.make_alert(other)
    assert client.get(f"/alerts/{alert.id}/open").status_code == 404
    assert fresh(Alert, alert.id).read_at is None
    assert client.get("/alerts/999999/open").status_code == 404


@pytest.mark.parametrize(
    "url",
    ["//evil.example", "http://evil", "https://evil.example/x", "/\\evil.example", "javascript:alert(1)", "", "/\tx"],
)
def test_alert_links_outside_the_app_are_not_followed(login_as, url):
    client = login_as("sales")
    alert = factories.make_alert(client.user, url=url)
    response = client.get(f"/alerts/{alert.id}/open")
    assert response.status_code == 302
    assert response.headers["Location"] == "/alerts/"
    assert fresh(Alert, alert.id).read_at is not None
    assert "was not followed" in client.get("/alerts/").get_data(as_text=True)


def test_read_all_marks_only_own_alerts(login_as, make_user):
    client = login_as("sales")
    other = make_user(("sales",))
    mine = [factories.make_alert(client.user) for _ in range(2)]
    theirs = factories.make_alert(other)
    response = client.post("/alerts/read-all", follow_redirects=True)
    assert "2 alerts marked read." in response.get_data(as_text=True)
    assert all(fresh(Alert, a.id).read_at for a in mine)
    assert fresh(Alert, theirs.id).read_at is None
    again = client.post("/alerts/read-all", follow_redirects=True)
    assert "No unread alerts." in again.get_data(as_text=True)


def test_read_all_is_post_only(login_as):
    assert login_as("sales").get("/alerts/read-all").status_code == 405


# --- alert rules -------------------------------------------------------------------------


def test_rules_list_shows_each_rule(login_as, make_user):
    client = login_as("admin")
    jane = make_user(("production",), name="Jane Roe")
    factories.make_rule(name="Triage to investigator", event="complaint.triaged", roles="", notify_assignee=True)
    factories.make_rule(
        name="Holds <b>to</b> named", event="lot.held", roles="sales,production", users=[jane], enabled=False
    )
    page = client.get("/alerts/rules").get_data(as_text=True)
    assert page.index("Complaint triaged") < page.index("Lots put on hold")  # catalogue order
    assert "Holds &lt;b&gt;to&lt;/b&gt; named" in page
    assert "Production / quality" in page and "Jane Roe" in page
    assert "Switch on" in page and "Switch off" in page
    assert 'data-confirm="Delete the alert rule' in page


def test_rules_empty_state(login_as):
    assert "No alert rules" in login_as("admin").get("/alerts/rules").get_data(as_text=True)


def test_rule_form_explains_assignee_and_severity(login_as):
    page = login_as("admin").get("/alerts/rules/new").get_data(as_text=True)
    assert "Only events with a severity (complaints, incidents)" in page
    assert "Only for events that name one: Complaint triaged" in page
    assert "Administrator" in page  # role labels


def test_create_rule_is_saved_and_audited(login_as, make_user):
    client = login_as("admin")
    jane = make_user(("sales",), name="Jane Roe")
    response = client.post(
        "/alerts/rules/new",
        data=rule_form(
            name="  Severe complaints  ", roles=["admin", "marketing"], users=[str(jane.id)], min_severity="4"
        ),
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/alerts/rules"
    rule = db.session.scalar(sa.select(AlertRule))
    assert rule.name == "Severe complaints"
    assert rule.roles == "marketing,admin"  # stored in the fixed role order
    assert [u.id for u in rule.users] == [jane.id]
    assert rule.min_severity == 4 and rule.enabled and not rule.notify_assignee
    (event,) = audit_rows("alert_rule")
    assert event.action == "created" and event.record_id == rule.id and event.record_label == "Severe complaints"
    changes = json.loads(event.changes)
    assert changes["users"] == [None, jane.username]
    assert changes["min_severity"] == [None, 4]


def test_assignee_rule_without_roles_is_accepted(login_as):
    client = login_as("admin")
    data = rule_form(name="Action to owner", event="action.assigned", roles=None, notify_assignee="y")
    assert client.post("/alerts/rules/new", data=data).status_code == 302
    rule = db.session.scalar(sa.select(AlertRule))
    assert rule.notify_assignee and rule.roles == ""


BAD_RULES = [
    ({"name": ""}, "name", "Give the rule a name."),
    ({"name": "   "}, "name", "Give the rule a name."),
    ({"name": "x" * 121}, "name", "120 characters"),
    ({"event": ""}, "event", "Choose an event."),
    ({"event": "complaint.deleted"}, "event", "ot a valid choice"),
    ({"event": "lot.held", "notify_assignee": "y"}, "notify_assignee", "This event names no assignee; pick roles"),
    ({"event": "lot.held", "min_severity": "3"}, "min_severity", "This event has no severity"),
    ({"min_severity": "9"}, "min_severity", "from 1 to 5"),
    ({"min_severity": "0"}, "min_severity", "from 1 to 5"),
    ({"min_severity": "abc"}, "min_severity", "Not a valid integer"),
    ({"roles": None}, "roles", "Choose who hears about it"),
    ({"roles": ["root"]}, "roles", "ot a valid choice"),
    ({"users": ["abc"]}, "users", "could not be coerced"),
    ({"users": ["999999"]}, "users", "ot a valid choice"),
    ({"name": "<script>alert(1)</script>", "roles": None}, "roles", "Choose who hears about it"),
]


@pytest.mark.parametrize(("changes", "field", "message"), BAD_RULES)
def test_bad_rule_is_refused_and_nothing_changes(login_as, changes, field, message):
    client = login_as("admin")
    response = client.post("/alerts/rules/new", data=rule_form(**changes))
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in page
    assert f'id="{field}' in page and "is-invalid" in page
    assert "<script>alert(1)</script>" not in page
    assert rule_count() == 0
    assert audit_rows("alert_rule") == []


def test_inactive_user_cannot_be_named(login_as, make_user):
    client = login_as("admin")
    gone = make_user(("sales",))
    gone.active = False
    db.session.commit()
    response = client.post("/alerts/rules/new", data=rule_form(users=[str(gone.id)]))
    assert response.status_code == 422
    assert rule_count() == 0


def test_rejected_edit_changes_nothing(login_as):
    client = login_as("admin")
    rule = factories.make_rule()
    version = rule.version
    data = rule_form(name="Renamed", event="lot.held", notify_assignee="y", version=version)
    response = client.post(f"/alerts/rules/{rule.id}/edit", data=data)
    assert response.status_code == 422
    assert "This event names no assignee" in response.get_data(as_text=True)
    saved = fresh(AlertRule, rule.id)
    assert (saved.name, saved.notify_assignee, saved.version) == ("Holds to sales", False, version)
    assert audit_rows("alert_rule") == []


def test_edit_rule_saves_and_audits_changes(login_as, make_user):
    client = login_as("admin")
    jane = make_user(("production",))
    rule = factories.make_rule()
    page = client.get(f"/alerts/rules/{rule.id}/edit").get_data(as_text=True)
    assert 'value="Holds to sales"' in page and f'name="version" type="hidden" value="{rule.version}"' in page
    data = rule_form(
        name="Holds to sales and Jane", event="lot.held", roles=["sales"], users=[str(jane.id)], version=rule.version
    )
    response = client.post(f"/alerts/rules/{rule.id}/edit", data=data)
    assert response.status_code == 302
    saved = fresh(AlertRule, rule.id)
    assert saved.name == "Holds to sales and Jane" and [u.id for u in saved.users] == [jane.id]
    assert saved.version == 2
    (event,) = audit_rows("alert_rule")
    assert event.action == "updated"
    assert json.loads(event.changes) == {
        "name": ["Holds to sales", "Holds to sales and Jane"],
        "users": ["", jane.username],
    }


def test_changing_only_named_users_moves_the_version(login_as, make_user):
    client = login_as("admin")
    jane = make_user(("production",))
    rule = factories.make_rule()
    data = rule_form(name=rule.name, event="lot.held", roles=["sales"], users=[str(jane.id)], version=rule.version)
    assert client.post(f"/alerts/rules/{rule.id}/edit", data=data).status_code == 302
    assert fresh(AlertRule, rule.id).version == 2


def test_saving_an_unchanged_rule_writes_no_audit_event(login_as):
    client = login_as("admin")
    rule = factories.make_rule()
    data = rule_form(name=rule.name, event="lot.held", roles=["sales"], version=rule.version)
    assert client.post(f"/alerts/rules/{rule.id}/edit", data=data).status_code == 302
    assert audit_rows("alert_rule") == []


def test_stale_rule_edit_is_refused(login_as):
    first, second = login_as("admin"), login_as("admin")
    rule = factories.make_rule()
    opened = rule.version
    data = rule_form(name="Second", event="lot.held", roles=["sales"], version=opened)
    assert second.post(f"/alerts/rules/{rule.id}/edit", data=data).status_code == 302

    data = rule_form(name="First", event="lot.held", roles=["sales"], version=opened)
    response = first.post(f"/alerts/rules/{rule.id}/edit", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "changed by someone else" in page
    assert "Saved values now" in page and 'value="First"' in page  # the user's values are kept
    assert fresh(AlertRule, rule.id).name == "Second"
    assert [e.action for e in audit_rows("alert_rule")] == ["updated"]


def test_edit_of_missing_rule_is_not_found(login_as):
    assert login_as("admin").get("/alerts/rules/424242/edit").status_code == 404


def test_toggle_switches_a_rule_off_and_on(login_as):
    client = login_as("admin")
    rule = factories.make_rule()
    response = client.post(f"/alerts/rules/{rule.id}/toggle", data={"enabled": "0"}, follow_redirects=True)
    assert "switched off" in response.get_data(as_text=True)
    assert fresh(AlertRule, rule.id).enabled is False
    # The same click twice (a double submit) does not flip it back.
    client.post(f"/alerts/rules/{rule.id}/toggle", data={"enabled": "0"})
    assert fresh(AlertRule, rule.id).enabled is False
    client.post(f"/alerts/rules/{rule.id}/toggle", data={"enabled": "1"})
    assert fresh(AlertRule, rule.id).enabled is True
    assert [e.action for e in audit_rows("alert_rule")] == ["disabled", "enabled"]


def test_delete_removes_the_rule_and_audits_it(login_as, make_user):
    client = login_as("admin")
    jane = make_user(("sales",))
    rule = factories.make_rule(users=[jane])
    response = client.post(f"/alerts/rules/{rule.id}/delete", follow_redirects=True)
    assert "deleted" in response.get_data(as_text=True)
    assert rule_count() == 0
    assert db.session.get(User, jane.id) is not None  # only the link to the user goes
    (event,) = audit_rows("alert_rule")
    assert event.action == "deleted" and event.record_label == "Holds to sales"
    assert json.loads(event.changes)["roles"] == ["sales", None]
    assert client.post(f"/alerts/rules/{rule.id}/delete").status_code == 404


def test_delete_and_toggle_are_post_only(login_as):
    client = login_as("admin")
    rule = factories.make_rule()
    assert client.get(f"/alerts/rules/{rule.id}/delete").status_code == 405
    assert client.get(f"/alerts/rules/{rule.id}/toggle").status_code == 405
    assert rule_count() == 1


# --- mail log ----------------------------------------------------------------------------


def test_mail_log_lists_counts_and_filters(login_as):
    client = login_as("admin")
    factories.make_mail(
        "sent", to="ann@example.com", subject="Complaint C-1 logged", event="complaint.logged", minutes_ago=5
    )
    factories.make_mail("failed", to="bob@example.com", subject="Lot L1 put on hold", minutes_ago=3)
    factories.make_mail("pending", to="cy@example.com", subject="100% sure_thing", minutes_ago=1)

    page = client.get("/alerts/mail").get_data(as_text=True)
    assert page.index("cy@example.com") < page.index("bob@example.com") < page.index("ann@example.com")
    assert "550 mailbox unavailable" in page
    assert "Resend all failed (1)" in page
    assert "written as .eml files to" in page and "(no MAIL_SERVER set)" in page
    assert "flask alerts worker" in page

    failed = client.get("/alerts/mail?status=failed").get_data(as_text=True)
    assert "bob@example.com" in failed and "ann@example.com" not in failed
    by_event = client.get("/alerts/mail?event=complaint.logged").get_data(as_text=True)
    assert "ann@example.com" in by_event and "bob@example.com" not in by_event
    by_text = client.get("/alerts/mail?q=BOB@").get_data(as_text=True)
    assert "bob@example.com" in by_text and "cy@example.com" not in by_text
    by_subject = client.get("/alerts/mail?q=hold").get_data(as_text=True)
    assert "bob@example.com" in by_subject and "ann@example.com" not in by_subject
    # LIKE wildcards are taken literally.
    assert "cy@example.com" in client.get("/alerts/mail?q=100%25").get_data(as_text=True)
    assert "No message matches" in client.get("/alerts/mail?q=_x_").get_data(as_text=True)

    bad = client.get("/alerts/mail?status=lost&event=nope")
    assert bad.status_code == 200
    assert "Unknown status" in bad.get_data(as_text=True)


def test_mail_log_names_the_smtp_server(make_app, login_as):
    app = make_app(MAIL_SERVER="smtp.example.com", MAIL_PORT=587)
    with app.app_context():
        user = factories.make_user(("admin",), password="correct-horse-1")
        client = app.test_client()
        client.post("/auth/login", data={"username": user.username, "password": "correct-horse-1"})
        page = client.get("/alerts/mail").get_data(as_text=True)
    assert "SMTP server smtp.example.com:587" in page
    assert "no MAIL_SERVER" not in page


def test_mail_log_empty_state(login_as):
    assert "No mail yet" in login_as("admin").get("/alerts/mail").get_data(as_text=True)


def test_mail_log_csv_export(login_as):
    client = login_as("admin")
    factories.make_mail("failed", to="bob@example.com", subject="=HYPERLINK(1)")
    factories.make_mail("sent", to="ann@example.com")
    response = client.get("/alerts/mail?format=csv&status=failed")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][:5] == ["id", "created_at", "status", "attempts", "to"]
    assert len(rows) == 2
    assert rows[1][2:6] == ["failed", "3", "bob@example.com", "'=HYPERLINK(1)"]


def test_mail_detail_shows_headers_and_bodies_as_text(login_as):
    client = login_as("admin")
    mail = factories.make_mail(
        "failed",
        subject="<script>alert('s')</script> subject",
        body_text="Plain <script>alert('t')</script> text",
        body_html="<p>Hi</p><script>alert('h')</script>",
        transport="smtp",
    )
    response = client.get(f"/alerts/mail/{mail.id}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(&#39;s&#39;)&lt;/script&gt; subject" in page
    assert "&lt;p&gt;Hi&lt;/p&gt;&lt;script&gt;alert(&#39;h&#39;)&lt;/script&gt;" in page
    assert mail.message_id.replace("<", "&lt;").replace(">", "&gt;") in page
    assert "550 mailbox unavailable" in page and "SMTP" in page
    assert "Resend" in page
    assert client.get("/alerts/mail/999999").status_code == 404


def test_resend_one_failed_message(login_as):
    client = login_as("admin")
    mail = factories.make_mail("failed")
    response = client.post(f"/alerts/mail/{mail.id}/resend", follow_redirects=True)
    assert "put back in line" in response.get_data(as_text=True)
    saved = fresh(OutboxMessage, mail.id)
    assert (saved.status, saved.attempts) == ("pending", 0)
    (event,) = audit_rows("email")
    assert event.action == "resend" and event.record_id == mail.id
    assert event.actor_id == client.user.id


def test_resend_of_a_message_that_is_not_failed_changes_nothing(login_as):
    client = login_as("admin")
    mail = factories.make_mail("sent")
    response = client.post(f"/alerts/mail/{mail.id}/resend", follow_redirects=True)
    assert "is not failed" in response.get_data(as_text=True)
    assert fresh(OutboxMessage, mail.id).status == "sent"
    assert audit_rows("email") == []


def test_resend_all_failed(login_as):
    client = login_as("admin")
    failed = [factories.make_mail("failed") for _ in range(2)]
    sent = factories.make_mail("sent")
    response = client.post("/alerts/mail/resend-failed", follow_redirects=True)
    assert "2 failed messages put back in line." in response.get_data(as_text=True)
    for mail in failed:
        saved = fresh(OutboxMessage, mail.id)
        assert (saved.status, saved.attempts) == ("pending", 0)
    assert fresh(OutboxMessage, sent.id).status == "sent"
    assert sorted(e.record_id for e in audit_rows("email")) == sorted(m.id for m in failed)
    again = client.post("/alerts/mail/resend-failed", follow_redirects=True)
    assert "No failed messages to resend." in again.get_data(as_text=True)


# --- who may ------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["sales", "production", "marketing"])
def test_only_admins_manage_rules_and_mail(login_as, role):
    client = login_as(role)
    rule = factories.make_rule()
    mail = factories.make_mail("failed")
    for url in (
        "/alerts/rules",
        "/alerts/rules/new",
        f"/alerts/rules/{rule.id}/edit",
        "/alerts/mail",
        f"/alerts/mail/{mail.id}",
        "/alerts/mail?format=csv",
    ):
        assert client.get(url).status_code == 403, url
    for url in (
        f"/alerts/rules/{rule.id}/toggle",
        f"/alerts/rules/{rule.id}/delete",
        "/alerts/rules/new",
        f"/alerts/mail/{mail.id}/resend",
        "/alerts/mail/resend-failed",
    ):
        assert client.post(url, data=rule_form()).status_code == 403, url
    assert rule_count() == 1 and fresh(AlertRule, rule.id).enabled
    assert fresh(OutboxMessage, mail.id).status == "failed"
    assert audit_rows("alert_rule") == [] and audit_rows("email") == []
    nav = client.get("/alerts/").get_data(as_text=True)
    assert "/alerts/rules" not in nav and "/alerts/mail" not in nav
