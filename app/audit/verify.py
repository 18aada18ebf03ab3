"""`flask audit verify`: walk the chain, check every seal and link, compare with the checkpoints.

What each tampering looks like to the walk:
- an event edited in place: its seal no longer matches its content (that event alone);
- an event deleted or inserted in the middle, or the first one deleted: the next event's
  link (prev_hash) no longer names the event before it;
- events edited and every seal after them recomputed without AUDIT_KEY (the unkeyed
  function, or another key): every event from the first rewritten one on fails its seal
  while the links between them agree, which is reported as a rehashed (re-keyed) chain;
- the newest events deleted, or all of them: the chain is shorter than a checkpoint says,
  or the event a checkpoint names is gone or has another seal.
"""

from dataclasses import dataclass, field

import sqlalchemy as sa

from ..extensions import db
from ..models import AuditEvent
from .checkpoints import Checkpoint, read_checkpoints
from .seal import GENESIS_HASH, audit_key, compute_hash, key_id, seals_match

_COLUMNS = (
    AuditEvent.id,
    AuditEvent.created_at,
    AuditEvent.actor_id,
    AuditEvent.actor_name,
    AuditEvent.record_type,
    AuditEvent.record_id,
    AuditEvent.record_label,
    AuditEvent.action,
    AuditEvent.changes,
    AuditEvent.prev_hash,
    AuditEvent.hash,
)


@dataclass
class VerifyResult:
    ok: bool
    checked: int  # events walked
    broken_id: int | None = None  # the first event found wrong, if any
    intact: int = 0  # events before it
    reason: str = ""  # what is wrong with it
    problems: list[str] = field(default_factory=list)  # everything found, the first one first
    notes: list[str] = field(default_factory=list)  # what limited the check (no checkpoints, ...)
    checkpoints: int = 0  # checkpoints compared
    newest_checkpoint: Checkpoint | None = None
    head: str | None = None
    last_id: int | None = None
    key_id: str = ""


@dataclass
class _Walk:
    position: int = 0
    expected_prev: str = GENESIS_HASH
    first_link_break: int | None = None
    link_breaks: int = 0
    first_bad_seal: int | None = None
    first_bad_position: int = 0
    bad_seals: int = 0
    last_bad_position: int = 0
    # (event id, events walked before it, what is wrong), in the order found
    found: list[tuple[float, int, str]] = field(default_factory=list)

    def problem(self, event_id: int | None, text: str, position: int | None = None) -> None:
        at = event_id if event_id is not None else float("inf")
        self.found.append((at, (position or self.position) - 1, text))

    def in_chain_order(self) -> list[tuple[float, int, str]]:
        return sorted(self.found, key=lambda item: item[0])


def _rows(batch_size: int):
    last_id = 0
    while True:
        rows = db.session.execute(
            sa.select(*_COLUMNS).where(AuditEvent.id > last_id).order_by(AuditEvent.id).limit(batch_size)
        ).all()
        if not rows:
            return
        yield from rows
        last_id = rows[-1].id


def verify_chain(batch_size: int = 5000) -> VerifyResult:
    """Walk the whole chain in id order and compare it with this database's checkpoints."""
    key = audit_key()
    checkpoints, file_problems = read_checkpoints()
    pending = sorted(checkpoints, key=lambda point: (point.last_id, point.at))
    walk = _Walk()
    last = None
    for row in _rows(batch_size):
        walk.position += 1
        while pending and pending[0].last_id < row.id:  # the event this checkpoint names is gone
            point = pending.pop(0)
            walk.problem(
                row.id,
                f"the event before it, #{point.last_id}, the newest when the checkpoint of "
                f"{point.at:%Y-%m-%d %H:%M} UTC was written ({point.count} events), is missing",
            )
        if row.prev_hash != walk.expected_prev:
            walk.link_breaks += 1
            if walk.first_link_break is None:
                walk.first_link_break = row.id
                walk.problem(
                    row.id,
                    "its link to the previous event is broken (an event before it was changed, removed or inserted)",
                )
        if not seals_match(row.hash, compute_hash(row, key)):
            walk.bad_seals += 1
            walk.last_bad_position = walk.position
            if walk.first_bad_seal is None:
                walk.first_bad_seal, walk.first_bad_position = row.id, walk.position
        while pending and pending[0].last_id == row.id:
            point = pending.pop(0)
            if point.count != walk.position or point.head != row.hash:
                walk.problem(
                    row.id,
                    f"it does not agree with the checkpoint of {point.at:%Y-%m-%d %H:%M} UTC: "
                    f"it was event {point.count} of the chain, sealed {point.head[:16]}…; it is now event "
                    f"{walk.position}, sealed {row.hash[:16]}… (events before it were removed or added, "
                    "or it was rewritten)",
                )
        walk.expected_prev = row.hash
        last = row
    _judge_seals(walk)
    if pending:  # checkpoints beyond the newest event: the tail was cut
        newest = pending[-1]
        now = f"the chain now ends at event #{last.id} ({walk.position} events)" if last else "the chain is empty"
        walk.problem(
            None,
            f"missing tail: the checkpoint of {newest.at:%Y-%m-%d %H:%M} UTC ({newest.source}) recorded "
            f"{newest.count} events up to #{newest.last_id}; {now}: the newest events were deleted",
        )
    found = walk.in_chain_order()
    problems = [text if at == float("inf") else f"audit event #{at}: {text}" for at, _, text in found]
    problems += file_problems
    notes = []
    if not checkpoints:
        notes.append(
            "No checkpoint of this database was found, so the deletion of the newest events cannot be "
            "detected: run the alert worker (it writes one every AUDIT_CHECKPOINT_MINUTES) or `flask audit checkpoint`."
        )
    broken_id = int(found[0][0]) if found and found[0][0] != float("inf") else None
    return VerifyResult(
        ok=not problems,
        checked=walk.position,
        broken_id=broken_id,
        intact=found[0][1] if broken_id else walk.position,
        reason=found[0][2] if found else (problems[0] if problems else ""),
        problems=problems,
        notes=notes,
        checkpoints=len(checkpoints),
        newest_checkpoint=max(checkpoints, key=lambda point: point.last_id, default=None),
        head=last.hash if last else None,
        last_id=last.id if last else None,
        key_id=key_id(key),
    )


def _judge_seals(walk: _Walk) -> None:
    """Tell an edit (one event's seal wrong) from a rehash (every seal from some event on wrong)."""
    if not walk.bad_seals:
        return
    first = walk.first_bad_seal
    run_to_end = walk.last_bad_position == walk.position
    every_one_after = walk.bad_seals == walk.position - walk.first_bad_position + 1
    if walk.bad_seals > 1 and run_to_end and every_one_after:
        walk.problem(
            first,
            f"it and the {walk.bad_seals - 1} events after it carry seals that "
            "AUDIT_KEY did not make, while their links agree: the chain was rehashed from there (recomputed "
            "without the key, or with another key)",
            walk.first_bad_position,
        )
        return
    others = f" ({walk.bad_seals} events in all)" if walk.bad_seals > 1 else ""
    walk.problem(
        first,
        f"its content does not match its hash (it was edited after it was written){others}",
        walk.first_bad_position,
    )
