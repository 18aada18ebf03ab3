"""Gather what the recall reports print, as plain rows for the pure builders in
app/reports/recall.

The small parts (the recall's facts, the figures, the timeline, the signatures) are read
at once. The long lists (lots in scope, consignees) are generators over ONE streamed query
each (a server-side cursor on PostgreSQL), handed out CHUNK_ROWS plain rows at a time: a
recall of 10,000 consignees is never one giant load, and each chunk becomes one table of
the PDF.
"""

import json
from collections import defaultdict
from collections.abc import Iterator
from datetime import date
from functools import partial
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from ..audit.checkpoints import printed_seal
from ..charts.effectiveness import ResponseCurve
from ..extensions import db
from ..models import (
    CLASSIFICATIONS,
    DEPTHS,
    EFFECTIVENESS_LEVELS,
    MEANINGS,
    NOTICE_METHODS,
    REMEDIES,
    STATEMENT_KINDS,
    AuditEvent,
    Customer,
    Incident,
    Lot,
    OutboxMessage,
    Product,
    Recall,
    RecallLot,
    RecallNotice,
    Statement,
    StatementVersion,
    User,
)
from ..models.types import utcnow
from ..reports.recall.data import (
    ConsigneeRow,
    EventRow,
    Facts,
    LotRow,
    NotifiedRow,
    PressRow,
    RecallReportData,
    SignatureRow,
)
from ..reports.styles import CHUNK_ROWS
from ..signatures.services import signatures_for
from ..trends.queries import recall_info, response_curves
from ..web.zones import company_zone
from ..workflow import LOT, RECALL, STATEMENT
from .responses import effectiveness, notification_state, notified_at, over_reported_clause, replacement_needs

# Audit events about one consignee each. A recall of thousands of consignees has thousands
# of them, which the consignee table already shows row by row: past TIMELINE_DETAIL they
# are counted per day and action in the timeline instead of listed (the audit log has each).
PER_CONSIGNEE = ("consignee notified", "response received", "response corrected")
TIMELINE_DETAIL = 500


def _facts(recall: Recall) -> Facts:
    incident = db.session.get(Incident, recall.incident_id)
    users = {u.id: u.name for u in db.session.scalars(sa.select(User).where(User.id.in_(_user_ids(recall))))}
    level = EFFECTIVENESS_LEVELS.get(recall.effectiveness_level, recall.effectiveness_level)
    if recall.effectiveness_percent:
        level += f": {recall.effectiveness_percent}% for this recall"
    return Facts(
        reference=recall.reference,
        title=recall.title,
        status=RECALL.label(recall.status),
        classification=CLASSIFICATIONS.get(recall.classification, recall.classification),
        depth=DEPTHS.get(recall.depth, recall.depth),
        public_warning=bool(recall.public_warning),
        remedy=REMEDIES.get(recall.remedy, recall.remedy),
        effectiveness_level=level,
        incident=f"{incident.reference} — {incident.title}" if incident else "",
        reason=recall.reason,
        hazard=recall.hazard,
        instructions=recall.instructions,
        proposed_by=users.get(recall.proposed_by_id, ""),
        proposed_at=recall.created_at,
        approved_by=users.get(recall.approved_by_id, ""),
        approved_at=recall.approved_at,
        estimated_completion=recall.estimated_completion,
        terminated_at=recall.terminated_at,
        completion_note=recall.completion_note or "",
        termination_note=recall.termination_note or "",
    )


def _user_ids(recall: Recall) -> list[int]:
    return [i for i in (recall.proposed_by_id, recall.approved_by_id) if i is not None]


def _streamed(stmt: sa.Select, size: int) -> Iterator[list[sa.Row]]:
    """The statement's rows, `size` at a time, from one streamed query."""
    result = db.session.execute(stmt.execution_options(yield_per=size))
    try:
        yield from result.partitions()
    finally:
        result.close()  # a report abandoned half-way must not leave the cursor open


def lot_chunks(recall_id: int, size: int = CHUNK_ROWS) -> Iterator[list[LotRow]]:
    """The lots in scope by code, `size` at a time."""
    stmt = (
        sa.select(Lot.code, Product.sku, Product.name, Lot.kind, Lot.status, RecallLot.is_root)
        .join(RecallLot, RecallLot.lot_id == Lot.id)
        .join(Product, Product.id == Lot.product_id)
        .where(RecallLot.recall_id == recall_id)
        .order_by(Lot.code)
    )
    for rows in _streamed(stmt, size):
        yield [LotRow(r.code, f"{r.sku} — {r.name}", r.kind, LOT.label(r.status), bool(r.is_root)) for r in rows]


