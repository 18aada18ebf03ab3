"""Products and customers: admin create/edit, lists, search, CSV export and CSV import."""

import csv
import io

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import AuditEvent, Customer, Product
from tests import factories
from tests.factories import sign_in

HOSTILE = "<script>alert(1)</script>"
HOSTILE_ESCAPED = b"&lt;script&gt;alert(1)&lt;/script&gt;"
NON_ADMINS = ["sales", "production", "marketing"]


def counts() -> tuple[int, int, int]:
    """(products, customers, audit events): what 'the database is unchanged' compares."""
    db.session.expire_all()
    return tuple(db.session.scalar(sa.select(sa.func.count(model.id))) for model in (Product, Customer, AuditEvent))


def product(sku: str) -> Product | None:
    db.session.expire_all()
    return db.session.scalar(sa.select(Product).where(Product.sku == sku))


def customer(name: str) -> Customer | None:
    db.session.expire_all()
    return db.session.scalar(sa.select(Customer).where(Customer.name == name))


def events(record_type: str) -> list[AuditEvent]:
    return list(
        db.session.scalars(sa.select(AuditEvent).where(AuditEvent.record_type == record_type).order_by(AuditEvent.id))
    )


def product_form(**overrides) -> dict:
    data = {"sku": "GR-500", "name": "Granola 500 g", "unit": "bag", "kind": "finished", "version": ""}
    data.update(overrides)
    return data


def customer_form(**overrides) -> dict:
    data = {
        "name": "Fresh Mart #12",
        "kind": "retailer",
        "email": "store12@freshmart.example",
        "phone": "555-0100",
        "address": "12 Main St",
        "country": "us",
        "version": "",
    }
    data.update(overrides)
    return data


def upload(client, kind: str, content: bytes | str, filename: str = "data.csv"):
    if isinstance(content, str):
        content = content.encode("utf-8")
    return client.post(
        f"/admin/{kind}s/import",
        data={"file": (io.BytesIO(content), filename)},
        content_type="multipart/form-data",
    )


def read_csv(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))


# --- products: create and edit -------------------------------------------------------------


def test_admin_creates_product(login_as):
    admin = login_as("admin")
    assert admin.get("/admin/products/new").status_code == 200

    response = admin.post("/admin/products/new", data=product_form())

    assert response.status_code == 302
    assert response.headers["Location"].endswith("/admin/products")
    saved = product("GR-500")
    assert (saved.name, saved.unit, saved.kind) == ("Granola 500 g", "bag", "finished")
    [event] = events("product")
    assert (event.action, event.record_id, event.record_label) == ("created", saved.id, "GR-500")
    assert event.actor_id == admin.user.id
    listing = admin.get("/admin/products")
    assert b"Product GR-500 saved." in listing.data
    assert b"Granola 500 g" in listing.data


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"sku": ""}, "This field is required."),
        ({"sku": "   "}, "This field is required."),
        ({"sku": "GR 500"}, "No spaces, commas or semicolons."),
        ({"sku": "GR,500"}, "No spaces, commas or semicolons."),
        ({"sku": "S" * 65}, "Field cannot be longer than 64 characters."),
        ({"name": ""}, "This field is required."),
        ({"name": "n" * 201}, "Field cannot be longer than 200 characters."),
        ({"unit": ""}, "This field is required."),
        ({"unit": "u" * 21}, "Field cannot be longer than 20 characters."),
        ({"kind": "weapon"}, "Not a valid choice."),
        ({"kind": ""}, "This field is required."),
    ],
)
def test_invalid_product_is_refused(login_as, overrides, message):
    admin = login_as("admin")
    before = counts()

    response = admin.post("/admin/products/new", data=product_form(**overrides))

    assert response.status_code == 422
    assert message.encode() in response.data
    assert b"Please correct the" in response.data
    assert counts() == before


@pytest.mark.parametrize("sku", ["GR-500", "gr-500"])
def test_duplicate_sku_is_refused(login_as, sku):
    admin = login_as("admin")
    factories.make_product(sku="GR-500")
    before = counts()

    response = admin.post("/admin/products/new", data=product_form(sku=sku, name="Other"))

    assert response.status_code == 422
    assert f"A product with sku &#39;{sku}&#39; already exists.".encode() in response.data
    assert b"Already used." in response.data
    assert counts() == before


