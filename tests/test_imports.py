"""Bulk CSV import of lots, genealogy and shipments: services, CLI and web pages."""

import io
import json
import re
import time
from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.imports import jobs
from app.imports.services import run_import
from app.models import AuditEvent, Customer, Lot, LotInput, Shipment
from app.trace.engine import would_cycle
from tests import factories
from tests.factories import sign_in

LOTS_CSV = """lot_code,product_sku,kind,quantity,unit,produced_on,expires_on,site,line
L-RAW-1,RM-OAT,raw,1000,kg,2024-03-01,,Silo 2,
L-MIX-1,RM-OAT,intermediate,800.5,kg,2024-03-02,2024-09-02,Plant A,Mixer 1
L-FIN-1,GR-500,finished,1200,case,2024-03-03,2025-03-03,Plant A,Line 3
"""
GENEALOGY_CSV = """input_lot_code,output_lot_code,quantity
L-RAW-1,L-MIX-1,800
L-MIX-1,L-FIN-1,800.5
"""
SHIPMENTS_CSV = """lot_code,consignee,quantity,shipped_on,reference
L-FIN-1,fresh mart,200,2024-03-10,INV-1001
L-FIN-1,Northwind Distribution,500,2024-03-11,BOL-77
"""
LOT_HEADER = "lot_code,product_sku,kind,quantity,unit,produced_on\n"


@pytest.fixture
def app(make_app, tmp_path):
    """The app with its own import directory, so uploads of parallel tests never meet."""
    app = make_app(IMPORT_DIR=str(tmp_path / "imports"))
    with app.app_context():
        yield app


@pytest.fixture
def masterdata(app):
    factories.make_product(sku="GR-500", name="Granola 500 g", unit="case")
    factories.make_product(sku="RM-OAT", name="Rolled oats", unit="kg", kind="raw")
    factories.make_customer(name="Fresh Mart")
    factories.make_customer(name="Northwind Distribution", kind="distributor")


def counts() -> tuple[int, int, int, int]:
    """(lots, genealogy edges, shipments, audit events): what 'the database is unchanged' compares."""
    db.session.expire_all()
    return tuple(
        db.session.scalar(sa.select(sa.func.count()).select_from(model))
        for model in (Lot, LotInput, Shipment, AuditEvent)
    )


def load(kind: str, content: str | bytes, actor=None, **kwargs):
    """Import like a caller does: commit when the file was accepted."""
    data = content.encode("utf-8") if isinstance(content, str) else content
    result = run_import(kind, io.BytesIO(data), actor, name=f"{kind}.csv", **kwargs)
    if result.ok:
        db.session.commit()
    return result


def lot(code: str) -> Lot:
    db.session.expire_all()
    return db.session.scalar(sa.select(Lot).where(Lot.code == code))


def edges() -> dict[tuple[str, str], Decimal | None]:
    source, target = sa.orm.aliased(Lot), sa.orm.aliased(Lot)
    stmt = (
        sa.select(source.code, target.code, LotInput.quantity)
        .join(source, source.id == LotInput.input_lot_id)
        .join(target, target.id == LotInput.output_lot_id)
    )
    return {(a, b): q for a, b, q in db.session.execute(stmt)}


def last_event() -> AuditEvent:
    return db.session.scalar(sa.select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1))


@pytest.fixture
def lots_loaded(masterdata):
    assert load("lots", LOTS_CSV).ok


# --- good files -------------------------------------------------------------------------------


def test_import_lots_creates_rows_and_one_event(masterdata):
    actor = factories.make_user(("production",))
    before = counts()

    result = load("lots", LOTS_CSV, actor)

    assert result.ok, result.errors
    assert (result.created, result.updated, result.unchanged) == (3, 0, 0)
    assert counts() == (before[0] + 3, before[1], before[2], before[3] + 1)
    mix = lot("L-MIX-1")
    assert (mix.product.sku, mix.kind, mix.quantity, mix.unit) == ("RM-OAT", "intermediate", Decimal("800.5"), "kg")
    assert (mix.produced_on, mix.expires_on, mix.site, mix.line) == (
        date(2024, 3, 2),
        date(2024, 9, 2),
        "Plant A",
        "Mixer 1",
    )
    assert (mix.status, mix.version) == ("released", 1)
    raw = lot("L-RAW-1")
    assert (raw.expires_on, raw.line) == (None, None)
    event = last_event()
    assert (event.action, event.record_type, event.record_id, event.actor_id) == ("imported", "lot", None, actor.id)
    assert json.loads(event.changes) == {"file": [None, "lots.csv"], "created": [None, 3], "updated": [None, 0]}


