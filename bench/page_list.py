"""Every page a user can GET, as the page bench requests it: a URL on the scenario's records,
the role of the plant user who opens it, and the group (results.json entry) it is counted in.

Lists come with their default view and their hard cases: a deep page (page 200, or the last
page when there are fewer), a filter and a sort they offer. `lookups` reads what the URLs need
from the database; `pages` only builds them (so tests/test_bench_coverage.py can check, without
a plant, that every GET route is requested here, in ENDPOINTS_ELSEWHERE (bench/pages.py) or
in EXCLUDED with its reason).
"""

import math
import time
from dataclasses import dataclass
from urllib.parse import urlencode

import sqlalchemy as sa
from flask import current_app

from app.csv_import import ImportResult
from app.extensions import db
from app.imports import jobs
from app.imports.specs import SPECS
from app.models import (
    Action,
    Alert,
    AlertRule,
    AuditEvent,
    Complaint,
    ComplaintLot,
    Customer,
    Incident,
    Lot,
    OutboxMessage,
    PressInquiry,
    Product,
    RecallNotice,
    Statement,
)
from app.recalls.tokens import token_for

ENDPOINTS_ELSEWHERE = {"main.home": "dashboard", "search.index": "search", "trends.index": "trends"}
EXCLUDED = {
    "static": "static files (CSS, JS, fonts), served by the web server in production",
    "bootstrap.static": "Bootstrap's static files, as above",
    "main.healthz": "the load bench's bare route (no database, no template)",
    "main.index": "a redirect to /home or the sign-in page, not a page",
    "alerts.open": "marks the alert read and redirects to its record: a write, then a redirect",
}
FILE_GROUPS = ("csv exports", "pdf reports")  # no ms target (bench/app_pages.py entries)
INCIDENT_REPORT_MS = 300.0  # bench/results.py TARGETS_MS["incident report"]
PDF = "application/pdf"


@dataclass(frozen=True)
class Page:
    group: str
    case: str
    endpoint: str
    url: str
    role: str  # the plant user's role, or "anonymous"
    mimetype: str = "text/html"
    target_ms: float | None = None  # a case's own target, where it differs from its group's


def _url(path: str, **args) -> str:
    pairs = []
    for key, value in args.items():
        pairs += [(key, v) for v in value] if isinstance(value, (list, tuple)) else [(key, value)]
    return f"{path}?{urlencode(pairs)}" if pairs else path


def _count(stmt) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(stmt.subquery())) or 0


def _first(stmt):
    return db.session.scalar(stmt.limit(1))


def _list(group, endpoint, path, role, count, per_page, hard: dict, label: str = "list") -> list[Page]:
    """A list's default view, its deep page and its hard cases ({case: query args})."""
    cases = {"default": path}
    last = math.ceil(count / per_page)
    if last > 1:  # page 200, or the last page of a shorter list
        cases[f"page {min(200, last)} of {last:,}"] = _url(path, page=min(200, last))
    cases |= {case: _url(path, **args) for case, args in hard.items()}
    return [Page(group, f"{label}: {case}", endpoint, url, role) for case, url in cases.items()]


def finished_job() -> str:
    """A finished lot import's status file (the job page reads only that file)."""
    job_id = "00000000-0000-4000-8000-000000000001"
    status = {"id": job_id, "kind": "lots", "file": "lots-week-48.csv", "user_id": 1, "user": "Pat Production"}
    status |= {"state": "running", "rows": 120_000, "bytes_done": 9_000_000, "bytes_total": 9_000_000}
    status["started"] = time.time() - 95
    jobs.JobStatus(jobs.import_dir(create=True), status).finish(ImportResult(created=118_000, updated=2_000))
    return job_id