def test_hostile_product_values_render_escaped(login_as):
    admin = login_as("admin")
    response = admin.post("/admin/products/new", data=product_form(sku=HOSTILE, name=HOSTILE))
    assert response.status_code == 302
    assert product(HOSTILE).name == HOSTILE

    for page in (
        admin.get("/admin/products"),
        admin.get("/admin/audit"),
        login_as("sales").get("/admin/products"),
    ):
        assert page.status_code == 200
        assert HOSTILE.encode() not in page.data
        assert HOSTILE_ESCAPED in page.data


def test_hostile_value_in_refused_form_is_echoed_escaped(login_as):
    admin = login_as("admin")
    before = counts()
    response = admin.post("/admin/products/new", data=product_form(sku="", name=HOSTILE))
    assert response.status_code == 422
    assert HOSTILE.encode() not in response.data
    assert HOSTILE_ESCAPED in response.data
    assert counts() == before


def test_nul_byte_in_form_is_refused(login_as):
    admin = login_as("admin")
    before = counts()
    response = admin.post("/admin/products/new", data=product_form(name="Gra\x00nola"))
    assert response.status_code == 400
    assert b"NUL character" in response.data
    assert counts() == before


def test_admin_edits_product(login_as):
    admin = login_as("admin")
    item = factories.make_product(sku="MB-12", name="Muesli bar")
    version = item.version
    page = admin.get(f"/admin/products/{item.id}")
    assert page.status_code == 200
    assert b"Muesli bar" in page.data

    response = admin.post(
        f"/admin/products/{item.id}",
        data=product_form(sku="MB-12", name="Muesli bar 12-pack", unit="case", kind="raw", version=version),
    )

    assert response.status_code == 302
    saved = product("MB-12")
    assert (saved.name, saved.unit, saved.kind) == ("Muesli bar 12-pack", "case", "raw")
    assert saved.version == version + 1
    last = events("product")[-1]
    assert (last.action, last.record_id) == ("updated", item.id)
    assert "Muesli bar 12-pack" in last.changes


def test_saving_unchanged_product_writes_no_event(login_as):
    admin = login_as("admin")
    item = factories.make_product(sku="MB-12", name="Muesli bar", unit="case", kind="finished")
    before = counts()
    response = admin.post(
        f"/admin/products/{item.id}",
        data=product_form(sku="MB-12", name="Muesli bar", unit="case", version=item.version),
    )
    assert response.status_code == 302
    assert counts() == before


def test_edit_to_an_existing_sku_is_refused(login_as):
    admin = login_as("admin")
    factories.make_product(sku="TAKEN-1")
    item = factories.make_product(sku="MINE-1", name="Mine")
    before = counts()
    response = admin.post(
        f"/admin/products/{item.id}", data=product_form(sku="taken-1", name="Mine", version=item.version)
    )
    assert response.status_code == 422
    assert b"Another product already has sku" in response.data
    assert product("MINE-1") is not None
    assert counts() == before


def test_invalid_product_edit_changes_nothing(login_as):
    admin = login_as("admin")
    item = factories.make_product(sku="MB-12", name="Muesli bar")
    before, version = counts(), item.version
    response = admin.post(f"/admin/products/{item.id}", data=product_form(sku="MB-12", name="x" * 201, version=version))
    assert response.status_code == 422
    assert b"Field cannot be longer than 200 characters." in response.data
    saved = product("MB-12")
    assert (saved.name, saved.version) == ("Muesli bar", version)
    assert counts() == before


def test_stale_product_edit_is_refused(login_as):
    first, second = login_as("admin"), login_as("admin")
    item = factories.make_product(sku="OC-250", name="Oat cookies")
    opened = item.version
    assert (
        second.post(
            f"/admin/products/{item.id}", data=product_form(sku="OC-250", name="Second", version=opened)
        ).status_code
        == 302
    )
    before = counts()

    response = first.post(f"/admin/products/{item.id}", data=product_form(sku="OC-250", name="First", version=opened))

    assert response.status_code == 409
    assert b"changed by someone else" in response.data
    assert product("OC-250").name == "Second"
    assert counts() == before


def test_unknown_product_is_404(login_as):
    admin = login_as("admin")
    assert admin.get("/admin/products/999999").status_code == 404
    assert admin.post("/admin/products/999999", data=product_form(version=1)).status_code == 404


# --- customers: create and edit ------------------------------------------------------------


