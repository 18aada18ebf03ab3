"""Lot pages, traces, holds and the common-cause view, as the roles use them."""

import csv
import io
import json

import pytest
import sqlalchemy as sa

from app.audit.verify import verify_chain
from app.extensions import db
from app.models import AuditEvent, Lot
from tests import factories


@pytest.fixture
def plant(app):
    """flour -> dough-1 -> bread-1, bread-2 ; flour -> dough-2 -> bread-3 ; salt -> dough-1."""
    flour = factories.make_lot("FLOUR-1", kind="raw")
    salt = factories.make_lot("SALT-1", kind="raw")
    d1 = factories.make_lot("DOUGH-1", kind="intermediate")
    d2 = factories.make_lot("DOUGH-2", kind="intermediate")
    b1, b2, b3 = (factories.make_lot(f"BREAD-{i}") for i in (1, 2, 3))
    for a, b in [(flour, d1), (flour, d2), (salt, d1), (d1, b1), (d1, b2), (d2, b3)]:
        factories.make_edge(a, b)
    shop = factories.make_customer("Shop A", email="a@shop.example")
    deli = factories.make_customer("Deli B")
    factories.make_shipment(b1, shop, 10, reference="BOL-1")
    factories.make_shipment(b3, deli, 5, reference="BOL-2")
    factories.make_shipment(b2, shop, 3, reference="=cmd")
    return {lot.code: lot.id for lot in (flour, salt, d1, d2, b1, b2, b3)}


def test_lot_page_shows_trees_shipments_consignees_and_complaints(app, login_as, plant):
    factories.make_complaint(lot_codes="BREAD-1, UNKNOWN-9")
    page = login_as("sales").get(f"/lots/{plant['DOUGH-1']}").get_data(as_text=True)
    assert "Upstream: made from" in page and "FLOUR-1" in page and "SALT-1" in page
    assert "BREAD-1" in page and "BREAD-2" in page and "BREAD-3" not in page
    assert "Shop A" in page and "Deli B" not in page
    bread = login_as("sales").get(f"/lots/{plant['BREAD-1']}").get_data(as_text=True)
    assert "CMP-" in bread and "BOL-1" in bread


def test_forward_trace_page_counts_lots_and_consignees(app, login_as, plant):
    page = login_as("production").get(f"/lots/trace?root={plant['FLOUR-1']}").get_data(as_text=True)
    assert "<strong>6</strong> lots affected" in page
    assert "<strong>2</strong> consignees" in page
    assert "Deli B" in page and "no email" in page  # Deli B has no email address


def test_trace_without_roots_sends_back_to_search(app, login_as):
    response = login_as("production").get("/lots/trace?root=abc&root=99999")
    assert response.status_code == 302


def test_trace_csv_is_fsma_style(app, login_as, plant):
    response = login_as("marketing").get(f"/lots/trace.csv?root={plant['FLOUR-1']}")
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    lots = [r for r in rows if r["event"] != "shipping"]
    ships = [r for r in rows if r["event"] == "shipping"]
    assert len(lots) == 6 and len(ships) == 3
    assert {r["traceability_lot_code"] for r in ships} == {"BREAD-1", "BREAD-2", "BREAD-3"}
    assert "'=cmd" in {r["reference_document"] for r in ships}  # formula neutralised


def hold(client, plant, **data):
    form = {"move": "hold", "scope": "all", "reason": "Flour supplier recall", "back": "/lots/", **data}
    return client.post("/lots/status", data=form)


def test_hold_every_traced_lot_in_one_audited_transaction(app, login_as, plant):
    client = login_as("production")
    response = hold(client, plant, root=str(plant["FLOUR-1"]))
    assert response.status_code == 302
    held = db.session.scalars(sa.select(Lot.code).where(Lot.status == "on_hold")).all()
    assert sorted(held) == ["BREAD-1", "BREAD-2", "BREAD-3", "DOUGH-1", "DOUGH-2", "FLOUR-1"]
    events = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "hold")).all()
    assert len(events) == 6
    assert json.loads(events[0].changes) == {
        "status": ["released", "on_hold"],
        "reason": [None, "Flour supplier recall"],
    }
    assert verify_chain().ok
    lot = db.session.get(Lot, plant["BREAD-1"])
    assert lot.status_reason == "Flour supplier recall" and lot.version == 2
    # holding again moves nothing and says so
    hold(client, plant, root=str(plant["FLOUR-1"]))
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent).where(AuditEvent.action == "hold")) == 6


