"""Consignee responses (by the link in their notice, or entered by marketing) and what they
add up to: the effectiveness figures, the mass balance and the replacement quantities.
"""

import math
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

import sqlalchemy as sa

from .. import events
from ..audit import services as audit
from ..errors import NotAllowed, ValidationError
from ..extensions import db
from ..models import Lot, OutboxMessage, Product, Recall, RecallNotice, RecallNoticeLine
from ..models.recall import RESPONSE_COMMENT_LIMIT, RESPONSE_NAME_LIMIT
from ..models.types import utcnow
from ..permissions import Permission
from ..reports.recall.data import Effectiveness, ReplacementNeed
from .services import accepts_responses

QUANTITIES = ("quantity_on_hand", "quantity_returned", "quantity_destroyed")
MAX_QUANTITY = Decimal("99999999999")  # fits Numeric(14, 3)
LABELS = {
    "quantity_on_hand": "Quantity on hand",
    "quantity_returned": "Quantity returned",
    "quantity_destroyed": "Quantity destroyed",
    "distributed_further": "Distributed further",
    "response_by": "Your name",
    "response_comment": "Comment",
    "confirm_receipt": "Receipt",
}
# Share of consignees to check for each effectiveness level (21 CFR 7.42(b)(3)); B is per recall.
LEVEL_SHARE = {"A": 100, "C": 10, "D": 2, "E": 0}


@dataclass(frozen=True)
class Consignee:
    """Who acts when a consignee answers by link: named in the audit trail, not a user."""

    name: str
    id: None = None


class AlreadyAnswered(ValidationError):
    """The link was used already: a replayed submission changes nothing."""


def _quantity(raw, errors: dict, name: str) -> Decimal | None:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        errors[name] = ["Enter a number (0 if none)."]
        return None
    try:
        value = raw if isinstance(raw, Decimal) else Decimal(str(raw).strip().replace(",", ""))
    except (InvalidOperation, ValueError):
        errors[name] = ["Enter a number, such as 0, 12 or 2.5."]
        return None
    if not value.is_finite():
        errors[name] = ["Enter a number, such as 0, 12 or 2.5."]
    elif value < 0:
        errors[name] = ["A quantity cannot be negative."]
    elif value > MAX_QUANTITY:
        errors[name] = ["This quantity is too large."]
    elif value != value.quantize(Decimal("0.001")):
        errors[name] = ["Use at most 3 decimal places."]
    else:
        return value
    return None


def validate_response(data: dict) -> dict:
    """The consignee's answer, checked field by field; raises ValidationError naming the field."""
    errors: dict[str, list[str]] = {}
    values: dict = {}
    if not data.get("confirm_receipt"):
        errors["confirm_receipt"] = ["Tick the box to confirm you received the recall notice."]
    for name in QUANTITIES:
        values[name] = _quantity(data.get(name), errors, name)
    further = data.get("distributed_further")
    if further in (True, "yes", "y", "1", "true"):
        values["distributed_further"] = True
    elif further in (False, "no", "n", "0", "false"):
        values["distributed_further"] = False
    else:
        errors["distributed_further"] = ["Tell us whether you passed the product on: yes or no."]
    name = (data.get("response_by") or "").strip()
    if not name:
        errors["response_by"] = ["Give the name of the person answering."]
    elif len(name) > RESPONSE_NAME_LIMIT:
        errors["response_by"] = [f"Keep the name under {RESPONSE_NAME_LIMIT} characters."]
    values["response_by"] = name
    comment = (data.get("response_comment") or "").strip()
    if len(comment) > RESPONSE_COMMENT_LIMIT:
        errors["response_comment"] = [f"Keep the comment under {RESPONSE_COMMENT_LIMIT} characters."]
    values["response_comment"] = comment or None
    if errors:
        first = next(iter(errors))
        raise ValidationError(f"{LABELS[first]}: {errors[first][0]}", errors)
    return values


def record_response(notice: RecallNotice, data: dict, *, source: str, actor=None) -> RecallNotice:
    """Store a consignee's answer. By link (`source="link"`) it is taken once: a second
    submission is refused and changes nothing. By hand (`source="manual"`, marketing) it
    may also correct an earlier answer; both are audited with before and after."""
    recall = notice.recall
    if source == "manual":
        if actor is None or not actor.can(Permission.RECALL_MANAGE):
            raise NotAllowed("Only marketing or an admin can enter a consignee's response.")
    elif source != "link":
        raise ValueError(source)
    if not accepts_responses(recall):
        raise ValidationError(f"Recall {recall.reference} no longer takes responses.")
    if source == "link" and notice.responded_at is not None:
        raise AlreadyAnswered(
            "This notice has been answered already; to correct the answer, reply to the notice email or call us."
        )
    values = validate_response(data)
    if source == "link":
        actor = Consignee(f"{values['response_by']} ({notice.consignee.name}, by response link)"[:120])
    before = audit.snapshot(notice, values) | {"responded_at": notice.responded_at}
    first_answer = notice.responded_at is None
    for key, value in values.items():
        setattr(notice, key, value)
    notice.responded_at = notice.responded_at or utcnow()
    notice.response_source = source
    db.session.flush()
    changes = audit.diff(before, values | {"responded_at": notice.responded_at})
    changes["consignee"] = [None, notice.consignee.name]
    audit.record(
        "response received" if first_answer else "response corrected",
        "recall",
        recall.id,
        label=recall.reference,
        changes=changes,
        actor=actor,
    )
    if first_answer:
        events.emit("recall.response_received", notice, actor=actor)
    return notice


