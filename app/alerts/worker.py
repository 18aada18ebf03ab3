"""The alert worker: claim ready outbox rows, send them, record each outcome.

Delivery is at least once. A row is claimed by moving its `next_attempt_at` to the end of
a lease; if the worker dies before reporting back, the lease runs out and another worker
(or the same one, restarted) takes the row again. On PostgreSQL the claim skips rows other
workers have locked (FOR UPDATE SKIP LOCKED), so two workers never take the same row.
Each message keeps the Message-ID it was given when queued, so the rare repeat after a
crash is recognisable as the same message.
"""

import email.policy
import logging
import os
import random
import signal
import smtplib
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from email.header import Header
from email.message import Message
from email.mime.application import MIMEApplication
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import format_datetime

import sqlalchemy as sa
from flask import Flask

from ..extensions import db
from ..models import OutboxMessage
from ..models.types import utcnow
from .transport import make_transport

log = logging.getLogger("lotline.alerts")
# smtplib passes bytes through untouched, and SMTP lines must end in CRLF.
WIRE_POLICY = email.policy.compat32.clone(linesep="\r\n")

# kind -> builder(ref) -> (filename, content type, bytes); recall letters register here.
ATTACHMENT_BUILDERS: dict[str, Callable[[object], tuple[str, str, bytes]]] = {}


def attachment_builder(kind: str):
    """Register the function that builds attachments of `kind` when a message is sent."""

    def register(builder):
        ATTACHMENT_BUILDERS[kind] = builder
        return builder

    return register


def _header(value: str) -> str | Header:
    """ASCII as it is; anything else encoded (RFC 2047) so any mail server takes it."""
    return value if value.isascii() else Header(value, "utf-8")


def build_message(row, sender: str) -> Message:
    """The MIME message of an outbox row (or a row of its columns): text and HTML
    alternatives, then any attachments.

    Built with the email package's compat classes: a quarter of the time of EmailMessage,
    which matters at hundreds of messages a second.
    """
    body = MIMEMultipart("alternative")
    body.attach(MIMEText(row.body_text, "plain", "utf-8"))
    if row.body_html:
        body.attach(MIMEText(row.body_html, "html", "utf-8"))
    message: Message = body
    if row.attachments:
        message = MIMEMultipart("mixed")
        message.attach(body)
        for spec in row.attachments:
            builder = ATTACHMENT_BUILDERS.get(spec.get("kind"))
            if builder is None:
                raise LookupError(f"no attachment builder for {spec.get('kind')!r}")
            filename, content_type, data = builder(spec.get("ref"))
            part = MIMEApplication(data, content_type.split("/", 1)[1])
            part.add_header("Content-Disposition", "attachment", filename=filename)
            message.attach(part)
    message["Subject"] = _header(row.subject)
    message["From"] = sender
    message["To"] = row.to_address
    message["Date"] = format_datetime(utcnow())
    message["Message-ID"] = row.message_id
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no out-of-office replies
    message["X-Lotline-Event"] = row.event
    if row.priority == "high":
        message["X-Priority"] = "1 (Highest)"
        message["Importance"] = "high"
    return message


def backoff_seconds(attempts: int, base: float, cap: float) -> float:
    """Exponential backoff with jitter: base·2^(n-1), capped, then a random 50–100% of it
    so that rows failed together do not all come back in the same instant."""
    delay = min(cap, base * (2 ** max(0, attempts - 1)))
    return random.uniform(delay / 2, delay)  # noqa: S311 - spreading retries, not security


_SEND_COLUMNS = (
    OutboxMessage.id,
    OutboxMessage.event,
    OutboxMessage.to_address,
    OutboxMessage.subject,
    OutboxMessage.body_text,
    OutboxMessage.body_html,
    OutboxMessage.priority,
    OutboxMessage.message_id,
    OutboxMessage.attachments,
    OutboxMessage.attempts,
)


@dataclass
class Tally:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    released: int = 0