def test_reimporting_the_same_files_changes_nothing(lots_loaded):
    assert load("genealogy", GENEALOGY_CSV).ok
    assert load("shipments", SHIPMENTS_CSV).ok
    before = counts()
    versions = {code: lot(code).version for code in ("L-RAW-1", "L-MIX-1", "L-FIN-1")}

    for kind, content, rows in (
        ("lots", LOTS_CSV, 3),
        ("genealogy", GENEALOGY_CSV, 2),
        ("shipments", SHIPMENTS_CSV, 2),
    ):
        result = load(kind, content)
        assert (result.created, result.updated, result.unchanged, result.errors) == (0, 0, rows, [])

    assert counts() == before
    assert {code: lot(code).version for code in versions} == versions


def test_lots_are_updated_by_code_and_status_is_kept(lots_loaded):
    held = lot("L-FIN-1")
    held.status, held.status_reason = "held", "Complaint C-1"
    db.session.commit()
    version = lot("L-FIN-1").version
    before = counts()

    result = load(
        "lots", LOT_HEADER + "L-FIN-1,GR-500,finished,1150,case,2024-03-03\nL-NEW-1,GR-500,finished,5,case,2024-04-01\n"
    )

    assert (result.created, result.updated, result.unchanged) == (1, 1, 0)
    assert counts() == (before[0] + 1, before[1], before[2], before[3] + 1)
    saved = lot("L-FIN-1")
    assert saved.quantity == Decimal("1150")
    assert (saved.status, saved.status_reason) == ("held", "Complaint C-1")
    assert saved.version == version + 1
    # Optional columns missing from the file keep their stored values.
    assert (saved.expires_on, saved.site, saved.line) == (date(2025, 3, 3), "Plant A", "Line 3")


def test_empty_optional_cell_clears_the_value(lots_loaded):
    result = load("lots", LOT_HEADER.strip() + ",site\nL-FIN-1,GR-500,finished,1200,case,2024-03-03,\n")
    assert result.updated == 1
    assert lot("L-FIN-1").site is None
    assert lot("L-FIN-1").line == "Line 3"


def test_import_genealogy(lots_loaded):
    result = load("genealogy", GENEALOGY_CSV)
    assert (result.created, result.updated) == (2, 0)
    assert edges() == {("L-RAW-1", "L-MIX-1"): Decimal("800"), ("L-MIX-1", "L-FIN-1"): Decimal("800.5")}
    assert last_event().record_type == "lot_input"

    result = load("genealogy", "input_lot_code,output_lot_code,quantity\nL-RAW-1,L-MIX-1,750\nL-RAW-1,L-FIN-1,\n")
    assert (result.created, result.updated, result.unchanged) == (1, 1, 0)
    assert edges()[("L-RAW-1", "L-MIX-1")] == Decimal("750")
    assert edges()[("L-RAW-1", "L-FIN-1")] is None

    # Without a quantity column the stored quantities stay.
    result = load("genealogy", "input_lot_code,output_lot_code\nL-RAW-1,L-MIX-1\n")
    assert (result.created, result.updated, result.unchanged) == (0, 0, 1)
    assert edges()[("L-RAW-1", "L-MIX-1")] == Decimal("750")


def test_import_shipments(lots_loaded):
    result = load("shipments", SHIPMENTS_CSV)
    assert (result.created, result.updated) == (2, 0)
    shipped = db.session.scalars(sa.select(Shipment).order_by(Shipment.reference)).all()
    assert [(s.reference, s.consignee.name, s.quantity, s.shipped_on) for s in shipped] == [
        ("BOL-77", "Northwind Distribution", Decimal("500"), date(2024, 3, 11)),
        ("INV-1001", "Fresh Mart", Decimal("200"), date(2024, 3, 10)),
    ]
    assert last_event().record_type == "shipment"

    before = counts()
    result = load("shipments", SHIPMENTS_CSV.replace("200,2024-03-10", "210,2024-03-12"))
    assert (result.created, result.updated, result.unchanged) == (0, 1, 1)
    assert counts() == (before[0], before[1], before[2], before[3] + 1)
    fixed = db.session.scalar(sa.select(Shipment).where(Shipment.reference == "INV-1001"))
    assert (fixed.quantity, fixed.shipped_on) == (Decimal("210"), date(2024, 3, 12))


