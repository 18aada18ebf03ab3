"""Choosing the customer of a complaint: a <select> on small plants, a typed name with
suggestions (and server-side resolution) above customers.SELECT_LIMIT."""

import re

import pytest
import sqlalchemy as sa

from app.complaints import customers
from app.extensions import db
from app.models import Complaint, Customer
from tests import factories
from tests.test_complaints import counts, form_data


@pytest.fixture
def search_mode(monkeypatch):
    """More customers than the <select> takes, without making thousands: lower the limit."""
    monkeypatch.setattr(customers, "SELECT_LIMIT", 2)


def add_customer(name):
    # Straight to the table: names that differ only in case are legal there (the constraint
    # is case-sensitive), and old imports hold such pairs.
    customer = Customer(name=name, kind="retailer")
    db.session.add(customer)
    db.session.commit()
    return customer


def search_data(product, typed, picked=None, **overrides):
    data = form_data(product, customer_name=typed, **overrides)
    data["customer_id"] = str(picked.id) if picked else ""
    return data


def test_few_customers_keep_the_select(app, login_as):
    for n in range(3):
        factories.make_customer(name=f"Shop {n}")
    page = login_as("sales").get("/complaints/new").get_data(as_text=True)
    assert re.search(r'<select[^>]*id="customer_id"', page)
    assert 'id="customer_name"' not in page and "customer_lookup.js" not in page
    assert ">Shop 2</option>" in page


def test_many_customers_get_a_search_field(app, login_as, search_mode):
    for n in range(3):
        factories.make_customer(name=f"Shop {n}")
    page = login_as("sales").get("/complaints/new").get_data(as_text=True)
    assert not re.search(r'<select[^>]*id="customer_id"', page)
    assert re.search(r'<input[^>]*id="customer_name"[^>]*list="customer-suggestions"', page)
    assert '<input type="hidden" id="customer_id" name="customer_id" value="">' in page
    assert 'data-lookup="/complaints/customers.json"' in page
    assert '<script src="/static/customer_lookup.js" defer></script>' in page
    assert "Shop 2" not in page  # no list of every customer


def test_edit_in_search_mode_starts_from_the_saved_customer(app, login_as, search_mode):
    client = login_as("sales")
    complaint = factories.make_complaint(actor=client.user)
    factories.make_customer(), factories.make_customer()
    page = client.get(f"/complaints/{complaint.id}/edit").get_data(as_text=True)
    assert re.search(rf'id="customer_name"[^>]*value="{re.escape(complaint.customer.name)}"', page)
    assert f'name="customer_id" value="{complaint.customer_id}"' in page


# The JSON lookup


def names(response):
    assert response.status_code == 200 and response.is_json
    return [c["name"] for c in response.get_json()["customers"]]


@pytest.mark.parametrize("role, status", [("sales", 200), ("production", 403), ("marketing", 403), ("admin", 403)])
def test_lookup_needs_the_complaint_permission(app, login_as, client, role, status):
    factories.make_customer(name="Northside Grocers")
    assert login_as(role).get("/complaints/customers.json?q=north").status_code == status
    assert client.get("/complaints/customers.json?q=north").status_code == 302  # anonymous: to login


def test_lookup_is_case_insensitive_contains_with_prefix_first(app, login_as):
    for name in ("Alpine Foods", "Northside Grocers", "Food Hall North", "Westend Deli"):
        factories.make_customer(name=name)
    client = login_as("sales")
    assert names(client.get("/complaints/customers.json?q=NORTH")) == ["Northside Grocers", "Food Hall North"]
    assert names(client.get("/complaints/customers.json?q=food")) == ["Food Hall North", "Alpine Foods"]
    found = client.get("/complaints/customers.json?q=westend").get_json()["customers"]
    assert found == [{"id": db.session.scalar(sa.select(Customer.id).where(Customer.name == "Westend Deli")),
                      "name": "Westend Deli"}]  # fmt: skip
    assert names(client.get("/complaints/customers.json?q=n")) == []  # one letter: too short
    assert names(client.get("/complaints/customers.json")) == []


