"""The scenario's recalls: the main one at the plant's widest scale (notices emailed, phone calls,
answers by link), a few small ones in every later state, and what the mail worker leaves."""

import time
from collections.abc import Callable

import sqlalchemy as sa

from app.errors import ValidationError
from app.extensions import db
from app.models import Customer, Incident, OutboxMessage, Recall, RecallNotice
from app.models.types import utcnow
from app.recalls import notices, responses, services
from app.trace.services import lots_named_in
from app.workflow import consequences

from .recall import RECALL

ANSWERED_EVERY = 5  # two in every five of the main recall's consignees answered by the link
PHONED_EVERY = 2  # one in two of those without an email address was called


def _propose(incident: Incident, roots: list[int], cast, **changes) -> Recall:
    """A recall of the incident (its proposal escalates it); a second one extends the first."""
    live = consequences.live_recalls(incident)
    extends = {"extends_id": live[0].id} if live else {}
    return services.propose(incident, RECALL | changes | extends, roots, cast.production)


def _approve(recall: Recall, cast) -> None:
    services.approve(recall, cast.marketing, "approved", cast.password(cast.marketing))


def _answer(notice: RecallNotice, n: int) -> None:
    """An answer by link, lot by lot: a quarter of each lot still on hand (or none), the rest returned."""
    data = dict(
        confirm_receipt=True,
        distributed_further="yes" if n % 17 == 0 else "no",
        response_by=f"Store manager {n}",
        response_comment="Returned through our distributor." if n % 4 == 0 else "",
    )
    for i, item in enumerate(responses.answer_lines(notice)):
        shipped = item.shipped or 0
        on_hand = shipped // 4 if n % 3 else 0
        data[responses.answer_field(i, "quantity_on_hand")] = on_hand
        data[responses.answer_field(i, "quantity_returned")] = shipped - on_hand
        data[responses.answer_field(i, "quantity_destroyed")] = 0
    responses.record_response(notice, data, source="link")


def main_recall(cast, incident_id: int, root: int, log: Callable[[str], None]) -> dict:
    """The main incident escalated and recalled from the root lot: approved (signed), every
    consignee with an email sent the notice, half of those without one phoned, two in five
    answered by the link in their notice."""
    started = time.perf_counter()
    incident = db.session.get(Incident, incident_id)
    recall = _propose(incident, [root], cast, title="Metal fragments in oat products", remedy="replace")
    _approve(recall, cast)
    log(f"      proposed and approved: {time.perf_counter() - started:.1f} s")
    queued = notices.send_notices(recall, cast.marketing)
    log(f"      {queued:,} notice emails queued: {time.perf_counter() - started:.1f} s")
    rows = db.session.execute(
        sa.select(RecallNotice.id, Customer.email)
        .join(Customer, Customer.id == RecallNotice.consignee_id)
        .where(RecallNotice.recall_id == recall.id)
        .order_by(RecallNotice.id)
    ).all()
    phoned = [r.id for r in rows if not (r.email or "").strip()][::PHONED_EVERY]
    for n, notice_id in enumerate(phoned):
        notice = db.session.get(RecallNotice, notice_id)
        notices.record_notification(
            notice, "phone" if n % 4 else "visit", None, "Spoke to the manager.", cast.marketing
        )
    answered = [r.id for n, r in enumerate(rows) if n % ANSWERED_EVERY < 2]
    for n, notice_id in enumerate(answered):
        _answer(db.session.get(RecallNotice, notice_id), n)
    log(f"      {len(phoned):,} calls and {len(answered):,} answers recorded: {time.perf_counter() - started:.1f} s")
    unanswered = db.session.scalar(
        sa.select(RecallNotice.id)
        .where(RecallNotice.recall_id == recall.id, RecallNotice.responded_at.is_(None))
        .order_by(RecallNotice.id)
        .limit(1)
    )
    return {
        "main_recall": recall.id,
        "answered_notice": answered[0] if answered else None,
        "unanswered_notice": unanswered,
        "notice_email": db.session.scalar(
            sa.select(RecallNotice.outbox_id).where(RecallNotice.outbox_id.is_not(None)).limit(1)
        ),
    }


def _small_root(incident: Incident, widest_trace: set[int]) -> int | None:
    """A lot the incident's complaints name, outside the mock recall's scope."""
    known, _ = lots_named_in([c.id for c in incident.complaints])
    lots = [r.id for r in known if r.id not in widest_trace and r.status == "released"]
    return lots[0] if lots else None


def small_recalls(cast, escalated: list[int], widest_trace: set[int], sizes, keep: set[int]) -> dict:
    """Recalls of single lots from the escalated incidents, each a step further along: one
    awaiting approval, one not approved, then approved, notifying, in progress, completed and
    terminated ones. On a tiny plant open incidents are escalated for it too, but not those in
    `keep` (the pages open them as they are)."""
    marketing = cast.marketing
    ladder = ("proposed", "cancelled", "terminated", "completed", "in_progress", "notifying", "terminated")
    facts: dict = {}
    made = 0
    # Escalated incidents first, then open ones (escalated on the way) on a small plant.
    opened = db.session.scalars(
        sa.select(Incident.id).where(Incident.status == "open", Incident.id.not_in(keep)).order_by(Incident.id)
    )
    for incident_id in [*escalated, *opened]:
        if made >= max(sizes.small_recalls, 2):
            break
        incident = db.session.get(Incident, incident_id)
        root = _small_root(incident, widest_trace)
        if root is None:
            continue
        goal = ladder[made % len(ladder)]
        recall = _propose(incident, [root], cast, classification="III" if made % 2 else "II", depth="wholesale")
        made += 1
        facts.setdefault(f"{goal}_recall", recall.id)
        if goal == "cancelled":
            services.apply_transition(recall, "cancel", dict(termination_note="A withdrawal is enough."), marketing)
        if goal in ("proposed", "cancelled"):
            continue
        _approve(recall, cast)
        try:
            notices.send_notices(recall, marketing)
        except ValidationError:  # nobody to email: the consignees were phoned
            for notice in recall_notices(recall):
                notices.record_notification(notice, "phone", None, None, marketing)
        if goal == "notifying" or recall.status != "notifying":
            continue
        services.apply_transition(recall, "progress", {}, marketing)
        if goal == "in_progress":
            continue
        services.apply_transition(recall, "complete", dict(completion_note="All stock accounted for."), marketing)
        if goal == "terminated":
            note = dict(termination_note="FDA agreed the recall is terminated.", meaning="approved")
            services.apply_transition(recall, "terminate", note, marketing, cast.password(marketing))
    return facts


def recall_notices(recall: Recall) -> list[RecallNotice]:
    return list(db.session.scalars(sa.select(RecallNotice).where(RecallNotice.recall_id == recall.id)))


def worker_outcome() -> None:
    """What `flask alerts worker` leaves in the outbox, without sending thousands of emails:
    sent, one in fifty failed after its five attempts."""
    table = OutboxMessage.__table__
    failed = table.c.id % 50 == 0
    db.session.execute(
        sa.update(table)
        .where(table.c.status == "pending", sa.not_(failed))
        .values(status="sent", attempts=1, transport="smtp", sent_at=utcnow())
    )
    db.session.execute(
        sa.update(table)
        .where(table.c.status == "pending", failed)
        .values(
            status="failed",
            attempts=5,
            transport="smtp",
            last_error="550 5.1.1 mailbox unavailable",
            next_attempt_at=utcnow(),
        )
    )