def test_consignees_match_in_any_case_exact_first(lots_loaded):
    factories.make_customer(name="Épicerie Dupont")
    # Names that differ only in case cannot be made through the app, but may come from elsewhere.
    db.session.execute(sa.insert(Customer), [{"name": "FRESH MART", "kind": "retailer", "version": 1}])
    db.session.commit()
    header = "lot_code,consignee,quantity,shipped_on,reference\n"

    result = load(
        "shipments", header + "L-FIN-1,ÉPICERIE DUPONT,1,2024-03-10,INV-1\nL-FIN-1,FRESH MART,1,2024-03-10,INV-1\n"
    )
    assert result.ok, result.errors
    names = {s.consignee.name for s in db.session.scalars(sa.select(Shipment))}
    assert names == {"Épicerie Dupont", "FRESH MART"}

    refused = load("shipments", header + "L-FIN-1,fresh mart,1,2024-03-10,INV-2\n")
    assert refused.errors == ["Line 2, consignee: Several customers are named 'fresh mart' (in different case)."]


@pytest.mark.parametrize(
    "content",
    [
        "\ufefflot_code;product_sku;kind;quantity;unit;produced_on\r\nL-1;GR-500;Finished;12.5;case;2024-01-31\r\n",
        "Lot_Code\tProduct_SKU\tKind\tQuantity\tUnit\tProduced_On\nL-1\tGR-500\tfinished\t12.500\tcase\t2024-01-31\n",
        "erp_id,lot_code,product_sku,kind,quantity,unit,produced_on,\n"
        "99, L-1 ,GR-500,finished,12.5,case,2024-01-31,\n\n,,,\n",
    ],
    ids=["excel-semicolon-bom-crlf", "tab-capitalised", "extra-columns-spaces-blank-lines"],
)
def test_spreadsheet_and_erp_dialects(masterdata, content):
    result = load("lots", content)
    assert result.ok, result.errors
    assert result.created == 1
    assert (lot("L-1").quantity, lot("L-1").kind) == (Decimal("12.5"), "finished")


def test_text_stream_and_path_are_accepted(masterdata, tmp_path):
    assert run_import("lots", io.StringIO(LOT_HEADER + LOT_ROW), None).created == 1
    db.session.commit()
    path = tmp_path / "more.csv"
    path.write_text(LOT_HEADER + "L-10,GR-500,raw,2,kg,2024-01-02\n", encoding="utf-8")
    assert run_import("lots", str(path), None).created == 1


def test_concurrent_duplicate_is_refused_cleanly(masterdata, monkeypatch):
    """A lot created by someone else between the lookup and the insert: a refusal, not a crash."""
    from app.imports import lots

    factories.make_lots("L-9")
    before = counts()
    monkeypatch.setattr(lots, "among", lambda column, values: sa.false())

    result = load("lots", LOT_HEADER + LOT_ROW)

    assert result.errors == [
        "The database refused the rows, probably because another import wrote the same records at the same time. "
        "Nothing was imported; try again."
    ]
    assert counts() == before


def test_progress_is_reported_per_chunk(masterdata):
    content = LOT_HEADER + "".join(f"L-{i},GR-500,finished,1,case,2024-01-01\n" for i in range(25))
    calls = []

    result = load("lots", content, progress=lambda *args: calls.append(args), chunk_size=10)

    assert result.created == 25
    assert [rows for rows, _, _ in calls] == [10, 20, 25]
    assert calls[-1][1] == calls[-1][2] == len(content.encode())


# --- bad files: nothing is written ------------------------------------------------------------

