"""Global search: every field of every kind, grouped counts, one kind page by page, roles
(sales finds approved words only), hostile input, and a query count that does not grow."""

import re
from datetime import date

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import (
    Complaint,
    ComplaintLot,
    Incident,
    Lot,
    Recall,
    Statement,
    StatementVersion,
)
from app.models.types import utcnow
from app.press import services as press
from app.search.query import MAX_LENGTH, fts5_match, parse, pg_tsquery
from tests import factories
from tests.factories import PASSWORD


def text_of(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))


def section(response, kind: str) -> str:
    """The text of one kind's section of the results page."""
    html = response.get_data(as_text=True)
    match = re.search(rf'<section[^>]*id="results-{kind}".*?</section>', html, re.S)
    assert match, f"no {kind} section"
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", match.group(0)))


def count_of(response, kind: str) -> str:
    return re.search(r"^\s*\S+\s+([\d,]+\+?)", section(response, kind)).group(1)


@pytest.fixture
def client(login_as):
    return login_as("production")


@pytest.fixture
def recall(app):
    lot = factories.make_lot(code="RC-LOT-1")
    recall = factories.make_recall(
        roots=[lot],
        title="Glass in jars",
        reason="Splinters of glass found by a consumer.",
        hazard="Cuts to mouth and throat.",
        classification="I",
        depth="consumer",
        public_warning=True,
        effectiveness_level="A",
        instructions="Stop selling and return the stock.",
    )
    return recall


def statement(author, title, body, kind="holding", **links):
    data = dict(kind=kind, title=title, body=body, incident_id=None, recall_id=None) | links
    made = press.create_statement(data, author)
    db.session.commit()
    return made


def approve(made, author, second):
    press.apply_statement_transition(made, "submit", {}, author)
    press.apply_statement_transition(made, "approve", {"meaning": "approved"}, second, PASSWORD)
    db.session.commit()


# Finding each field


def test_finds_a_complaint_by_reference_lot_code_customer_and_description(client):
    customer = factories.make_customer(name="Épicerie Marchand Zweig")
    complaint = factories.make_complaint(
        customer_id=customer.id, lot_codes="GR500-24339-071, occ2524339070", description="The bar tastes burnt."
    )
    factories.make_complaint(description="Something else entirely.")
    for q, field in [
        (complaint.reference, "Reference"),
        (complaint.reference.lower()[:8], "Reference"),
        ("GR500-24339-071", "Lot code"),
        ("gr500-2433", "Lot code"),  # prefix, any case
        ("OCC2524339070", "Lot code"),  # stored lower-case, found upper-case
        ("Zweig", "Customer"),
        ("marchand", "Customer"),
        ("burnt", "Description"),
        ("tastes bur", "Description"),  # every word, the last as a prefix
    ]:
        response = client.get("/search/", query_string={"q": q})
        assert response.status_code == 200, q
        found = section(response, "complaints")
        assert complaint.reference in found, q
        assert f"{field}:" in found, (q, found)
    assert "Something else" not in text_of(client.get("/search/?q=burnt"))
    # The link goes to the complaint's page.
    assert f'href="/complaints/{complaint.id}"' in client.get("/search/?q=burnt").get_data(as_text=True)


def test_finds_incidents_by_reference_title_and_description(client):
    incident = factories.make_incident(title="Metal shavings in muesli", description="Worn sieve on line 3.")
    for q in [incident.reference, "shavings", "muesli metal", "sieve"]:
        found = section(client.get("/search/", query_string={"q": q}), "incidents")
        assert incident.reference in found, q
    assert f'href="/incidents/{incident.id}"' in client.get("/search/?q=shavings").get_data(as_text=True)


def test_finds_lots_by_code_prefix_in_code_order(client):
    product = factories.make_product()
    for code in ["BND-24337-002", "BND-24337-001", "bnd-24338-001", "OTHER-1"]:
        factories.make_lot(code=code, product_id=product.id)
    found = section(client.get("/search/?q=bnd-2433"), "lots")
    assert re.search(r"BND-24337-001.*BND-24337-002.*bnd-24338-001", found)
    assert "OTHER-1" not in found and count_of(client.get("/search/?q=bnd-2433"), "lots") == "3"
    assert "1" == count_of(client.get("/search/?q=BND-24337-001"), "lots")
    assert "0" == count_of(client.get("/search/?q=24337"), "lots")  # a prefix, not a substring