def lookups(f: dict) -> dict:
    """What the URLs need beyond the scenario's facts: list sizes, a few ids, response links."""
    notices = {
        n.id: token_for(n)
        for n in db.session.scalars(
            sa.select(RecallNotice).where(RecallNotice.id.in_([f["unanswered_notice"], f["answered_notice"]]))
        )
    }
    named = _first(
        sa.select(Lot.id)
        .join(ComplaintLot, ComplaintLot.lot_code == Lot.code)
        .where(ComplaintLot.complaint_id == f["main_complaint"])
    )
    return {
        "complaints": _count(sa.select(Complaint.id)),
        "lots": _count(sa.select(Lot.id)),
        "incidents": _count(sa.select(Incident.id)),
        "actions": _count(sa.select(Action.id)),
        "notices": _count(sa.select(RecallNotice.id).where(RecallNotice.recall_id == f["main_recall"])),
        "inquiries": _count(sa.select(PressInquiry.id)),
        "statements": _count(sa.select(Statement.id)),
        "my_alerts": _count(sa.select(Alert.id).where(Alert.user_id == f["users"]["marketing"])),
        "mail": _count(sa.select(OutboxMessage.id)),
        "customers": _count(sa.select(Customer.id)),
        "audit": _count(sa.select(AuditEvent.id)),
        "named_lot": named,
        "named_product": _first(sa.select(Lot.product_id).where(Lot.id == named)),
        "code_prefix": (_first(sa.select(Lot.code).where(Lot.id == f["widest_lot"])) or "")[:6],
        "versions": _first(sa.select(Statement.current_version).where(Statement.id == f["main_statement"])),
        "rule": _first(sa.select(AlertRule.id).order_by(AlertRule.id)),
        "alert_mail": _first(sa.select(OutboxMessage.id).where(OutboxMessage.alert_id.is_not(None))),
        "consignee": _first(sa.select(RecallNotice.consignee_id).where(RecallNotice.recall_id == f["main_recall"])),
        "product": _first(sa.select(Product.id).order_by(Product.id)),
        "form_link": notices.get(f["unanswered_notice"]),
        "answered_link": notices.get(f["answered_notice"]),
        "job": finished_job(),
    }


def complaint_pages(f: dict, k: dict, per: int) -> list[Page]:
    g, new = "complaint pages", f["new_complaint"]
    hard = {
        "filter: investigating, foreign matter": dict(status="investigating", category="foreign_matter"),
        "sort: risk": dict(sort="-risk"),
        "search: carton": dict(q="carton"),
    }
    return [
        *_list(g, "complaints.list", "/complaints/", "sales", k["complaints"], per, hard),
        Page(
            g, "detail (main incident's complaint)", "complaints.detail", f"/complaints/{f['main_complaint']}", "sales"
        ),
        Page(g, "new", "complaints.create", "/complaints/new", "sales"),
        # The customer suggestions of the new-complaint form (typed text, as a user pauses).
        *(
            Page(
                g,
                f"customer lookup: {q}",
                "complaints.customer_lookup",
                _url("/complaints/customers.json", q=q),
                "sales",
                mimetype="application/json",
            )
            for q in ("north", "zqxjv")
        ),
        Page(g, "edit (new complaint)", "complaints.edit", f"/complaints/{new}/edit", "sales"),
        Page(g, "triage form", "complaints.transition", f"/complaints/{new}/do/triage", "production"),
        Page(
            g,
            "resolve form",
            "complaints.transition",
            f"/complaints/{f['investigating_complaint']}/do/resolve",
            "sales",
        ),
    ]


def lot_pages(f: dict, k: dict, per: int) -> list[Page]:
    g, widest = "lot and trace pages", f["widest_lot"]
    hard = {
        "filter: finished, recalled": dict(kind="finished", status="recalled"),
        "filter: one product": dict(product_id=k["named_product"]),
        "search: code prefix": dict(q=k["code_prefix"]),
    }
    common_cause = _url("/lots/common-cause", complaint=f["main_complaints"])
    return [
        *_list(g, "trace.lots", "/lots/", "production", k["lots"], per, hard),
        Page(g, "lot: widest raw lot", "trace.lot", f"/lots/{widest}", "production"),
        Page(g, "lot: finished lot of a complaint", "trace.lot", f"/lots/{k['named_lot']}", "sales"),
        Page(g, "forward trace: widest raw lot", "trace.forward", _url("/lots/trace", root=widest), "production"),
        Page(g, "common cause", "trace.common_cause", common_cause, "production"),
    ]


