"""Plain builders for test data. They go through the services, so audit events are written."""

import itertools
from datetime import UTC, datetime, timedelta

from app.admin import masterdata
from app.auth.services import create_user
from app.complaints import services as complaints
from app.extensions import db

_seq = itertools.count(1)


def make_user(roles=("sales",), username=None, password="correct-horse-1", **kwargs):
    n = next(_seq)
    username = username or f"{'-'.join(roles)}{n}"
    user = create_user(
        username=username,
        name=kwargs.pop("name", f"User {username}"),
        email=kwargs.pop("email", f"{username}@example.com"),
        password=password,
        roles=list(roles),
        **kwargs,
    )
    db.session.commit()
    return user


def make_product(sku=None, name=None, unit="case", kind="finished", actor=None):
    n = next(_seq)
    product = masterdata.create(
        masterdata.PRODUCTS,
        dict(sku=sku or f"SKU-{n}", name=name or f"Product {n}", unit=unit, kind=kind),
        actor,
    )
    db.session.commit()
    return product


def make_customer(name=None, kind="retailer", email=None, actor=None):
    n = next(_seq)
    customer = masterdata.create(
        masterdata.CUSTOMERS, dict(name=name or f"Customer {n}", kind=kind, email=email), actor
    )
    db.session.commit()
    return customer


def complaint_data(**overrides) -> dict:
    data = dict(
        received_at=datetime.now(UTC) - timedelta(hours=1),
        channel="phone",
        customer_id=None,
        complainant_name="Pat Caller",
        complainant_contact="555-0100",
        product_id=None,
        lot_codes="L24-117",
        quantity_affected=None,
        description="Found a piece of plastic in the bag.",
        category="foreign_matter",
        injury=False,
        sample_available=True,
    )
    data.update(overrides)
    if data["customer_id"] is None and not data.get("new_customer_name"):
        data["customer_id"] = make_customer().id
    if data["product_id"] is None:
        data["product_id"] = make_product().id
    return data


def make_complaint(actor=None, **overrides):
    actor = actor or make_user(("sales",))
    complaint = complaints.create_complaint(complaint_data(**overrides), actor)
    db.session.commit()
    return complaint


def triage(complaint, actor=None, investigator=None, **overrides):
    actor = actor or make_user(("production",))
    data = dict(
        severity=3,
        probability=2,
        reportable=False,
        reportable_reason="No health risk.",
        investigator_id=(investigator or actor).id,
        due_date=datetime.now(UTC).date() + timedelta(days=7),
    )
    data.update(overrides)
    complaints.apply_transition(complaint, "triage", data, actor)
    db.session.commit()
    return complaint


def make_lot(code=None, product_id=None, kind="finished", quantity=100, unit="case", produced_on=None, **kwargs):
    """A lot as an ERP import would create it (lots are imported data, not typed in)."""
    from datetime import date

    from app.models import Lot

    n = next(_seq)
    lot = Lot(
        code=code or f"L{n:06d}",
        product_id=product_id or make_product(kind="raw" if kind == "raw" else "finished").id,
        kind=kind,
        quantity=quantity,
        unit=unit,
        produced_on=produced_on or date(2026, 1, 1),
        status=kwargs.pop("status", "released"),
        **kwargs,
    )
    db.session.add(lot)
    db.session.commit()
    return lot


def make_edge(input_lot, output_lot, quantity=None):
    from app.models import LotInput

    db.session.add(LotInput(input_lot_id=input_lot.id, output_lot_id=output_lot.id, quantity=quantity))
    db.session.commit()


def make_shipment(lot, consignee, quantity=10, shipped_on=None, reference=None):
    from datetime import date

    from app.models import Shipment

    shipment = Shipment(
        lot_id=lot.id,
        consignee_id=consignee.id,
        quantity=quantity,
        shipped_on=shipped_on or date(2026, 2, 1),
        reference=reference or f"BOL-{next(_seq)}",
    )
    db.session.add(shipment)
    db.session.commit()
    return shipment


def make_action(incident=None, owner=None, actor=None, **kw):
    """A CAPA action through the service; the incident is a bare row when none is given."""
    from datetime import date

    from app.capa import services as capa
    from app.models import Incident

    actor = actor or make_user(("production",))
    if incident is None:
        n = next(_seq)
        incident = Incident(
            reference=f"INC-TEST-{n}",
            title=f"Incident {n}",
            description="Metal fragments found in finished product.",
            owner_id=actor.id,
            created_by_id=actor.id,
        )
        db.session.add(incident)
        db.session.flush()
    data = dict(
        kind="corrective",
        description="Replace the worn sieve on line 2.",
        owner_id=(owner or actor).id,
        due_date=date.today() + timedelta(days=14),
        effectiveness_check="No metal found at the detector for 3 months.",
        effectiveness_due=date.today() + timedelta(days=100),
    )
    data.update(kw)
    action = capa.create_action(incident, data, actor)
    db.session.commit()
    return action


def make_incident(complaints=None, actor=None, **overrides):
    """An incident opened from the given complaints (one new complaint when none given)."""
    from app.incidents import services as incidents

    actor = actor or make_user(("production",))
    complaints = complaints or [make_complaint()]
    data = dict(title="Plastic pieces in bags", description="Several customers found plastic.", owner_id=actor.id)
    data.update(severity=3, probability=2)
    data.update(overrides)
    incident = incidents.create_incident([c.id for c in complaints], data, actor)
    db.session.commit()
    return incident


PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def make_attachment(record=None, actor=None, data=PNG_BYTES, filename="photo.png"):
    """A file attached to a complaint (a new one when none given) or an incident, through the service."""
    from io import BytesIO

    from werkzeug.datastructures import FileStorage

    from app.attachments import services as attachments
    from app.models import Incident

    actor = actor or make_user(("production",))
    record = record or make_complaint()
    record_type = "incident" if isinstance(record, Incident) else "complaint"
    upload = FileStorage(BytesIO(data), filename=filename)
    attachment, _ = attachments.add_attachment(record_type, record, upload, actor)
    db.session.commit()
    return attachment