LOT_ROW = "L-9,GR-500,finished,1,case,2024-01-01\n"
BAD_LOT_FILES = {
    "latin-1": (
        (LOT_HEADER + "L-9,GR-500,finished,1,caf\xe9,2024-01-01\n").encode("latin-1"),
        ["The file is not UTF-8 text (line 2 has a bad byte at position 26)", "CSV UTF-8"],
    ),
    "nul-in-text": (LOT_HEADER + "L-9,GR-500,fini\x00shed,1,case,2024-01-01\n", ["contains binary data"]),
    "nul-late": (
        LOT_HEADER + "".join(f"L-{i},GR-500,finished,1,case,2024-01-01\n" for i in range(900)) + "\x00",
        ["contains binary data"],
    ),
    "binary": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), ["contains binary data"]),
    "empty": ("", ["The file is empty."]),
    "blank-lines": ("\n \n\n", ["The file is empty."]),
    "header-only": (LOT_HEADER, ["The file has a header but no rows."]),
    "header-and-blank-rows": (LOT_HEADER + ",,,,,\n\n", ["The file has a header but no rows."]),
    "missing-column": (
        "lot_code,product_sku,kind,quantity,produced_on\nL-9,GR-500,finished,1,2024-01-01\n",
        ["Missing column(s): unit. The first line must name the columns: lot_code, product_sku, kind, quantity"],
    ),
    "no-header": (LOT_ROW, ["Missing column(s): lot_code, product_sku"]),
    "column-twice": (LOT_HEADER.strip() + ",unit\n" + LOT_ROW, ["Column(s) unit appear more than once"]),
    "megabyte-line": (
        LOT_HEADER + "L-9,GR-500,finished,1," + "x" * 1_000_000 + ",2024-01-01\n",
        ["Line 2 is too long"],
    ),
    "unclosed-quote": (
        LOT_HEADER + 'L-9,GR-500,finished,1,"case,2024-01-01\n' + "more text\n" * 20000,
        ["Line 2 is too long"],
    ),
    "duplicate-rows": (
        LOT_HEADER + LOT_ROW + "L-8,GR-500,raw,1,kg,2024-01-01\n" + LOT_ROW,
        ["Line 4: lot L-9 already appears on line 2."],
    ),
    "bad-dates": (
        LOT_HEADER.strip() + ",expires_on\n"
        "L-1,GR-500,finished,1,case,2024-02-30,\n"
        "L-2,GR-500,finished,1,case,31/01/2024,\n"
        "L-3,GR-500,finished,1,case,20240131,\n"
        "L-4,GR-500,finished,1,case,2024-03-01,2024-02-01\n"
        "L-5,GR-500,finished,1,case,1066-10-14,\n",
        [
            "Line 2, produced_on: Not a valid date (YYYY-MM-DD).",
            "Line 3, produced_on: Use the format YYYY-MM-DD, like 2024-03-31.",
            "Line 4, produced_on: Use the format YYYY-MM-DD",
            "Line 5, expires_on: Must not be before produced_on (2024-03-01).",
            "Line 6, produced_on: The year must be between 1900 and 2199.",
        ],
    ),
    "bad-quantities": (
        LOT_HEADER
        + "L-1,GR-500,finished,-1,case,2024-01-01\n"
        + "L-2,GR-500,finished,lots,case,2024-01-01\n"
        + "L-3,GR-500,finished,NaN,case,2024-01-01\n"
        + "L-4,GR-500,finished,1.2345,case,2024-01-01\n"
        + "L-5,GR-500,finished,2e9,case,2024-01-01\n"
        + 'L-6,GR-500,finished,"12,5",case,2024-01-01\n',
        [
            "Line 2, quantity: A quantity cannot be negative.",
            "Line 3, quantity: Enter a number in digits, such as 0, 12 or 2.5.",
            "Line 4, quantity: Enter a number in digits",
            "Line 5, quantity: Use at most 3 decimal places.",
            "Line 6, quantity: Write the number in full, without an exponent",
            "Line 7, quantity: Use a dot before decimals, like 12.5",
        ],
    ),
    "bad-codes-and-text": (
        LOT_HEADER.strip()
        + ",site\n"
        + "L 1,GR-500,finished,1,case,2024-01-01,\n"
        + "L;2,GR-500,finished,1,case,2024-01-01,\n"
        + "L" * 65
        + ",GR-500,finished,1,case,2024-01-01,\n"
        + "L-4,GR-500,finished,1,"
        + "u" * 21
        + ",2024-01-01,"
        + "s" * 101
        + "\n"
        + "L-5,GR-500,weapon,1,case,2024-01-01,\n"
        + ",,,,,,Plant B\n",
        [
            "Line 2, lot_code: No spaces, commas or semicolons.",
            "Line 3, lot_code: No spaces, commas or semicolons.",
            "Line 4, lot_code: Field cannot be longer than 64 characters.",
            "Line 5, unit: Field cannot be longer than 20 characters.",
            "Line 5, site: Field cannot be longer than 100 characters.",
            "Line 6, kind: Not a valid choice; use one of raw, intermediate, finished.",
            "Line 7, lot_code: This field is required.",
            "Line 7, produced_on: This field is required.",
        ],
    ),
    "unknown-product": (
        LOT_HEADER + "L-9,NO-SUCH,finished,1,case,2024-01-01\n",
        ["Line 2, product_sku: No product has the SKU 'NO-SUCH'."],
    ),
    "too-many-values": (
        LOT_HEADER + "L-9,GR-500,finished,1,case,2024-01-01,extra\n",
        ["Line 2: more values than columns (7 for 6)"],
    ),
}


