"""audit_events: seal the chain with AUDIT_KEY (HMAC-SHA256) instead of plain SHA-256

Every event keeps its columns; its prev_hash and hash are recomputed in id order as
HMAC-SHA256 under the AUDIT_KEY of the app running the upgrade, so from here on only
someone holding that key can recompute the chain. The old SHA-256 chain is checked on the
way: whether it was intact, and its head, go into one last event ("sealed") that the
new chain carries, so a break found now stays on the record instead of being laundered.

The functions are frozen copies of app/audit/seal.py as of this revision: a migration
must keep meaning what it meant when it was written.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-08 01:00:00

"""

import hashlib
import hmac
import json
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op
from flask import current_app

from app.models.types import UTCDateTime

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

GENESIS_HASH = "0" * 64
BATCH = 5000

events = sa.table(
    "audit_events",
    sa.column("id", sa.Integer),
    sa.column("created_at", UTCDateTime()),
    sa.column("actor_id", sa.Integer),
    sa.column("actor_name", sa.String),
    sa.column("record_type", sa.String),
    sa.column("record_id", sa.Integer),
    sa.column("record_label", sa.String),
    sa.column("action", sa.String),
    sa.column("changes", sa.Text),
    sa.column("prev_hash", sa.String),
    sa.column("hash", sa.String),
)


def _payload(prev_hash: str, event) -> bytes:
    return json.dumps(
        [
            prev_hash,
            event.created_at.isoformat(timespec="microseconds"),
            event.actor_id,
            event.actor_name,
            event.record_type,
            event.record_id,
            event.record_label,
            event.action,
            event.changes,
        ],
        ensure_ascii=False,
        separators=(",", ":"),
    ).encode("utf-8")


def _sha256(payload: bytes) -> str:
    return hashlib.sha256(payload).hexdigest()


def _hmac(key: bytes):
    return lambda payload: hmac.new(key, payload, hashlib.sha256).hexdigest()


def _rechain(new_seal, old_seal) -> tuple[int, str, str | None]:
    """Recompute prev_hash and hash of every event with `new_seal`, checking the chain as
    `old_seal` made it on the way: (events, old head, first old break or None)."""
    bind = op.get_bind()
    count, last_id = 0, 0
    old_prev, new_prev = GENESIS_HASH, GENESIS_HASH
    broken = None
    while True:
        rows = bind.execute(sa.select(events).where(events.c.id > last_id).order_by(events.c.id).limit(BATCH)).all()
        if not rows:
            return count, old_prev, broken
        updates = []
        for row in rows:
            if broken is None and row.prev_hash != old_prev:
                broken = f"the link of event #{row.id} to the one before it was broken"
            elif broken is None and old_seal(_payload(row.prev_hash, row)) != row.hash:
                broken = f"the content of event #{row.id} did not match its hash"
            new_hash = new_seal(_payload(new_prev, row))
            updates.append({"row_id": row.id, "new_prev": new_prev, "new_hash": new_hash})
            old_prev, new_prev = row.hash, new_hash
        bind.execute(
            events.update()
            .where(events.c.id == sa.bindparam("row_id"))
            .values(prev_hash=sa.bindparam("new_prev"), hash=sa.bindparam("new_hash")),
            updates,
        )
        count += len(rows)
        last_id = rows[-1].id


def upgrade():
    key = current_app.config["AUDIT_KEY"].encode("utf-8")
    seal = _hmac(key)
    count, old_head, broken = _rechain(seal, _sha256)
    if not count:
        return  # a new database: its chain starts sealed
    state = f"was broken ({broken})" if broken else "was intact"
    note = (
        f"The audit chain is now sealed with AUDIT_KEY (HMAC-SHA256): {count} events re-sealed. "
        f"The SHA-256 chain they had {state}; its head was {old_head}."
    )
    if broken:
        print(f"WARNING: {note}")  # noqa: T201 - the operator running the upgrade must see it
    new_head = op.get_bind().scalar(sa.select(events.c.hash).order_by(events.c.id.desc()).limit(1))
    sealed = {
        "created_at": datetime.now(UTC),
        "actor_id": None,
        "actor_name": "system",
        "record_type": "audit",
        "record_id": None,
        "record_label": "audit chain",
        "action": "sealed",
        "changes": json.dumps({"note": note}, ensure_ascii=False, sort_keys=True),
        "prev_hash": new_head,
    }
    sealed["hash"] = seal(_payload(new_head, _Row(sealed)))
    op.get_bind().execute(events.insert().values(**sealed))


class _Row:
    """Attribute access to a dict, as _payload reads rows."""

    def __init__(self, values: dict):
        self.__dict__.update(values)


def downgrade():
    # Back to the plain SHA-256 chain, over every event including the "sealed" one.
    key = current_app.config["AUDIT_KEY"].encode("utf-8")
    _rechain(_sha256, _hmac(key))
