"""Checkpoints of the audit chain, kept where the database cannot reach them.

A checkpoint says "on <date> the chain of <database> had <count> events, the newest #<id>
sealed <head>". It is one JSON line appended to AUDIT_CHECKPOINT_FILE (and, if configured,
emailed), itself sealed with AUDIT_KEY. Whoever deletes the newest events from the
database cannot make the chain agree with a checkpoint written before the deletion, and
cannot write a new checkpoint without the key. PDF reports print the head too (paper).
"""

import json
import os
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from flask import current_app

from ..extensions import db
from ..models import AuditEvent, OutboxMessage
from ..models.types import utcnow
from ..reports.data import AuditSeal
from .seal import key_id, seal, seals_match

CHECKPOINT_EVENT = "audit.checkpoint"  # the outbox rows of emailed checkpoints
_SEALED_FIELDS = ("at", "database", "last_id", "count", "head", "key_id", "source")


@dataclass(frozen=True)
class ChainHead:
    last_id: int
    count: int
    head: str


@dataclass(frozen=True)
class Checkpoint:
    at: datetime
    database: str
    last_id: int
    count: int
    head: str
    key_id: str
    source: str
    line: int  # in the file (0: just written)
    text: str = ""  # the sealed JSON line, as written


def chain_head() -> ChainHead | None:
    """The newest event, its seal and the chain's length, read in one statement (one snapshot)."""
    newest = sa.select(AuditEvent.id, AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1).subquery()
    length = sa.select(sa.func.count()).select_from(AuditEvent).where(AuditEvent.id <= newest.c.id).scalar_subquery()
    row = db.session.execute(sa.select(newest.c.id, newest.c.hash, length)).first()
    return ChainHead(row[0], row[2], row[1]) if row else None


def printed_seal() -> AuditSeal | None:
    """The chain's head for the Part 11 manifest of a PDF report (one index lookup: the
    chain's length, which a checkpoint counts, would cost every report a count)."""
    newest = db.session.execute(sa.select(AuditEvent.id, AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1))
    row = newest.first()
    return AuditSeal(row.id, row.hash) if row else None


def database_name() -> str:
    """Which database a checkpoint speaks of (several share an instance folder in development)."""
    return db.engine.url.render_as_string(hide_password=True)


def checkpoint_file() -> Path:
    return Path(current_app.config["AUDIT_CHECKPOINT_FILE"])


def _seal_of(fields: dict) -> str:
    return seal(json.dumps([fields[name] for name in _SEALED_FIELDS], separators=(",", ":")).encode("utf-8"))


def write_checkpoint(source: str) -> Checkpoint | None:
    """Append a checkpoint of the chain as it is now; None when the chain is empty."""
    head = chain_head()
    if head is None:
        return None
    fields = {
        "at": utcnow().isoformat(timespec="seconds"),
        "database": database_name(),
        "last_id": head.last_id,
        "count": head.count,
        "head": head.head,
        "key_id": key_id(),
        "source": source,
    }
    line = json.dumps({**fields, "seal": _seal_of(fields)}, separators=(",", ":")) + "\n"
    path = checkpoint_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    # One write of one short line in append mode: lines from several processes never interleave.
    descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
    try:
        os.write(descriptor, line.encode("utf-8"))
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
    return _checkpoint(fields, line=0, text=line)


def _checkpoint(fields: dict, line: int, text: str = "") -> Checkpoint:
    return Checkpoint(
        at=datetime.fromisoformat(fields["at"]),
        database=fields["database"],
        last_id=int(fields["last_id"]),
        count=int(fields["count"]),
        head=str(fields["head"]),
        key_id=str(fields["key_id"]),
        source=str(fields["source"]),
        line=line,
        text=text,
    )


def read_checkpoints() -> tuple[list[Checkpoint], list[str]]:
    """This database's checkpoints from the file, oldest first, and what is wrong with the file."""
    path = checkpoint_file()
    if not path.exists():
        return [], []
    checkpoints, problems = [], []
    database, our_key = database_name(), key_id()
    with path.open(encoding="utf-8", errors="replace") as lines:
        for number, text in enumerate(lines, start=1):
            if not text.strip():
                continue
            try:
                fields = json.loads(text)
                if not isinstance(fields, dict):
                    raise TypeError
                point = _checkpoint(fields, number)
                sealed = seals_match(str(fields.get("seal", "")), _seal_of(fields))
            except (ValueError, TypeError, KeyError):
                problems.append(f"line {number} of {path} is not a checkpoint (the file was edited)")
                continue
            if point.database != database:
                continue
            if point.key_id != our_key:
                problems.append(
                    f"line {number} of {path} was sealed under another AUDIT_KEY (key id {point.key_id}, "
                    f"this one is {our_key}): the key was changed, or the line was forged"
                )
            elif not sealed:
                problems.append(f"line {number} of {path} does not match its seal (the checkpoint was edited)")
            else:
                checkpoints.append(point)
    return checkpoints, problems


def last_emailed() -> datetime | None:
    return db.session.scalar(
        sa.select(sa.func.max(OutboxMessage.created_at)).where(OutboxMessage.event == CHECKPOINT_EVENT)
    )


def email_checkpoint(point: Checkpoint) -> bool:
    """Queue the checkpoint to AUDIT_CHECKPOINT_EMAIL when the last one is old enough; the
    worker sends it. A copy in someone's mailbox outlives a wiped server."""
    config = current_app.config
    address = config.get("AUDIT_CHECKPOINT_EMAIL")
    if not address:
        return False
    previous = last_emailed()
    if previous and utcnow() - previous < timedelta(hours=config["AUDIT_CHECKPOINT_EMAIL_HOURS"]):
        return False
    from ..alerts.outbox import queue_email  # the outbox writes audit events itself

    body = (
        "Lotline audit chain checkpoint. Keep this message: `flask audit verify` compares the chain\n"
        "with its checkpoints, and this copy lives outside the server.\n\n"
        f"Database: {point.database}\nAt (UTC): {point.at:%Y-%m-%d %H:%M:%S}\n"
        f"Events: {point.count}\nNewest event: #{point.last_id}\nHead: {point.head}\nKey id: {point.key_id}\n\n"
        "The sealed line, as appended to the checkpoint file:\n"
        f"{point.text}"
    )
    queue_email(
        address, f"Lotline audit checkpoint: {point.count} events, head {point.head[:12]}", body, event=CHECKPOINT_EVENT
    )
    return True
