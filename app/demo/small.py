"""The small demo (`make run`): four months of a cereal plant, about 600 lots.

Users, products, customers and complaints go through the services, so each has its
audit event; lots, genealogy and shipments are imported data (as from an ERP) and are
bulk inserted with one summary audit event per table.
"""

import random
from datetime import date, timedelta

from ..admin import masterdata
from ..complaints import services as complaints
from ..models import Lot, LotInput, Shipment
from ..models.types import utcnow
from . import bulk, complaint_data, consignees, genealogy, shipping
from .catalog import catalog
from .masters import create_products, create_users

SEED = 20261121
SHAPE = genealogy.Shape(lots=600, days=120, alpha=1.3)
CONSIGNEES = 40
SHIPMENTS = 1500
COMPLAINTS = 30
# The customers of the first demo, kept so the walkthrough in the README still works.
FIRST_CUSTOMERS = [
    (0, "Northwind Distribution", "distributor", "recalls@northwind.example", None, None, "US", 1),
    (0, "Fresh Mart #12", "retailer", "store12@freshmart.example", None, None, "US", 1),
    (0, "Corner Grocer", "retailer", None, None, None, "US", 1),
    (0, "Jane Doe", "consumer", "jane@example.org", None, None, "US", 1),
]
FIRST_COMPLAINTS = [
    # (days ago, customer, sku, lots wanted, category, description, injury)
    (
        0,
        "Jane Doe",
        "GR-500",
        1,
        "foreign_matter",
        "Customer found a piece of hard plastic in the granola; chipped a tooth.",
        True,
    ),
    (1, "Fresh Mart #12", "MB-12", 2, "packaging", "Three cases arrived with torn wrappers.", False),
    (3, "Northwind Distribution", "OC-250", 1, "taste_odor", "Rancid smell reported by two stores.", False),
]


def load(today: date | None = None) -> None:
    """Load the small demo into an empty database (the caller commits)."""
    today = today or date.today()
    rng = random.Random(SEED)
    users = create_users()
    admin = users["admin"]
    specs = catalog(plant=False)
    products = create_products(specs, admin)
    customer_rows = _customers(rng, admin)
    customer_ids = {row[1]: row[0] for row in customer_rows}

    tree = genealogy.generate(
        specs, {sku: p.id for sku, p in products.items()}, SHAPE, today, rng, bulk.next_id(Lot.__table__)
    )
    receivers = consignees.receivers(customer_rows, rng)
    shipments = shipping.generate(tree.lots, receivers, SHIPMENTS, today, rng, bulk.next_id(Shipment.__table__))
    bulk.record_import("lot", bulk.insert(Lot.__table__, genealogy.LOT_COLUMNS, tree.lots), admin)
    bulk.record_import("lot_input", bulk.insert(LotInput.__table__, genealogy.EDGE_COLUMNS, tree.edges), admin)
    bulk.record_import("shipment", bulk.insert(Shipment.__table__, shipping.SHIPMENT_COLUMNS, shipments), admin)
    bulk.reset_sequences(Lot.__table__, Shipment.__table__)

    now = utcnow()
    intakes = complaint_data.generate(
        COMPLAINTS - len(FIRST_COMPLAINTS),
        tree.lots,
        shipments,
        receivers.consumers,
        {p.id: p.name for p in products.values()},
        now,
        rng,
    )
    firsts = _first_complaints(tree.lots, shipments, customer_ids, products, now)
    logged = {}
    for data in sorted(intakes + list(firsts), key=lambda d: d["received_at"]):
        logged[id(data)] = complaints.create_complaint(data, users["sales"])
    _work_on([logged[id(d)] for d in intakes], logged[id(firsts[-1])], users, rng)


def _customers(rng: random.Random, admin) -> list[tuple]:
    """The first demo's customers and generated ones, through the audited service; rows with real ids."""
    generated = consignees.generate(CONSIGNEES - len(FIRST_CUSTOMERS), rng, taken={c[1] for c in FIRST_CUSTOMERS})
    rows = []
    for row in FIRST_CUSTOMERS + generated:
        customer = masterdata.create(masterdata.CUSTOMERS, dict(zip(masterdata.CUSTOMER_FIELDS, row[1:7])), admin)
        rows.append((customer.id, *row[1:]))
    return rows


def _first_complaints(lots, shipments, customer_ids, products, now) -> tuple[dict, ...]:
    """The first demo's complaints, now citing real lots shipped to those customers."""
    codes = {lot[0]: (lot[1], lot[2]) for lot in lots}
    out = []
    for days_ago, customer, sku, wanted, category, description, injury in FIRST_COMPLAINTS:
        received = now - timedelta(days=days_ago, hours=2)
        product_id = products[sku].id
        shipped = [s for s in shipments if codes[s[1]][1] == product_id and s[6] < received - timedelta(days=2)]
        to_them = sorted([s for s in shipped if s[2] == customer_ids[customer]] or shipped, key=lambda s: s[4])
        recent = sorted({codes[s[1]][0] for s in to_them[-10:]})[-wanted:]
        out.append(
            dict(
                received_at=received,
                channel="phone",
                customer_id=customer_ids[customer],
                complainant_name=None,
                complainant_contact=None,
                product_id=product_id,
                lot_codes=", ".join(recent),
                quantity_affected=None,
                description=description,
                category=category,
                injury=injury,
                sample_available=True,
            )
        )
    return tuple(out)


def _work_on(generated, rancid, users, rng: random.Random) -> None:
    """Triage a few complaints (one under investigation, one rejected), as production would."""
    production = users["production"]
    today = date.today()
    for complaint in [*generated[-8:-2:2], rancid]:
        severity = rng.randint(2, 4) if complaint is not rancid else 3
        complaints.apply_transition(
            complaint,
            "triage",
            dict(
                severity=severity,
                probability=rng.randint(1, 3) if complaint is not rancid else 2,
                reportable=False,
                reportable_reason="Quality defect without health risk.",
                investigator_id=production.id,
                due_date=today + timedelta(days=7),
            ),
            production,
        )
    complaints.apply_transition(rancid, "investigate", {}, production)
    complaints.apply_transition(
        generated[-3], "reject", dict(rejection_reason="A price question, not a product complaint."), production
    )