def test_admin_creates_customer(login_as):
    admin = login_as("admin")
    assert admin.get("/admin/customers/new").status_code == 200

    response = admin.post("/admin/customers/new", data=customer_form())

    assert response.status_code == 302
    saved = customer("Fresh Mart #12")
    assert saved.kind == "retailer"
    assert saved.email == "store12@freshmart.example"
    assert saved.country == "US"
    [event] = events("customer")
    assert (event.action, event.record_id, event.record_label) == ("created", saved.id, "Fresh Mart #12")


def test_customer_optional_fields_may_be_empty(login_as):
    admin = login_as("admin")
    response = admin.post(
        "/admin/customers/new",
        data=customer_form(name="Corner Grocer", email="", phone="", address="", country=""),
    )
    assert response.status_code == 302
    saved = customer("Corner Grocer")
    assert (saved.email, saved.phone, saved.address, saved.country) == (None, None, None, None)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"name": ""}, "This field is required."),
        ({"name": "n" * 201}, "Field cannot be longer than 200 characters."),
        ({"kind": "enemy"}, "Not a valid choice."),
        ({"email": "not-an-email"}, "Invalid email address."),
        ({"email": HOSTILE}, "Invalid email address."),
        ({"phone": "5" * 51}, "Field cannot be longer than 50 characters."),
        ({"address": "a" * 501}, "Field cannot be longer than 500 characters."),
        ({"country": "USA"}, "Use a two-letter code such as US or DE."),
        ({"country": "1x"}, "Use a two-letter code such as US or DE."),
    ],
)
def test_invalid_customer_is_refused(login_as, overrides, message):
    admin = login_as("admin")
    before = counts()

    response = admin.post("/admin/customers/new", data=customer_form(**overrides))

    assert response.status_code == 422
    assert message.encode() in response.data
    assert counts() == before


def test_duplicate_customer_name_is_refused(login_as):
    admin = login_as("admin")
    factories.make_customer(name="Fresh Mart #12")
    before = counts()
    response = admin.post("/admin/customers/new", data=customer_form(name="FRESH MART #12"))
    assert response.status_code == 422
    assert b"already exists" in response.data
    assert counts() == before


def test_hostile_customer_values_render_escaped(login_as):
    admin = login_as("admin")
    response = admin.post("/admin/customers/new", data=customer_form(name=HOSTILE, phone=HOSTILE, address=HOSTILE))
    assert response.status_code == 302
    assert customer(HOSTILE).phone == HOSTILE

    for page in (
        admin.get("/admin/customers"),
        admin.get("/admin/audit"),
        login_as("marketing").get("/admin/customers"),
    ):
        assert page.status_code == 200
        assert HOSTILE.encode() not in page.data
        assert HOSTILE_ESCAPED in page.data

    edit = admin.get(f"/admin/customers/{customer(HOSTILE).id}")
    assert HOSTILE.encode() not in edit.data
    assert HOSTILE_ESCAPED in edit.data


def test_admin_edits_customer(login_as):
    admin = login_as("admin")
    item = factories.make_customer(name="Northwind", kind="distributor")
    version = item.version
    response = admin.post(
        f"/admin/customers/{item.id}",
        data=customer_form(name="Northwind Distribution", kind="distributor", country="de", version=version),
    )
    assert response.status_code == 302
    assert customer("Northwind") is None
    saved = customer("Northwind Distribution")
    assert saved.id == item.id
    assert saved.country == "DE"
    last = events("customer")[-1]
    assert (last.action, last.record_id) == ("updated", item.id)


def test_stale_customer_edit_is_refused(login_as):
    first, second = login_as("admin"), login_as("admin")
    item = factories.make_customer(name="Jane Doe", kind="consumer")
    opened = item.version
    data = customer_form(name="Jane Doe", kind="consumer", version=opened)
    assert second.post(f"/admin/customers/{item.id}", data={**data, "phone": "555-0199"}).status_code == 302
    before = counts()

    response = first.post(f"/admin/customers/{item.id}", data={**data, "phone": "555-0111"})

    assert response.status_code == 409
    assert customer("Jane Doe").phone == "555-0199"
    assert counts() == before


# --- permissions -------------------------------------------------------------------------