@pytest.mark.parametrize("case", list(BAD_LOT_FILES))
def test_bad_lot_file_imports_nothing(lots_loaded, case):
    content, messages = BAD_LOT_FILES[case]
    before = counts()
    stored = lot("L-FIN-1").quantity

    result = load("lots", content)

    assert not result.ok
    text = "\n".join(result.errors)
    for message in messages:
        assert message in text
    assert counts() == before
    assert lot("L-FIN-1").quantity == stored


def test_one_bad_row_after_many_good_chunks_writes_nothing(lots_loaded):
    good = "".join(f"L-{i},GR-500,finished,1,case,2024-01-01\n" for i in range(30))
    update = "L-FIN-1,GR-500,finished,1,case,2024-03-03\n"
    before = counts()

    result = load("lots", LOT_HEADER + update + good + "L-BAD,GR-500,finished,-5,case,2024-01-01\n", chunk_size=7)

    assert result.errors == ["Line 33, quantity: A quantity cannot be negative."]
    assert counts() == before
    assert lot("L-FIN-1").quantity == Decimal("1200")
    assert lot("L-3") is None


def test_errors_are_capped(masterdata):
    content = LOT_HEADER + "".join(f"L-{i},GR-500,finished,-1,case,2024-01-01\n" for i in range(1500))
    result = load("lots", content)
    assert len(result.errors) == 1001
    assert result.errors[0] == "Line 2, quantity: A quantity cannot be negative."
    assert result.errors[-1] == "Stopped after 1000 errors."


BAD_GENEALOGY_FILES = {
    "unknown-lots": (
        "input_lot_code,output_lot_code\nL-RAW-1,NOPE\nGHOST,L-FIN-1\n",
        [
            "Line 2, output_lot_code: No lot has the code 'NOPE'; import the lots first.",
            "Line 3, input_lot_code: No lot has the code 'GHOST'",
        ],
    ),
    "self-edge": (
        "input_lot_code,output_lot_code\nL-MIX-1,L-MIX-1\n",
        ["Line 2, output_lot_code: A lot cannot be made from itself."],
    ),
    "duplicate": (
        "input_lot_code,output_lot_code,quantity\nL-RAW-1,L-MIX-1,1\nL-RAW-1,L-MIX-1,2\n",
        ["Line 3: L-RAW-1 -> L-MIX-1 already appears on line 2."],
    ),
    "bad-quantity": (
        "input_lot_code,output_lot_code,quantity\nL-RAW-1,L-MIX-1,-3\n",
        ["Line 2, quantity: A quantity cannot be negative."],
    ),
    "missing-column": ("input_lot_code,quantity\nL-RAW-1,3\n", ["Missing column(s): output_lot_code."]),
}


@pytest.mark.parametrize("case", list(BAD_GENEALOGY_FILES))
def test_bad_genealogy_file_imports_nothing(lots_loaded, case):
    content, messages = BAD_GENEALOGY_FILES[case]
    before = counts()
    result = load("genealogy", content)
    text = "\n".join(result.errors)
    for message in messages:
        assert message in text
    assert counts() == before


