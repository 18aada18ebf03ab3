"""Every list page issues the same, small number of SQL statements with 10 rows and with 1,000.

One parametrized test over a table of pages. Each page gets 10 rows of what it lists (each
row with its own customer, product, owner... so a relationship read per row cannot hide in the
identity map), its URLs are requested and their statements counted; then rows are added up to
1,000 and the counts must be unchanged and at most MAX_QUERIES. Paginated pages show 10 items
the first time and a full page the second, so a query per shown row changes the count.

CSV exports stream every row: their count must stay within MAX_QUERIES at 1,000 rows (each
reads its rows in one statement, in batches where it uses yield_per) and every row must be in
the file.

Rows are written with bulk INSERTs (one statement per table), not through the services.
"""

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import (
    Action,
    Alert,
    AlertRule,
    AuditEvent,
    Complaint,
    ComplaintLot,
    Customer,
    Incident,
    IncidentComplaint,
    Lot,
    LotInput,
    OutboxMessage,
    PressInquiry,
    Product,
    Recall,
    RecallLot,
    RecallNotice,
    Shipment,
    Statement,
    User,
    UserRole,
    alert_rule_users,
)

MAX_QUERIES = 12
SMALL, LARGE = 10, 1000
NOW = datetime.now(UTC)
TODAY = date.today()


# Bulk writers -------------------------------------------------------------------------------


def insert(model, rows: list[dict]) -> list[int]:
    """INSERT the rows in one statement (Core: the ORM's bulk path is slower); the new ids in order."""
    table = model.__table__
    return list(db.session.scalars(sa.insert(table).returning(table.c.id, sort_by_parameter_order=True), rows))


def link(table, rows: list[dict]) -> None:
    """INSERT rows of a table without an id column (a link table, or its model)."""
    db.session.execute(sa.insert(getattr(table, "__table__", table)), rows)


def people(rng: range, tag: str, role: str = "production") -> list[int]:
    """One user per row (with a role), so names read per row are never already loaded."""
    ids = insert(
        User,
        [
            dict(username=f"{tag}{i}", name=f"Person {tag}{i}", email=f"{tag}{i}@example.com", password_hash="x")
            for i in rng
        ],
    )
    link(UserRole, [dict(user_id=u, role=role) for u in ids])
    return ids


def products(rng: range, tag: str = "P") -> list[int]:
    return insert(
        Product, [dict(sku=f"{tag}-{i:05d}", name=f"Product {tag}{i}", unit="case", kind="finished") for i in rng]
    )


def customers(rng: range, tag: str = "Customer") -> list[int]:
    return insert(
        Customer,
        [
            dict(name=f"{tag} {i:05d}", kind="retailer", email=f"c{i}@example.com" if i % 2 else None, country="US")
            for i in rng
        ],
    )


def lots(rng: range, tag: str = "L") -> list[int]:
    product_ids = products(rng, f"{tag}P")
    return insert(
        Lot,
        [
            dict(
                code=f"{tag}{i:05d}",
                product_id=p,
                kind="finished",
                quantity=100,
                unit="case",
                produced_on=date(2026, 1, 1),
            )
            for i, p in zip(rng, product_ids, strict=True)
        ],
    )


def complaints(ctx: dict, rng: range, lot_codes: list[str] | None = None) -> list[int]:
    customer_ids, product_ids = customers(rng), products(rng)
    investigators = people(rng, "inv")
    codes = lot_codes or [f"X{i:05d}" for i in rng]
    return insert(
        Complaint,
        [
            dict(
                reference=f"C-{i:05d}",
                status="triaged",
                received_at=NOW - timedelta(minutes=i),
                channel="phone",
                customer_id=customer_ids[k],
                product_id=product_ids[k],
                lot_codes=codes[k],
                description="Found a piece of plastic in the bag.",
                category="foreign_matter",
                injury=i % 7 == 0,
                severity=3,
                probability=2,
                risk_score=6,
                investigator_id=investigators[k],
                created_by_id=ctx["user"],
            )
            for k, i in enumerate(rng)
        ],
    )


