"""Consignee responses (by the link in their notice, or entered by marketing) and what they
add up to: the effectiveness figures, the mass balance and the replacement quantities.
"""

import math
from dataclasses import dataclass
from decimal import Decimal

import sqlalchemy as sa

from .. import events
from ..audit import services as audit
from ..errors import NotAllowed, StaleRecord, ValidationError
from ..extensions import db
from ..models import Lot, OutboxMessage, Product, Recall, RecallNotice, RecallNoticeLine
from ..models.quantity import QuantityError, format_quantity, parse_quantity
from ..models.recall import RESPONSE_COMMENT_LIMIT, RESPONSE_NAME_LIMIT
from ..models.types import utcnow
from ..permissions import Permission
from ..reports.recall.data import Effectiveness, ReplacementNeed
from .services import accepts_responses

QUANTITIES = ("quantity_on_hand", "quantity_returned", "quantity_destroyed")
ELSEWHERE = "received_elsewhere"
LABELS = {
    "quantity_on_hand": "on hand",
    "quantity_returned": "returned",
    "quantity_destroyed": "destroyed",
    "distributed_further": "Distributed further",
    "response_by": "Your name",
    "response_comment": "Comment",
    "confirm_receipt": "Receipt",
}
# Share of consignees to check for each effectiveness level (21 CFR 7.42(b)(3)); B is per recall.
LEVEL_SHARE = {"A": 100, "C": 10, "D": 2, "E": 0}
_YES = (True, "y", "yes", "1", "true", "on")


@dataclass(frozen=True)
class Consignee:
    """Who acts when a consignee answers by link: named in the audit trail, not a user."""

    name: str
    id: None = None


@dataclass(frozen=True)
class AnswerLine:
    """One lot shipped to the notice's consignee, as the response form and pages show it."""

    line: RecallNoticeLine
    code: str
    product: str
    unit: str

    @property
    def lot_id(self) -> int:
        return self.line.lot_id

    @property
    def shipped(self) -> Decimal:
        return self.line.quantity

    @property
    def over_shipped(self) -> bool:
        """More of this lot accounted for than was shipped (flagged or not)."""
        return self.line.accounted_for > self.line.quantity


class AlreadyAnswered(ValidationError):
    """The link was used already: a replayed submission changes nothing."""


def answer_field(position: int, name: str) -> str:
    """The form field (and error key) of the answer for the notice's `position`-th lot in
    `answer_lines` order: lot_0_quantity_on_hand. Positions, not lot ids: a notice's lots
    are a snapshot taken at approval and never change, and the form's field names stay the
    same for every notice."""
    return f"lot_{position}_{name}"


def answer_lines(notice: RecallNotice) -> list[AnswerLine]:
    """The notice's lots with their answers, by product and lot code, in one query."""
    rows = db.session.execute(
        sa.select(RecallNoticeLine, Lot.code, Product.name, Lot.unit)
        .join(Lot, Lot.id == RecallNoticeLine.lot_id)
        .join(Product, Product.id == Lot.product_id)
        .where(RecallNoticeLine.notice_id == notice.id)
        .order_by(Product.name, Lot.code)
    ).all()
    return [AnswerLine(line, code, product, unit) for line, code, product, unit in rows]


def _lot_answer(data: dict, position: int, item: AnswerLine, errors: dict) -> dict:
    """One lot's three quantities and flag, checked; an answer above what was shipped of the
    lot is refused unless the consignee says they also had it from elsewhere."""
    values = {}
    for name in QUANTITIES:
        key = answer_field(position, name)
        try:
            values[name] = parse_quantity(data.get(key))
        except QuantityError as error:
            errors[key] = [f"Lot {item.code}, {LABELS[name]}: {error}"]
            values[name] = None
    values[ELSEWHERE] = data.get(answer_field(position, ELSEWHERE)) in _YES
    if any(values[name] is None for name in QUANTITIES):
        return values
    accounted = sum((values[name] for name in QUANTITIES), Decimal(0))
    if accounted > item.shipped and not values[ELSEWHERE]:
        errors[answer_field(position, ELSEWHERE)] = [
            f"Lot {item.code}: {format_quantity(accounted, item.unit)} accounted for, but "
            f"{format_quantity(item.shipped, item.unit)} were shipped to you. Correct the quantities, or "
            "tick “We also received this lot from elsewhere” if you had more of it from another source."
        ]
    return values


