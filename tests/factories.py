"""Plain builders for test data (CTFd's gen_* style): every builder a test needs lives here.

Most go through the services, so audit events are written. A `make_<record>_row` builder
writes the row straight (a state, reference or date the services would not give); so do
the builders of imported or machine-made data (lots, shipments, alerts, mail, notices).
"""

import itertools
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from app.admin import masterdata
from app.auth.services import create_user
from app.complaints import services as complaints
from app.extensions import db

_seq = itertools.count(1)

PASSWORD = "correct-horse-1"


def sign_in(client, username: str, password: str = PASSWORD):
    """Log a test client in through the login form; the response (302 when it worked)."""
    return client.post("/auth/login", data={"username": username, "password": password})


def make_user(roles=("sales",), username=None, password=PASSWORD, **kwargs):
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

    actor = actor or make_user(("production",))
    incident = incident or make_incident_row(actor)
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


def make_incident_row(owner=None, status="open"):
    """An incident written straight (no complaint, no audit event), owned by `owner`, in `status`."""
    from app.models import Incident

    owner = owner or make_user(("production",))
    n = next(_seq)
    incident = Incident(
        reference=f"INC-TEST-{n}",
        title=f"Incident {n}",
        description="Metal fragments found in finished product.",
        status=status,
        owner_id=owner.id,
        created_by_id=owner.id,
    )
    db.session.add(incident)
    db.session.commit()
    return incident


def make_action_row(incident, owner, **overrides):
    """An action written straight, in progress unless `status` says otherwise (no audit event)."""
    from datetime import date

    from app.models import Action

    data = dict(
        reference="CAPA-T-1",
        kind="corrective",
        description="Replace the sieve.",
        owner_id=owner.id,
        due_date=date.today() + timedelta(days=10),
        effectiveness_check="No plastic for 3 months.",
        status="in_progress",
        created_by_id=owner.id,
    )
    data.update(overrides)
    action = Action(incident=incident, **data)
    db.session.add(action)
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


def make_lots(*codes: str, sku: str = "GR-500") -> None:
    """Lots of the product `sku` (which must exist), loaded through the lots import as an ERP file brings them."""
    import io

    from app.imports.services import run_import

    content = "lot_code,product_sku,kind,quantity,unit,produced_on\n" + "".join(
        f"{code},{sku},finished,1,case,2024-01-01\n" for code in codes
    )
    result = run_import("lots", io.BytesIO(content.encode("utf-8")), None, name="lots.csv")
    assert result.ok, result.errors
    db.session.commit()


# --- Recalls ---------------------------------------------------------------------------------

RECALL_DATA = dict(
    title="Metal fragments in oat bars",
    reason="Metal found at the detector after a sieve broke on line 2.",
    hazard="Small metal pieces can cut the mouth or throat.",
    classification="II",
    depth="retail",
    public_warning=False,
    effectiveness_level="C",
    effectiveness_percent=None,
    remedy="refund",
    instructions="Stop selling, take the product off the shelf and return it.",
    estimated_completion=None,
)


def make_plant() -> dict:
    """raw → finished A, B; A shipped to two consignees, B to one; an unrelated lot C."""
    raw = make_lot(code="RAW-1", kind="raw")
    a = make_lot(code="FIN-A")
    b = make_lot(code="FIN-B")
    c = make_lot(code="FIN-C")
    make_edge(raw, a)
    make_edge(raw, b)
    shop1 = make_customer(name="Shop One", email="one@example.com")
    shop2 = make_customer(name="Shop Two")
    make_shipment(a, shop1, quantity=10)
    make_shipment(a, shop1, quantity=5)
    make_shipment(a, shop2, quantity=7)
    make_shipment(b, shop1, quantity=3)
    make_shipment(c, shop2, quantity=99)
    proposer = make_user(("marketing",))
    incident = make_incident()
    return dict(raw=raw, a=a, b=b, c=c, shop1=shop1, shop2=shop2, proposer=proposer, incident=incident)


def make_recall(proposer=None, roots=None, incident=None, **overrides):
    """A proposed recall of the forward trace of `roots` (lots; one new lot when none given)."""
    from app.recalls import services as recalls

    proposer = proposer or make_user(("marketing",))
    roots = roots or [make_lot()]
    recall = recalls.propose(
        incident or make_incident(), {**RECALL_DATA, **overrides}, [lot.id for lot in roots], proposer
    )
    db.session.commit()
    return recall


def make_recall_row(incident, proposer, reference, approved_at=None, terminated_at=None, status="approved"):
    """A recall written straight, with its reference and dates as given (flushed, not committed)."""
    from app.models import Recall

    recall = Recall(
        reference=reference,
        incident_id=incident.id,
        status=status,
        title=f"Recall {reference}",
        reason="r",
        hazard="h",
        classification="II",
        depth="retail",
        effectiveness_level="C",
        remedy="refund",
        instructions="i",
        proposed_by_id=proposer.id,
        approved_at=approved_at,
        terminated_at=terminated_at,
    )
    db.session.add(recall)
    db.session.flush()
    return recall


def make_notice(recall, consignee_id):
    """A notice added straight to the recall (approval, which builds them, needs a signature)."""
    from app.models import RecallNotice
    from app.recalls.tokens import new_nonce

    notice = RecallNotice(consignee_id=consignee_id, quantity_shipped=1, token_nonce=new_nonce())
    recall.notices.add(notice)
    db.session.commit()
    return notice