@pytest.mark.parametrize("role", NON_ADMINS + ["admin"])
def test_everyone_may_read_the_lists(login_as, role):
    client = login_as(role)
    factories.make_product(sku="GR-500", name="Granola")
    factories.make_customer(name="Corner Grocer")
    for url, text in (("/admin/products", b"Granola"), ("/admin/customers", b"Corner Grocer")):
        page = client.get(url)
        assert page.status_code == 200
        assert text in page.data
        assert (b"Import CSV" in page.data) is (role == "admin")
        export = client.get(url + "?format=csv")
        assert export.status_code == 200
        assert export.mimetype == "text/csv"


@pytest.mark.parametrize("role", NON_ADMINS)
def test_non_admins_may_not_change_master_data(login_as, role):
    client = login_as(role)
    item = factories.make_product(sku="GR-500")
    other = factories.make_customer(name="Corner Grocer")
    before = counts()
    good_csv = "sku,name,unit\nNEW-1,New,case\n"

    for url in ("/admin/products/new", f"/admin/products/{item.id}", "/admin/products/import"):
        assert client.get(url).status_code == 403
    for url in ("/admin/customers/new", f"/admin/customers/{other.id}", "/admin/customers/import"):
        assert client.get(url).status_code == 403
    assert client.post("/admin/products/new", data=product_form(sku="NEW-1")).status_code == 403
    assert (
        client.post(f"/admin/products/{item.id}", data=product_form(sku="GR-500", version=item.version)).status_code
        == 403
    )
    assert client.post("/admin/customers/new", data=customer_form()).status_code == 403
    assert client.post(f"/admin/customers/{other.id}", data=customer_form(version=other.version)).status_code == 403
    assert upload(client, "product", good_csv).status_code == 403
    assert upload(client, "customer", "name\nNew Customer\n").status_code == 403
    assert counts() == before


def test_anonymous_is_sent_to_login(client):
    for response in (
        client.get("/admin/products"),
        client.get("/admin/customers?format=csv"),
        client.post("/admin/products/new", data=product_form()),
        upload(client, "customer", "name\nSomeone\n"),
    ):
        assert response.status_code == 302
        assert "/auth/login" in response.headers["Location"]
    assert counts() == (0, 0, 0)


# --- lists: search and CSV export --------------------------------------------------------


def test_product_search(login_as):
    client = login_as("sales")
    factories.make_product(sku="GR-500", name="Granola 500 g")
    factories.make_product(sku="MB-12", name="Muesli bar")
    factories.make_product(sku="RM-OAT", name="Rolled oats 100%")

    by_name = client.get("/admin/products?q=granola")
    assert b"GR-500" in by_name.data and b"MB-12" not in by_name.data
    by_sku = client.get("/admin/products?q=mb-1")
    assert b"MB-12" in by_sku.data and b"GR-500" not in by_sku.data
    # LIKE wildcards are taken literally.
    percent = client.get("/admin/products?q=%25")
    assert b"RM-OAT" in percent.data and b"GR-500" not in percent.data
    underscore = client.get("/admin/products?q=_")
    assert b"No product matches." in underscore.data
    none = client.get("/admin/products?q=nothing-like-this")
    assert none.status_code == 200
    assert b"No product matches." in none.data
    hostile = client.get("/admin/products", query_string={"q": HOSTILE})
    assert hostile.status_code == 200
    assert HOSTILE.encode() not in hostile.data


def test_customer_search(login_as):
    client = login_as("production")
    factories.make_customer(name="Northwind Distribution", email="recalls@northwind.example")
    factories.make_customer(name="Corner Grocer")
    by_email = client.get("/admin/customers?q=recalls@")
    assert b"Northwind Distribution" in by_email.data and b"Corner Grocer" not in by_email.data
    by_name = client.get("/admin/customers?q=CORNER")
    assert b"Corner Grocer" in by_name.data and b"Northwind" not in by_name.data


def test_product_csv_export(login_as):
    client = login_as("marketing")
    factories.make_product(sku="GR-500", name="Granola, 500 g", unit="bag")
    factories.make_product(sku="RM-HNY", name='=HYPERLINK("http://evil.example")', unit="kg", kind="raw")

    response = client.get("/admin/products?format=csv")

    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    assert ".csv" in response.headers["Content-Disposition"]
    assert response.get_data().startswith("\ufeff".encode())
    rows = read_csv(response)
    assert rows[0] == ["sku", "name", "unit", "kind"]
    assert rows[1] == ["GR-500", "Granola, 500 g", "bag", "finished"]
    # A formula is neutralised so a spreadsheet shows it as text.
    assert rows[2] == ["RM-HNY", '\'=HYPERLINK("http://evil.example")', "kg", "raw"]

    filtered = read_csv(client.get("/admin/products?format=csv&q=granola"))
    assert [r[0] for r in filtered[1:]] == ["GR-500"]


