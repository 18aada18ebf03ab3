"""The consignee's response link: unguessable, tied to one notice, useless without SECRET_KEY.

The link carries `<nonce>.<mac>`: the nonce (random, stored on the notice) finds the notice
and the mac (HMAC-SHA256 of the notice id and nonce under SECRET_KEY) proves the link was
made by us. The database alone cannot produce a working link, and the same link can be
written again into a reminder without storing it.
"""

import hashlib
import hmac
import secrets

from flask import current_app

NONCE_BYTES = 16


def new_nonce() -> str:
    return secrets.token_hex(NONCE_BYTES)


def _mac(notice_id: int, nonce: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    message = f"recall-response:{notice_id}:{nonce}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()[:32]


def token_for(notice) -> str:
    return f"{notice.token_nonce}.{_mac(notice.id, notice.token_nonce)}"


def split(token: str) -> tuple[str, str] | None:
    """(nonce, mac) if the token has the right shape, else None (nothing is looked up)."""
    if not isinstance(token, str) or len(token) != NONCE_BYTES * 2 + 1 + 32:
        return None
    nonce, _, mac = token.partition(".")
    if len(nonce) != NONCE_BYTES * 2 or not all(c in "0123456789abcdef" for c in nonce + mac):
        return None
    return nonce, mac


def verify(notice, mac: str) -> bool:
    return hmac.compare_digest(_mac(notice.id, notice.token_nonce), mac)