def test_finds_recalls_by_reference_reason_and_hazard(client, recall):
    for q in [recall.reference, "splinters", "throat", "glass jars"]:
        found = section(client.get("/search/", query_string={"q": q}), "recalls")
        assert recall.reference in found, q
    assert f'href="/recalls/{recall.id}"' in client.get("/search/?q=splinters").get_data(as_text=True)


def test_finds_statements_by_reference_title_and_text(login_as):
    marketing = login_as("marketing")
    made = statement(marketing.user, "Precautionary withdrawal of granola", "We are recalling two lots of oats.")
    for q in [made.reference, "precautionary", "granola", "recalling oats"]:
        found = section(marketing.get("/search/", query_string={"q": q}), "statements")
        assert made.reference in found, q
    assert f'href="/press/statements/{made.id}"' in marketing.get("/search/?q=granola").get_data(as_text=True)


def test_rows_written_outside_the_orm_are_found(client):
    """Bulk imports bypass the ORM: the triggers (SQLite) or expression indexes (PostgreSQL) keep up."""
    user = factories.make_user(("production",))
    db.session.execute(
        sa.insert(Incident),
        [
            dict(
                reference="INC-2020-9999",
                title="Rusty bolts",
                description="Old",
                owner_id=user.id,
                created_by_id=user.id,
            )
        ],
    )
    db.session.commit()
    assert "INC-2020-9999" in section(client.get("/search/?q=rusty"), "incidents")
    db.session.execute(sa.update(Incident).where(Incident.reference == "INC-2020-9999").values(title="Shiny nuts"))
    db.session.commit()
    assert "INC-2020-9999" not in section(client.get("/search/?q=rusty"), "incidents")
    assert "INC-2020-9999" in section(client.get("/search/?q=shiny"), "incidents")
    db.session.execute(sa.delete(Incident).where(Incident.reference == "INC-2020-9999"))
    db.session.commit()
    assert count_of(client.get("/search/?q=shiny"), "incidents") == "0"


# Grouping, one kind, pages


def test_results_are_grouped_by_kind_with_counts(client, recall):
    for _ in range(7):
        factories.make_complaint(description="Glass splinter in the jar.")
    factories.make_incident(title="Glass in jars again")
    response = client.get("/search/?q=glass")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert [m for m in re.findall(r'id="results-(\w+)"', page)] == [
        "complaints",
        "incidents",
        "lots",
        "recalls",
        "statements",
    ]
    assert count_of(response, "complaints") == "7"
    assert count_of(response, "recalls") == "1"
    assert section(response, "complaints").count("Description:") == 5  # a preview of 5
    assert "Show all 7 complaints" in section(response, "complaints")
    assert "/search/?q=glass&amp;kind=complaints" in page


def test_one_kind_is_paged(client):
    user = factories.make_user(("sales",))
    customer = factories.make_customer()
    product = factories.make_product()
    bulk_complaints(60, user.id, customer.id, product.id, "Dented tins")
    first = client.get("/search/?q=dented&kind=complaints")
    assert first.status_code == 200 and 'id="results-incidents"' not in first.get_data(as_text=True)
    refs = re.findall(r"CMP-1999-\d+", section(first, "complaints"))
    assert len(refs) == 25 and refs[0] == "CMP-1999-0059"  # newest first
    third = client.get("/search/?q=dented&kind=complaints&page=3")
    assert re.findall(r"CMP-1999-\d+", section(third, "complaints")) == [f"CMP-1999-{n:04d}" for n in range(9, -1, -1)]
    assert "No more" in section(client.get("/search/?q=dented&kind=complaints&page=9"), "complaints")
    assert client.get("/search/?q=dented&kind=nonsense").status_code == 404


# Roles