BAD_SHIPMENT_FILES = {
    "unknown-lot-and-consignee": (
        "lot_code,consignee,quantity,shipped_on,reference\n"
        "GHOST,Fresh Mart,1,2024-03-10,INV-1\nL-FIN-1,Nobody Inc,1,2024-03-10,INV-1\n",
        [
            "Line 2, lot_code: No lot has the code 'GHOST'",
            "Line 3, consignee: No customer is named 'Nobody Inc'",
        ],
    ),
    "zero-quantity-and-bad-date": (
        "lot_code,consignee,quantity,shipped_on,reference\nL-FIN-1,Fresh Mart,0,2024-13-01,INV-1\n",
        ["Line 2, quantity: The quantity must be greater than 0.", "Line 2, shipped_on: Not a valid date"],
    ),
    "missing-reference": (
        "lot_code,consignee,quantity,shipped_on,reference\nL-FIN-1,Fresh Mart,1,2024-03-10,\n",
        ["Line 2, reference: This field is required."],
    ),
    "duplicate-any-case": (
        "lot_code,consignee,quantity,shipped_on,reference\n"
        "L-FIN-1,Fresh Mart,1,2024-03-10,INV-1\nL-FIN-1,FRESH MART,2,2024-03-10,INV-1\n",
        ["Line 3: lot L-FIN-1 to FRESH MART on INV-1 already appears on line 2."],
    ),
}


@pytest.mark.parametrize("case", list(BAD_SHIPMENT_FILES))
def test_bad_shipment_file_imports_nothing(lots_loaded, case):
    content, messages = BAD_SHIPMENT_FILES[case]
    before = counts()
    result = load("shipments", content)
    text = "\n".join(result.errors)
    for message in messages:
        assert message in text
    assert counts() == before


# --- cycles -----------------------------------------------------------------------------------


def test_cycle_through_existing_edges_is_refused(masterdata):
    factories.make_lots("A", "B", "C", "D")
    assert load("genealogy", "input_lot_code,output_lot_code\nA,B\nB,C\n").ok
    before = counts()

    result = load("genealogy", "input_lot_code,output_lot_code\nA,D\nC,A\n")

    assert result.errors == ["Line 3: C -> A would make a cycle (C is already made from A: A -> B -> C)."]
    assert counts() == before
    assert set(edges()) == {("A", "B"), ("B", "C")}


def test_cycle_within_the_file_is_refused(masterdata):
    factories.make_lots("A", "B", "C")
    before = counts()

    result = load("genealogy", "input_lot_code,output_lot_code\nA,B\nB,C\nC,A\n")

    assert result.errors == ["Line 2: A -> B would make a cycle (A is already made from B: B -> C -> A)."]
    assert counts() == before


def test_cycle_across_chunks_is_refused(masterdata):
    factories.make_lots("A", "B", "C", "X")
    before = counts()
    content = "input_lot_code,output_lot_code\nA,B\nX,C\nB,C\nC,A\n"

    result = load("genealogy", content, chunk_size=1)

    assert result.errors == ["Line 5: C -> A would make a cycle (C is already made from A: A -> B -> C)."]
    assert counts() == before


def test_diamonds_and_long_chains_are_not_cycles(masterdata):
    codes = [f"C{i}" for i in range(40)]
    factories.make_lots("A", "B", "C", "D", *codes)
    chain = "".join(f"{a},{b}\n" for a, b in zip(codes, codes[1:]))

    result = load("genealogy", "input_lot_code,output_lot_code\nA,B\nA,C\nB,D\nC,D\nD,C0\n" + chain, chunk_size=3)

    assert result.ok, result.errors
    assert result.created == 44
    ids = {code: lot(code).id for code in ("A", "C39")}
    assert would_cycle(ids["C39"], ids["A"])
    assert not would_cycle(ids["A"], ids["C39"])


def test_planner_settings_are_restored_after_the_cycle_check(masterdata):
    factories.make_lots("A", "B")
    if db.session.get_bind().dialect.name != "postgresql":
        pytest.skip("PostgreSQL planner settings")
    run_import("genealogy", io.BytesIO(b"input_lot_code,output_lot_code\nA,B\n"), None)
    assert db.session.scalar(sa.text("SELECT current_setting('enable_mergejoin')")) == "on"
    assert db.session.scalar(sa.text("SELECT current_setting('enable_hashjoin')")) == "on"
    db.session.rollback()


def test_long_cycle_message_is_shortened(masterdata):
    codes = [f"C{i}" for i in range(12)]
    factories.make_lots(*codes)
    assert load(
        "genealogy", "input_lot_code,output_lot_code\n" + "".join(f"{a},{b}\n" for a, b in zip(codes, codes[1:]))
    ).ok

    result = load("genealogy", "input_lot_code,output_lot_code\nC11,C0\n")

    assert result.errors == [
        "Line 2: C11 -> C0 would make a cycle "
        "(C11 is already made from C0: C0 -> C1 -> C2 -> C3 -> … -> C9 -> C10 -> C11)."
    ]