def test_customer_csv_export(login_as):
    client = login_as("sales")
    factories.make_customer(name="Jane Doe", kind="consumer", email="jane@example.org")
    factories.make_customer(name="Corner Grocer")
    rows = read_csv(client.get("/admin/customers?format=csv"))
    assert rows[0] == ["name", "kind", "email", "phone", "address", "country"]
    assert rows[1] == ["Corner Grocer", "retailer", "", "", "", ""]
    assert rows[2] == ["Jane Doe", "consumer", "jane@example.org", "", "", ""]


def test_export_then_import_changes_nothing(login_as):
    admin = login_as("admin")
    factories.make_product(sku="GR-500", name="Granola, 500 g", unit="bag")
    factories.make_product(sku="RM-OAT", name="Rolled oats", unit="kg", kind="raw")
    factories.make_customer(name="Jane Doe", kind="consumer", email="jane@example.org")
    factories.make_customer(name="Corner Grocer")
    before = counts()

    for kind in ("product", "customer"):
        exported = admin.get(f"/admin/{kind}s?format=csv").get_data()
        response = upload(admin, kind, exported)
        assert response.status_code == 302
        assert b"0 created, 0 updated, 2 unchanged" in admin.get(f"/admin/{kind}s").data

    assert counts() == before


# --- CSV import: good files --------------------------------------------------------------

PRODUCTS_CSV = """sku,name,unit,kind
GR-500,Granola 500 g,bag,finished
MB-12,"Muesli bar, 12-pack",case,
RM-OAT,Rolled oats,kg,raw
"""

CUSTOMERS_CSV = """name,kind,email,phone,address,country
Northwind Distribution,distributor,recalls@northwind.example,555-0100,"1 Dock Rd, Portland",us
Corner Grocer,,,,,
Jane Doe,consumer,jane@example.org,,,US
"""


def test_import_products_creates_rows_and_one_event(login_as):
    admin = login_as("admin")
    before = counts()

    response = upload(admin, "product", PRODUCTS_CSV)

    assert response.status_code == 302
    assert response.headers["Location"].endswith("/admin/products")
    assert b"Import done: 3 created, 0 updated, 0 unchanged." in admin.get("/admin/products").data
    assert counts() == (before[0] + 3, before[1], before[2] + 1)
    assert product("MB-12").name == "Muesli bar, 12-pack"
    assert product("MB-12").kind == "finished"  # empty kind takes the default
    assert product("RM-OAT").kind == "raw"
    event = events("product")[-1]
    assert (event.action, event.record_id, event.actor_id) == ("imported", None, admin.user.id)
    assert "GR-500" in event.changes


def test_importing_the_same_file_again_changes_nothing(login_as):
    admin = login_as("admin")
    for kind, content in (("product", PRODUCTS_CSV), ("customer", CUSTOMERS_CSV)):
        assert upload(admin, kind, content).status_code == 302
        before = counts()

        response = upload(admin, kind, content)

        assert response.status_code == 302
        assert b"Import done: 0 created, 0 updated, 3 unchanged." in admin.get(f"/admin/{kind}s").data
        assert counts() == before


def test_import_updates_existing_rows_by_key(login_as):
    admin = login_as("admin")
    factories.make_product(sku="GR-500", name="Old name", unit="bag")
    factories.make_product(sku="MB-12", name="Muesli bar, 12-pack", unit="case")
    before = counts()

    response = upload(admin, "product", 'sku,name,unit\ngr-500,Granola 500 g,bag\nMB-12,"Muesli bar, 12-pack",case\n')

    assert response.status_code == 302
    assert b"0 created, 1 updated, 1 unchanged" in admin.get("/admin/products").data
    assert counts() == (before[0], before[1], before[2] + 1)
    assert db.session.scalar(sa.select(Product).where(Product.sku.in_(["GR-500", "gr-500"]))).name == ("Granola 500 g")


