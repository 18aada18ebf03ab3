"""Append audit events to the sealed chain; read timelines (app/audit/verify.py checks it)."""

import json
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from flask_login import current_user

from ..extensions import db
from ..models import AuditEvent
from ..models.bulk import insert_rows
from ..models.types import utcnow
from .seal import GENESIS_HASH, audit_key, compute_hash

_PG_AUDIT_LOCK = 72_430_001  # advisory lock key serialising appends to the chain


def _plain(value):
    """Turn a column value into something JSON keeps exactly."""
    if value is None or isinstance(value, (str, int, bool, float)):
        return value
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return str(value)


def diff(before: dict, after: dict) -> dict:
    """{field: [old, new]} for the fields whose value changed."""
    return {
        key: [_plain(before.get(key)), _plain(after.get(key))]
        for key in after
        if _plain(before.get(key)) != _plain(after.get(key))
    }


def snapshot(record, fields) -> dict:
    return {name: getattr(record, name) for name in fields}


def _lock_chain() -> None:
    """Make sure no other transaction appends between our read of the last hash and commit."""
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        db.session.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_AUDIT_LOCK})
    elif dialect == "sqlite":
        # A write statement takes SQLite's RESERVED lock: from here to commit no other
        # connection can write, so the last hash we read stays the last one.
        db.session.execute(sa.text("UPDATE audit_events SET id = id WHERE 0 = 1"))


def record(
    action: str,
    record_type: str,
    record_id: int | None,
    *,
    label: str | None = None,
    changes: dict | None = None,
    actor=None,
) -> AuditEvent:
    """Append one event to the chain in the current transaction (flushes, never commits)."""
    if actor is None and current_user and current_user.is_authenticated:
        actor = current_user
    _lock_chain()
    prev_hash = db.session.scalar(sa.select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1))
    created_at = utcnow()
    event = AuditEvent(
        created_at=created_at,
        actor_id=getattr(actor, "id", None),
        actor_name=getattr(actor, "name", None) or "system",
        record_type=record_type,
        record_id=record_id,
        record_label=label,
        action=action,
        changes=json.dumps(changes or {}, ensure_ascii=False, sort_keys=True, default=_plain),
        prev_hash=prev_hash or GENESIS_HASH,
    )
    event.hash = compute_hash(event)
    db.session.add(event)
    db.session.flush()
    return event


def record_many(
    action: str, record_type: str, records: list[tuple[int, str]], *, changes: dict | None = None, actor=None
) -> int:
    """Append one event per (record_id, label), same action and changes, in one bulk insert.

    Used for actions on many records at once (holding every lot of a trace): the chain is
    computed in Python after one lock and one read of the last hash.
    """
    if not records:
        return 0
    if actor is None and current_user and current_user.is_authenticated:
        actor = current_user
    _lock_chain()
    prev_hash = db.session.scalar(sa.select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)) or GENESIS_HASH
    changes_text = json.dumps(changes or {}, ensure_ascii=False, sort_keys=True, default=_plain)
    created_at = utcnow()
    key = audit_key()
    rows = []
    for record_id, label in records:
        event = AuditEvent(
            created_at=created_at,
            actor_id=getattr(actor, "id", None),
            actor_name=getattr(actor, "name", None) or "system",
            record_type=record_type,
            record_id=record_id,
            record_label=label,
            action=action,
            changes=changes_text,
            prev_hash=prev_hash,
        )
        event.hash = prev_hash = compute_hash(event, key)
        rows.append({c: getattr(event, c) for c in _INSERT_COLUMNS})
    # Ids are assigned in insertion order, which is the order the chain was computed in
    # (COPY and executemany both keep it).
    insert_rows(AuditEvent.__table__, rows)
    return len(rows)


_INSERT_COLUMNS = (
    "created_at",
    "actor_id",
    "actor_name",
    "record_type",
    "record_id",
    "record_label",
    "action",
    "changes",
    "prev_hash",
    "hash",
)


def events_for(record_type: str, record_id: int) -> list[AuditEvent]:
    """The timeline of one record, oldest first."""
    return list(
        db.session.scalars(
            sa.select(AuditEvent)
            .where(AuditEvent.record_type == record_type, AuditEvent.record_id == record_id)
            .order_by(AuditEvent.id)
        )
    )


TIMELINE_SHOWN = 50  # events a detail page shows; the reports and the audit log have them all


def latest_events(record_type: str, record_id: int, limit: int = TIMELINE_SHOWN) -> tuple[list[AuditEvent], int]:
    """The latest `limit` events of one record, oldest first, and how many it has in all."""
    of_record = (AuditEvent.record_type == record_type, AuditEvent.record_id == record_id)
    events = list(
        db.session.scalars(sa.select(AuditEvent).where(*of_record).order_by(AuditEvent.id.desc()).limit(limit))
    )
    total = len(events)
    if total == limit:  # there may be more: count them, from the (record_type, record_id) index
        total = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent).where(*of_record)) or 0
    return events[::-1], total