# --- command line -----------------------------------------------------------------------------


def test_cli_imports_a_file(masterdata, runner, tmp_path):
    path = tmp_path / "lots.csv"
    path.write_text(LOTS_CSV, encoding="utf-8")
    user = factories.make_user(("production",), username="erp.bot")
    before = counts()

    result = runner.invoke(args=["import", "lots", str(path), "--user", "erp.bot"])

    assert result.exit_code == 0, result.output
    assert "Import done: 3 created, 0 updated, 0 unchanged" in result.stdout
    assert "rows/s" in result.stdout
    assert "Importing lots from" in result.stderr
    assert counts() == (before[0] + 3, before[1], before[2], before[3] + 1)
    assert last_event().actor_id == user.id

    again = runner.invoke(args=["import", "lots", str(path)])
    assert again.exit_code == 0
    assert "0 created, 0 updated, 3 unchanged" in again.stdout
    assert counts() == (before[0] + 3, before[1], before[2], before[3] + 1)


def test_cli_refuses_a_bad_file(masterdata, runner, tmp_path):
    path = tmp_path / "lots.csv"
    path.write_text(LOT_HEADER + LOT_ROW + "L-2,NO-SUCH,finished,1,case,2024-01-01\n", encoding="utf-8")
    before = counts()

    result = runner.invoke(args=["import", "lots", str(path)])

    assert result.exit_code == 1
    assert "Nothing was imported" in result.stderr
    assert "Line 3, product_sku: No product has the SKU 'NO-SUCH'." in result.stderr
    assert counts() == before


def test_cli_refuses_missing_file_and_unknown_user(app, runner, tmp_path):
    assert runner.invoke(args=["import", "shipments", str(tmp_path / "nope.csv")]).exit_code == 2
    path = tmp_path / "s.csv"
    path.write_text(SHIPMENTS_CSV, encoding="utf-8")
    result = runner.invoke(args=["import", "shipments", str(path), "--user", "ghost"])
    assert result.exit_code == 1
    assert "No user is named 'ghost'." in result.output


# --- web --------------------------------------------------------------------------------------


def upload(client, kind: str, content: str | bytes, filename: str = "erp-export.csv"):
    data = content.encode("utf-8") if isinstance(content, str) else content
    return client.post(
        f"/imports/{kind}", data={"file": (io.BytesIO(data), filename)}, content_type="multipart/form-data"
    )


def job_id_of(response) -> str:
    match = re.fullmatch(r".*/imports/job/([0-9a-f-]{36})", response.headers["Location"])
    assert match, response.headers["Location"]
    return match.group(1)


def test_upload_page_explains_the_columns(login_as):
    client = login_as("production")
    for kind, column in (("lots", "produced_on"), ("genealogy", "output_lot_code"), ("shipments", "consignee")):
        page = client.get(f"/imports/{kind}")
        assert page.status_code == 200
        assert f"<code>{column}</code>".encode() in page.data
    assert client.get("/imports/complaints").status_code == 404
    assert b"/imports/lots" in client.get("/home").data
    assert b"/imports/lots" not in login_as("sales").get("/home").data


def test_production_uploads_and_sees_the_summary(masterdata, login_as, app):
    client = login_as("production")
    before = counts()

    response = upload(client, "lots", LOTS_CSV)

    assert response.status_code == 302
    job_id = job_id_of(response)
    directory = jobs.import_dir()
    assert (directory / f"{job_id}.csv").read_text(encoding="utf-8") == LOTS_CSV
    status = json.loads((directory / f"{job_id}.json").read_text(encoding="utf-8"))
    assert (status["state"], status["rows"], status["file"]) == ("done", 3, "erp-export.csv")
    page = client.get(f"/imports/job/{job_id}")
    assert page.status_code == 200
    assert b"Import done: 3 created, 0 updated, 0 unchanged" in page.data
    assert b'http-equiv="refresh"' not in page.data
    assert counts() == (before[0] + 3, before[1], before[2], before[3] + 1)
    event = last_event()
    assert (event.actor_id, event.record_label) == (client.user.id, "Lots from erp-export.csv")