def make_approved_recall(shipped=(("BAG-1", "bags", 113), ("BAG-2", "bags", 289)), consignee="Épicerie Dupont"):
    """An approved recall of one raw lot whose finished lots (code, unit, quantity) all went to
    one consignee: (recall, that consignee's notice)."""
    from app.models import RecallNotice
    from app.recalls import services

    raw = make_lot(kind="raw")
    shop = make_customer(name=consignee, email="rappel@dupont.example")
    for code, unit, quantity in shipped:
        lot = make_lot(code=code, unit=unit)
        make_edge(raw, lot)
        make_shipment(lot, shop, quantity=quantity)
    recall = services.propose(make_incident(), RECALL_DATA, [raw.id], make_user(("marketing",)))
    services.approve(recall, make_user(("marketing",)), "approved", PASSWORD)
    db.session.commit()
    notice = db.session.scalar(sa.select(RecallNotice).where(RecallNotice.recall_id == recall.id))
    return recall, notice


def answer(*lots, elsewhere=(), **fields) -> dict:
    """A recall response as its form posts it: one (on hand, returned, destroyed) per lot of the
    notice in recalls.responses.answer_lines order (make_plant's Shop One: FIN-A then FIN-B),
    `elsewhere` the positions ticked "also received from elsewhere", `fields` anything else."""
    data = dict(confirm_receipt="y", distributed_further="no", response_by="Ann Buyer", response_comment="")
    for i, quantities in enumerate(lots):
        for name, value in zip(("quantity_on_hand", "quantity_returned", "quantity_destroyed"), quantities):
            data[f"lot_{i}_{name}"] = str(value)
        if i in elsewhere:
            data[f"lot_{i}_received_elsewhere"] = "y"
    return {**data, **fields}


def answer_for(notice, by_code: dict, elsewhere=(), **fields) -> dict:
    """`answer(...)` for `notice` with each lot's (on hand, returned, destroyed) given by lot code
    (lots left out answer 0, 0, 0; `elsewhere` the codes ticked "also from elsewhere")."""
    from app.recalls.responses import answer_lines

    codes = [line.code for line in answer_lines(notice)]
    lots = [by_code.get(code, (0, 0, 0)) for code in codes]
    return answer(*lots, elsewhere={codes.index(code) for code in elsewhere}, **fields)


# --- Press -----------------------------------------------------------------------------------


def make_inquiry(author, **overrides):
    """A press inquiry by phone, logged by `author`."""
    from app.press import services as press

    data = dict(
        outlet="Daily Courier",
        journalist="Jo Reporter",
        contact=None,
        channel="phone",
        question="Is it safe?",
        deadline=None,
        incident_id=None,
        recall_id=None,
        assignee_id=None,
    )
    data.update(overrides)
    inquiry = press.create_inquiry(data, author)
    db.session.commit()
    return inquiry


def make_statement(author, submit=False, **overrides):
    """A holding statement by `author`, a draft or (submit=True) sent for approval."""
    from app.press import services as press

    data = dict(
        kind="holding",
        title="Withdrawn as a precaution",
        body="We are withdrawing two lots.",
        incident_id=None,
        recall_id=None,
    )
    data.update(overrides)
    statement = press.create_statement(data, author)
    if submit:
        press.apply_statement_transition(statement, "submit", {}, author)
    db.session.commit()
    return statement


# --- Alerts and mail (machine-made rows) -----------------------------------------------------


def make_alert(user, title="Lot L24-117 put on hold", url="/lots/", read=False, minutes_ago=0, **kw):
    from app.models import Alert
    from app.models.types import utcnow

    alert = Alert(
        user_id=user.id,
        event=kw.pop("event", "lot.held"),
        title=title,
        url=url,
        priority=kw.pop("priority", "normal"),
        created_at=utcnow() - timedelta(minutes=minutes_ago),
        read_at=utcnow() if read else None,
        **kw,
    )
    db.session.add(alert)
    db.session.commit()
    return alert


def make_mail(status="sent", to="pat@example.com", subject="[Lotline] Lot L1 put on hold", **kw):
    """A message in the mail log; a failed one has used its attempts and kept the error."""
    from app.models import OutboxMessage
    from app.models.types import utcnow

    mail = OutboxMessage(
        event=kw.pop("event", "lot.held"),
        to_address=to,
        subject=subject,
        body_text=kw.pop("body_text", "Do not ship lot L1."),
        body_html=kw.pop("body_html", None),
        message_id=f"<test-{next(_seq)}@example.com>",
        status=status,
        attempts=kw.pop("attempts", 3 if status == "failed" else 1),
        last_error=kw.pop("last_error", "550 mailbox unavailable" if status == "failed" else None),
        created_at=utcnow() - timedelta(minutes=kw.pop("minutes_ago", 0)),
        **kw,
    )
    db.session.add(mail)
    db.session.commit()
    return mail


def make_rule(**kw):
    """An alert rule written straight (the admin form's service is tested on its own)."""
    from app.models import AlertRule

    values = dict(name="Holds to sales", event="lot.held", roles="sales", notify_assignee=False, enabled=True)
    values.update(kw)
    users = values.pop("users", [])
    rule = AlertRule(**values)
    rule.users = list(users)
    db.session.add(rule)
    db.session.commit()
    return rule
