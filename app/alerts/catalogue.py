"""What each alertable event says: its title, link, severity, the person it concerns and its facts.

Services raise events through app/events.py; this table is how the alert dispatcher
describes them. An event missing here raises no alert.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

import sqlalchemy as sa

from ..extensions import db
from ..models import Lot, RecallNoticeLine
from ..models.quantity import format_quantity

HIGH_SEVERITY = 4  # severity at or above which an alert is high priority


@dataclass
class Described:
    """One occurrence of an event, ready to be told to people."""

    title: str
    endpoint: str
    url_values: dict
    record_type: str | None = None
    record_id: int | None = None
    severity: int | None = None
    high_priority: bool = False
    assignee_id: int | None = None
    facts: list[tuple[str, object]] = field(default_factory=list)
    text: str | None = None  # a paragraph quoted in the email (what happened, a reason)


@dataclass(frozen=True)
class EventSpec:
    name: str
    label: str
    help: str
    describe: Callable[..., Described]
    has_assignee: bool = False
    has_severity: bool = False


def _clip(text: str | None, limit: int = 600) -> str | None:
    if text and len(text) > limit:
        return text[: limit - 1] + "…"
    return text


def _complaint_facts(c) -> list[tuple[str, object]]:
    return [
        ("Customer", c.customer.name),
        ("Product", f"{c.product.sku} {c.product.name}"),
        ("Lots", c.lot_codes or "not given"),
        ("Category", c.category_label),
        ("Injury or illness", "YES" if c.injury else "no"),
        ("Received", c.received_at),
    ]


def complaint_logged(c, **_) -> Described:
    # Before triage a complaint has no severity; an injury counts as high severity.
    severity = c.severity if c.severity is not None else (HIGH_SEVERITY if c.injury else None)
    high = c.injury or (severity or 0) >= HIGH_SEVERITY
    what = "injury or illness reported" if c.injury else c.category_label.lower()
    return Described(
        title=f"Complaint {c.reference} logged: {c.product.name} ({what})",
        endpoint="complaints.detail",
        url_values={"complaint_id": c.id},
        record_type="complaint",
        record_id=c.id,
        severity=severity,
        high_priority=high,
        facts=_complaint_facts(c),
        text=_clip(c.description),
    )


def complaint_triaged(c, **_) -> Described:
    facts = [
        ("Investigator", c.investigator.name if c.investigator else "–"),
        ("Severity × probability", f"{c.severity} × {c.probability} = risk {c.risk_score}"),
        ("Reportable", "YES" if c.reportable else "no"),
        ("Due", c.due_date),
        *_complaint_facts(c),
    ]
    return Described(
        title=f"Complaint {c.reference} triaged: risk {c.risk_score}, investigation due {c.due_date}",
        endpoint="complaints.detail",
        url_values={"complaint_id": c.id},
        record_type="complaint",
        record_id=c.id,
        severity=c.severity,
        high_priority=(c.severity or 0) >= HIGH_SEVERITY or bool(c.injury),
        assignee_id=c.investigator_id,
        facts=facts,
        text=_clip(c.description),
    )


def _incident(i, verb: str) -> Described:
    return Described(
        title=f"Incident {i.reference} {verb}: {i.title}",
        endpoint="incidents.detail",
        url_values={"incident_id": i.id},
        record_type="incident",
        record_id=i.id,
        severity=i.severity,
        high_priority=(i.severity or 0) >= HIGH_SEVERITY,
        assignee_id=i.owner_id,
        facts=[
            ("Owner", i.owner.name),
            ("Severity", i.severity or "not yet rated"),
            ("Status", i.status.replace("_", " ")),
        ],
        text=_clip(i.description),
    )


def incident_opened(i, **_) -> Described:
    return _incident(i, "opened")


def incident_escalated(i, **_) -> Described:
    described = _incident(i, "escalated")
    described.high_priority = True
    return described


def signature_locked(user, **_) -> Described:
    return Described(
        title=f"E-signing locked for {user.name} ({user.username})",
        endpoint="admin.users",
        url_values={},
        record_type="user",
        record_id=user.id,
        high_priority=True,
        facts=[
            ("User", f"{user.name} ({user.username})"),
            ("Why", "Too many wrong passwords when signing; someone may be guessing it."),
            ("Do", "Check with the user; if it was not them, reset the password (it ends every session)."),
        ],
    )


def lots_held(lot_ids, reason: str | None = None, **_) -> Described:
    from ..models import Lot, Product

    shown = 20
    rows = db.session.execute(
        sa.select(Lot.id, Lot.code, Product.name)
        .join(Product, Product.id == Lot.product_id)
        .where(Lot.id.in_(lot_ids[:shown]))
        .order_by(Lot.code)
    ).all()
    codes = ", ".join(f"{r.code} ({r.name})" for r in rows)
    if len(lot_ids) > shown:
        codes += f" and {len(lot_ids) - shown:,} more"
    single = len(lot_ids) == 1
    return Described(
        title=f"Lot {rows[0].code} put on hold" if single and rows else f"{len(lot_ids):,} lots put on hold",
        endpoint="trace.lot" if single else "trace.lots",
        url_values={"lot_id": lot_ids[0]} if single else {"status": "on_hold"},
        record_type="lot",
        record_id=lot_ids[0] if lot_ids else None,
        high_priority=True,
        facts=[("Lots", codes), ("Do", "Do not ship, sell or use these lots until they are released.")],
        text=reason,
    )


def _action(a, title: str, high: bool = False) -> Described:
    return Described(
        title=title,
        endpoint="capa.detail",
        url_values={"action_id": a.id},
        record_type="action",
        record_id=a.id,
        high_priority=high,
        assignee_id=a.owner_id,
        facts=[
            ("Incident", f"{a.incident.reference} {a.incident.title}"),
            ("Kind", a.kind),
            ("Owner", a.owner.name),
            ("Due", a.due_date),
        ],
        text=_clip(a.description),
    )


def action_assigned(a, **_) -> Described:
    return _action(a, f"Action {a.reference} assigned to {a.owner.name}, due {a.due_date}")


def action_due_soon(a, days: int | None = None, **_) -> Described:
    when = "today" if days == 0 else ("tomorrow" if days == 1 else f"in {days} days")
    return _action(a, f"Action {a.reference} is due {when} ({a.due_date})")


def action_overdue(a, days: int | None = None, **_) -> Described:
    late = f"{days} day{'s' if days != 1 else ''} overdue" if days else "overdue"
    return _action(a, f"Action {a.reference} is {late} (was due {a.due_date})", high=True)


def _recall(r, title: str, high: bool = True, text: str | None = None) -> Described:
    return Described(
        title=title,
        endpoint="recalls.detail",
        url_values={"recall_id": r.id},
        record_type="recall",
        record_id=r.id,
        high_priority=high,
        assignee_id=r.proposed_by_id,
        facts=[
            ("Incident", f"{r.incident.reference} {r.incident.title}"),
            ("Classification", f"Class {r.classification}"),
            ("Depth", r.depth),
            ("Remedy", r.remedy),
            ("Proposed by", r.proposed_by.name),
        ],
        text=text,
    )


def recall_proposed(r, **_) -> Described:
    return _recall(
        r,
        f"Recall {r.reference} proposed (Class {r.classification}): {r.title} — approval needed",
        text=_clip(r.hazard),
    )


def recall_approved(r, **_) -> Described:
    approver = r.approved_by.name if r.approved_by else "–"
    return _recall(
        r,
        f"Recall {r.reference} APPROVED (Class {r.classification}): {r.title}",
        text=f"Approved by {approver}. {r.instructions}",
    )


def statement_awaiting(st, **_) -> Described:
    about = st.recall.reference if st.recall else (st.incident.reference if st.incident else "no record")
    return Described(
        title=f"Statement {st.reference} v{st.current_version} waits for approval: {st.title}",
        endpoint="press.statement",
        url_values={"statement_id": st.id},
        record_type="statement",
        record_id=st.id,
        high_priority=bool(st.recall_id),
        facts=[("Kind", st.kind.replace("_", " ")), ("About", about), ("Author", st.author.name)],
        text=_clip(st.body),
    )


def inquiry_deadline(q, hours: int | None = None, **_) -> Described:
    return Described(
        title=f"Press inquiry {q.reference} from {q.outlet}: deadline in {hours} h"
        if hours is not None
        else f"Press inquiry {q.reference} from {q.outlet}: deadline near",
        endpoint="press.inquiry",
        url_values={"inquiry_id": q.id},
        record_type="inquiry",
        record_id=q.id,
        high_priority=True,
        assignee_id=q.assignee_id,
        facts=[("Journalist", q.journalist), ("Channel", q.channel), ("Deadline", q.deadline)],
        text=_clip(q.question),
    )


def _lot_answers(notice) -> list[tuple[str, str]]:
    """One fact per lot answered: "Lot FIN-A": "on hand 4 · returned 6 · destroyed 0 of 15 bags"."""
    rows = db.session.execute(
        sa.select(RecallNoticeLine, Lot.code, Lot.unit)
        .join(Lot, Lot.id == RecallNoticeLine.lot_id)
        .where(RecallNoticeLine.notice_id == notice.id)
        .order_by(Lot.code)
    ).all()
    facts = []
    for line, code, unit in rows:
        answer = " · ".join(
            f"{label} {format_quantity(getattr(line, name))}"
            for label, name in (
                ("on hand", "quantity_on_hand"),
                ("returned", "quantity_returned"),
                ("destroyed", "quantity_destroyed"),
            )
        )
        elsewhere = " (also received from elsewhere)" if line.received_elsewhere else ""
        facts.append((f"Lot {code}", f"{answer} of {format_quantity(line.quantity, unit)} shipped{elsewhere}"))
    return facts


def recall_response(notice, **_) -> Described:
    r = notice.recall
    described = _recall(
        r,
        f"Recall {r.reference}: {notice.consignee.name} responded",
        high=bool(notice.distributed_further),
        text=_clip(notice.response_comment),
    )
    described.facts = [
        ("Consignee", notice.consignee.name),
        *_lot_answers(notice),
        ("Distributed further", "YES" if notice.distributed_further else "no"),
    ]
    return described


EVENTS: dict[str, EventSpec] = {
    spec.name: spec
    for spec in (
        EventSpec(
            "complaint.logged",
            "Complaint logged",
            "A sales rep logged a complaint (high priority with injury or severity ≥ 4).",
            complaint_logged,
            has_severity=True,
        ),
        EventSpec(
            "complaint.triaged",
            "Complaint triaged",
            "Production triaged a complaint; the investigator is its assignee.",
            complaint_triaged,
            has_assignee=True,
            has_severity=True,
        ),
        EventSpec(
            "incident.opened",
            "Incident opened",
            "An incident was opened from complaints; the owner is its assignee.",
            incident_opened,
            has_assignee=True,
            has_severity=True,
        ),
        EventSpec(
            "incident.escalated",
            "Incident escalated",
            "An incident was escalated to a recall decision.",
            incident_escalated,
            has_assignee=True,
            has_severity=True,
        ),
        EventSpec("lot.held", "Lots put on hold", "Production put one or more lots on hold.", lots_held),
        EventSpec(
            "signature.locked",
            "E-signing locked",
            "A user typed too many wrong passwords when signing (SIGNATURE_MAX_FAILURES within "
            "SIGNATURE_LOCK_MINUTES); their signing is locked for the rest of that time.",
            signature_locked,
        ),
        EventSpec(
            "action.assigned",
            "Action assigned",
            "A corrective or preventive action was given to its owner (the assignee).",
            action_assigned,
            has_assignee=True,
        ),
        EventSpec(
            "action.due_soon",
            "Action due soon",
            "An open action is due within ALERT_DUE_SOON_DAYS days (checked by the worker, once a day).",
            action_due_soon,
            has_assignee=True,
        ),
        EventSpec(
            "recall.proposed",
            "Recall proposed",
            "A recall was proposed and waits for a second person's signed approval (the proposer is the assignee).",
            recall_proposed,
            has_assignee=True,
        ),
        EventSpec(
            "recall.approved",
            "Recall approved",
            "A recall was approved: its lots are recalled and notices can go out (the proposer is the assignee).",
            recall_approved,
            has_assignee=True,
        ),
        EventSpec(
            "recall.response_received",
            "Consignee response received",
            "A consignee answered a recall notice (high priority when they distributed further).",
            recall_response,
            has_assignee=True,
        ),
        EventSpec(
            "statement.awaiting_approval",
            "Statement awaits approval",
            "A press statement was sent for approval; a marketing user or admin who did not write it must sign.",
            statement_awaiting,
        ),
        EventSpec(
            "inquiry.deadline_near",
            "Press deadline near",
            "An open press inquiry's deadline is within ALERT_PRESS_DEADLINE_HOURS (checked by the worker).",
            inquiry_deadline,
            has_assignee=True,
        ),
        EventSpec(
            "action.overdue",
            "Action overdue",
            "An open action is past its due date (checked by the worker, once a day).",
            action_overdue,
            has_assignee=True,
        ),
    )
}


def event_choices() -> list[tuple[str, str]]:
    return [(name, spec.label) for name, spec in EVENTS.items()]
