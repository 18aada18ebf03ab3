"""Signing (21 CFR Part 11 §11.50, §11.200): the signer re-enters their password and
chooses a meaning; the signature stores printed name, time and meaning and is audited."""

from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from .. import events
from ..audit import services as audit
from ..errors import DomainError
from ..extensions import db
from ..models import MEANINGS, AuditEvent, Signature
from ..models.types import utcnow

REFUSED = "signature refused"


class SignatureRefused(DomainError):
    """The password did not match: nothing is signed (the refusal itself is audited)."""

    status_code = 422


def sign(record_type: str, record_id: int, label: str, action: str, meaning: str, signer, password: str) -> Signature:
    """Sign `action` on the record; raise SignatureRefused for a wrong password.

    Callers roll back on SignatureRefused and then call `record_refusal`, so the failed
    attempt is kept even though the change it would have signed is not.
    """
    _check_not_locked(signer)
    if meaning not in MEANINGS:
        raise DomainError(f"Choose the meaning of your signature: {', '.join(MEANINGS)}.", {"meaning": ["Choose one."]})
    if not password or not signer.check_password(password):
        raise SignatureRefused(
            "The password is not right: nothing was signed. Re-enter your own password to sign.",
            {"password": ["Not your password."]},
        )
    signature = Signature(
        record_type=record_type,
        record_id=record_id,
        action=action,
        signer_id=signer.id,
        printed_name=signer.name,
        username=signer.username,
        meaning=meaning,
    )
    db.session.add(signature)
    db.session.flush()
    audit.record(
        "signed",
        record_type,
        record_id,
        label=label,
        actor=signer,
        changes={"signature": [None, f"{signer.name} ({signer.username}), {MEANINGS[meaning]}, for {action}"]},
    )
    return signature


class SignatureLocked(SignatureRefused):
    """Too many wrong passwords lately: signing is locked for a while (the attempt is audited)."""

    status_code = 429


def _recent_refusals(signer) -> list:
    """Times of the signer's refused signatures within the lock window, newest first."""
    window = timedelta(minutes=current_app.config["SIGNATURE_LOCK_MINUTES"])
    return list(
        db.session.scalars(
            sa.select(AuditEvent.created_at)
            .where(AuditEvent.actor_id == signer.id, AuditEvent.action == REFUSED)
            .where(AuditEvent.created_at >= utcnow() - window)
            .order_by(AuditEvent.id.desc())
            .limit(current_app.config["SIGNATURE_MAX_FAILURES"])
        )
    )


def _check_not_locked(signer) -> None:
    limit = current_app.config["SIGNATURE_MAX_FAILURES"]
    recent = _recent_refusals(signer)
    if len(recent) >= limit:
        until = min(recent) + timedelta(minutes=current_app.config["SIGNATURE_LOCK_MINUTES"])
        minutes = max(1, round((until - utcnow()).total_seconds() / 60))
        raise SignatureLocked(
            f"Signing is locked for your account after {limit} wrong passwords: nothing was signed. "
            f"Try again in about {minutes} minute{'s' if minutes != 1 else ''}; an administrator has been told.",
            {"password": ["Signing is locked for now."]},
        )


def record_refusal(record_type: str, record_id: int, label: str, action: str, signer, locked: bool = False) -> None:
    """Audit a refused signing attempt (in its own transaction, after the caller's rollback);
    the attempt that reaches the limit locks signing and alerts the admins."""
    was_locked = locked or len(_recent_refusals(signer)) >= current_app.config["SIGNATURE_MAX_FAILURES"]
    audit.record(
        REFUSED,
        record_type,
        record_id,
        label=label,
        actor=signer,
        changes={"attempt": [None, f"{'while signing was locked' if locked else 'wrong password'} for {action}"]},
    )
    if not was_locked and len(_recent_refusals(signer)) >= current_app.config["SIGNATURE_MAX_FAILURES"]:
        audit.record("signing locked", "user", signer.id, label=signer.username, actor=signer)
        events.emit("signature.locked", signer, actor=signer)


def signatures_for(record_type: str, record_ids) -> list[Signature]:
    """The signatures of these records, oldest first (the manifest)."""
    return list(
        db.session.scalars(
            sa.select(Signature)
            .where(Signature.record_type == record_type, Signature.record_id.in_(list(record_ids)))
            .order_by(Signature.signed_at, Signature.id)
        )
    )