def notification_state():
    """SQL expression: pending / queued / sent / failed / notified for a notice joined to its outbox row."""
    return sa.case(
        (RecallNotice.status == "notified", "notified"),
        (OutboxMessage.status == "sent", "sent"),
        (OutboxMessage.status == "failed", "failed"),
        (RecallNotice.status == "queued", "queued"),
        else_="pending",
    )


def notified_at():
    return sa.func.coalesce(RecallNotice.notified_at, OutboxMessage.sent_at)


def told_clause():
    """SQL condition: the consignee was told (email delivered, told by hand, or answered);
    needs the notice's outbox row joined."""
    return sa.or_(
        RecallNotice.status == "notified", OutboxMessage.status == "sent", RecallNotice.responded_at.is_not(None)
    )


def sample_size(level: str, percent: int | None, consignees: int) -> tuple[int, int]:
    """(share in percent, consignees to check) for an effectiveness level; rounded up so a
    small recall still gets one check (2% of 10 consignees is 1, not 0)."""
    share = (percent or 0) if level == "B" else LEVEL_SHARE.get(level, 0)
    return share, math.ceil(consignees * share / 100) if share else 0


def effectiveness(recall: Recall) -> Effectiveness:
    """The recall's figures in two aggregate queries, whatever the number of consignees."""
    state = notification_state()
    by_state = db.session.execute(
        sa.select(state, sa.func.count())
        .select_from(RecallNotice)
        .outerjoin(OutboxMessage, OutboxMessage.id == RecallNotice.outbox_id)
        .where(RecallNotice.recall_id == recall.id)
        .group_by(state)
    ).all()
    told = told_clause()
    answered = RecallNotice.responded_at.is_not(None)
    totals = db.session.execute(
        sa.select(
            sa.func.count(),
            sa.func.count().filter(told),
            sa.func.count().filter(answered),
            sa.func.count().filter(RecallNotice.distributed_further.is_(True)),
            sa.func.coalesce(sa.func.sum(RecallNotice.quantity_shipped), 0),
            sa.func.coalesce(sa.func.sum(RecallNotice.quantity_on_hand), 0),
            sa.func.coalesce(sa.func.sum(RecallNotice.quantity_returned), 0),
            sa.func.coalesce(sa.func.sum(RecallNotice.quantity_destroyed), 0),
            sa.func.coalesce(sa.func.sum(RecallNotice.quantity_shipped).filter(answered), 0),
        )
        .select_from(RecallNotice)
        .outerjoin(OutboxMessage, OutboxMessage.id == RecallNotice.outbox_id)
        .where(RecallNotice.recall_id == recall.id)
    ).one()
    result = Effectiveness(
        consignees=totals[0],
        states={name: count for name, count in by_state},
        notified=totals[1],
        responded=totals[2],
        distributed_further=totals[3],
        shipped=Decimal(totals[4]),
        on_hand=Decimal(totals[5]),
        returned=Decimal(totals[6]),
        destroyed=Decimal(totals[7]),
        shipped_to_responders=Decimal(totals[8]),
        level=recall.effectiveness_level,
    )
    result.sample_share, result.sample_size = sample_size(
        recall.effectiveness_level, recall.effectiveness_percent, result.consignees
    )
    return result


def replacement_needs(recall: Recall) -> list[ReplacementNeed]:
    """When the remedy is replace: per product, what consignees report on hand and returned.

    A response gives quantities for the whole notice; a notice spanning several products has
    them shared out in proportion to the quantity of each product shipped to that consignee.
    """
    rows = db.session.execute(
        sa.select(
            RecallNotice.id,
            RecallNotice.quantity_shipped,
            RecallNotice.quantity_on_hand,
            RecallNotice.quantity_returned,
            Product.name,
            Lot.unit,
            sa.func.sum(RecallNoticeLine.quantity),
        )
        .join(RecallNoticeLine, RecallNoticeLine.notice_id == RecallNotice.id)
        .join(Lot, Lot.id == RecallNoticeLine.lot_id)
        .join(Product, Product.id == Lot.product_id)
        .where(RecallNotice.recall_id == recall.id)
        .group_by(
            RecallNotice.id,
            RecallNotice.quantity_shipped,
            RecallNotice.quantity_on_hand,
            RecallNotice.quantity_returned,
            Product.name,
            Lot.unit,
        )
        .order_by(Product.name)
    ).all()
    needs: dict[tuple[str, str], ReplacementNeed] = {}
    for _id, total, on_hand, returned, product, unit, shipped in rows:
        key = (product, unit)
        need = needs.setdefault(key, ReplacementNeed(product, unit, Decimal(0), Decimal(0), Decimal(0)))
        shipped = Decimal(shipped or 0)
        need.shipped += shipped
        share = shipped / Decimal(total) if total else Decimal(0)
        need.on_hand += Decimal(on_hand or 0) * share
        need.returned += Decimal(returned or 0) * share
    for need in needs.values():
        need.on_hand = need.on_hand.quantize(Decimal("0.001"))
        need.returned = need.returned.quantize(Decimal("0.001"))
    return sorted(needs.values(), key=lambda n: n.product)
