"""The scenario's incidents and CAPA actions, made through the services as production would."""

from datetime import date, timedelta
from io import BytesIO

import sqlalchemy as sa
from werkzeug.datastructures import FileStorage

from app.attachments import services as attachments
from app.capa import services as capa
from app.complaints import services as complaints
from app.extensions import db
from app.incidents import scope
from app.incidents import services as incidents
from app.models import Action, Attachment, Complaint, ComplaintLot, Incident, Lot
from app.trace import engine

# A tiny valid PNG and PDF: what a phone photo and a lab report are to the app (bytes it keeps).
PHOTO = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 64
LAB_REPORT = b"%PDF-1.4\n% lab report: metal detector log, line 2\n" + b"0" * 4096 + b"\n%%EOF\n"
FILES = {"metal-piece.png": PHOTO, "lab-report.pdf": LAB_REPORT}
WHYS = [
    "Metal pieces reached the bars.",
    "The sieve on the oat intake was torn.",
    "The sieve was past its replacement interval.",
    "Sieve checks were not in the line-start checklist.",
    "The checklist was written before the new intake was installed.",
]
TOPICS = (
    ("Foreign matter", "Hard plastic pieces found in the product by several customers."),
    ("Off odour", "Customers report a rancid smell soon after opening."),
    ("Packaging", "Torn inner bags and split seams reported from stores."),
    ("Underweight", "Packs weigh less than declared on the label."),
    ("Allergen labelling", "A pack may contain an allergen the label does not declare."),
)
# Where each incident ends up, in turn (a plant's mix: most open or being worked on); the
# first five take one state each, so even a tiny scenario has an incident in every state.
# "contained": investigating with its containment recorded; "escalated": left investigating
# for the recall scenario, whose proposal escalates it.
STATES = ("open",) * 6 + ("investigating",) * 5 + ("contained",) * 4 + ("closed",) * 4 + ("escalated",)
FIRST_STATES = ("open", "investigating", "contained", "closed", "escalated")


def _action(incident: Incident, cast, n: int, kind: str, description: str) -> Action:
    owner = cast.pick("production", n)
    return capa.create_action(
        incident,
        dict(
            kind=kind,
            description=description,
            owner_id=owner.id,
            due_date=date.today() + timedelta(days=7 + n % 60),
            effectiveness_check="No repeat complaint of this kind for three months.",
            effectiveness_due=date.today() + timedelta(days=100 + n % 60),
        ),
        cast.production,
    )


def _advance(action: Action, cast, steps: int) -> None:
    """Move an action `steps` moves along: start, implement, then verify (signed) or not."""
    production = cast.production
    if steps >= 1:
        capa.apply_transition(action, "start", {}, production)
    if steps >= 2:
        capa.apply_transition(action, "implement", dict(implementation_note="Done on all three lines."), production)
    if steps == 3:
        capa.apply_transition(
            action,
            "verify",
            dict(effectiveness_result="No repeat in 90 days.", meaning="verified", password=cast.password(production)),
            production,
        )
    if steps == 4:
        capa.apply_transition(action, "ineffective", dict(effectiveness_result="Two repeats in May."), production)


def restore_files() -> None:
    """Write back an attachment's file if it went missing (the rows outlive a cleaned folder)."""
    for attachment in db.session.scalars(sa.select(Attachment)):
        path = attachments.file_path(attachment)
        if not path.is_file() and attachment.original_name in FILES:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(FILES[attachment.original_name])


def _attach(record_type: str, record, data: bytes, name: str, actor) -> int:
    attachment, _ = attachments.add_attachment(record_type, record, FileStorage(BytesIO(data), filename=name), actor)
    return attachment.id


def main_incident(cast, root: int, sizes) -> dict:
    """Complaints about lots made from the recall's root lot, grouped into one incident: traced
    forward from the root, the affected lots held, analysed (5 whys, root cause), with actions."""
    trace = [r.id for r in engine.forward([root])] + [root]
    named = (
        sa.select(ComplaintLot.complaint_id)
        .join(Lot, Lot.code == ComplaintLot.lot_code)
        .where(engine.id_in(Lot.id, trace))
        .distinct()
        .order_by(ComplaintLot.complaint_id.desc())
        .limit(sizes.main_complaints)
    )
    ids = list(db.session.scalars(named))
    if len(ids) < 2:  # a tiny test plant: any complaints will do
        ids += list(db.session.scalars(sa.select(Complaint.id).order_by(Complaint.id).limit(sizes.main_complaints)))
    production = cast.production
    incident = incidents.create_incident(
        sorted(set(ids)),
        dict(
            title="Metal fragments in oat products",
            description="Customers found small metal pieces in bars and cereals made from one oat lot.",
            owner_id=production.id,
            severity=4,
            probability=3,
        ),
        production,
    )
    incidents.apply_transition(incident, "investigate", {}, production)
    scope.store_trace(incident, [root], None, production)
    scope.hold_affected(incident, "Metal fragments: hold everything made from the oat lot.", production)
    incident = db.session.get(Incident, incident.id)
    values = {name: getattr(incident, name) for name in incidents.EDITABLE_FIELDS}
    values |= dict(
        fishbone_category="machine",
        root_cause="A torn intake sieve let metal pieces of its frame into the oats.",
        escape_point="The metal detector after the mixer was set for 3 mm; the pieces were 2 mm.",
    )
    incidents.update_incident(incident, values, WHYS, production, incident.version)
    work = (
        ("corrective", "Replace the intake sieve and inspect the frame."),
        ("corrective", "Set the metal detector to 1.5 mm and test it every shift."),
        ("preventive", "Add the sieve check to the line-start checklist."),
        ("preventive", "Replace intake sieves every six months."),
    )
    actions = [_action(incident, cast, n, kind, text) for n, (kind, text) in enumerate(work)]
    for n, action in enumerate(actions):
        _advance(action, cast, min(n, 3))
    first = db.session.get(Complaint, min(ids))
    for n, text in enumerate(("Sample received at the lab.", "Lab: steel, 2 mm, matches the sieve frame.")):
        complaints.add_comment(first, text, production if n else cast.sales)
    photo = _attach("complaint", first, PHOTO, "metal-piece.png", cast.sales)
    report = _attach("incident", incident, LAB_REPORT, "lab-report.pdf", production)
    return {
        "main_incident": incident.id,
        "main_complaints": sorted(set(ids)),
        "main_complaint": first.id,
        "main_action": actions[0].id,
        "verified_action": actions[3].id,
        "attachments": [photo, report],
    }