def incidents(ctx: dict, rng: range, linked: bool = True) -> list[int]:
    owners = people(rng, "own")
    ids = insert(
        Incident,
        [
            dict(
                reference=f"INC-{i:05d}",
                title=f"Incident {i}",
                description="Metal fragments.",
                owner_id=owners[k],
                created_by_id=ctx["user"],
                risk_score=6,
                created_at=NOW - timedelta(minutes=i),
            )
            for k, i in enumerate(rng)
        ],
    )
    if linked:
        complaint_ids = complaints(ctx, rng)
        link(IncidentComplaint, [dict(incident_id=a, complaint_id=b) for a, b in zip(ids, complaint_ids, strict=True)])
    return ids


def actions(ctx: dict, rng: range, owner: int | None = None) -> None:
    incident_ids = incidents(ctx, rng, linked=False)
    owners = [owner] * len(rng) if owner else people(rng, "act")
    insert(
        Action,
        [
            dict(
                reference=f"ACT-{i:05d}",
                incident_id=incident_ids[k],
                kind="corrective",
                description="Replace the worn sieve on line 2.",
                owner_id=owners[k],
                due_date=TODAY + timedelta(days=i % 30 - 10),
                status="planned",
                effectiveness_check="No metal found for 3 months.",
                created_by_id=ctx["user"],
            )
            for k, i in enumerate(rng)
        ],
    )


def recalls(ctx: dict, rng: range) -> list[int]:
    incident_ids = incidents(ctx, rng, linked=False)
    proposers, approvers = people(rng, "prop", "marketing"), people(rng, "appr", "admin")
    ids = insert(
        Recall,
        [
            dict(
                reference=f"RC-{i:05d}",
                incident_id=incident_ids[k],
                status="approved",
                title=f"Recall {i}",
                reason="Metal fragments.",
                hazard="Cuts to the mouth.",
                classification="II",
                depth="retail",
                effectiveness_level="C",
                remedy="refund",
                instructions="Stop selling.",
                proposed_by_id=proposers[k],
                approved_by_id=approvers[k],
                approved_at=NOW,
                created_at=NOW - timedelta(minutes=i),
            )
            for k, i in enumerate(rng)
        ],
    )
    link(RecallLot, [dict(recall_id=r, lot_id=lot, is_root=True) for r, lot in zip(ids, lots(rng, "RL"), strict=True)])
    return ids


# Row builders, one per page: (context, numbers of the rows to add) -------------------------


def notices(ctx: dict, rng: range) -> None:
    """Consignees of one recall: a third answered, a third emailed (sent or failed), a third pending."""
    consignee_ids = customers(rng, "Consignee")
    mail_ids = insert(
        OutboxMessage,
        [
            dict(
                event="recall.notice",
                to_address=f"c{i}@example.com",
                subject="Recall",
                body_text="Recall notice.",
                message_id=f"<n{i}@lotline>",
                status="sent" if i % 2 else "failed",
            )
            for i in rng
        ],
    )
    insert(
        RecallNotice,
        [
            dict(
                recall_id=ctx["recall"],
                consignee_id=consignee_ids[k],
                quantity_shipped=10,
                token_nonce=f"nonce{i:05d}",
                status="queued" if i % 3 == 1 else "pending",
                outbox_id=mail_ids[k] if i % 3 == 1 else None,
                responded_at=NOW if i % 3 == 0 else None,
                quantity_on_hand=1 if i % 3 == 0 else None,
            )
            for k, i in enumerate(rng)
        ],
    )


def one_recall(ctx: dict) -> None:
    ctx["recall"] = recalls(ctx, range(900_000, 900_001))[0]