def incident_pages(f: dict, k: dict, per: int) -> list[Page]:
    g, opened = "incident pages", f["open_incident"]
    hard = {"filter: investigating": dict(status="investigating"), "search: packaging": dict(q="packaging")}
    return [
        *_list(g, "incidents.list", "/incidents/", "production", k["incidents"], per, hard),
        Page(g, "clusters", "incidents.clusters", "/incidents/clusters", "production"),
        Page(g, "detail: main incident", "incidents.detail", f"/incidents/{f['main_incident']}", "production"),
        Page(g, "detail: closed incident", "incidents.detail", f"/incidents/{f['closed_incident']}", "sales"),
        Page(
            g,
            "new (5 complaints)",
            "incidents.create",
            _url("/incidents/new", complaint=f["main_complaints"][:5]),
            "production",
        ),
        Page(g, "edit", "incidents.edit", f"/incidents/{opened}/edit", "production"),
        Page(g, "contain form", "incidents.transition", f"/incidents/{opened}/do/contain", "production"),
        Page(g, "close form", "incidents.transition", f"/incidents/{f['contained_incident']}/do/close", "production"),
    ]


def action_pages(f: dict, k: dict, per: int) -> list[Page]:
    g, planned = "action pages", f["planned_action"]
    hard = {
        "filter: in progress, overdue": dict(status="in_progress", overdue="1"),
        "sort: reference": dict(sort="-reference"),
        "search: sieve": dict(q="sieve"),
    }
    return [
        *_list(g, "capa.list", "/actions/", "production", k["actions"], per, hard),
        Page(g, "mine (production)", "capa.mine", "/actions/mine", "production"),
        Page(g, "detail", "capa.detail", f"/actions/{f['main_action']}", "production"),
        Page(g, "new", "capa.create", _url("/actions/new", incident=f["open_incident"]), "production"),
        Page(g, "edit", "capa.edit", f"/actions/{planned}/edit", "production"),
        Page(g, "start form", "capa.transition", f"/actions/{planned}/do/start", "production"),
        Page(
            g, "verify form (signed)", "capa.transition", f"/actions/{f['implemented_action']}/do/verify", "production"
        ),
    ]


def recall_pages(f: dict, k: dict, per: int) -> list[Page]:
    g, main = "recall pages", f["main_recall"]
    hard = {"filter: completed": dict(status="completed"), "sort: classification": dict(sort="classification")}
    notice_hard = {"filter: sent, not answered": dict(state="sent", responded="no"), "search: market": dict(q="market")}
    notice = f"/recalls/{main}/notices"
    return [
        *_list(g, "recalls.list", "/recalls/", "marketing", 1, per, hard),  # a plant's few recalls: one page
        Page(g, "detail: main recall", "recalls.detail", f"/recalls/{main}", "marketing"),
        *_list(g, "recalls.notices", notice, "marketing", k["notices"], per, notice_hard, label="notices"),
        Page(g, "effectiveness", "recalls.effectiveness", f"/recalls/{main}/effectiveness", "marketing"),
        Page(
            g,
            "propose form",
            "recalls.propose",
            _url("/recalls/propose", incident=f["escalated_incident"]),
            "production",
        ),
        Page(
            g, "approve form (signed)", "recalls.transition", f"/recalls/{f['proposed_recall']}/do/approve", "marketing"
        ),
        Page(g, "progress form", "recalls.transition", f"/recalls/{main}/do/progress", "marketing"),
        Page(
            g,
            "notification form",
            "recalls.record_notification",
            f"{notice}/{f['unanswered_notice']}/notified",
            "marketing",
        ),
        Page(
            g,
            "response form (answered)",
            "recalls.enter_response",
            f"{notice}/{f['answered_notice']}/response",
            "marketing",
        ),
    ]


