"""Telling consignees: recall notices by email through the alert outbox (with the PDF letter
attached when the worker sends it), notices given by phone, post or visit recorded by hand,
reminders to those who have not answered, and the failed ones put back in line.

A notice's notification state is read, not stored twice: `pending` until something is
done; `queued` once its email is in the outbox (the outbox row then says queued, sent or
failed); `notified` when someone recorded a phone call, letter or visit.
"""

from datetime import datetime, timedelta

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import current_app, render_template

from ..alerts.dispatch import absolute_url
from ..alerts.outbox import queue_email, resend
from ..alerts.worker import attachment_builder
from ..audit import services as audit
from ..errors import NotAllowed, ValidationError
from ..extensions import db
from ..models import DEPTHS, NOTICE_METHODS, AuditEvent, Customer, OutboxMessage, Recall, RecallNotice
from ..models.types import utcnow
from ..permissions import Permission
from ..reports.recall_letter import build_recall_letter
from ..web.template_helpers import localtime
from ..workflow import NOTICE, RECALL
from ..workflow import engine as workflow_engine
from .letter import REMEDY_ACTIONS, heading, letter_data, letter_lines
from .tokens import token_for

# The audit action of a reminder to every non-responder: its last time starts the cool-down.
BULK_REMINDER = "reminders sent to all non-responders"
HAND_METHODS = {k: v for k, v in NOTICE_METHODS.items() if k != "email"}
CHUNK = 500
NOTE_LIMIT = 500


def response_link(notice: RecallNotice) -> str:
    return absolute_url("respond.form", token=token_for(notice))


@attachment_builder("recall_letter")
def letter_attachment(notice_id) -> tuple[str, str, bytes]:
    """Built by the worker when the message is sent: the letter is never stored."""
    notice = db.session.get(RecallNotice, int(notice_id))
    if notice is None:
        raise LookupError(f"recall notice {notice_id} no longer exists")
    data = build_recall_letter(letter_data(notice, response_link(notice)))
    return f"recall-{notice.recall.reference}-{notice.id}.pdf", "application/pdf", data


def _require_manager(actor) -> None:
    if not actor.can(Permission.RECALL_MANAGE):
        raise NotAllowed("Only marketing or an admin can send recall notices and record notifications.")


def _require_sending(recall: Recall) -> None:
    if not RECALL.in_set("sending", recall.status):
        raise ValidationError(
            f"Recall {recall.reference} is {RECALL.label(recall.status).lower()}: notices go out "
            "from approval until the recall is completed."
        )


def _start_notifying(recall: Recall, actor) -> None:
    """The first notice sent moves an approved recall to "notifying" (a move without a button)."""
    if recall.status in RECALL.get("notify").sources:
        workflow_engine.apply(recall, "notify", actor, as_part_of="sending the first notices")


def _chosen(stmt: sa.Select, notice_ids) -> sa.Select:
    if notice_ids is None:
        return stmt
    ids = sorted({int(i) for i in notice_ids})
    if not ids:
        raise ValidationError("Choose at least one consignee.")
    return stmt.where(RecallNotice.id.in_(ids))


def _with_email():
    return sa.and_(Customer.email.is_not(None), sa.func.trim(Customer.email) != "")


def _email(notice: RecallNotice, kind: str) -> tuple[str, str, str]:
    recall = notice.recall
    lines = letter_lines(notice.id)
    products = sorted({line.product for line in lines})
    subject = f"{heading(recall)}: {', '.join(products) or recall.title} — {recall.reference}"
    if kind == "reminder":
        subject = f"REMINDER — {subject}"
    context = {
        "recall": recall,
        "notice": notice,
        "consignee": notice.consignee,
        "lines": lines,
        "heading": heading(recall),
        "link": response_link(notice),
        "kind": kind,
        "depth": DEPTHS.get(recall.depth, recall.depth).lower(),
        "remedy_action": REMEDY_ACTIONS.get(recall.remedy, ""),
    }
    return (
        subject,
        render_template("email/recall_notice.txt", **context),
        render_template("email/recall_notice.html", **context),
    )


def _queue(notices: list[RecallNotice], kind: str) -> None:
    rows = []
    for notice in notices:
        subject, text, html = _email(notice, kind)
        rows.append(
            queue_email(
                notice.consignee.email,
                subject,
                text,
                html,
                event=f"recall.{kind}",
                record_type="recall",
                record_id=notice.recall_id,
                priority="high" if notice.recall.is_urgent else "normal",
                attachments=[{"kind": "recall_letter", "ref": notice.id}],
            )
        )
    db.session.flush()
    now = utcnow()
    for notice, row in zip(notices, rows, strict=True):
        if kind == "notice":
            # The notice's own email; reminders are not linked (their fate is in the mail log).
            notice.outbox_id = row.id
        else:
            notice.reminders += 1
            notice.last_reminder_at = now
    db.session.flush()


def _in_chunks(stmt: sa.Select):
    """Notices with their consignee, CHUNK at a time (ids read first: the rows change as we go)."""
    ids = db.session.scalars(stmt.with_only_columns(RecallNotice.id).order_by(RecallNotice.id)).all()
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        yield db.session.scalars(
            sa.select(RecallNotice)
            .options(so.joinedload(RecallNotice.consignee))
            .where(RecallNotice.id.in_(chunk))
            .order_by(RecallNotice.id)
        ).all()