def test_refused_upload_lists_the_errors(lots_loaded, login_as):
    client = login_as("admin")
    before = counts()

    response = upload(client, "genealogy", "input_lot_code,output_lot_code\nL-FIN-1,<b>NOPE</b>\n")

    page = client.get(f"/imports/job/{job_id_of(response)}")
    assert page.status_code == 200
    assert b"Nothing was imported." in page.data
    assert b"Line 2, output_lot_code: No lot has the code &#39;&lt;b&gt;NOPE&lt;/b&gt;&#39;" in page.data
    assert counts() == before


def test_running_and_stalled_jobs(login_as, app):
    client = login_as("production")
    job_id = "0b5e3c1e-2f4a-4c7d-9e8f-0123456789ab"
    now = time.time()
    status = {"id": job_id, "kind": "lots", "file": "big.csv", "user_id": 1, "user": "P", "state": "running"}
    status.update(rows=50_000, bytes_done=250, bytes_total=1000, started=now - 10, updated=now)
    jobs.JobStatus(jobs.import_dir(create=True), status).save()

    page = client.get(f"/imports/job/{job_id}")

    assert page.status_code == 200
    assert b'<meta http-equiv="refresh" content="2">' in page.data
    assert page.headers["Refresh"] == "2"
    assert b"50,000 rows read (25% of the file)" in page.data
    assert f'href="/imports/job/{job_id}?refresh=off">Stop reloading'.encode() in page.data

    # The user stopped the reloading (WCAG 2.2.1): no meta tag, no header, a link to look again.
    stopped = client.get(f"/imports/job/{job_id}?refresh=off")
    assert stopped.status_code == 200
    assert b"http-equiv" not in stopped.data
    assert "Refresh" not in stopped.headers
    assert f'href="/imports/job/{job_id}">Reload to see progress'.encode() in stopped.data

    status["updated"] = now - 3600
    path = jobs.import_dir() / f"{job_id}.json"
    path.write_text(json.dumps(status), encoding="utf-8")
    stalled = client.get(f"/imports/job/{job_id}")
    assert b"No news from this import" in stalled.data
    assert b"http-equiv" not in stalled.data


def test_background_thread_runs_the_import(masterdata, make_app, tmp_path):
    threaded = make_app(IMPORT_DIR=str(tmp_path / "threaded"), IMPORTS_SYNC=False)
    with threaded.app_context():
        factories.make_user(roles=("production",), username="threaded-prod")
        client = threaded.test_client()
        assert sign_in(client, "threaded-prod").status_code == 302
        job_id = job_id_of(upload(client, "lots", LOTS_CSV))
        deadline = time.time() + 30
        while (status := jobs.load(job_id))["state"] == "running" and time.time() < deadline:
            time.sleep(0.05)
        assert status["state"] == "done", status
        assert status["result"]["created"] == 3
        assert b"Import done: 3 created" in client.get(f"/imports/job/{job_id}").data
        assert lot("L-FIN-1") is not None


def test_unexpected_error_fails_the_job_cleanly(masterdata, login_as, monkeypatch):
    def explode(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(jobs, "run_import", explode)
    client = login_as("production")
    before = counts()

    page = client.get(f"/imports/job/{job_id_of(upload(client, 'lots', LOTS_CSV))}")

    assert b"The import stopped on an unexpected error; nothing was imported." in page.data
    assert b"disk on fire" not in page.data
    assert counts() == before


def test_sales_may_not_import(masterdata, login_as, app):
    client = login_as("sales")
    before = counts()
    assert client.get("/imports/lots").status_code == 403
    assert upload(client, "lots", LOTS_CSV).status_code == 403
    assert counts() == before
    assert not jobs.import_dir().exists()


@pytest.mark.parametrize(
    "job_id",
    [
        "nope",
        "0B5E3C1E-2F4A-4C7D-9E8F-0123456789AB",
        "0b5e3c1e-2f4a-4c7d-9e8f-0123456789ab",  # well formed, but no such job
        "0b5e3c1e-2f4a-4c7d-9e8f-0123456789ab.json",
        "..%2F..%2Fconfig",
        "0b5e3c1e2f4a4c7d9e8f0123456789ab",
    ],
)
def test_job_page_with_a_bad_id_is_404(login_as, job_id):
    assert login_as("production").get(f"/imports/job/{job_id}").status_code == 404


def test_upload_without_a_file_is_refused(login_as):
    client = login_as("production")
    response = client.post("/imports/lots", data={}, content_type="multipart/form-data")
    assert response.status_code == 422
    assert b"Choose a CSV file to upload." in response.data