def consignee_chunks(
    recall_id: int, responded: bool | None = None, size: int = CHUNK_ROWS
) -> Iterator[list[ConsigneeRow]]:
    """The recall's consignees by name, `size` at a time: all of them, or only those who
    answered (True) or did not (False)."""
    stmt = (
        sa.select(
            Customer.name,
            Customer.country,
            sa.func.coalesce(Customer.email, Customer.phone).label("contact"),
            RecallNotice.quantity_shipped,
            notification_state().label("state"),
            RecallNotice.method,
            notified_at().label("notified_at"),
            RecallNotice.reminders,
            RecallNotice.responded_at,
            RecallNotice.quantity_on_hand,
            RecallNotice.quantity_returned,
            RecallNotice.quantity_destroyed,
            RecallNotice.distributed_further,
            RecallNotice.received_elsewhere,
            over_reported_clause().label("over_reported"),
        )
        .join(Customer, Customer.id == RecallNotice.consignee_id)
        .outerjoin(OutboxMessage, OutboxMessage.id == RecallNotice.outbox_id)
        .where(RecallNotice.recall_id == recall_id)
        .order_by(Customer.name)
    )
    if responded is not None:
        answered = RecallNotice.responded_at.is_not(None)
        stmt = stmt.where(answered if responded else sa.not_(answered))
    for rows in _streamed(stmt, size):
        yield [
            ConsigneeRow(
                name=r.name,
                country=r.country or "",
                contact=r.contact or "",
                shipped=r.quantity_shipped,
                state=r.state,
                method=NOTICE_METHODS.get(r.method, r.method or ""),
                notified_at=r.notified_at,
                reminders=r.reminders or 0,
                responded_at=r.responded_at,
                on_hand=r.quantity_on_hand,
                returned=r.quantity_returned,
                destroyed=r.quantity_destroyed,
                distributed_further=r.distributed_further,
                received_elsewhere=bool(r.received_elsewhere),
                over_reported=bool(r.over_reported),
            )
            for r in rows
        ]


def notified_by_day(recall_id: int, zone: ZoneInfo) -> list[NotifiedRow]:
    """Consignees told, per day in the company zone and method: two small columns per told
    consignee, counted here because a day boundary depends on the zone."""
    told_at = notified_at()
    stmt = (
        sa.select(RecallNotice.method, told_at)
        .outerjoin(OutboxMessage, OutboxMessage.id == RecallNotice.outbox_id)
        .where(RecallNotice.recall_id == recall_id, told_at.is_not(None))
    )
    counts: dict[tuple[date, str], int] = defaultdict(int)
    for method, at in db.session.execute(stmt):
        counts[(at.astimezone(zone).date(), NOTICE_METHODS.get(method, method or "—"))] += 1
    return [NotifiedRow(day, method, n) for (day, method), n in sorted(counts.items())]


def _changes(raw: str) -> str:
    """An audit event's changes in one short line: `field: old → new; ...`."""
    try:
        changes = json.loads(raw or "{}")
    except ValueError:
        return ""
    parts = []
    for key, value in changes.items():
        if isinstance(value, list) and len(value) == 2:
            old, new = value
            parts.append(f"{key}: {new}" if old in (None, "") else f"{key}: {old} → {new}")
        else:
            parts.append(f"{key}: {value}")
    return "; ".join(parts)