def inquiries(ctx: dict, rng: range) -> None:
    recall_ids = recalls(ctx, rng)
    incident_ids = db.session.scalars(
        sa.select(Recall.incident_id).where(Recall.id.in_(recall_ids)).order_by(Recall.id)
    )
    assignees = people(rng, "press", "marketing")
    insert(
        PressInquiry,
        [
            dict(
                reference=f"PI-{i:05d}",
                status="received",
                outlet=f"Outlet {i}",
                journalist=f"Journalist {i}",
                channel="email",
                question="Is the product safe?",
                deadline=NOW + timedelta(hours=i % 48 - 12),
                incident_id=incident,
                recall_id=recall_ids[k],
                assignee_id=assignees[k],
                created_by_id=ctx["user"],
            )
            for k, (i, incident) in enumerate(zip(rng, incident_ids, strict=True))
        ],
    )


def statements(ctx: dict, rng: range) -> None:
    recall_ids = recalls(ctx, rng)
    incident_ids = db.session.scalars(
        sa.select(Recall.incident_id).where(Recall.id.in_(recall_ids)).order_by(Recall.id)
    )
    authors, approvers = people(rng, "auth", "marketing"), people(rng, "aprv", "admin")
    insert(
        Statement,
        [
            dict(
                reference=f"ST-{i:05d}",
                kind="holding",
                status="approved",
                incident_id=incident,
                recall_id=recall_ids[k],
                title=f"Holding words {i}",
                body="We are looking into it.",
                author_id=authors[k],
                approved_version=1,
                approved_by_id=approvers[k],
                approved_at=NOW,
                created_by_id=authors[k],
            )
            for k, (i, incident) in enumerate(zip(rng, incident_ids, strict=True))
        ],
    )


def forward_trace(ctx: dict, rng: range) -> None:
    """Lots made from the root lot, each shipped to its own consignee."""
    made = lots(rng, "F")
    link(LotInput, [dict(input_lot_id=ctx["root"], output_lot_id=lot) for lot in made])
    consignee_ids = customers(rng, "Consignee")
    insert(
        Shipment,
        [
            dict(lot_id=lot, consignee_id=c, quantity=5, shipped_on=date(2026, 2, 1), reference=f"BOL-{i}")
            for i, lot, c in zip(rng, made, consignee_ids, strict=True)
        ],
    )


def root_lot(ctx: dict) -> None:
    ctx["root"] = lots(range(900_000, 900_001), "ROOT")[0]


def clusters(ctx: dict, rng: range) -> None:
    """Recent complaints naming lots that all share one input lot."""
    made = lots(rng, "K")
    link(LotInput, [dict(input_lot_id=ctx["root"], output_lot_id=lot) for lot in made])
    codes = [f"K{i:05d}" for i in rng]
    ids = complaints(ctx, rng, lot_codes=codes)
    link(ComplaintLot, [dict(complaint_id=c, lot_code=code) for c, code in zip(ids, codes, strict=True)])


def audit_events(ctx: dict, rng: range) -> None:
    insert(
        AuditEvent,
        [
            dict(
                actor_name=f"Person {i}",
                record_type="complaint",
                record_id=i,
                record_label=f"C-{i:05d}",
                action="create",
                changes='{"note": "logged"}',
                prev_hash=f"{i:064x}",
                hash=f"{i + 1:064x}",
            )
            for i in rng
        ],
    )


def alerts(ctx: dict, rng: range) -> None:
    insert(
        Alert,
        [
            dict(
                user_id=ctx["user"],
                event="complaint.logged",
                priority="high" if i % 5 == 0 else "normal",
                title=f"Complaint C-{i:05d} logged",
                url=f"/complaints/{i}",
                read_at=NOW if i % 2 else None,
            )
            for i in rng
        ],
    )