def test_lookup_takes_like_wildcards_literally(app, login_as):
    for name in ("50% Off Foods", "5000 Foods", "A_B Deli", "AxB Deli", "Back\\slash Ltd", "Backslash Ltd"):
        factories.make_customer(name=name)
    client = login_as("sales")
    assert names(client.get("/complaints/customers.json", query_string={"q": "50%"})) == ["50% Off Foods"]
    assert names(client.get("/complaints/customers.json", query_string={"q": "a_b"})) == ["A_B Deli"]
    assert names(client.get("/complaints/customers.json", query_string={"q": "k\\s"})) == ["Back\\slash Ltd"]
    assert names(client.get("/complaints/customers.json", query_string={"q": "%%"})) == []
    hostile = "'; DROP TABLE customers; --"
    assert names(client.get("/complaints/customers.json", query_string={"q": hostile})) == []
    assert names(client.get("/complaints/customers.json", query_string={"q": "x" * 5000})) == []
    assert db.session.scalar(sa.select(sa.func.count(Customer.id))) == 6


def test_lookup_answers_at_most_twenty(app, login_as):
    for n in range(25):
        factories.make_customer(name=f"Corner Shop {n:02}")
    found = names(login_as("sales").get("/complaints/customers.json?q=corner"))
    assert found == [f"Corner Shop {n:02}" for n in range(customers.LOOKUP_LIMIT)]


# Resolving what was typed (also what happens without JS)


def test_a_picked_suggestion_is_used(app, login_as, search_mode):
    product, target = factories.make_product(), factories.make_customer(name="Northside Grocers")
    factories.make_customer(name="Northside Grocers East")
    client = login_as("sales")
    response = client.post("/complaints/new", data=search_data(product, "Northside Grocers", picked=target))
    assert response.status_code == 302
    assert db.session.scalar(sa.select(Complaint)).customer_id == target.id


def test_one_customer_of_that_name_any_case_is_used_without_an_id(app, login_as, search_mode):
    product, target = factories.make_product(), factories.make_customer(name="Northside Grocers")
    factories.make_customer(), factories.make_customer()
    client = login_as("sales")
    response = client.post("/complaints/new", data=search_data(product, "  northside   GROCERS "))
    assert response.status_code == 302
    assert db.session.scalar(sa.select(Complaint)).customer_id == target.id


def test_a_picked_id_that_no_longer_matches_the_text_is_ignored(app, login_as, search_mode):
    # Picked "Alpine Foods", then typed another customer's name over it (or JS was off).
    product = factories.make_product()
    alpine, westend = factories.make_customer(name="Alpine Foods"), factories.make_customer(name="Westend Deli")
    factories.make_customer()
    client = login_as("sales")
    assert client.post("/complaints/new", data=search_data(product, "Westend Deli", picked=alpine)).status_code == 302
    assert db.session.scalar(sa.select(Complaint)).customer_id == westend.id


def error_of(page: str, field: str) -> str:
    """The message announced for `field`: the input points at it and is marked invalid."""
    assert re.search(rf'<input[^>]*aria-describedby="{field}-error"[^>]*aria-invalid="true"[^>]*id="{field}"', page)
    return re.search(rf'id="{field}-error" role="alert">([^<]*)<', page).group(1)


def test_no_customer_of_that_name_is_refused_next_to_the_field(app, login_as, search_mode):
    product = factories.make_product()
    for name in ("Northside Grocers", "Northside Grocers East", "Alpine Foods"):
        factories.make_customer(name=name)
    client = login_as("sales")
    before = counts()
    response = client.post("/complaints/new", data=search_data(product, "Northside"))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    message = error_of(page, "customer_name")
    assert "No customer named “Northside”" in message and "…or a new customer" in message
    assert 'value="Northside"' in page  # what was typed is kept
    # Without JS, the suggestions come with the page: the names that contain what was typed.
    assert re.findall(r'<option value="([^"]*)" data-id="\d+">', page) == [
        "Northside Grocers",
        "Northside Grocers East",
    ]
    assert counts() == before