class Worker:
    def __init__(self, app: Flask, worker_id: str | None = None):
        self.app = app
        self.config = app.config
        self.id = worker_id or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.transport = make_transport(self.config)
        self.sender = self.config["MAIL_DEFAULT_SENDER"]
        self.stop_event = threading.Event()
        self.tally = Tally()
        self._outages = 0
        self._next_due_check = 0.0
        self._next_checkpoint = 0.0
        self._checkpointed_head: str | None = None
        self._sent: list[int] = []  # delivered, not yet recorded
        self._first_sent_at = 0.0

    # -- claiming -------------------------------------------------------------------
    def claim(self, limit: int | None = None) -> list[int]:
        """Take up to `limit` ready rows for this worker (committed before any is sent)."""
        limit = limit or self.config["ALERT_BATCH_SIZE"]
        now = utcnow()
        ready = sa.and_(OutboxMessage.status.in_(("pending", "sending")), OutboxMessage.next_attempt_at <= now)
        # Two statements on purpose: inside one UPDATE … WHERE id IN (SELECT … LIMIT n FOR
        # UPDATE SKIP LOCKED), PostgreSQL may run the subquery again per row and take far more
        # than n rows. Here the SELECT locks its rows until the commit below.
        candidates = list(
            db.session.scalars(
                sa.select(OutboxMessage.id)
                .where(ready)
                .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
                .limit(limit)
                .with_for_update(skip_locked=True)  # PostgreSQL; SQLite serialises writers
            )
        )
        if not candidates:
            db.session.commit()
            return []
        lease_end = now + timedelta(seconds=self.config["ALERT_LEASE_SECONDS"])
        # `ready` again: on SQLite another worker may have claimed a row since the SELECT.
        statement = (
            sa.update(OutboxMessage)
            .where(OutboxMessage.id.in_(candidates), ready)
            .values(status="sending", claimed_by=self.id, next_attempt_at=lease_end)
            .returning(OutboxMessage.id)
            .execution_options(synchronize_session=False)
        )
        ids = sorted(db.session.scalars(statement).all())
        db.session.commit()
        return ids

    # -- sending --------------------------------------------------------------------
    # Rows are read as plain tuples and updated with single UPDATE statements: no ORM
    # identity map to expire and reload after every commit (it halved the throughput).
    def send_claimed(self, ids: list[int]) -> None:
        rows = db.session.execute(
            sa.select(*_SEND_COLUMNS)
            .where(OutboxMessage.id.in_(ids), OutboxMessage.claimed_by == self.id)
            .order_by(OutboxMessage.id)
        ).all()
        try:
            self._send_rows(rows)
        finally:
            self._record_sent()

    def _send_rows(self, rows) -> None:
        for index, row in enumerate(rows):
            if self.stop_event.is_set():
                self._release(rows[index:], delay=0, error=None)
                return
            try:
                self.transport.open()
            except (OSError, smtplib.SMTPException) as error:
                self._outage(rows[index:], error)
                return
            self._outages = 0
            try:
                message = build_message(row, self.sender)
                data = message.as_bytes(policy=WIRE_POLICY)
                self.transport.send(data, self.sender, row.to_address, f"{row.id:08d}")
            except (smtplib.SMTPServerDisconnected, OSError) as error:
                # The connection broke while sending this row: it counts as an attempt;
                # the rest of the batch goes back in line for a new connection.
                self._attempt_failed(row, error)
                self._release(rows[index + 1 :], delay=0, error=None)
                return
            except Exception as error:  # noqa: BLE001 - any refusal or build error fails this row only
                self._attempt_failed(row, error)
                continue
            self._delivered(row)

    def _relaxed_durability(self) -> None:
        """The worker's own writes (claims, sent marks) may skip the disk flush at commit.

        Losing one in a power cut can only make a message go out twice, never lose it:
        the row it belongs to was made durable by the transaction that queued it.
        """
        dialect = db.session.get_bind().dialect.name
        if dialect == "postgresql":
            db.session.execute(sa.text("SET LOCAL synchronous_commit TO OFF"))
        elif dialect == "sqlite":
            # In WAL mode NORMAL skips the fsync at commit; other connections keep FULL.
            db.session.execute(sa.text("PRAGMA synchronous=NORMAL"))

    def _update(self, row_ids, **values) -> None:
        db.session.execute(
            sa.update(OutboxMessage)
            .where(OutboxMessage.id.in_(row_ids))
            .values(**values)
            .execution_options(synchronize_session=False)
        )

    def _delivered(self, row) -> None:
        """Note the row as sent; the marks are written in small groups (ALERT_MARK_EVERY
        messages or 0.1 s), which doubles throughput. A crash before a group is written
        sends those few messages again, with their same Message-IDs: at least once."""
        if not self._sent:
            self._first_sent_at = time.monotonic()
        self._sent.append(row.id)
        self.tally.sent += 1
        if len(self._sent) >= self.config["ALERT_MARK_EVERY"] or time.monotonic() - self._first_sent_at >= 0.1:
            self._record_sent()

    def _record_sent(self) -> None:
        if not self._sent:
            return
        self._relaxed_durability()
        self._update(
            self._sent,
            status="sent",
            sent_at=utcnow(),
            attempts=OutboxMessage.attempts + 1,
            transport=self.transport.name,
            claimed_by=None,
            last_error=None,
        )
        db.session.commit()
        self._sent = []

    def _attempt_failed(self, row, error: BaseException) -> None:
        attempts = row.attempts + 1
        description = _describe(error)
        if attempts >= self.config["ALERT_MAX_ATTEMPTS"]:
            self._update([row.id], status="failed", attempts=attempts, last_error=description, claimed_by=None)
            self.tally.failed += 1
            log.warning("outbox %s failed after %s attempts: %s", row.id, attempts, description)
        else:
            delay = backoff_seconds(
                attempts, self.config["ALERT_RETRY_BASE_SECONDS"], self.config["ALERT_RETRY_MAX_SECONDS"]
            )
            self._update(
                [row.id],
                status="pending",
                attempts=attempts,
                last_error=description,
                claimed_by=None,
                next_attempt_at=utcnow() + timedelta(seconds=delay),
            )
            self.tally.retried += 1
        db.session.commit()

    def _outage(self, rows, error: BaseException) -> None:
        """The mail server cannot be reached: not the messages' fault, so no attempt is
        used up; they wait with the worker, which backs off while the outage lasts."""
        self._outages += 1
        delay = backoff_seconds(
            self._outages, self.config["ALERT_RETRY_BASE_SECONDS"], self.config["ALERT_RETRY_MAX_SECONDS"]
        )
        log.warning("mail server unreachable (%s); retrying in %.1f s", _describe(error), delay)
        self._release(rows, delay=delay, error=f"mail server unreachable: {_describe(error)}")

    def _release(self, rows, delay: float, error: str | None) -> None:
        if rows:
            values = {"status": "pending", "claimed_by": None, "next_attempt_at": utcnow() + timedelta(seconds=delay)}
            if error:
                values["last_error"] = error[:500]
            self._update([row.id for row in rows], **values)
        db.session.commit()
        self.tally.released += len(rows)

    # -- the loop -------------------------------------------------------------------
    def check_due(self, force: bool = False) -> None:
        """Raise the time-based alerts (due soon, overdue) at most every ALERT_DUE_CHECK_SECONDS."""
        if not force and time.monotonic() < self._next_due_check:
            return
        from .due import raise_time_based_alerts

        self._next_due_check = time.monotonic() + self.config["ALERT_DUE_CHECK_SECONDS"]
        counts = raise_time_based_alerts()
        db.session.commit()
        if any(counts.values()):
            log.info("time-based alerts raised: %s", counts)

    def checkpoint_audit(self, force: bool = False) -> None:
        """Append a checkpoint of the audit chain every AUDIT_CHECKPOINT_MINUTES when it grew
        (app/audit/checkpoints.py); queue its email copy when one is due."""
        if not force and time.monotonic() < self._next_checkpoint:
            return
        from ..audit.checkpoints import chain_head, email_checkpoint, write_checkpoint

        self._next_checkpoint = time.monotonic() + 60 * self.config["AUDIT_CHECKPOINT_MINUTES"]
        head = chain_head()
        if head is None or head.head == self._checkpointed_head:
            db.session.rollback()
            return
        try:
            point = write_checkpoint("worker")
        except OSError as error:  # a full disk must not stop the alerts; say it loudly instead
            log.error("could not write the audit checkpoint to %s: %s", self.config["AUDIT_CHECKPOINT_FILE"], error)
            db.session.rollback()
            return
        self._checkpointed_head = point.head if point else None
        if point and email_checkpoint(point):
            db.session.commit()
        db.session.rollback()

    def run_once(self) -> Tally:
        """Send everything ready now (after raising today's time-based alerts and checkpointing
        the audit chain), then return."""
        self.check_due(force=True)
        self.checkpoint_audit(force=True)
        while not self.stop_event.is_set():
            ids = self.claim()
            if not ids:
                break
            self.send_claimed(ids)
        self.transport.close()
        return self.tally

    def run_forever(self) -> Tally:
        """Poll and send until stopped (SIGTERM/SIGINT or stop())."""
        poll = self.config["ALERT_POLL_SECONDS"]
        idle_since = time.monotonic()
        while not self.stop_event.is_set():
            try:
                self.check_due()
                self.checkpoint_audit()
                ids = self.claim()
                if ids:
                    self.send_claimed(ids)
                    idle_since = time.monotonic()
                    continue
            except sa.exc.SQLAlchemyError as error:
                # The database is briefly unavailable: keep the worker alive and try again.
                db.session.rollback()
                log.warning("database error in the alert worker (%s); retrying", error.__class__.__name__)
                self.stop_event.wait(min(5.0, poll * 10))
                continue
            if time.monotonic() - idle_since > 10:
                self.transport.close()  # do not hold an idle connection to the mail server
            self.stop_event.wait(poll)
        self.transport.close()
        return self.tally

    def stop(self, *_args) -> None:
        self.stop_event.set()

    def install_signal_handlers(self) -> None:
        signal.signal(signal.SIGTERM, self.stop)
        signal.signal(signal.SIGINT, self.stop)


def _describe(error: BaseException) -> str:
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        parts = [
            f"{addr}: {code} {msg.decode(errors='replace') if isinstance(msg, bytes) else msg}"
            for addr, (code, msg) in error.recipients.items()
        ]
        return ("recipient refused: " + "; ".join(parts))[:500]
    if isinstance(error, smtplib.SMTPResponseException):
        message = error.smtp_error.decode(errors="replace") if isinstance(error.smtp_error, bytes) else error.smtp_error
        return f"{error.smtp_code} {message}"[:500]
    return f"{error.__class__.__name__}: {error}"[:500]
