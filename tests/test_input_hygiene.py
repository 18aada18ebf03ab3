"""Input hygiene (issue 17, point 5): control characters and direction overrides are refused
in one place (app/hygiene.py) by every form's text fields and by both CSV importers, which also
refuse a quote left open that swallows the lines after it."""

import importlib
import io
import pkgutil

import pytest
import sqlalchemy as sa
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms import PasswordField, StringField, TextAreaField

import app as app_package
from app import hygiene
from app.extensions import db
from app.imports.services import run_import
from app.models import Complaint, Customer, Lot, PressInquiry, Product, Recall, RecallNotice
from app.recalls import services as recalls
from app.recalls import tokens
from app.web.forms import AppForm, CleanText, QuantityField
from tests import factories
from tests.factories import PASSWORD, RECALL_DATA

RLO = "\u202e"  # right-to-left override: "photo\u202egpj.exe" shows as "photoexe.jpg"


# --- the rule -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "kind", "fragment"),
    [
        ("Acme\nInc", "line", "line break"),
        ("Acme\r\nInc", "line", "line break"),
        ("Acme\u2028Inc", "line", "line break"),
        ("Acme\tInc", "line", "tab"),
        ("Acme\x07", "line", "control character U+0007"),
        ("Acme\x7f", "line", "control character U+007F"),
        ("Acme\x9b", "line", "control character U+009B"),
        ("Acme" + RLO + "cnI", "line", "text-direction character U+202E"),
        ("a\u2066b", "line", "U+2066"),
        ("a\u2069b", "text", "U+2069"),
        ("a\u202ab", "text", "U+202A"),
        ("L24\u200b117", "line", "invisible character U+200B"),
        ("L24\u200e117", "line", "invisible character U+200E"),
        ("L24\u200f117", "code", "invisible character U+200F"),
        ("L24\ufeff117", "line", "invisible character U+FEFF"),
        ("L24\u200d117", "code", "invisible character U+200D"),
        ("one\ntwo\x1b[31m", "text", "control character U+001B"),
    ],
)
def test_refused_characters_are_named(value, kind, fragment):
    message = hygiene.problem(value, kind)
    assert message is not None and fragment in message


def test_the_message_says_where_the_character_is():
    assert "(character 5)" in hygiene.problem("Acme\tInc")


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        ("Fresh Mart GmbH & Co. KG", "line"),
        ("Müller – Bäckerei «Süd»", "line"),
        ("مرحبا بالعالم", "line"),
        ("שלום 123", "line"),
        ("👨\u200d👩\u200d👧 family pack", "line"),  # zero-width joiners inside an emoji
        ("می\u200cخواهم", "line"),  # Persian needs the zero-width non-joiner
        ("Line one\nLine two\r\n\tindented", "text"),
        ("L24-117", "code"),
        ("", "line"),
        (None, "line"),
    ],
)
def test_ordinary_text_passes(value, kind):
    assert hygiene.problem(value, kind) is None


# --- every form -----------------------------------------------------------------------------


def _all_form_classes() -> list[type]:
    for module in pkgutil.walk_packages(app_package.__path__, "app."):
        importlib.import_module(module.name)
    found, todo = set(), [FlaskForm]
    while todo:
        for sub in todo.pop().__subclasses__():
            if sub.__module__.startswith("app.") and sub not in found:
                found.add(sub)
                todo.append(sub)
    return sorted(found, key=lambda c: f"{c.__module__}.{c.__qualname__}")


def test_every_form_of_the_app_is_an_app_form():
    forms = _all_form_classes()
    assert len(forms) > 40
    assert [f"{c.__module__}.{c.__qualname__}" for c in forms if not issubclass(c, AppForm)] == []


@pytest.mark.parametrize("form_class", _all_form_classes(), ids=lambda c: f"{c.__module__}.{c.__qualname__}")
def test_every_text_field_of_every_form_refuses_hostile_characters(app, form_class):
    with app.test_request_context(method="POST"):
        form = form_class(formdata=MultiDict(), meta={"csrf": False})
        text_fields = {
            name: field
            for name, field in form._fields.items()
            if isinstance(field, StringField)
            and not isinstance(field, PasswordField | QuantityField)
            and name != "csrf_token"
        }
        for name, field in text_fields.items():
            kinds = [v.kind for v in field.validators if isinstance(v, CleanText)]
            assert kinds == ["text" if isinstance(field, TextAreaField) else "line"], name
        quantities = [name for name, field in form._fields.items() if isinstance(field, QuantityField)]
        if not text_fields and not quantities:
            return
        # Each text field posted with an override (and single lines with a line break) is refused.
        data = MultiDict({name: f"x{RLO}y" for name in [*text_fields, *quantities]})
        form = form_class(formdata=data, meta={"csrf": False})
        for name in text_fields:
            field = form[name]
            field.validate(form)
            assert any("U+202E" in m for m in field.errors), (name, field.errors)
        # Quantity fields read digits and one separator only (models.quantity): refused too.
        for name in quantities:
            assert form[name].data is None and not form[name].validate(form), name


