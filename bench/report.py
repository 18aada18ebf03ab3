"""Time the incident PDF report (load + build) on a small SQLite database of its own:
one incident with 500 affected lots, 50 consignees and 50 actions. Built afresh each run
(a few seconds), so plant-1M is never touched."""

import statistics
import time
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa
from flask_migrate import upgrade

from app.auth.services import create_user
from app.capa.services import create_action
from app.complaints.services import create_complaint
from app.extensions import db
from app.incidents.report_data import incident_report_data
from app.incidents.services import create_incident
from app.models import Customer, Incident, IncidentLot, Lot, Product, Shipment
from app.models.types import utcnow
from app.reports import build_incident_report
from app.signatures.services import sign

from . import database

LOTS, CONSIGNEES, ACTIONS = 500, 50, 50
PASSWORD = "bench-password-1"  # noqa: S105 (a throwaway bench user, needed to sign)


def url() -> str:
    return f"sqlite:///{database.BENCH_DIR / 'report.db'}"


def _seed() -> int:
    """The incident to report on; returns its id."""
    owners = [
        create_user(
            username=f"owner{n}",
            name=f"Owner {n}",
            email=f"owner{n}@example.com",
            password=PASSWORD,
            roles=["production"],
        )
        for n in range(5)
    ]
    product = Product(sku="SKU-BENCH", name="Sea salt crisps 150 g", unit="case", kind="finished")
    customers = [Customer(name=f"Consignee {n:03d}", kind="retailer", country="DE") for n in range(CONSIGNEES)]
    db.session.add_all([product, *customers])
    db.session.flush()
    lots = [
        Lot(
            code=f"BENCH-{n:05d}",
            product_id=product.id,
            kind="finished",
            quantity=100,
            unit="case",
            produced_on=date(2026, 1, 1) + timedelta(days=n % 90),
            status="released",
        )
        for n in range(LOTS)
    ]
    db.session.add_all(lots)
    db.session.flush()
    db.session.add_all(
        Shipment(
            lot_id=lot.id,
            consignee_id=customers[n % CONSIGNEES].id,
            quantity=10,
            shipped_on=date(2026, 2, 1),
            reference=f"BOL-{n}",
        )
        for n, lot in enumerate(lots)
    )
    complaints = [
        create_complaint(
            dict(
                received_at=datetime.now(UTC),
                channel="phone",
                customer_id=customers[n].id,
                product_id=product.id,
                lot_codes=lots[n].code,
                description="Plastic piece in the bag.",
                category="foreign_matter",
                injury=False,
                sample_available=True,
            ),
            owners[0],
        )
        for n in range(3)
    ]
    incident = create_incident(
        [c.id for c in complaints],
        dict(
            title="Plastic pieces in crisps",
            description="Several customers found plastic.",
            owner_id=owners[0].id,
            severity=4,
            probability=3,
        ),
        owners[0],
    )
    db.session.execute(
        sa.insert(IncidentLot),
        [dict(incident_id=incident.id, lot_id=lot.id, is_root=n == 0, depth=min(n, 1)) for n, lot in enumerate(lots)],
    )
    incident.traced_at = utcnow()
    for n in range(ACTIONS):
        create_action(
            incident,
            dict(
                kind="corrective" if n % 2 else "preventive",
                description=f"Action {n}: replace the worn sieve.",
                owner_id=owners[n % 5].id,
                due_date=date.today() + timedelta(days=14),
                effectiveness_check="No plastic found at the detector for 3 months.",
                effectiveness_due=date.today() + timedelta(days=100),
            ),
            owners[0],
        )
    sign("incident", incident.id, incident.reference, "close", "approved", owners[0], PASSWORD)
    db.session.commit()
    return incident.id


def run(repeats: int, log) -> dict:
    """Median and p95 of load + build; each call starts from an empty session, as a request does."""
    app = database.make_app(url())
    with app.app_context():
        database._reset(url())
        upgrade()
        incident_id = _seed()
        samples, size = [], 0
        for attempt in range(repeats + 1):
            db.session.expunge_all()
            started = time.perf_counter()
            pdf = build_incident_report(incident_report_data(db.session.get(Incident, incident_id)))
            elapsed = (time.perf_counter() - started) * 1000
            if attempt:  # the first call is a warm-up (imports, font metrics, page cache)
                samples.append(elapsed)
            size = len(pdf)
        db.session.remove()
        db.engine.dispose()
    samples.sort()
    p95 = samples[min(len(samples) - 1, round(0.95 * (len(samples) - 1)))]
    entry = {
        "name": "incident report",
        "engine": "sqlite",
        "median_ms": round(statistics.median(samples), 1),
        "p95_ms": round(p95, 1),
        "bound_ms": None,
        "lots": LOTS,
        "actions": ACTIONS,
        "pdf_bytes": size,
    }
    log(
        f"  incident report ({LOTS} lots, {ACTIONS} actions, {size:,} bytes): "
        f"median {entry['median_ms']} ms, p95 {entry['p95_ms']} ms"
    )
    return entry