def test_import_customers(login_as):
    admin = login_as("admin")
    before = counts()

    response = upload(admin, "customer", CUSTOMERS_CSV)

    assert response.status_code == 302
    assert counts() == (before[0], before[1] + 3, before[2] + 1)
    northwind = customer("Northwind Distribution")
    assert (northwind.kind, northwind.country, northwind.address) == (
        "distributor",
        "US",
        "1 Dock Rd, Portland",
    )
    grocer = customer("Corner Grocer")
    assert (grocer.kind, grocer.email, grocer.phone, grocer.country) == ("other", None, None, None)


def test_import_customers_with_only_the_required_column(login_as):
    admin = login_as("admin")
    response = upload(admin, "customer", "Name\nSolo Store\n")
    assert response.status_code == 302
    assert customer("Solo Store").kind == "other"


@pytest.mark.parametrize(
    "content",
    [
        "sku;name;unit;kind\nGR-500;Granola, 500 g;bag;finished\nMB-12;Muesli bar;case;raw\n",
        "sku\tname\tunit\nGR-500\tGranola, 500 g\tbag\nMB-12\tMuesli bar\tcase\n",
        '\ufeffsku,name,unit\r\nGR-500,"Granola, 500 g",bag\r\nMB-12,Muesli bar,case\r\n',
        'SKU , Name ,Unit\n GR-500 ,"Granola, 500 g", bag \n\nMB-12,Muesli bar,case\n',
    ],
    ids=["semicolon", "tab", "excel-bom-crlf", "spaces-and-blank-line"],
)
def test_import_accepts_spreadsheet_dialects(login_as, content):
    admin = login_as("admin")
    response = upload(admin, "product", content)
    assert response.status_code == 302, response.get_data(as_text=True)
    assert product("GR-500").name == "Granola, 500 g"
    assert product("MB-12").name == "Muesli bar"


def test_import_page_shows_the_expected_columns(login_as):
    admin = login_as("admin")
    page = admin.get("/admin/products/import")
    assert page.status_code == 200
    assert b"sku, name, unit" in page.data


# --- CSV import: bad files ---------------------------------------------------------------

BAD_PRODUCT_FILES = {
    "one-bad-row": (
        "sku,name,unit\nGR-500,Granola,bag\nMB-12,,case\nRM-OAT,Rolled oats,kg\n",
        ["Line 3, name: This field is required."],
    ),
    "bad-kind": ("sku,name,unit,kind\nGR-500,Granola,bag,weapon\n", ["Line 2, kind: Not a valid choice."]),
    "bad-sku": ("sku,name,unit\nGR 500,Granola,bag\n", ["Line 2, sku: No spaces, commas or semicolons."]),
    "empty": ("", ["The file is empty."]),
    "blank-lines": ("\n\n  \n", ["The file is empty."]),
    "header-only": ("sku,name,unit,kind\n", ["The file has a header but no rows."]),
    "header-and-blank-rows": ("sku,name,unit\n,,\n", ["The file has a header but no rows."]),
    "missing-column": (
        "sku,name\nGR-500,Granola\n",
        ["Missing column(s): unit. The first line must name the columns: sku, name, unit, kind."],
    ),
    "no-header": ("GR-500,Granola,bag\n", ["Missing column(s): sku, name, unit."]),
    "latin-1": (
        "sku,name,unit\nGR-500,Caf\xe9 granola,bag\n".encode("latin-1"),
        ["The file is not UTF-8 text (bad byte at position 24).", "Save it from your spreadsheet as"],
    ),
    "binary": (
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01" + bytes(range(256)),
        ["The file is not a CSV text file (it contains binary data)."],
    ),
    "nul-in-text": ("sku,name,unit\nGR-500,Gra\x00nola,bag\n", ["contains binary data"]),
    "duplicate-keys": (
        "sku,name,unit\nGR-500,Granola,bag\nMB-12,Muesli,case\ngr-500,Granola again,bag\n",
        ["Line 4, sku: &#39;gr-500&#39; already appears on line 2."],
    ),
    "overlong": (
        "sku,name,unit\nGR-500," + "n" * 201 + ",bag\nMB-12,Muesli," + "u" * 21 + "\n",
        [
            "Line 2, name: Field cannot be longer than 200 characters.",
            "Line 3, unit: Field cannot be longer than 20 characters.",
        ],
    ),
    "too-many-values": (
        "sku,name,unit\nGR-500,Granola,bag\nMB-12,Muesli, 12-pack,case\nRM-OAT,Oats,kg\n",
        ["Line 3: more values than columns; check for an unquoted comma."],
    ),
    "unclosed-quote": ('sku,name,unit\nGR-500,"Granola,bag\n', ["Line 2: a quote opened on this line is never closed"]),
    "hostile": (
        f"sku,name,unit\n{HOSTILE},{HOSTILE},bag\n{HOSTILE.upper()},x,bag\n",
        [
            "Line 3, sku: &#39;&lt;SCRIPT&gt;ALERT(1)&lt;/SCRIPT&gt;&#39; already appears on line 2.",
        ],
    ),
}