def timeline(recall_id: int, zone: ZoneInfo) -> tuple[list[EventRow], int]:
    """The recall's audit events, oldest first, as plain rows (no ORM objects), and how many
    per-consignee events were counted per day instead of listed (0 when all are listed)."""
    of_recall = (AuditEvent.record_type == "recall", AuditEvent.record_id == recall_id)
    per_consignee = AuditEvent.action.in_(PER_CONSIGNEE)
    counted = db.session.scalar(sa.select(sa.func.count()).where(*of_recall, per_consignee)) or 0
    listed = sa.select(AuditEvent.created_at, AuditEvent.actor_name, AuditEvent.action, AuditEvent.changes).where(
        *of_recall
    )
    if counted <= TIMELINE_DETAIL:
        counted = 0
    else:
        listed = listed.where(sa.not_(per_consignee))
    rows = [
        EventRow(r.created_at, r.actor_name, r.action, _changes(r.changes))
        for r in db.session.execute(listed.order_by(AuditEvent.id))
    ]
    if not counted:
        return rows, 0
    days: dict[tuple[date, str], list] = {}
    stmt = sa.select(AuditEvent.created_at, AuditEvent.action, AuditEvent.actor_name).where(*of_recall, per_consignee)
    for at, action, who in db.session.execute(stmt.order_by(AuditEvent.id)):
        local = at.astimezone(zone)
        day = days.setdefault((local.date(), action), [at, local, local, 0, set()])
        day[2], day[3] = local, day[3] + 1
        day[4].add(who)
    for (_day, action), (at, first, last, count, people) in days.items():
        who = next(iter(people)) if len(people) == 1 else f"{len(people)} people"
        details = f"{count:,} consignee(s) from {first:%H:%M} to {last:%H:%M}"
        rows.append(EventRow(at, who, f"{action} × {count:,}", details))
    rows.sort(key=lambda row: row.at)
    return rows, counted


def press_statements(recall: Recall) -> list[PressRow]:
    """Statements about the recall or its incident that were approved at some point, oldest
    first: the approved version's title, its kind and where it stands (published where, or
    withdrawn). Drafts never approved are not public words and are left out."""
    rows = db.session.execute(
        sa.select(
            Statement.reference,
            Statement.kind,
            Statement.status,
            Statement.approved_version,
            Statement.approved_at,
            Statement.published_at,
            Statement.published_where,
            StatementVersion.title,
        )
        .join(
            StatementVersion,
            sa.and_(
                StatementVersion.statement_id == Statement.id, StatementVersion.number == Statement.approved_version
            ),
        )
        .where(
            Statement.approved_version.is_not(None),
            sa.or_(Statement.recall_id == recall.id, Statement.incident_id == recall.incident_id),
        )
        .order_by(Statement.approved_at, Statement.id)
    ).all()
    out = []
    for r in rows:
        where = f"published: {r.published_where}" if r.published_at else STATEMENT.label(r.status).lower()
        out.append(
            PressRow(
                at=r.published_at or r.approved_at,
                outlet=f"{STATEMENT_KINDS.get(r.kind, r.kind)} ({where})",
                title=f"{r.reference} v{r.approved_version}: {r.title}",
            )
        )
    return out


def response_curve(recall: Recall) -> ResponseCurve | None:
    """The recall's answers per UTC day since approval: one aggregate query, whatever the
    number of consignees."""
    if recall.approved_at is None:
        return None
    return response_curves([recall_info(recall)])[0]


def recall_report_data(
    recall: Recall, *, with_timeline: bool = True, with_chart: bool | None = None
) -> RecallReportData:
    """Everything a recall report prints but the long lists, which are read in chunks when
    laid out. The status report has no timeline (`with_timeline=False` skips reading it) and,
    unless `with_chart`, no chart of responses over time either."""
    with_chart = with_timeline if with_chart is None else with_chart
    zone = company_zone()
    events, counted = timeline(recall.id, zone) if with_timeline else ([], 0)
    lot_total = db.session.scalar(sa.select(sa.func.count()).where(RecallLot.recall_id == recall.id)) or 0
    roots = db.session.scalars(
        sa.select(Lot.code)
        .join(RecallLot, RecallLot.lot_id == Lot.id)
        .where(RecallLot.recall_id == recall.id, RecallLot.is_root.is_(True))
        .order_by(Lot.code)
    ).all()
    return RecallReportData(
        facts=_facts(recall),
        zone=zone,
        generated_at=utcnow(),
        figures=effectiveness(recall),
        lot_total=lot_total,
        root_codes=list(roots),
        notified_by_day=notified_by_day(recall.id, zone),
        replacements=replacement_needs(recall) if recall.remedy == "replace" else [],
        timeline=events,
        consignee_events_counted=counted,
        audit_seal=printed_seal(),
        signatures=[
            SignatureRow(s.printed_name, s.username, MEANINGS.get(s.meaning, s.meaning), s.signed_at, s.action)
            for s in signatures_for("recall", [recall.id])
        ],
        press=press_statements(recall),
        responses=response_curve(recall) if with_chart else None,
        lot_reader=partial(lot_chunks, recall.id),
        consignee_reader=partial(consignee_chunks, recall.id),
    )
