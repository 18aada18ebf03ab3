"""Signing (21 CFR Part 11 §11.50, §11.200): the signer re-enters their password and
chooses a meaning; the signature stores printed name, time and meaning and is audited."""

import sqlalchemy as sa

from ..audit import services as audit
from ..errors import DomainError
from ..extensions import db
from ..models import MEANINGS, Signature


class SignatureRefused(DomainError):
    """The password did not match: nothing is signed (the refusal itself is audited)."""

    status_code = 422


def sign(record_type: str, record_id: int, label: str, action: str, meaning: str, signer, password: str) -> Signature:
    """Sign `action` on the record; raise SignatureRefused for a wrong password.

    Callers roll back on SignatureRefused and then call `record_refusal`, so the failed
    attempt is kept even though the change it would have signed is not.
    """
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


def record_refusal(record_type: str, record_id: int, label: str, action: str, signer) -> None:
    """Audit a refused signing attempt (in its own transaction, after the caller's rollback)."""
    audit.record(
        "signature refused",
        record_type,
        record_id,
        label=label,
        actor=signer,
        changes={"attempt": [None, f"wrong password for {action}"]},
    )


def signatures_for(record_type: str, record_ids) -> list[Signature]:
    """The signatures of these records, oldest first (the manifest)."""
    return list(
        db.session.scalars(
            sa.select(Signature)
            .where(Signature.record_type == record_type, Signature.record_id.in_(list(record_ids)))
            .order_by(Signature.signed_at, Signature.id)
        )
    )
