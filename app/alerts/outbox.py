"""Writing outbox rows (inside the caller's transaction) and putting failed ones back in line."""

import re
import uuid
from datetime import datetime

import sqlalchemy as sa
from flask import current_app

from ..audit import services as audit
from ..extensions import db
from ..models import OutboxMessage
from ..models.types import utcnow

_LINE_BREAKS = re.compile(r"[\r\n\t]+")


def one_line(text: str, limit: int = 300) -> str:
    """A header-safe subject: no line breaks (they would let text inject headers), clipped."""
    text = _LINE_BREAKS.sub(" ", text).strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def new_message_id() -> str:
    sender = current_app.config.get("MAIL_DEFAULT_SENDER") or "lotline@localhost"
    domain = sender.rsplit("@", 1)[-1].strip("> ") or "localhost"
    return f"<{uuid.uuid4().hex}@{domain}>"


def queue_email(
    to_address: str,
    subject: str,
    body_text: str,
    body_html: str | None = None,
    *,
    event: str,
    record_type: str | None = None,
    record_id: int | None = None,
    alert_id: int | None = None,
    priority: str = "normal",
    attachments: list[dict] | None = None,
) -> OutboxMessage:
    """Add one email to the outbox in the current transaction; it goes out only if that commits."""
    row = OutboxMessage(
        event=event,
        alert_id=alert_id,
        record_type=record_type,
        record_id=record_id,
        to_address=to_address.strip(),
        subject=one_line(subject),
        body_text=body_text,
        body_html=body_html,
        priority=priority,
        message_id=new_message_id(),
        attachments=attachments or None,
        status="pending",
        attempts=0,
        next_attempt_at=utcnow(),
    )
    db.session.add(row)
    return row


def resend(row_ids: list[int], actor) -> int:
    """Put failed messages back in line with fresh attempts; the same Message-ID is kept."""
    rows = db.session.scalars(
        sa.select(OutboxMessage).where(OutboxMessage.id.in_(row_ids), OutboxMessage.status == "failed")
    ).all()
    now = utcnow()
    for row in rows:
        row.status = "pending"  # delivery bookkeeping of a message, not a record's life cycle: no engine move
        row.attempts = 0
        row.next_attempt_at = now
        row.claimed_by = None
    if rows:
        audit.record_many(
            "resend",
            "email",
            [(row.id, f"{row.to_address}: {row.subject}"[:200]) for row in rows],
            changes={"status": ["failed", "pending"]},
            actor=actor,
        )
    return len(rows)


def failed_ids() -> list[int]:
    return list(db.session.scalars(sa.select(OutboxMessage.id).where(OutboxMessage.status == "failed")))


def counts_by_status() -> dict[str, int]:
    rows = db.session.execute(sa.select(OutboxMessage.status, sa.func.count()).group_by(OutboxMessage.status))
    return {status: count for status, count in rows}


def queued_since(when: datetime) -> int:
    return db.session.scalar(sa.select(sa.func.count()).where(OutboxMessage.created_at >= when)) or 0