def test_hold_chosen_lots_then_release(app, login_as, plant):
    client = login_as("production")
    chosen = [str(plant["BREAD-1"]), str(plant["BREAD-2"])]
    hold(client, plant, scope="chosen", lot=chosen)
    assert sorted(db.session.scalars(sa.select(Lot.code).where(Lot.status == "on_hold"))) == ["BREAD-1", "BREAD-2"]
    client.post("/lots/status", data={"move": "release", "scope": "chosen", "reason": "Lab clear", "lot": chosen})
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Lot).where(Lot.status == "on_hold")) == 0


@pytest.mark.parametrize("role", ["sales", "marketing", "admin"])
def test_only_production_changes_lot_status(app, login_as, plant, role):
    response = hold(login_as(role), plant, root=str(plant["FLOUR-1"]))
    assert response.status_code == 403
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Lot).where(Lot.status != "released")) == 0


@pytest.mark.parametrize(
    "data, message",
    [
        ({"reason": ""}, "Give the reason"),
        ({"scope": "chosen"}, "Choose at least one lot"),
        ({"move": "explode"}, "Not a valid choice"),
        ({"reason": "x" * 2001}, "2000"),
    ],
)
def test_bad_status_requests_change_nothing(app, login_as, plant, data, message):
    client = login_as("production")
    before = db.session.scalar(sa.select(sa.func.count(AuditEvent.id)))
    response = hold(client, plant, root=str(plant["FLOUR-1"]), **data)
    assert response.status_code == 302
    assert message in client.get("/lots/").get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Lot).where(Lot.status != "released")) == 0
    assert db.session.scalar(sa.select(sa.func.count(AuditEvent.id))) == before


def test_destroy_only_from_hold(app, login_as, plant):
    client = login_as("production")
    lot = [str(plant["BREAD-3"])]
    client.post("/lots/status", data={"move": "destroy", "scope": "chosen", "reason": "Incinerated", "lot": lot})
    assert db.session.get(Lot, plant["BREAD-3"]).status == "released"
    hold(client, plant, scope="chosen", lot=lot)
    client.post("/lots/status", data={"move": "destroy", "scope": "chosen", "reason": "Incinerated", "lot": lot})
    db.session.expire_all()
    assert db.session.get(Lot, plant["BREAD-3"]).status == "destroyed"


def test_common_cause_from_complaints(app, login_as, plant):
    c1 = factories.make_complaint(lot_codes="BREAD-1")
    c2 = factories.make_complaint(lot_codes="BREAD-3; NOPE-1")
    page = login_as("production").get(f"/lots/common-cause?complaint={c1.id}&complaint={c2.id}").get_data(as_text=True)
    assert "FLOUR-1" in page and "<strong>2</strong> of 2" in page
    assert "SALT-1" not in page  # feeds only BREAD-1
    assert "NOPE-1" in page  # unknown code is shown, not lost
    empty = login_as("sales").get("/lots/common-cause").get_data(as_text=True)
    assert "Tick two or more complaints" in empty


def test_complaint_page_links_known_lots(app, login_as, plant):
    complaint = factories.make_complaint(lot_codes="BREAD-2, GHOST-7")
    page = login_as("sales").get(f"/complaints/{complaint.id}").get_data(as_text=True)
    assert f"/lots/{plant['BREAD-2']}" in page and "GHOST-7" in page


@pytest.mark.parametrize(
    "query",
    [
        {"q": "BREAD"},
        {"q": "%"},
        {"status": "bogus"},
        {"product_id": "x"},
        {"produced_from": "nope"},
        {"format": "csv"},
        {"kind": "raw"},
        {"page": "0"},
    ],
)
def test_lot_search_never_fails(app, login_as, plant, query):
    response = login_as("sales").get("/lots/", query_string=query)
    assert response.status_code == 200


def test_lot_search_by_code_prefix(app, login_as, plant):
    page = login_as("sales").get("/lots/", query_string={"q": "DOUGH"}).get_data(as_text=True)
    assert "DOUGH-1" in page and "DOUGH-2" in page and "BREAD-1" not in page