def validate_response(data: dict, lines: list[AnswerLine]) -> tuple[dict, dict[int, dict]]:
    """The consignee's answer, checked field by field: (the notice's values, each lot's
    answer by lot id); raises ValidationError naming the field."""
    errors: dict[str, list[str]] = {}
    values: dict = {}
    if not data.get("confirm_receipt"):
        errors["confirm_receipt"] = ["Tick the box to confirm you received the recall notice."]
    lots = {item.lot_id: _lot_answer(data, i, item, errors) for i, item in enumerate(lines)}
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
        first, message = next(iter(errors.items()))
        label = "" if first.startswith("lot_") else f"{LABELS[first]}: "
        raise ValidationError(f"{label}{message[0]}", errors)
    for name in QUANTITIES:  # the notice's totals over its lots
        values[name] = sum((answer[name] for answer in lots.values()), Decimal(0))
    values[ELSEWHERE] = any(answer[ELSEWHERE] for answer in lots.values())
    return values, lots


def _lot_snapshot(lines: list[AnswerLine]) -> dict:
    """Each lot's answer as the audit trail names it: {"FIN-A on hand": 4, ...}."""
    out = {}
    for item in lines:
        for name in (*QUANTITIES, ELSEWHERE):
            out[f"{item.code} {LABELS.get(name, 'received elsewhere')}"] = getattr(item.line, name)
    return out


def record_response(
    notice: RecallNotice, data: dict, *, source: str, actor=None, opened_version: int | None = None
) -> RecallNotice:
    """Store a consignee's answer, one per lot shipped to them, in each lot's unit. By link
    (`source="link"`) it is taken once: a second submission is refused and changes nothing.
    By hand (`source="manual"`, marketing, from the notice version the form was opened at)
    it may also correct an earlier answer; both are audited with before and after, lot by lot."""
    recall = notice.recall
    if source == "manual":
        if actor is None or not actor.can(Permission.RECALL_MANAGE):
            raise NotAllowed("Only marketing or an admin can enter a consignee's response.")
        if opened_version != notice.version:
            raise StaleRecord(f"The response of {notice.consignee.name} was changed by someone else meanwhile.")
    elif source != "link":
        raise ValueError(source)
    if not accepts_responses(recall):
        raise ValidationError(f"Recall {recall.reference} no longer takes responses.")
    if source == "link" and notice.responded_at is not None:
        raise AlreadyAnswered(
            "This notice has been answered already; to correct the answer, reply to the notice email or call us."
        )
    lines = answer_lines(notice)
    values, lots = validate_response(data, lines)
    if source == "link":
        actor = Consignee(f"{values['response_by']} ({notice.consignee.name}, by response link)"[:120])
    before = audit.snapshot(notice, values) | _lot_snapshot(lines) | {"responded_at": notice.responded_at}
    first_answer = notice.responded_at is None
    for key, value in values.items():
        setattr(notice, key, value)
    for item in lines:
        for key, value in lots[item.lot_id].items():
            setattr(item.line, key, value)
    notice.answer_shared_out = False  # answered lot by lot now
    notice.responded_at = notice.responded_at or utcnow()
    notice.response_source = source
    db.session.flush()
    after = values | _lot_snapshot(lines) | {"responded_at": notice.responded_at}
    changes = audit.diff(before, after)
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
    excess = _excess_by_notice(recall)
    notice_accounted = sum((sa.func.coalesce(getattr(RecallNotice, name), 0) for name in QUANTITIES), sa.literal(0))
    # A notice with no lot answered (answered before 0014 without lines) is weighed whole.
    notice_excess = sa.case(
        (sa.func.coalesce(excess.c.answered, 0) > 0, excess.c.excess),
        (notice_accounted > RecallNotice.quantity_shipped, notice_accounted - RecallNotice.quantity_shipped),
        else_=0,
    )
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
            sa.func.coalesce(sa.func.sum(notice_excess), 0),
            sa.func.coalesce(sa.func.sum(excess.c.flagged), 0),
            sa.func.count().filter(RecallNotice.received_elsewhere.is_(True)),
        )
        .select_from(RecallNotice)
        .outerjoin(OutboxMessage, OutboxMessage.id == RecallNotice.outbox_id)
        .outerjoin(excess, excess.c.notice_id == RecallNotice.id)
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
        beyond_shipped=Decimal(totals[9]),
        beyond_flagged=Decimal(totals[10]),
        elsewhere_consignees=totals[11],
        level=recall.effectiveness_level,
    )
    result.sample_share, result.sample_size = sample_size(
        recall.effectiveness_level, recall.effectiveness_percent, result.consignees
    )
    return result