def mails(ctx: dict, rng: range) -> None:
    insert(
        OutboxMessage,
        [
            dict(
                event="complaint.logged",
                to_address=f"p{i}@example.com",
                subject=f"Complaint {i}",
                body_text="Text.",
                message_id=f"<m{i}@lotline>",
                status=("pending", "sent", "failed")[i % 3],
                last_error="Connection refused" if i % 3 == 2 else None,
            )
            for i in rng
        ],
    )


def alert_rules(ctx: dict, rng: range) -> None:
    named = people(rng, "named")
    ids = insert(
        AlertRule,
        [dict(name=f"Rule {i}", event="complaint.logged", roles="production,admin", min_severity=3) for i in rng],
    )
    link(alert_rule_users, [dict(rule_id=r, user_id=u) for r, u in zip(ids, named, strict=True)])


def users(ctx: dict, rng: range) -> None:
    people(rng, "staff")


# The pages ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Page:
    name: str
    role: str
    rows: Callable[[dict, range], object]
    urls: tuple[str, ...]  # formatted with the context: {recall}, {root}
    csv: tuple[str, ...] = ()
    setup: Callable[[dict], None] | None = None


PAGES = [
    Page(
        "complaints.list",
        "sales",
        complaints,
        (
            "/complaints/",
            "/complaints/?page=2",
            "/complaints/?q=C-&status=triaged&category=foreign_matter&sort=customer",
        ),
        ("/complaints/export.csv", "/complaints/export.csv?sort=-risk&q=C-"),
    ),
    Page(
        "incidents.list",
        "production",
        incidents,
        ("/incidents/", "/incidents/?page=2", "/incidents/?q=INC&status=open"),
        ("/incidents/export.csv", "/incidents/export.csv?status=open"),
    ),
    Page("incidents.clusters", "production", clusters, ("/incidents/clusters",), setup=root_lot),
    Page(
        "capa.list",
        "production",
        actions,
        ("/actions/", "/actions/?page=2", "/actions/?q=ACT&status=planned&kind=corrective&overdue=1&sort=-reference"),
        ("/actions/export.csv", "/actions/export.csv?overdue=1"),
    ),
    Page("capa.mine", "production", lambda ctx, rng: actions(ctx, rng, owner=ctx["user"]), ("/actions/mine",)),
    Page(
        "trace.lots",
        "production",
        lambda ctx, rng: lots(rng),
        ("/lots/", "/lots/?page=2", "/lots/?q=L&status=released&kind=finished&produced_from=2025-01-01"),
        ("/lots/?format=csv", "/lots/?format=csv&q=L"),
    ),
    Page(
        "trace.forward",
        "production",
        forward_trace,
        ("/lots/trace?root={root}",),
        ("/lots/trace.csv?root={root}",),
        setup=root_lot,
    ),
    Page(
        "recalls.list",
        "marketing",
        recalls,
        ("/recalls/", "/recalls/?page=2", "/recalls/?q=RC&status=approved&classification=II&sort=reference"),
        ("/recalls/?format=csv", "/recalls/?format=csv&status=approved"),
    ),
    Page(
        "recalls.notices",
        "marketing",
        notices,
        (
            "/recalls/{recall}/notices",
            "/recalls/{recall}/notices?page=2",
            "/recalls/{recall}/notices?responded=no&q=Consignee",
            "/recalls/{recall}/notices?state=sent",
        ),
        ("/recalls/{recall}/notices?format=csv", "/recalls/{recall}/notices?format=csv&responded=no"),
        setup=one_recall,
    ),
    Page("recalls.effectiveness", "marketing", notices, ("/recalls/{recall}/effectiveness",), setup=one_recall),
    Page(
        "press.inquiries",
        "marketing",
        inquiries,
        (
            "/press/inquiries/",
            "/press/inquiries/?page=2",
            "/press/inquiries/?q=Outlet&status=received&channel=email&sort=-received",
        ),
        ("/press/inquiries/?format=csv", "/press/inquiries/?format=csv&overdue=1"),
    ),
    Page(
        "press.statements",
        "marketing",
        statements,
        (
            "/press/statements/",
            "/press/statements/?page=2",
            "/press/statements/?q=Holding&status=approved&kind=holding&sort=reference",
        ),
        ("/press/statements/?format=csv", "/press/statements/?format=csv&kind=holding"),
    ),
    Page("admin.users", "admin", users, ("/admin/users",)),
    Page(
        "admin.products",
        "admin",
        lambda ctx, rng: products(rng),
        ("/admin/products", "/admin/products?page=2", "/admin/products?q=P-"),
        ("/admin/products?format=csv",),
    ),
    Page(
        "admin.customers",
        "sales",
        lambda ctx, rng: customers(rng),
        ("/admin/customers", "/admin/customers?page=2", "/admin/customers?q=Customer"),
        ("/admin/customers?format=csv",),
    ),
    Page(
        "admin.audit",
        "admin",
        audit_events,
        ("/admin/audit", "/admin/audit?page=2", "/admin/audit?q=C-&record_type=complaint"),
    ),
    Page("alerts.inbox", "production", alerts, ("/alerts/", "/alerts/?page=2", "/alerts/?show=unread")),
    Page(
        "alerts.mail",
        "admin",
        mails,
        ("/alerts/mail", "/alerts/mail?page=2", "/alerts/mail?status=failed&event=complaint.logged&q=example"),
        ("/alerts/mail?format=csv", "/alerts/mail?format=csv&status=sent"),
    ),
    Page("alerts.rules", "admin", alert_rules, ("/alerts/rules",)),
]


