"""The role × route matrix: every route, every role (and anonymous), the expected answer.

A new route fails `test_matrix_covers_every_route` until it is added here.
"""

import pytest

from tests import factories

ROLES = ("anonymous", "sales", "production", "marketing", "admin")
EVERYONE = dict.fromkeys(ROLES[1:], 200)
PRESS_READERS = {"sales": 403, "production": 200, "marketing": 200, "admin": 200}
PRESS_WRITERS = {"sales": 403, "production": 403, "marketing": 200, "admin": 200}


def only(role, ok=200, other=403):
    return {r: (ok if r == role else other) for r in ROLES[1:]}


# endpoint: (method, url template, {role: status}); anonymous defaults to 302 (to login).
MATRIX = {
    "main.index": ("GET", "/", dict.fromkeys(ROLES, 302)),
    "main.home": ("GET", "/home", EVERYONE),
    "auth.login": ("GET", "/auth/login", {"anonymous": 200, **dict.fromkeys(ROLES[1:], 302)}),
    "main.healthz": ("GET", "/healthz", dict.fromkeys(ROLES, 200)),
    # The consignee's response page needs no login: a link that is not a token is a 404 for all.
    "respond.form": ("GET", "/respond/not-a-token", dict.fromkeys(ROLES, 404)),
    "auth.logout": ("POST", "/auth/logout", dict.fromkeys(ROLES[1:], 302)),
    "auth.account": ("GET", "/auth/account", EVERYONE),
    "complaints.list": ("GET", "/complaints/", EVERYONE),
    "complaints.export": ("GET", "/complaints/export.csv", EVERYONE),
    "complaints.create": ("GET", "/complaints/new", only("sales")),
    "complaints.customer_lookup": ("GET", "/complaints/customers.json?q=cu", only("sales")),
    "complaints.detail": ("GET", "/complaints/{complaint}", EVERYONE),
    "complaints.edit": ("GET", "/complaints/{complaint}/edit", only("sales")),
    "complaints.transition": ("GET", "/complaints/{complaint}/do/triage", only("production")),
    # An empty comment is refused (422) only after the permission check passed.
    "complaints.comment": ("POST", "/complaints/{complaint}/comments", dict.fromkeys(ROLES[1:], 422)),
    "admin.users": ("GET", "/admin/users", only("admin")),
    "admin.user_create": ("GET", "/admin/users/new", only("admin")),
    "admin.user_edit": ("GET", "/admin/users/{user}", only("admin")),
    "admin.user_toggle_active": ("POST", "/admin/users/{user}/active", only("admin", 302)),
    "admin.user_end_sessions": ("POST", "/admin/users/{user}/sessions/end", only("admin", 302)),
    "admin.audit": ("GET", "/admin/audit", only("admin")),
    "admin.products": ("GET", "/admin/products", EVERYONE),
    "admin.product_create": ("GET", "/admin/products/new", only("admin")),
    "admin.product_edit": ("GET", "/admin/products/{product}", only("admin")),
    "admin.product_import": ("GET", "/admin/products/import", only("admin")),
    "admin.customers": ("GET", "/admin/customers", EVERYONE),
    "admin.customer_create": ("GET", "/admin/customers/new", only("admin")),
    "admin.customer_edit": ("GET", "/admin/customers/{customer}", only("admin")),
    "admin.customer_import": ("GET", "/admin/customers/import", only("admin")),
    "trace.lots": ("GET", "/lots/", EVERYONE),
    "trace.lot": ("GET", "/lots/{lot}", EVERYONE),
    "trace.forward": ("GET", "/lots/trace?root={lot}", EVERYONE),
    "trace.export": ("GET", "/lots/trace.csv?root={lot}", EVERYONE),
    "trace.common_cause": ("GET", "/lots/common-cause?complaint={complaint}", EVERYONE),
    # The form is posted without a reason: production passes the role check and is sent back
    # with the message; other roles are refused by the lot transition table.
    "trace.status": ("POST", "/lots/status", only("production", 302)),
    "imports.upload": ("GET", "/imports/lots", {**only("production"), "admin": 200}),
    # No such job: the permitted roles get past the permission check to the 404.
    "imports.job": (
        "GET",
        "/imports/job/00000000-0000-4000-8000-000000000000",
        {**only("production", 404), "admin": 404},
    ),
    "capa.list": ("GET", "/actions/", EVERYONE),
    "capa.export": ("GET", "/actions/export.csv", EVERYONE),
    "capa.mine": ("GET", "/actions/mine", EVERYONE),
    "capa.create": ("GET", "/actions/new?incident={action_incident}", only("production")),
    "capa.detail": ("GET", "/actions/{action}", EVERYONE),
    # The action is owned by another user: production may edit and move any action, others not theirs.
    "capa.edit": ("GET", "/actions/{action}/edit", only("production")),
    "capa.transition": ("GET", "/actions/{action}/do/start", only("production")),
    # An empty justification is refused (422) only after the permission check passed.
    "capa.justify": ("POST", "/actions/{action}/justify", only("production", 422)),
    "incidents.list": ("GET", "/incidents/", EVERYONE),
    "incidents.export": ("GET", "/incidents/export.csv", EVERYONE),
    "incidents.clusters": ("GET", "/incidents/clusters", EVERYONE),
    "incidents.create": ("GET", "/incidents/new?complaint={complaint}", only("production")),
    "incidents.detail": ("GET", "/incidents/{incident}", EVERYONE),
    "incidents.report": ("GET", "/incidents/{incident}/report.pdf", EVERYONE),
    "incidents.edit": ("GET", "/incidents/{incident}/edit", only("production")),
    "incidents.transition": ("GET", "/incidents/{incident}/do/investigate", only("production")),
    # Empty forms are refused (422) only after the permission check passed.
    "incidents.link": ("POST", "/incidents/{incident}/complaints", only("production", 422)),
    "incidents.trace": ("POST", "/incidents/{incident}/trace", only("production", 422)),
    "incidents.hold": ("POST", "/incidents/{incident}/hold", only("production", 422)),
    "recalls.list": ("GET", "/recalls/", EVERYONE),
    "recalls.propose": ("GET", "/recalls/propose?incident={incident}", {**only("production"), "marketing": 200}),
    "recalls.detail": ("GET", "/recalls/{recall}", EVERYONE),
    # Proposed by another marketing user: any other marketing user or an admin may open the approval.
    "recalls.transition": ("GET", "/recalls/{recall}/do/approve", {**only("marketing"), "admin": 200}),
    "recalls.notices": ("GET", "/recalls/{recall}/notices", EVERYONE),
    "search.index": ("GET", "/search/?q=lot", EVERYONE),
    "trends.index": ("GET", "/trends/", EVERYONE),
    "trends.csv": ("GET", "/trends/data.csv?kind=weekly", EVERYONE),
    "press.inquiries": ("GET", "/press/inquiries/", PRESS_READERS),
    "press.inquiry_new": ("GET", "/press/inquiries/new", PRESS_WRITERS),
    "press.inquiry": ("GET", "/press/inquiries/{inquiry}", PRESS_READERS),
    "press.inquiry_edit": ("GET", "/press/inquiries/{inquiry}/edit", PRESS_WRITERS),
    # Production passes the view permission and is refused by the INQUIRY transition table.
    "press.inquiry_transition": ("GET", "/press/inquiries/{inquiry}/do/answer", PRESS_WRITERS),
    "press.statements": ("GET", "/press/statements/", PRESS_READERS),
    "press.statement_new": ("GET", "/press/statements/new", PRESS_WRITERS),
    "press.statement": ("GET", "/press/statements/{statement}", PRESS_READERS),
    "press.statement_edit": ("GET", "/press/statements/{statement}/edit", PRESS_WRITERS),
    "press.statement_version": ("GET", "/press/statements/{statement}/versions/1", PRESS_READERS),
    # In review, written by another marketing user: any other marketing user or an admin may approve.
    "press.statement_transition": ("GET", "/press/statements/{statement}/do/approve", PRESS_WRITERS),
    "press.statement_pdf": ("GET", "/press/statements/{statement}.pdf", PRESS_READERS),
    "recalls.effectiveness": ("GET", "/recalls/{recall}/effectiveness", EVERYONE),
    "recalls.report": ("GET", "/recalls/{recall}/report.pdf", EVERYONE),
    "recalls.status_report": ("GET", "/recalls/{recall}/status-report.pdf", EVERYONE),
    # The recall is only proposed: marketing and admin pass the permission check, the service
    # refuses (notices go out from approval) and they are sent back to the notices page.
    "recalls.send_notices": ("POST", "/recalls/{recall}/notices/send", {**only("marketing", 302), "admin": 302}),
    "recalls.resend_failed": ("POST", "/recalls/{recall}/notices/resend", {**only("marketing", 302), "admin": 302}),
    "recalls.remind": ("POST", "/recalls/{recall}/notices/remind", {**only("marketing", 302), "admin": 302}),
    "recalls.record_notification": (
        "GET",
        "/recalls/{recall}/notices/{notice}/notified",
        {**only("marketing"), "admin": 200},
    ),
    "recalls.enter_response": (
        "GET",
        "/recalls/{recall}/notices/{notice}/response",
        {**only("marketing"), "admin": 200},
    ),
    # No file sent: the roles that may attach get past the permission check to the 422.
    "attachments.upload": (
        "POST",
        "/attachments/complaint/{complaint}",
        {**only("sales", 422), "production": 422},
    ),
    "attachments.download": ("GET", "/attachments/{attachment}", EVERYONE),
    "alerts.inbox": ("GET", "/alerts/", EVERYONE),
    # The alert belongs to another user: everyone gets past the permission check to the 404.
    "alerts.open": ("GET", "/alerts/{alert}/open", dict.fromkeys(ROLES[1:], 404)),
    "alerts.read_all": ("POST", "/alerts/read-all", dict.fromkeys(ROLES[1:], 302)),
    "alerts.rules": ("GET", "/alerts/rules", only("admin")),
    "alerts.rule_create": ("GET", "/alerts/rules/new", only("admin")),
    "alerts.rule_edit": ("GET", "/alerts/rules/{rule}/edit", only("admin")),
    "alerts.rule_toggle": ("POST", "/alerts/rules/{rule}/toggle", only("admin", 302)),
    "alerts.rule_delete": ("POST", "/alerts/rules/{rule}/delete", only("admin", 302)),
    "alerts.mail": ("GET", "/alerts/mail", only("admin")),
    "alerts.mail_detail": ("GET", "/alerts/mail/{mail}", only("admin")),
    "alerts.mail_resend": ("POST", "/alerts/mail/{mail}/resend", only("admin", 302)),
    "alerts.mail_resend_failed": ("POST", "/alerts/mail/resend-failed", only("admin", 302)),
}
UNGUARDED = {"static", "bootstrap.static"}