# --- through the pages ----------------------------------------------------------------------


def _count(model) -> int:
    db.session.expire_all()
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


@pytest.mark.parametrize(
    ("field", "value", "fragment"),
    [
        ("new_customer_name", "Evil\u202eCorp", "text-direction character U+202E"),
        ("complainant_name", "Pat\r\nBcc: x@example.com", "line break"),
        ("complainant_contact", "555\t0100", "tab"),
        ("lot_codes", "L24\u200b117", "invisible character U+200B"),
        ("description", "Plastic\x1b[2J in the bag", "control character U+001B"),
        ("description", "Plastic \u2067in the bag", "U+2067"),
    ],
)
def test_a_complaint_with_hostile_characters_is_refused_and_says_what_to_fix(login_as, field, value, fragment):
    client = login_as("sales")
    data = factories.complaint_data(received_at="2026-01-05T10:00", customer_id="", new_customer_name="Fresh Mart")
    data = {k: v for k, v in data.items() if v is not None and v is not False}
    before = _count(Complaint), _count(Customer)
    response = client.post("/complaints/new", data={**data, field: value})
    assert response.status_code == 422
    assert fragment in response.get_data(as_text=True)
    assert (_count(Complaint), _count(Customer)) == before


def test_a_description_keeps_its_line_breaks(login_as):
    client = login_as("sales")
    data = factories.complaint_data(received_at="2026-01-05T10:00")
    data = {k: v for k, v in data.items() if v is not None and v is not False}
    response = client.post("/complaints/new", data={**data, "description": "Line one\r\nLine two\n\tthree"})
    assert response.status_code == 302
    assert db.session.scalar(sa.select(Complaint.description)) == "Line one\r\nLine two\n\tthree"


def test_a_recall_title_with_a_line_break_is_refused(login_as):
    client = login_as(("marketing", "production"))
    lot = factories.make_lot()
    incident = factories.make_incident()
    data = {k: ("y" if v is True else v) for k, v in RECALL_DATA.items() if v not in (None, False)}
    response = client.post(
        f"/recalls/propose?incident={incident.id}",
        data={**data, "title": "Metal\nfragments", "incident_id": str(incident.id), "lot": [str(lot.id)]},
    )
    assert response.status_code in (400, 422)
    assert "line break" in response.get_data(as_text=True)
    assert _count(Recall) == 0


def test_a_journalist_name_with_an_override_is_refused(login_as):
    client = login_as("marketing")
    data = {"outlet": "Daily Courier", "journalist": f"Jo {RLO}retroper", "channel": "phone", "question": "Safe?"}
    response = client.post("/press/inquiries/new", data={**data, "incident_id": "0", "recall_id": "0"})
    assert response.status_code == 422
    assert "U+202E" in response.get_data(as_text=True)
    assert _count(PressInquiry) == 0


def test_a_product_sku_with_a_zero_width_space_is_refused(login_as):
    client = login_as("admin")
    response = client.post(
        "/admin/products/new", data={"sku": "GR\u200b-500", "name": "Granola", "unit": "case", "kind": "finished"}
    )
    assert response.status_code == 422
    assert "U+200B" in response.get_data(as_text=True)
    assert _count(Product) == 0


@pytest.fixture
def notice(app):
    plant = factories.make_plant()
    recall = recalls.propose(plant["incident"], RECALL_DATA, [plant["raw"].id], plant["proposer"])
    recalls.approve(recall, factories.make_user(("marketing",)), "approved", PASSWORD)
    db.session.commit()
    return db.session.scalar(sa.select(RecallNotice).where(RecallNotice.consignee_id == plant["shop1"].id))


