"""Complaint list: search, filters, sorting, pagination, CSV export."""

import csv
import io
from datetime import UTC, datetime

import pytest

from app.web import pagination
from tests import factories


@pytest.fixture
def listed(app):
    sales = factories.make_user(("sales",))
    granola = factories.make_product(sku="GR-500", name="Granola")
    bars = factories.make_product(sku="MB-12", name="Muesli bars")
    acme = factories.make_customer(name="Acme Foods")
    corner = factories.make_customer(name="Corner Shop")
    a = factories.make_complaint(
        actor=sales,
        product_id=granola.id,
        customer_id=acme.id,
        lot_codes="L24-117",
        description="Plastic shard",
        category="foreign_matter",
        injury=True,
        received_at=datetime(2026, 1, 10, 12, tzinfo=UTC),
    )
    b = factories.make_complaint(
        actor=sales,
        product_id=bars.id,
        customer_id=corner.id,
        lot_codes="L24-200",
        description="Torn wrapper",
        category="packaging",
        received_at=datetime(2026, 2, 20, 12, tzinfo=UTC),
    )
    c = factories.make_complaint(
        actor=sales,
        product_id=bars.id,
        customer_id=acme.id,
        lot_codes="L24-201",
        description="Stale taste 100% sure",
        category="taste_odor",
        received_at=datetime(2026, 3, 5, 12, tzinfo=UTC),
    )
    factories.triage(b, severity=5, probability=5)
    return {"a": a, "b": b, "c": c, "granola": granola, "bars": bars}


def refs(response):
    text = response.get_data(as_text=True)
    return [r for r in ("0001", "0002", "0003") if f"-{r}</a>" in text]


@pytest.mark.parametrize(
    "query, expected",
    [
        ({}, ["0001", "0002", "0003"]),
        ({"q": "acme"}, ["0001", "0003"]),
        ({"q": "L24-20"}, ["0002", "0003"]),
        ({"q": "shard"}, ["0001"]),
        ({"q": "-0002"}, ["0002"]),
        ({"q": "100%"}, ["0003"]),
        ({"q": "%"}, ["0003"]),  # LIKE wildcards are taken literally
        ({"q": "_"}, []),
        ({"status": "triaged"}, ["0002"]),
        ({"category": "packaging"}, ["0002"]),
        ({"injury": "1"}, ["0001"]),
        ({"date_from": "2026-02-01"}, ["0002", "0003"]),
        ({"date_to": "2026-02-20"}, ["0001", "0002"]),
    ],
)
def test_search_and_filters(app, login_as, listed, query, expected):
    response = login_as("marketing").get("/complaints/", query_string=query)
    assert response.status_code == 200
    assert refs(response) == expected


def test_filter_by_product(app, login_as, listed):
    response = login_as("sales").get("/complaints/", query_string={"product_id": listed["granola"].id})
    assert refs(response) == ["0001"]


@pytest.mark.parametrize(
    "query",
    [
        {"status": "nonsense"},
        {"category": "<script>"},
        {"product_id": "abc"},
        {"product_id": "99999999999999999999"},
        {"date_from": "31/12/2026"},
        {"sort": "password_hash"},
        {"page": "-1"},
        {"page": "999999999999"},
        {"q": "x" * 5000},
    ],
)
def test_bad_filters_never_fail(app, login_as, listed, query):
    response = login_as("sales").get("/complaints/", query_string=query)
    assert response.status_code == 200


def test_bad_filter_value_is_reported(app, login_as, listed):
    response = login_as("sales").get("/complaints/", query_string={"date_from": "31/12/2026"})
    assert "is not a date (use YYYY-MM-DD)" in response.get_data(as_text=True)


def test_sorting(app, login_as, listed):
    client = login_as("production")
    text = client.get("/complaints/", query_string={"sort": "received"}).get_data(as_text=True)
    assert text.index("-0001<") < text.index("-0002<") < text.index("-0003<")
    text = client.get("/complaints/", query_string={"sort": "-received"}).get_data(as_text=True)
    assert text.index("-0003<") < text.index("-0002<") < text.index("-0001<")
    text = client.get("/complaints/", query_string={"sort": "-risk"}).get_data(as_text=True)
    assert text.index("-0002<") < text.index("-0001<")


def test_pagination(make_app):
    app = make_app(PER_PAGE=2)
    with app.app_context():
        sales = factories.make_user(("sales",))
        for _ in range(5):
            factories.make_complaint(actor=sales)
        client = app.test_client()
        client.post("/auth/login", data={"username": sales.username, "password": "correct-horse-1"})
        first = client.get("/complaints/").get_data(as_text=True)
        third = client.get("/complaints/?page=3").get_data(as_text=True)
    assert "5 results" in first and "-0005<" in first and "-0001<" not in first
    assert "-0001<" in third and "-0005<" not in third


def test_empty_state(app, login_as):
    text = login_as("sales").get("/complaints/").get_data(as_text=True)
    assert "No complaints yet." in text and "Log the first one" in text


def test_csv_export_respects_filters_and_neutralises_formulas(app, login_as, listed):
    factories.make_complaint(description='=HYPERLINK("http://evil")', lot_codes="+L1")
    response = login_as("marketing").get("/complaints/export.csv", query_string={"q": "acme"})
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert [r["reference"][-4:] for r in rows] == ["0003", "0001"]
    assert rows[1]["injury"] == "yes" and rows[1]["product_sku"] == "GR-500"
    everything = login_as("sales").get("/complaints/export.csv").get_data(as_text=True)
    assert "'=HYPERLINK" in everything and "'+L1" in everything


def test_a_long_list_counts_only_ten_pages_past_the_current_one(make_app, monkeypatch):
    """The total is a floor ("5+") until the user pages near the end; filters count exactly."""
    monkeypatch.setattr(pagination, "COUNT_CAP", 5)
    monkeypatch.setattr(pagination, "PAGES_AHEAD", 2)
    app = make_app(PER_PAGE=2)
    with app.app_context():
        sales = factories.make_user(("sales",))
        for index in range(12):
            factories.make_complaint(actor=sales, injury=index < 3)
        client = app.test_client()
        client.post("/auth/login", data={"username": sales.username, "password": "correct-horse-1"})
        pages = {n: client.get(f"/complaints/?page={n}").get_data(as_text=True) for n in (1, 3, 5, 6)}
        injuries = client.get("/complaints/?injury=1").get_data(as_text=True)
    assert "5+ results (only this many are counted" in pages[1]
    assert '?page=3">3<' in pages[1] and '?page=4">' not in pages[1]  # pages known so far: 5 rows -> 3
    assert "8+ results" in pages[3] and '?page=4">4<' in pages[3]  # counted up to offset 4 + 2 pages
    assert "12 results" in pages[5] and "counted" not in pages[5]  # the end is in reach: exact
    assert "-0002<" in pages[6] and "-0001<" in pages[6] and "-0003<" not in pages[6]
    assert "3 results" in injuries and "+" not in injuries.split("results")[0][-5:]


@pytest.mark.parametrize("url", ["/complaints/?date_to=9999-12-31", "/complaints/export.csv?date_to=9999-12-31"])
def test_a_date_far_out_of_range_is_refused_with_a_message_not_a_500(app, login_as, url):
    client = login_as("sales")
    response = client.get(url)
    assert response.status_code == 200
    if "csv" not in url:
        assert "out of range" in response.get_data(as_text=True)