@pytest.mark.parametrize("case", list(BAD_PRODUCT_FILES))
def test_bad_product_file_imports_nothing(login_as, case):
    content, messages = BAD_PRODUCT_FILES[case]
    admin = login_as("admin")
    factories.make_product(sku="EXISTING", name="Existing product")
    before = counts()

    response = upload(admin, "product", content)

    assert 400 <= response.status_code < 500
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert "Nothing was imported." in body
    for message in messages:
        assert message in body
    assert "<script>" not in body.lower()
    assert counts() == before
    assert product("EXISTING").name == "Existing product"


BAD_CUSTOMER_FILES = {
    "one-bad-row": (
        "name,email\nA Store,a@example.com\nB Store,not-an-email\n",
        ["Line 3, email: Invalid email address."],
    ),
    "bad-country": (
        "name,country\nA Store,USA\n",
        ["Line 2, country: Use a two-letter code such as US or DE."],
    ),
    "empty": (b"", ["The file is empty."]),
    "header-only": ("name,kind,email\n", ["The file has a header but no rows."]),
    "missing-column": ("kind,email\nretailer,a@example.com\n", ["Missing column(s): name."]),
    "latin-1": ("name\nCaf\xe9 du Coin\n".encode("latin-1"), ["The file is not UTF-8 text"]),
    "binary": (bytes(range(256)) * 4, ["contains binary data"]),
    "duplicate-keys": (
        "name\nCorner Grocer\nCORNER GROCER\n",
        ["Line 3, name: &#39;CORNER GROCER&#39; already appears on line 2."],
    ),
    "overlong": (
        "name,address\nA Store," + "a" * 501 + "\n",
        ["Line 2, address: Field cannot be longer than 500"],
    ),
    "too-many-values": (
        "name,kind\nA Store,retailer\nB Store,retailer,extra\n",
        ["Line 3: more values than columns"],
    ),
}


@pytest.mark.parametrize("case", list(BAD_CUSTOMER_FILES))
def test_bad_customer_file_imports_nothing(login_as, case):
    content, messages = BAD_CUSTOMER_FILES[case]
    admin = login_as("admin")
    factories.make_customer(name="Existing customer")
    before = counts()

    response = upload(admin, "customer", content)

    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert "Nothing was imported." in body
    for message in messages:
        assert message in body
    assert counts() == before


def test_one_bad_row_keeps_good_rows_out_even_when_they_would_update(login_as):
    admin = login_as("admin")
    factories.make_product(sku="GR-500", name="Old name", unit="bag")
    before = counts()
    response = upload(admin, "product", "sku,name,unit\nGR-500,New name,bag\nMB-12,Muesli,\n")
    assert response.status_code == 422
    assert "Line 3, unit: This field is required." in response.get_data(as_text=True)
    assert product("GR-500").name == "Old name"
    assert counts() == before


def test_import_without_a_file_is_refused(login_as):
    admin = login_as("admin")
    before = counts()
    response = admin.post("/admin/products/import", data={}, content_type="multipart/form-data")
    assert response.status_code == 422
    assert b"Choose a CSV file to upload." in response.data
    assert counts() == before


def test_oversized_upload_is_refused(make_app):
    small = make_app(MAX_CONTENT_LENGTH=4096)
    with small.app_context():
        factories.make_user(roles=("admin",), username="small-admin")
        client = small.test_client()
        assert sign_in(client, "small-admin").status_code == 302
        before = counts()
        content = "sku,name,unit\n" + "".join(f"SKU-{i},Product {i},case\n" for i in range(1000))

        response = upload(client, "product", content)

        assert response.status_code == 413
        assert b"The file is too large." in response.data
        assert counts() == before