@pytest.mark.parametrize(
    ("field", "value", "fragment"),
    [
        ("response_by", "Ann\nBuyer", "line break"),
        ("response_by", f"Ann {RLO}reyuB", "U+202E"),
        ("response_comment", "Pulled\x08\x08\x08 from the shelf", "U+0008"),
    ],
)
def test_the_public_response_form_refuses_hostile_characters(client, notice, field, value, fragment):
    form = dict(
        confirm_receipt="y",
        quantity_on_hand="4",
        quantity_returned="6",
        quantity_destroyed="0",
        distributed_further="no",
        response_by="Ann Buyer",
        response_comment="Pulled from the shelf.",
    )
    response = client.post(f"/respond/{tokens.token_for(notice)}", data={**form, field: value})
    assert response.status_code == 422
    assert fragment in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(RecallNotice, notice.id).responded_at is None


# --- CSV imports ----------------------------------------------------------------------------


def _upload(client, kind: str, content: str):
    return client.post(
        f"/admin/{kind}s/import",
        data={"file": (io.BytesIO(content.encode("utf-8")), "data.csv")},
        content_type="multipart/form-data",
    )


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        ("name,kind\nFresh Mart,retailer\nEvil\u202eCorp,retailer\n", "Line 3, name: Remove the invisible text-"),
        ("name,address\nFresh Mart,1 Main\tSt\n", "Line 2, address: Remove the tab"),
        ('name,kind\n"Fresh\nMart",retailer\n', "Line 2: a quote opened on this line is not closed on it"),
        (
            'name,kind\nFresh Mart,retailer\n"Northwind,distributor\nCorner Shop,retailer\nKiosk,other\n',
            "Line 3: a quote opened on this line is never closed, so the rest of the file",
        ),
        (
            'name,kind\nFresh Mart,retailer\n\nNorth"wind,"distributor\nCorner Shop,retailer\nKiosk",other\n',
            "Line 4: a quote opened on this line is not closed on it, so lines 5 to 6",
        ),
    ],
)
def test_customer_import_refuses_hostile_cells_and_open_quotes_by_line(login_as, content, fragment):
    client = login_as("admin")
    response = _upload(client, "customer", content)
    assert response.status_code == 422
    assert fragment in response.get_data(as_text=True)
    assert _count(Customer) == 0


def test_a_quoted_comma_still_imports(login_as):
    client = login_as("admin")
    response = _upload(client, "customer", 'name,kind\n"Fresh Mart, Inc.",retailer\n')
    assert response.status_code == 302
    assert db.session.scalar(sa.select(Customer.name)) == "Fresh Mart, Inc."


def _bulk(kind: str, content: str):
    result = run_import(kind, io.BytesIO(content.encode("utf-8")), None, name=f"{kind}.csv")
    db.session.rollback()
    return result


LOT_HEADER = "lot_code,product_sku,kind,quantity,unit,produced_on,site,note\n"


@pytest.mark.parametrize(
    ("rows", "fragment"),
    [
        ("L\u200b-1,GR-500,finished,1,case,2024-01-01,,\n", "Line 2, lot_code: Remove the invisible character U+200B"),
        ("L-1,GR-500,finished,1,case,2024-01-01,Plant\u202eA,\n", "Line 2, site: Remove the invisible text-direction"),
        ("L-1,GR-500,finished,1,c\x1bse,2024-01-01,,\n", "Line 2, unit: Remove the control character U+001B"),
        (
            'L-1,GR-500,finished,1,case,2024-01-01,"Plant A,\nL-2,GR-500,finished,1,case,2024-01-01,,\n',
            "Line 2: a quote opened on this line is never closed, so the rest of the file",
        ),
        (
            'L-1,GR-500,finished,1,case,2024-01-01,"Plant A,\nL-2,GR-500,finished,1,case,2024-01-01,B",\n',
            "Line 2: a quote opened on this line is not closed on it, so line 3",
        ),
    ],
)
def test_lot_import_refuses_hostile_cells_and_open_quotes_by_line(app, rows, fragment):
    factories.make_product(sku="GR-500")
    result = _bulk("lots", LOT_HEADER + rows)
    assert not result.ok
    assert fragment in "\n".join(result.errors)
    assert _count(Lot) == 0


def test_a_quoted_multi_line_note_in_an_ignored_column_still_imports(app):
    # ERP exports carry notes over several lines in columns the import does not read.
    factories.make_product(sku="GR-500")
    content = LOT_HEADER + 'L-1,GR-500,finished,1,case,2024-01-01,Plant A,"first line\nsecond line"\n'
    result = run_import("lots", io.BytesIO(content.encode("utf-8")), None, name="lots.csv")
    assert result.ok, result.errors