def press_pages(f: dict, k: dict, per: int) -> list[Page]:
    g, inquiry, statement, last = "press pages", f["main_inquiry"], f["main_statement"], k["versions"]
    inquiry_hard = {
        "filter: drafting, overdue": dict(status="drafting", overdue="1"),
        "sort: received": dict(sort="-received"),
    }
    statement_hard = {"filter: published": dict(status="published"), "sort: kind": dict(sort="kind")}
    inquiries, statements = "/press/inquiries/", "/press/statements/"
    return [
        *_list(g, "press.inquiries", inquiries, "marketing", k["inquiries"], per, inquiry_hard, label="inquiries"),
        Page(g, "inquiry", "press.inquiry", f"{inquiries}{inquiry}", "marketing"),
        Page(g, "inquiry: new", "press.inquiry_new", _url(f"{inquiries}new", recall=f["main_recall"]), "marketing"),
        Page(g, "inquiry: edit", "press.inquiry_edit", f"{inquiries}{inquiry}/edit", "marketing"),
        Page(
            g,
            "inquiry: answer form",
            "press.inquiry_transition",
            f"{inquiries}{f['received_inquiry']}/do/answer",
            "marketing",
        ),
        *_list(
            g, "press.statements", statements, "marketing", k["statements"], per, statement_hard, label="statements"
        ),
        Page(g, f"statement ({last} versions)", "press.statement", f"{statements}{statement}", "marketing"),
        Page(
            g,
            "statement version, diff",
            "press.statement_version",
            f"{statements}{statement}/versions/{last}",
            "marketing",
        ),
        Page(g, "statement: new", "press.statement_new", f"{statements}new", "marketing"),
        Page(g, "statement: edit", "press.statement_edit", f"{statements}{statement}/edit", "marketing"),
        Page(
            g,
            "statement: approve form (signed)",
            "press.statement_transition",
            f"{statements}{f['in_review_statement']}/do/approve",
            "marketing",
        ),
    ]


def alert_pages(f: dict, k: dict, per: int) -> list[Page]:
    g = "alert pages"
    mail_hard = {
        "filter: failed": dict(status="failed"),
        "filter: recall notices": dict(event="recall.notice"),
        "search: address": dict(q="store"),
    }
    return [
        *_list(
            g, "alerts.inbox", "/alerts/", "marketing", k["my_alerts"], per, {"unread": dict(show="unread")}, "inbox"
        ),
        Page(g, "rules", "alerts.rules", "/alerts/rules", "admin"),
        Page(g, "rule: new", "alerts.rule_create", "/alerts/rules/new", "admin"),
        Page(g, "rule: edit", "alerts.rule_edit", f"/alerts/rules/{k['rule']}/edit", "admin"),
        *_list(g, "alerts.mail", "/alerts/mail", "admin", k["mail"], per, mail_hard, label="mail log"),
        Page(g, "mail: recall notice", "alerts.mail_detail", f"/alerts/mail/{f['notice_email']}", "admin"),
        Page(g, "mail: alert", "alerts.mail_detail", f"/alerts/mail/{k['alert_mail']}", "admin"),
    ]


def admin_pages(f: dict, k: dict, per: int) -> list[Page]:
    g, product = "admin pages", k["product"]
    audit_hard = {"filter: recalls": dict(record_type="recall"), "search: approve": dict(q="approve")}
    customers = {"search: pantry": dict(q="pantry")}
    return [
        Page(g, "users", "admin.users", "/admin/users", "admin"),
        Page(g, "user: new", "admin.user_create", "/admin/users/new", "admin"),
        Page(g, "user: edit", "admin.user_edit", f"/admin/users/{f['users']['production']}", "admin"),
        Page(g, "products", "admin.products", "/admin/products", "production"),
        Page(g, "products: search", "admin.products", _url("/admin/products", q="bar"), "production"),
        Page(g, "product: new", "admin.product_create", "/admin/products/new", "admin"),
        Page(g, "product: edit", "admin.product_edit", f"/admin/products/{product}", "admin"),
        Page(g, "product: import", "admin.product_import", "/admin/products/import", "admin"),
        *_list(g, "admin.customers", "/admin/customers", "sales", k["customers"], per, customers, label="customers"),
        Page(g, "customer: new", "admin.customer_create", "/admin/customers/new", "admin"),
        Page(g, "customer: edit (a consignee)", "admin.customer_edit", f"/admin/customers/{k['consignee']}", "admin"),
        Page(g, "customer: import", "admin.customer_import", "/admin/customers/import", "admin"),
        *_list(g, "admin.audit", "/admin/audit", "admin", k["audit"], 2 * per, audit_hard, label="audit"),
    ]