def send_notices(recall: Recall, actor, notice_ids=None) -> int:
    """Queue the notice email (letter attached at send time) for every pending consignee
    with an email address, or the chosen ones; returns how many were queued."""
    _require_manager(actor)
    _require_sending(recall)
    stmt = _chosen(
        recall.notices.select()
        .join(Customer, Customer.id == RecallNotice.consignee_id)
        .where(RecallNotice.status.in_(NOTICE.states_in("untold")), _with_email()),
        notice_ids,
    )
    queued: list[int] = []
    for notices in _in_chunks(stmt):
        _queue(notices, "notice")
        queued.extend(notice.id for notice in notices)
    if not queued:
        raise ValidationError("No notice to send: every consignee with an email address has been notified.")
    _start_notifying(recall, actor)
    moved = workflow_engine.apply_many(
        RecallNotice,
        queued,
        "queue",
        actor,
        {"method": "email"},
        label_column=RecallNotice.id,
        summary_on=("recall", recall.id, recall.reference),
        as_part_of=f"sending the notices of {recall.reference}",
    )
    return len(moved.rows)


def resend_failed(recall: Recall, actor, notice_ids=None) -> int:
    """Put the failed notice emails back in line (same message, same Message-ID)."""
    _require_manager(actor)
    _require_sending(recall)
    stmt = _chosen(
        sa.select(RecallNotice.outbox_id)
        .join(OutboxMessage, OutboxMessage.id == RecallNotice.outbox_id)
        .where(RecallNotice.recall_id == recall.id, OutboxMessage.status == "failed"),
        notice_ids,
    )
    outbox_ids = list(db.session.scalars(stmt))
    if not outbox_ids:
        raise ValidationError("No failed notice email to resend.")
    return resend(outbox_ids, actor)


def record_notification(notice: RecallNotice, method: str, when: datetime | None, note: str | None, actor) -> None:
    """A notice given by phone, post or in person, recorded by the person who gave it."""
    _require_manager(actor)
    _require_sending(notice.recall)
    errors: dict[str, list[str]] = {}
    if method not in HAND_METHODS:
        errors["method"] = [f"Choose how the consignee was told: {', '.join(HAND_METHODS.values())}."]
    now = utcnow()
    when = when or now
    if when > now + timedelta(minutes=5):
        errors["notified_at"] = ["This time is in the future; give the time the consignee was told."]
    elif notice.recall.approved_at and when < notice.recall.approved_at - timedelta(minutes=5):
        errors["notified_at"] = ["This time is before the recall was approved."]
    note = (note or "").strip()
    if len(note) > NOTE_LIMIT:
        errors["notified_note"] = [f"Keep the note under {NOTE_LIMIT} characters."]
    if errors:
        first = next(iter(errors))
        raise ValidationError(errors[first][0], errors)
    values = {"method": method, "notified_at": when, "notified_note": note or None, "notified_by_id": actor.id}
    workflow_engine.apply(
        notice,
        "record_notification",
        actor,
        values,
        effects=lambda: {"consignee": [None, notice.consignee.name]},
    )
    _start_notifying(notice.recall, actor)


def _last_bulk_reminder(recall: Recall) -> datetime | None:
    """When a reminder last went to all non-responders of the recall, read under a lock on the
    recall's row: a second click waits here until the first one's transaction ends, then reads
    its audit event, so two people clicking together never both send."""
    # An UPDATE that changes nothing: PostgreSQL locks the row, SQLite the database, until commit.
    db.session.execute(
        sa.update(Recall).where(Recall.id == recall.id).values(version=Recall.version),
        execution_options={"synchronize_session": False},
    )
    return db.session.scalar(
        sa.select(AuditEvent.created_at)
        .where(AuditEvent.record_type == "recall", AuditEvent.record_id == recall.id)
        .where(AuditEvent.action == BULK_REMINDER)
        .order_by(AuditEvent.id.desc())
        .limit(1)
    )


def send_reminders(recall: Recall, actor, notice_ids=None) -> int:
    """Email the notice again, headed REMINDER, to consignees told by email who have not answered
    (all of them at most once per REMINDER_COOLDOWN_MINUTES, or the chosen ones)."""
    _require_manager(actor)
    _require_sending(recall)
    stmt = _chosen(
        recall.notices.select()
        .join(Customer, Customer.id == RecallNotice.consignee_id)
        .where(
            RecallNotice.responded_at.is_(None),
            RecallNotice.status.in_(NOTICE.states_in("told")),
            _with_email(),
        ),
        notice_ids,
    )
    nobody = "No reminder to send: every notified consignee with an email address has answered."
    if notice_ids is None:
        last = _last_bulk_reminder(recall)
        cooldown = timedelta(minutes=current_app.config["REMINDER_COOLDOWN_MINUTES"])
        if last is not None and utcnow() < last + cooldown:
            if not db.session.scalar(sa.select(stmt.exists())):
                raise ValidationError(nobody)
            raise ValidationError(
                f"A reminder went to all non-responders at {localtime(last)}; the next can go from "
                f"{localtime(last + cooldown)}. To remind someone now, choose them in the list."
            )
    count = 0
    for notices in _in_chunks(stmt):
        _queue(notices, "reminder")
        count += len(notices)
    if not count:
        raise ValidationError(nobody)
    audit.record(
        "reminders sent" if notice_ids is not None else BULK_REMINDER,
        "recall",
        recall.id,
        label=recall.reference,
        changes={"reminders": [None, count]},
        actor=actor,
    )
    return count
