"""The seal of every audit event: HMAC-SHA256 under AUDIT_KEY over the event and its predecessor.

A plain hash chain can be recomputed by anyone who can write the database (the function is
in this repository); a keyed one only by someone who also holds AUDIT_KEY, which lives in
the environment of the app and never in the database.
"""

import hashlib
import hmac
import json

from flask import current_app

GENESIS_HASH = "0" * 64


# One encoder for every event (json.dumps with options builds a new one per call; the
# walk of a million events notices).
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def event_payload(event) -> bytes:
    """The bytes an event's seal covers: its link to the previous event and every column."""
    return _ENCODER.encode(
        [
            event.prev_hash,
            event.created_at.isoformat(timespec="microseconds"),
            event.actor_id,
            event.actor_name,
            event.record_type,
            event.record_id,
            event.record_label,
            event.action,
            event.changes,
        ]
    ).encode("utf-8")


def audit_key() -> bytes:
    return current_app.config["AUDIT_KEY"].encode("utf-8")


def seal(payload: bytes, key: bytes | None = None) -> str:
    return hmac.digest(key or audit_key(), payload, hashlib.sha256).hex()


def compute_hash(event, key: bytes | None = None) -> str:
    """The seal an event must carry in its `hash` column."""
    return seal(event_payload(event), key)


def key_id(key: bytes | None = None) -> str:
    """A short name of the key (not the key): checkpoints carry it so that `verify` can tell
    a chain sealed with another key from one that was edited."""
    return seal(b"lotline audit key id", key)[:16]


def seals_match(stored: str, computed: str) -> bool:
    return hmac.compare_digest(stored, computed)