def test_sales_finds_approved_words_only(login_as):
    marketing = login_as("marketing")
    second = factories.make_user(("marketing",))
    sales = login_as("sales")
    incident = factories.make_incident()
    draft = statement(marketing.user, "Draft about quokka", "Words nobody approved: wombat.")
    approved = statement(marketing.user, "Approved about koala", "Approved words: platypus.", incident_id=incident.id)
    approve(approved, marketing.user, second)
    press.edit_statement(
        approved,
        dict(kind="holding", title="Approved about koala", body="New draft words: echidna.", incident_id=incident.id),
        marketing.user,
    )
    db.session.commit()

    for q in ["wombat", "quokka", draft.reference, "echidna"]:
        assert count_of(sales.get("/search/", query_string={"q": q}), "statements") == "0", q
        assert count_of(marketing.get("/search/", query_string={"q": q}), "statements") == "1", q
    found = section(sales.get("/search/?q=platypus"), "statements")
    assert approved.reference in found and "echidna" not in found
    # Sales cannot open the statement page: the hit leads to the incident, where the words are shown.
    page = sales.get("/search/?q=platypus").get_data(as_text=True)
    assert f'href="/incidents/{incident.id}"' in page and "/press/statements/" not in page
    # A withdrawn statement is no longer found by sales.
    press.apply_statement_transition(approved, "withdraw", {"withdrawn_reason": "Over."}, marketing.user)
    db.session.commit()
    assert count_of(sales.get("/search/?q=platypus"), "statements") == "0"


@pytest.mark.parametrize("role", ["sales", "production", "marketing", "admin"])
def test_every_role_may_search(login_as, role):
    assert login_as(role).get("/search/?q=anything").status_code == 200


def test_anonymous_is_sent_to_sign_in(app):
    response = app.test_client().get("/search/?q=glass")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


# Bad input


@pytest.mark.parametrize(
    "q",
    [
        '"',
        '"unbalanced',
        "*",
        "**",
        "%",
        "%%",
        "_",
        "__",
        "NEAR(",
        "NEAR(a b)",
        "a AND",
        "OR OR",
        "NOT",
        "-",
        "--x",
        "()",
        "col:word",
        "^start",
        "'; drop table complaints; --",
        "a" * 5000,
        "word " * 1000,
        "\\",
        "'",
        "x' & !y",
        "Ω≈ç√",
        "😀😀",
        "a\tb\x01c",
    ],
)
def test_hostile_input_never_fails(client, q):
    factories.make_complaint(description="Plain words here.")
    response = client.get("/search/", query_string={"q": q})
    assert response.status_code in (200, 400), response.status_code
    assert db.session.scalar(sa.select(sa.func.count(Complaint.id))) == 1


def test_nul_byte_is_refused_clearly(client):
    response = client.get("/search/", query_string={"q": "ab\x00cd"})
    assert response.status_code == 400 and "NUL" in text_of(response)


def test_short_empty_and_long_queries_get_a_message(client):
    short = client.get("/search/?q=a")
    assert short.status_code == 400 and "at least 2 characters" in text_of(short)
    empty = client.get("/search/")
    assert empty.status_code == 200 and "Type a reference" in text_of(empty)
    long = client.get("/search/", query_string={"q": "burnt " + "x" * 300})
    assert long.status_code == 200 and f"first {MAX_LENGTH} characters" in text_of(long)


def test_found_text_is_escaped(client):
    factories.make_complaint(description="<script>alert('x')</script> sticky label")
    page = client.get("/search/?q=sticky").get_data(as_text=True)
    assert "<script>alert" not in page and "&lt;script&gt;" in page


def test_query_words_are_safe_for_both_full_text_syntaxes():
    query = parse('NEAR("a" b*) -c OR d\'e ^f col:g 24-117')
    assert query.words == ("near", "a", "b", "c", "or", "d", "e", "f")  # cut at 8 words
    assert fts5_match(query.words) == '"near"* "a" "b" "c" "or"* "d" "e" "f"'
    assert pg_tsquery(("24", "117")) == "'24':* & '117':*"
    assert parse("  GR500-24339  ").code == "GR500-24339"


# A fixed number of queries