# Counting -----------------------------------------------------------------------------------


def count_queries(client, url: str) -> tuple[int, list[str], object]:
    """Statements one request runs, on a fresh session as a real request gets (the test's
    app context is reused by every request, so its identity map would hide lazy loads)."""
    db.session.remove()
    statements: list[str] = []

    def record(conn, cursor, statement, *args):
        statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", record)
    try:
        response = client.get(url)
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", record)
    assert response.status_code == 200, (url, response.status_code)
    return len(statements), statements, response


def csv_records(response) -> int:
    assert response.mimetype == "text/csv"
    return len(list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))) - 1


def measure(client, page: Page, ctx: dict, rows: int) -> dict[str, tuple[int, list[str]]]:
    """{url: (count, statements)} for the page's URLs and exports; the first export of a page is
    unfiltered: every row must be in it."""
    found = {}
    for url in page.urls:
        n, statements, _ = count_queries(client, url.format(**ctx))
        found[url] = (n, statements)
    for position, url in enumerate(page.csv):
        n, statements, response = count_queries(client, url.format(**ctx))
        if position == 0:
            assert csv_records(response) >= rows, url
        found[url] = (n, statements)
    return found


def grow(page: Page, ctx: dict, rows: range) -> None:
    page.rows(ctx, rows)
    db.session.commit()


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_list_page_query_count_does_not_grow_with_rows(app, login_as, page):
    client = login_as(page.role)
    ctx = {"user": client.user.id}
    if page.setup:
        page.setup(ctx)
    grow(page, ctx, range(SMALL))
    small = measure(client, page, ctx, SMALL)
    grow(page, ctx, range(SMALL, LARGE))
    large = measure(client, page, ctx, LARGE)

    problems = []
    for url, (n_small, _) in small.items():
        n_large, statements = large[url]
        print(f"{page.name:22} {url.format(**ctx):75} {n_small:3} {n_large:3}")  # the table in `pytest -s`
        # Pages: the same count. Exports: at most MAX_QUERIES (reading in batches would be fine).
        grew = n_large != n_small and url in page.urls
        if grew or n_large > MAX_QUERIES:
            problems.append(f"{url}: {n_small} statements with {SMALL} rows, {n_large} with {LARGE}:")
            problems += [f"   {statement[:160]}" for statement in statements]
    assert not problems, "\n".join(problems)
