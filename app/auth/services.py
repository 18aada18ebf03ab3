"""Accounts: sign-in checks, creating and changing users (all audited)."""

from functools import cache
from urllib.parse import urlsplit

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import current_app
from werkzeug.security import check_password_hash, generate_password_hash

from ..audit import services as audit
from ..errors import NotAllowed, ValidationError
from ..extensions import db
from ..models import User
from ..permissions import ROLES
from . import passwords

USER_FIELDS = ("name", "email", "active", "timezone")


@cache
def _decoy_hash(method: str) -> str:
    """A hash of nothing anyone types, checked for unknown usernames."""
    return generate_password_hash("decoy: no account has this password", method=method)


def authenticate(username: str, password: str) -> User | None:
    """The active user with these credentials, or None (callers show one generic message).

    An unknown username costs one password check too, so the time of the answer does not
    tell whether an account exists (~200 ms against ~5 ms before)."""
    user = db.session.scalar(sa.select(User).where(User.username == username))
    if user is None:
        check_password_hash(_decoy_hash(current_app.config.get("PASSWORD_HASH_METHOD", "scrypt")), password)
        return None
    if not user.active or not user.check_password(password):
        return None
    return user


def end_sessions(user: User, actor, why: str) -> None:
    """End every session and remember-me cookie of `user`, in every browser and process."""
    user.session_version += 1
    audit.record("sessions ended", "user", user.id, label=user.username, changes={"why": [None, why]}, actor=actor)


def is_safe_next(target: str | None) -> bool:
    """Only local paths may be followed after sign-in (no open redirects)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


def _check_roles(roles) -> list[str]:
    roles = list(dict.fromkeys(roles))
    unknown = [r for r in roles if r not in ROLES]
    if unknown:
        raise ValidationError(f"Unknown role(s): {', '.join(unknown)}. Use {', '.join(ROLES)}.")
    if not roles:
        raise ValidationError("Give the user at least one role.")
    return roles


def check_password_rules(password: str, username: str, field: str = "password") -> None:
    found = passwords.problems(password, username)
    if found:
        raise ValidationError(" ".join(found), {field: found})


def create_user(
    *, username, name, email, password, roles, timezone=None, actor=None, password_rules: bool = True
) -> User:
    """A new active user. `password_rules=False` only for the demo accounts (password "demo")."""
    roles = _check_roles(roles)
    if password_rules:
        check_password_rules(password, username)
    if db.session.scalar(sa.select(User.id).where(sa.func.lower(User.username) == username.lower())):
        raise ValidationError(
            f"The username '{username}' is taken; choose another.",
            {"username": ["This username is taken."]},
        )
    user = User(username=username, name=name, email=email, active=True, timezone=timezone or None)
    user.set_password(password)
    user.set_roles(roles)
    db.session.add(user)
    db.session.flush()
    audit.record(
        "created",
        "user",
        user.id,
        label=username,
        actor=actor,
        changes={"roles": [None, roles], "name": [None, name], "email": [None, email]},
    )
    return user


def update_user(user: User, *, actor, roles=None, **fields) -> User:
    before = {f: getattr(user, f) for f in USER_FIELDS}
    before_roles = user.roles
    if roles is not None:
        roles = _check_roles(roles)
        if actor.id == user.id and "admin" in before_roles and "admin" not in roles:
            raise NotAllowed("You cannot remove your own admin role; ask another admin.")
    if actor.id == user.id and fields.get("active") is False:
        raise NotAllowed("You cannot deactivate your own account.")
    for key, value in fields.items():
        if key in USER_FIELDS:
            setattr(user, key, value)
    if roles is not None:
        user.set_roles(roles)
    changes = audit.diff(before, {f: getattr(user, f) for f in USER_FIELDS})
    if roles is not None and sorted(roles) != before_roles:
        changes["roles"] = [before_roles, sorted(roles)]
        # Roles live in their own table; mark the users row changed too, so its version
        # moves and an edit form opened before this change is refused as stale.
        so.attributes.flag_modified(user, "name")
    if changes:
        audit.record("updated", "user", user.id, label=user.username, changes=changes, actor=actor)
    if before["active"] and not user.active:
        end_sessions(user, actor, "account deactivated")
    return user


def change_password(user: User, current: str, new: str) -> None:
    if not user.check_password(current):
        raise ValidationError(
            "Your current password is not right.", {"current_password": ["Not your current password."]}
        )
    check_password_rules(new, user.username, "new_password")
    user.set_password(new)
    audit.record("password changed", "user", user.id, label=user.username, actor=user)
    end_sessions(user, user, "new password")


def set_password_by_admin(user: User, new: str, actor) -> None:
    check_password_rules(new, user.username)
    user.set_password(new)
    audit.record("password reset", "user", user.id, label=user.username, actor=actor)
    end_sessions(user, actor, "password reset by an admin")