def bulk_complaints(n, user_id, customer_id, product_id, text, start=0):
    now = utcnow()
    rows = [
        dict(
            reference=f"CMP-1999-{i:04d}",
            received_at=now,
            channel="phone",
            customer_id=customer_id,
            product_id=product_id,
            lot_codes=f"WIDGET-{i:04d}",
            description=f"{text} number {i}.",
            category="other",
            created_by_id=user_id,
        )
        for i in range(start, start + n)
    ]
    db.session.execute(sa.insert(Complaint), rows)
    ids = db.session.scalars(sa.select(Complaint.id).where(Complaint.reference.like("CMP-1999-%"))).all()
    existing = set(db.session.scalars(sa.select(ComplaintLot.complaint_id)).all())
    db.session.execute(
        sa.insert(ComplaintLot), [dict(complaint_id=i, lot_code="WIDGET-X") for i in ids if i not in existing]
    )
    db.session.commit()


def bulk_rows(n, start, user_id, customer_id, product_id):
    """n rows of every kind, all matching the word "widget", inserted in bulk (as imports do)."""
    bulk_complaints(n, user_id, customer_id, product_id, "Widget wobbles", start)
    db.session.execute(
        sa.insert(Lot),
        [
            dict(
                code=f"WIDGET-{i:05d}",
                product_id=product_id,
                kind="finished",
                quantity=1,
                unit="case",
                produced_on=date(2024, 1, 1),
            )
            for i in range(start, start + n)
        ],
    )
    db.session.execute(
        sa.insert(Incident),
        [
            dict(
                reference=f"INC-1999-{i:04d}",
                title=f"Widget {i}",
                description="Widget trouble.",
                owner_id=user_id,
                created_by_id=user_id,
            )
            for i in range(start, start + n)
        ],
    )
    incident_id = db.session.scalar(sa.select(sa.func.min(Incident.id)))
    db.session.execute(
        sa.insert(Recall),
        [
            dict(
                reference=f"RCL-1999-{i:04d}",
                incident_id=incident_id,
                title="Widget recall",
                reason="Widget",
                hazard="Widget",
                classification="II",
                depth="retail",
                effectiveness_level="C",
                remedy="refund",
                instructions="Return.",
                proposed_by_id=user_id,
            )
            for i in range(start, start + n)
        ],
    )
    db.session.execute(
        sa.insert(Statement),
        [
            dict(
                reference=f"STM-1999-{i:04d}",
                kind="holding",
                title="Widget words",
                body="About the widget.",
                author_id=user_id,
                created_by_id=user_id,
            )
            for i in range(start, start + n)
        ],
    )
    ids = db.session.scalars(sa.select(Statement.id).where(Statement.reference >= f"STM-1999-{start:04d}")).all()
    db.session.execute(
        sa.insert(StatementVersion),
        [
            dict(statement_id=i, number=1, title="Widget words", body="About the widget.", author_id=user_id)
            for i in ids
        ],
    )
    db.session.commit()


@pytest.mark.parametrize("role", ["marketing", "sales"])
def test_search_page_query_count_does_not_grow(login_as, role):
    client = login_as(role)
    user = factories.make_user(("marketing",))
    customer = factories.make_customer(name="Widget Wholesale")
    product = factories.make_product()
    statements: list[str] = []

    def record(*args):
        statements.append(args[2])

    def measure(url) -> int:
        statements.clear()
        sa.event.listen(db.engine, "before_cursor_execute", record)
        try:
            assert client.get(url).status_code == 200
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", record)
        return len(statements)

    bulk_rows(10, 0, user.id, customer.id, product.id)  # 10 of each kind, then 1,001
    small = {url: measure(url) for url in ["/search/?q=widget", "/search/?q=widget&kind=lots&page=2"]}
    response = client.get("/search/?q=widget")
    assert count_of(response, "lots") == "10" and count_of(response, "complaints") == "10"

    bulk_rows(991, 10, user.id, customer.id, product.id)
    for url, count in small.items():
        assert measure(url) == count, statements
        assert count <= 12, statements
    response = client.get("/search/?q=widget")
    assert count_of(response, "lots") == "1,000+" and count_of(response, "complaints") == "1,000+"
    assert count_of(response, "incidents") == "1,000+"
    assert count_of(response, "statements") == ("1,000+" if role == "marketing" else "0")  # drafts
