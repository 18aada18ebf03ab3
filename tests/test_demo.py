"""Demo data: the small demo and a tiny run of the plant generator have a realistic, acyclic shape."""

import hashlib
from collections import defaultdict
from datetime import date

import pytest
import sqlalchemy as sa

from app.audit.verify import verify_chain
from app.complaints import services as complaints
from app.demo import DEMO_USERS, load
from app.demo.catalog import catalog, recipe_ok
from app.demo.plant import generate_plant
from app.extensions import db
from app.models import (
    AuditEvent,
    Complaint,
    ComplaintLot,
    Customer,
    Lot,
    LotInput,
    Product,
    ReferenceCounter,
    Shipment,
    User,
)
from app.trace import engine
from tests.conftest import empty_tables
from tests.factories import complaint_data

TODAY = date(2026, 11, 21)


def count(model, *where) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def fingerprint() -> str:
    """A hash of every lot code, edge and shipment by code (independent of ids)."""
    source, output = sa.orm.aliased(Lot), sa.orm.aliased(Lot)
    codes = db.session.scalars(sa.select(Lot.code).order_by(Lot.code)).all()
    edges = db.session.execute(
        sa.select(source.code, output.code)
        .select_from(LotInput)
        .join(source, source.id == LotInput.input_lot_id)
        .join(output, output.id == LotInput.output_lot_id)
        .order_by(source.code, output.code)
    ).all()
    shipped = db.session.execute(
        sa.select(Lot.code, Shipment.reference).join(Lot).order_by(Lot.code, Shipment.reference)
    ).all()
    return hashlib.sha256(repr([codes, edges, shipped]).encode()).hexdigest()


def assert_acyclic() -> None:
    """Every input was made before its output, and a topological sort takes every lot."""
    made_before = sa.orm.aliased(Lot)
    late = (
        sa.select(sa.func.count())
        .select_from(LotInput)
        .join(made_before, made_before.id == LotInput.input_lot_id)
        .join(Lot, Lot.id == LotInput.output_lot_id)
        .where(made_before.produced_on >= Lot.produced_on)
    )
    assert db.session.scalar(late) == 0
    edges = db.session.execute(sa.select(LotInput.input_lot_id, LotInput.output_lot_id)).all()
    down, waiting = defaultdict(list), defaultdict(int)
    for source, target in edges:
        down[source].append(target)
        waiting[target] += 1
    ready = [lot for lot in db.session.scalars(sa.select(Lot.id)) if not waiting[lot]]
    done = 0
    while ready:
        lot = ready.pop()
        done += 1
        for target in down[lot]:
            waiting[target] -= 1
            if not waiting[target]:
                ready.append(target)
    assert done == count(Lot)


def test_small_demo_has_the_expected_shape(app):
    load(today=TODAY)
    db.session.commit()

    assert count(User) == len(DEMO_USERS)
    assert 14 <= count(Product) <= 18
    assert 35 <= count(Customer) <= 45
    assert count(Customer, Customer.email.is_(None)) >= 2
    assert count(Customer, Customer.kind == "consumer") >= 3
    assert len(set(db.session.scalars(sa.select(Customer.country)))) >= 4
    assert 550 <= count(Lot) <= 650
    assert {k: count(Lot, Lot.kind == k) > 0 for k in ("raw", "intermediate", "finished")} == dict.fromkeys(
        ("raw", "intermediate", "finished"), True
    )
    assert 1200 <= count(LotInput) <= 2000
    assert 1300 <= count(Shipment) <= 1700
    assert count(Complaint) == 30
    assert count(Complaint, Complaint.status != "new") >= 3
    known = sa.select(Lot.code)
    assert count(ComplaintLot, ComplaintLot.lot_code.in_(known)) >= 20
    assert count(ComplaintLot, ComplaintLot.lot_code.not_in(known)) >= 1
    imported = db.session.scalars(sa.select(AuditEvent.record_type).where(AuditEvent.action == "imported")).all()
    assert sorted(imported) == ["lot", "lot_input", "shipment"]
    assert verify_chain().ok


def test_small_demo_is_deterministic(app):
    load(today=TODAY)
    db.session.commit()
    first = fingerprint()
    empty_tables()

    load(today=TODAY)
    db.session.commit()

    assert fingerprint() == first


def test_small_demo_is_a_dag_with_wide_reach_and_diamonds(app):
    load()
    db.session.commit()
    assert_acyclic()

    raw = db.session.scalars(sa.select(Lot.id).where(Lot.kind == "raw")).all()
    reach = {lot: len(engine.forward([lot])) for lot in raw}
    widest = max(reach, key=reach.get)
    assert reach[widest] >= 20
    assert engine.consignees(engine.affected_ids([widest]))

    inputs = defaultdict(set)
    for source, target in db.session.execute(sa.select(LotInput.input_lot_id, LotInput.output_lot_id)):
        inputs[target].add(source)
    diamonds = [lot for lot, direct in inputs.items() if any(direct & inputs.get(mid, set()) for mid in direct)]
    assert diamonds, "expected a raw lot reaching a finished lot by two paths"


def test_demo_load_if_empty_loads_once(runner):
    first = runner.invoke(args=["demo", "load", "--if-empty", "--scale", "small"])
    assert first.exit_code == 0, first.output
    lots, events = count(Lot), count(AuditEvent)

    second = runner.invoke(args=["demo", "load", "--if-empty"])

    assert second.exit_code == 0, second.output
    assert "demo data not loaded" in second.output
    assert (count(Lot), count(AuditEvent)) == (lots, events)


def test_demo_load_refuses_an_unknown_scale(runner):
    result = runner.invoke(args=["demo", "load", "--scale", "huge"])
    assert result.exit_code == 2
    assert "plant-1M" in result.output
    assert count(User) == 0
    with pytest.raises(ValueError, match="Unknown demo scale"):
        load("huge")


def test_plant_generator_shape_at_a_tiny_scale(app):
    assert recipe_ok(catalog(plant=True)) and recipe_ok(catalog(plant=False))
    summary = generate_plant(lots=2000, today=TODAY)
    db.session.commit()

    assert count(Lot) == 2000
    assert count(Lot, Lot.kind == "raw") == 200
    assert count(Lot, Lot.kind == "intermediate") == 600
    assert count(Lot, Lot.kind == "finished") == 1200
    assert 2.4 <= count(LotInput) / 2000 <= 3.2
    assert 1.8 <= count(Shipment) / 2000 <= 2.2
    assert count(Customer) == 100
    assert count(Complaint) == 200
    assert count(ComplaintLot) >= 200
    assert summary.counts["lot_inputs"] == count(LotInput)
    assert_acyclic()
    assert verify_chain().ok


def test_plant_generator_leaves_ids_and_references_ready_for_new_records(app):
    generate_plant(lots=2000, today=TODAY)
    db.session.commit()
    year = date.today().year
    last = db.session.scalar(sa.select(ReferenceCounter.last_value).where(ReferenceCounter.year == year))
    assert last == count(Complaint, Complaint.reference.like(f"CMP-{year}-%"))

    sales = db.session.scalar(sa.select(User).where(User.username == "sales"))
    data = complaint_data(customer_id=db.session.scalar(sa.select(sa.func.min(Customer.id))))
    complaint = complaints.create_complaint(data, sales)
    lot = Lot(code="NEW-1", product_id=data["product_id"], kind="raw", quantity=1, unit="kg", produced_on=TODAY)
    db.session.add(lot)
    db.session.commit()

    assert complaint.reference == f"CMP-{year}-{last + 1:04d}"
    assert complaint.id == count(Complaint)
    assert lot.id == 2001