def test_several_customers_of_that_name_ask_to_pick_one(app, login_as, search_mode):
    product = factories.make_product()
    upper, mixed = add_customer("ACME Foods"), add_customer("Acme Foods")
    factories.make_customer()
    client = login_as("sales")
    before = counts()
    response = client.post("/complaints/new", data=search_data(product, "acme foods"))
    assert response.status_code == 422
    assert "2 customers are named “acme foods”" in error_of(response.get_data(as_text=True), "customer_name")
    assert "pick the one you mean from the suggestions" in response.get_data(as_text=True)
    assert counts() == before
    # The name exactly as one of them is written, or a picked suggestion, settles it.
    assert client.post("/complaints/new", data=search_data(product, "Acme Foods")).status_code == 302
    assert client.post("/complaints/new", data=search_data(product, "acme foods", picked=upper)).status_code == 302
    assert db.session.scalars(sa.select(Complaint.customer_id).order_by(Complaint.id)).all() == [mixed.id, upper.id]


def test_an_empty_customer_is_refused_next_to_the_field(app, login_as, search_mode):
    product = factories.make_product()
    factories.make_customer(), factories.make_customer(), factories.make_customer()
    client = login_as("sales")
    before = counts()
    response = client.post("/complaints/new", data=search_data(product, "  "))
    assert response.status_code == 422
    assert "Type the customer&#39;s name" in error_of(response.get_data(as_text=True), "customer_name")
    assert counts() == before


def test_a_new_customer_is_still_created_in_search_mode(app, login_as, search_mode):
    product = factories.make_product()
    factories.make_customer(), factories.make_customer(), factories.make_customer()
    client = login_as("sales")
    response = client.post("/complaints/new", data=search_data(product, "", new_customer_name="Brand New Deli"))
    assert response.status_code == 302
    assert db.session.scalar(sa.select(Complaint)).customer.name == "Brand New Deli"


@pytest.mark.parametrize("bad_id", ["abc", "-1", "0", "9" * 30, "²", "1.5"])
def test_a_bad_hidden_id_is_no_id_not_a_500(app, login_as, search_mode, bad_id):
    product, target = factories.make_product(), factories.make_customer(name="Westend Deli")
    factories.make_customer(), factories.make_customer()
    client = login_as("sales")
    data = search_data(product, "Westend Deli", customer_id=bad_id)
    data["customer_id"] = bad_id
    assert client.post("/complaints/new", data=data).status_code == 302
    assert db.session.scalar(sa.select(Complaint)).customer_id == target.id


def test_an_oversized_name_is_refused(app, login_as, search_mode):
    product = factories.make_product()
    factories.make_customer(), factories.make_customer(), factories.make_customer()
    client = login_as("sales")
    before = counts()
    response = client.post("/complaints/new", data=search_data(product, "N" * 201))
    assert response.status_code == 422
    assert "200" in error_of(response.get_data(as_text=True), "customer_name")
    assert counts() == before


def test_edit_in_search_mode_changes_the_customer_by_name(app, login_as, search_mode):
    client = login_as("sales")
    complaint = factories.make_complaint(actor=client.user)
    other = factories.make_customer(name="Westend Deli")
    factories.make_customer()
    data = search_data(complaint.product, "westend deli", version=str(complaint.version))
    data["customer_id"] = str(complaint.customer_id)  # the hidden id the page came with, stale now
    assert client.post(f"/complaints/{complaint.id}/edit", data=data).status_code == 302
    db.session.refresh(complaint)
    assert complaint.customer_id == other.id
    # A refused edit changes nothing.
    before = counts()
    data = search_data(complaint.product, "Nobody Ltd", version=str(complaint.version))
    response = client.post(f"/complaints/{complaint.id}/edit", data=data)
    assert response.status_code == 422 and "No customer named “Nobody Ltd”" in response.get_data(as_text=True)
    db.session.refresh(complaint)
    assert complaint.customer_id == other.id and counts() == before