def test_matrix_covers_every_route(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()} - UNGUARDED
    assert endpoints - MATRIX.keys() == set(), "add the new routes to MATRIX"
    assert MATRIX.keys() - endpoints == set(), "MATRIX names routes that no longer exist"


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("endpoint", sorted(MATRIX))
def test_role_route_matrix(app, login_as, endpoint, role):
    method, template, expected = MATRIX[endpoint]
    complaint = factories.make_complaint()
    other = factories.make_user(("marketing",))
    lot = factories.make_lot(product_id=complaint.product_id)
    action = factories.make_action() if "{action" in template else None
    incident = factories.make_incident([complaint]) if "{incident" in template else None
    attachment = factories.make_attachment(complaint) if "{attachment" in template else None
    alert = factories.make_alert(other) if "{alert" in template else None
    rule = factories.make_rule() if "{rule" in template else None
    mail = factories.make_mail(status="failed") if "{mail" in template else None
    recall = factories.make_recall(other, [lot]) if "{recall" in template else None
    notice = factories.make_notice(recall, complaint.customer_id) if "{notice" in template else None
    inquiry = factories.make_inquiry(other) if "{inquiry" in template else None
    statement = factories.make_statement(other, submit=True) if "{statement" in template else None
    url = template.format(
        complaint=complaint.id,
        user=other.id,
        product=complaint.product_id,
        customer=complaint.customer_id,
        lot=lot.id,
        action=getattr(action, "id", None),
        action_incident=getattr(action, "incident_id", None),
        incident=getattr(incident, "id", None),
        attachment=getattr(attachment, "id", None),
        alert=getattr(alert, "id", None),
        rule=getattr(rule, "id", None),
        mail=getattr(mail, "id", None),
        recall=getattr(recall, "id", None),
        notice=getattr(notice, "id", None),
        inquiry=getattr(inquiry, "id", None),
        statement=getattr(statement, "id", None),
    )
    client = app.test_client() if role == "anonymous" else login_as(role)
    response = client.open(url, method=method)
    assert response.status_code == expected.get(role, 302), f"{role} {method} {url}"
    if role == "anonymous" and expected.get(role, 302) == 302 and endpoint != "main.index":
        assert "/auth/login" in response.headers["Location"]


@pytest.mark.parametrize("role", ROLES[1:])
def test_pages_show_only_permitted_actions(app, login_as, role):
    complaint = factories.make_complaint()
    client = login_as(role)
    page = client.get(f"/complaints/{complaint.id}").get_data(as_text=True)
    assert ("/do/triage" in page) == (role == "production")
    assert ("/do/reject" in page) == (role == "production")
    assert (f"/complaints/{complaint.id}/edit" in page) == (role == "sales")
    nav = client.get("/home").get_data(as_text=True)
    assert ("/complaints/new" in nav) == (role == "sales")
    assert ("/admin/users" in nav) == (role == "admin")
    assert ("/admin/audit" in nav) == (role == "admin")
    assert ("/alerts/rules" in nav) == (role == "admin")
    assert ("/alerts/mail" in nav) == (role == "admin")
    assert 'href="/alerts/"' in nav  # the bell, for everyone signed in
