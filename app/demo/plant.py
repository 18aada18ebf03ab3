"""The plant-scale data set (`flask demo load --scale plant-1M`, `make bench`).

At 1,000,000 lots: about 2.8 million genealogy edges, 2 million shipments, 50,000
consignees and 100,000 complaints, over two years. Everything but the four users and the
products is bulk inserted, complaints included: 100,000 audited service calls would take
hours, so each bulk-inserted table gets ONE summary audit event instead of one per row.
"""

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from ..extensions import db
from ..models import Complaint, ComplaintLot, Customer, Lot, LotInput, ReferenceCounter, Shipment
from ..models.types import utcnow
from . import bulk, complaint_data, complaint_rows, consignees, genealogy, shipping
from .catalog import catalog
from .masters import create_products, create_users

SEED = 1_000_003
DAYS = 730


@dataclass
class PlantSummary:
    counts: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)


class _Steps:
    """Times each step and reports it (the bench prints progress on long loads)."""

    def __init__(self, summary: PlantSummary, log: Callable[[str], None] | None):
        self.summary, self.log, self.started = summary, log, time.perf_counter()

    def done(self, step: str, count: int | None = None) -> None:
        now = time.perf_counter()
        self.summary.seconds[step] = round(now - self.started, 2)
        if count is not None:
            self.summary.counts[step] = count
        if self.log:
            self.log(f"  {step}: {'' if count is None else f'{count:,} rows, '}{now - self.started:.1f} s")
        self.started = now


def generate_plant(
    lots: int = 1_000_000,
    *,
    today: date | None = None,
    seed: int = SEED,
    log: Callable[[str], None] | None = None,
) -> PlantSummary:
    """Load a plant of `lots` lots (other tables in proportion) into an empty database."""
    today = today or date.today()
    rng = random.Random(seed)
    summary = PlantSummary()
    steps = _Steps(summary, log)
    users = create_users()
    admin = users["admin"]
    specs = catalog(plant=True)
    products = create_products(specs, admin)
    customer_rows = consignees.generate(max(40, lots // 20), rng, bulk.next_id(Customer.__table__))
    steps.done("customers generated")
    count = bulk.insert(Customer.__table__, consignees.CUSTOMER_COLUMNS, customer_rows)
    bulk.record_import("customer", count, admin)
    steps.done("customers", count)

    shape = genealogy.Shape(lots=lots, days=DAYS, lead_days=10)
    tree = genealogy.generate(
        specs, {sku: p.id for sku, p in products.items()}, shape, today, rng, bulk.next_id(Lot.__table__)
    )
    tree.edges.sort()  # primary-key order: appends to the index instead of random inserts
    receivers = consignees.receivers(customer_rows, rng)
    shipments = shipping.generate(tree.lots, receivers, 2 * lots, today, rng, bulk.next_id(Shipment.__table__))
    steps.done("lots, edges, shipments generated")
    for name, table, columns, rows in (
        ("lot", Lot.__table__, genealogy.LOT_COLUMNS, tree.lots),
        ("lot_input", LotInput.__table__, genealogy.EDGE_COLUMNS, tree.edges),
        ("shipment", Shipment.__table__, shipping.SHIPMENT_COLUMNS, shipments),
    ):
        bulk.record_import(name, bulk.insert(table, columns, rows), admin)
        steps.done(table.name, len(rows))

    now = utcnow()
    names = {p.id: p.name for p in products.values()}
    intakes = complaint_data.generate(lots // 10, tree.lots, shipments, receivers.consumers, names, now, rng)
    rows, links, last = complaint_rows.build(
        intakes, users["sales"].id, users["production"].id, now, rng, bulk.next_id(Complaint.__table__)
    )
    bulk.insert(Complaint.__table__, complaint_rows.COMPLAINT_COLUMNS, rows)
    bulk.insert(ComplaintLot.__table__, complaint_rows.LINK_COLUMNS, links)
    bulk.record_import("complaint", len(rows), admin, lot_links=len(links))
    _set_counters(last)
    steps.done("complaints", len(rows))
    summary.counts["complaint_lots"] = len(links)
    bulk.reset_sequences(Customer.__table__, Lot.__table__, Shipment.__table__, Complaint.__table__)
    return summary


def _set_counters(last: dict[int, int]) -> None:
    """Intake numbers continue after the bulk-inserted references (CMP-YYYY-NNNN)."""
    for year, value in last.items():
        counter = db.session.get(ReferenceCounter, ("CMP", year))
        if counter is None:
            db.session.add(ReferenceCounter(prefix="CMP", year=year, last_value=value))
        else:
            counter.last_value = max(counter.last_value, value)
    db.session.flush()