def _line_accounted():
    return sum((sa.func.coalesce(getattr(RecallNoticeLine, name), 0) for name in QUANTITIES), sa.literal(0))


def over_reported_clause():
    """SQL condition on a notice: a lot of it answered above what was shipped of it without the
    consignee saying they had it from elsewhere (only answers recorded before migration 0014)."""
    line = RecallNoticeLine
    return sa.exists().where(
        line.notice_id == RecallNotice.id, line.received_elsewhere.is_(False), _line_accounted() > line.quantity
    )


def _excess_by_notice(recall: Recall):
    """Subquery per notice of the recall: how much its lots were answered above what was
    shipped of each (`excess`), the part of it the consignee flagged as received elsewhere
    (`flagged`), and how many of its lots are answered (`answered`)."""
    line = RecallNoticeLine
    accounted = _line_accounted()
    above = sa.case((accounted > line.quantity, accounted - line.quantity), else_=0)
    some_answer = sa.or_(*(getattr(line, name).is_not(None) for name in QUANTITIES))
    return (
        sa.select(
            line.notice_id,
            sa.func.sum(above).label("excess"),
            sa.func.sum(sa.case((line.received_elsewhere.is_(True), above), else_=0)).label("flagged"),
            sa.func.count().filter(some_answer).label("answered"),
        )
        .join(RecallNotice, RecallNotice.id == line.notice_id)
        .where(RecallNotice.recall_id == recall.id)
        .group_by(line.notice_id)
        .subquery("excess")
    )


def replacement_needs(recall: Recall) -> list[ReplacementNeed]:
    """When the remedy is replace: per product and unit, what consignees report on hand and
    returned, from their answers lot by lot (one aggregate query)."""
    line = RecallNoticeLine
    rows = db.session.execute(
        sa.select(
            Product.name,
            Lot.unit,
            sa.func.sum(line.quantity),
            sa.func.coalesce(sa.func.sum(line.quantity_on_hand), 0),
            sa.func.coalesce(sa.func.sum(line.quantity_returned), 0),
        )
        .join(RecallNotice, RecallNotice.id == line.notice_id)
        .join(Lot, Lot.id == line.lot_id)
        .join(Product, Product.id == Lot.product_id)
        .where(RecallNotice.recall_id == recall.id)
        .group_by(Product.name, Lot.unit)
        .order_by(Product.name, Lot.unit)
    ).all()
    return [
        ReplacementNeed(product, unit, Decimal(shipped or 0), Decimal(on_hand), Decimal(returned))
        for product, unit, shipped, on_hand, returned in rows
    ]