def _complaint_pool(exclude: list[int], wanted: int, statuses=("triaged", "investigating", "resolved")) -> list[int]:
    """Triaged complaints, most recent first, for the incidents to group."""
    return list(
        db.session.scalars(
            sa.select(Complaint.id)
            .where(Complaint.status.in_(statuses), Complaint.id.not_in(exclude))
            .order_by(Complaint.id.desc())
            .limit(wanted)
        )
    )


def _close(incident: Incident, actions: list[Action], cast) -> None:
    production = cast.production
    for action in actions:
        if action.status != "verified":
            capa.justify(action, "Superseded by the line-2 sieve programme.", production)
    values = {name: getattr(incident, name) for name in incidents.EDITABLE_FIELDS}
    values |= dict(root_cause="Worn seal on the filler.", fishbone_category="machine", decision="no_action")
    incidents.update_incident(incident, values, WHYS[:3], production, incident.version)
    incidents.apply_transition(
        incident,
        "close",
        dict(closing_summary="Cause removed, no repeat.", meaning="approved"),
        production,
        cast.password(production),
    )


def incidents_with_actions(cast, sizes, exclude: list[int]) -> dict:
    """`sizes.incidents` incidents of one to four complaints each, in every state, with one to
    three actions each; some actions late (their due dates moved back: the scenario is written
    in minutes, a plant's actions over months)."""
    pool = _complaint_pool(exclude, sizes.incidents * 4)
    # An incident closes only when its complaints are answered: the closed ones group resolved
    # complaints (the plant's complaints are not moved, so a reset leaves them as they were).
    answered = _complaint_pool(exclude, sizes.incidents * 4, statuses=("resolved", "closed"))
    production = cast.production
    facts: dict = {"escalated": []}
    taken = 0
    for n in range(sizes.incidents):
        size = 1 + n % 4
        state = FIRST_STATES[n] if n < len(FIRST_STATES) else STATES[n % len(STATES)]
        if state == "closed" and answered:
            chosen = [answered[n % len(answered)]]
        else:
            chosen = pool[taken : taken + size] or pool[:1]
            taken += size
        title, description = TOPICS[n % len(TOPICS)]
        owner = cast.pick("production", n)
        incident = incidents.create_incident(
            chosen,
            dict(
                title=f"{title} ({n + 1})",
                description=description,
                owner_id=owner.id,
                severity=1 + n % 5,
                probability=1 + (n * 3) % 5,
            ),
            production,
        )
        kinds = ("corrective", "preventive", "corrective")[: 1 + n % 3]
        actions = [_action(incident, cast, n + k, kind, f"{title}: step {k + 1}.") for k, kind in enumerate(kinds)]
        for k, action in enumerate(actions):
            # one action in eight is verified (signed), a few ineffective, the rest under way
            _advance(action, cast, 3 if (n + k) % 8 == 0 else 4 if (n + k) % 13 == 0 else (n + k) % 3)
        if state in ("investigating", "contained", "closed", "escalated"):
            incidents.apply_transition(incident, "investigate", {}, production)
        if state in ("contained", "closed"):
            incidents.apply_transition(
                incident, "contain", dict(containment="Stock in the warehouse held."), production
            )
        if state == "closed":
            _close(incident, actions, cast)
        if state == "escalated":
            facts["escalated"].append(incident.id)  # the recall scenario's proposal escalates it
        facts.setdefault(f"{state}_incident", incident.id)
        for action in actions:
            facts.setdefault(f"{action.status}_action", action.id)
    late = sa.select(Action.id).where(Action.status.in_(("planned", "in_progress")), Action.id % 5 == 0)
    db.session.execute(sa.update(Action).where(Action.id.in_(late)).values(due_date=date.today() - timedelta(days=10)))
    facts["new_complaint"] = db.session.scalar(
        sa.select(Complaint.id).where(Complaint.status == "new").order_by(Complaint.id.desc()).limit(1)
    )
    facts["investigating_complaint"] = db.session.scalar(
        sa.select(Complaint.id).where(Complaint.status == "investigating").order_by(Complaint.id.desc()).limit(1)
    )
    return facts