def account_pages(f: dict, k: dict) -> list[Page]:
    g, files = "account and public pages", "attachment downloads"
    photo, report = f["attachments"]
    return [
        Page(g, "account", "auth.account", "/auth/account", "sales"),
        Page(g, "sign in", "auth.login", "/auth/login", "anonymous"),
        Page(g, "respond: form", "respond.form", f"/respond/{k['form_link']}", "anonymous"),
        Page(g, "respond: answered", "respond.form", f"/respond/{k['answered_link']}", "anonymous"),
        *(Page(g, f"import: {kind}", "imports.upload", f"/imports/{kind}", "production") for kind in SPECS),
        Page(g, "import job (finished)", "imports.job", f"/imports/job/{k['job']}", "production"),
        Page(files, "photo (complaint)", "attachments.download", f"/attachments/{photo}", "production", "image/png"),
        Page(files, "lab report (incident)", "attachments.download", f"/attachments/{report}", "production", PDF),
    ]


def file_pages(f: dict, k: dict) -> list[Page]:
    main = f["main_recall"]
    exports = {
        "complaints: all": ("complaints.export", "/complaints/export.csv"),
        "complaints: investigating": ("complaints.export", "/complaints/export.csv?status=investigating"),
        "incidents": ("incidents.export", "/incidents/export.csv"),
        "actions": ("capa.export", "/actions/export.csv"),
        "recalls": ("recalls.list", "/recalls/?format=csv"),
        "recall consignees": ("recalls.notices", f"/recalls/{main}/notices?format=csv"),
        "press inquiries": ("press.inquiries", "/press/inquiries/?format=csv"),
        "statements": ("press.statements", "/press/statements/?format=csv"),
        "lots: one product": ("trace.lots", _url("/lots/", product_id=k["named_product"], format="csv")),
        "trace: widest raw lot": ("trace.export", _url("/lots/trace.csv", root=f["widest_lot"])),
        "mail log": ("alerts.mail", "/alerts/mail?format=csv"),
        "products": ("admin.products", "/admin/products?format=csv"),
        "customers": ("admin.customers", "/admin/customers?format=csv"),
    }
    for kind in ("weekly", "pareto", "rates", "effectiveness"):
        exports[f"trends: {kind}"] = ("trends.csv", f"/trends/data.csv?kind={kind}")
    csv = [
        Page("csv exports", case, endpoint, url, "admin" if endpoint == "alerts.mail" else "marketing", "text/csv")
        for case, (endpoint, url) in exports.items()
    ]
    g = "pdf reports"
    incident = f"/incidents/{f['main_incident']}/report.pdf"
    return csv + [
        Page(g, "incident report", "incidents.report", incident, "production", PDF, INCIDENT_REPORT_MS),
        Page(g, "recall report", "recalls.report", f"/recalls/{main}/report.pdf", "marketing", PDF),
        Page(
            g, "recall status report", "recalls.status_report", f"/recalls/{main}/status-report.pdf", "marketing", PDF
        ),
        Page(g, "statement", "press.statement_pdf", f"/press/statements/{f['main_statement']}.pdf", "marketing", PDF),
    ]


def pages(f: dict, k: dict, per_page: int) -> list[Page]:
    """Every page, in the order they are measured: `f` the scenario's facts, `k` the lookups."""
    groups = (complaint_pages, lot_pages, incident_pages, action_pages, recall_pages, press_pages)
    listed = [page for group in (*groups, alert_pages, admin_pages) for page in group(f, k, per_page)]
    return listed + account_pages(f, k) + file_pages(f, k)


def build(facts: dict) -> list[Page]:
    """Every page on the bench database (in an app context)."""
    return pages(facts, lookups(facts), current_app.config["PER_PAGE"])
