"""Users and their roles."""

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import current_app
from flask_login import AnonymousUserMixin, UserMixin
from werkzeug.security import check_password_hash, generate_password_hash

from ..extensions import db, login_manager
from ..permissions import ROLES, Permission, permissions_for
from .types import UTCDateTime, utcnow


class UserRole(db.Model):
    __tablename__ = "user_roles"
    user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    role: so.Mapped[str] = so.mapped_column(sa.String(20), primary_key=True)


class User(UserMixin, db.Model):
    __tablename__ = "users"
    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    username: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(120))
    email: so.Mapped[str] = so.mapped_column(sa.String(254))
    password_hash: so.Mapped[str] = so.mapped_column(sa.String(256))
    active: so.Mapped[bool] = so.mapped_column(sa.Boolean, default=True)
    timezone: so.Mapped[str | None] = so.mapped_column(sa.String(64), nullable=True)
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    version: so.Mapped[int] = so.mapped_column(sa.Integer, default=1)
    # Sessions and remember-me cookies carry this number; raising it ends them all (sign-out,
    # new password, deactivation, "sign out everywhere"), whichever process or browser holds them.
    session_version: so.Mapped[int] = so.mapped_column(sa.Integer, default=1, server_default="1")

    # Loaded when read (the signed-in user's, once per request): lists that show only
    # names would otherwise pay a query for every user's roles (tests/test_query_counts.py).
    role_rows: so.Mapped[list[UserRole]] = so.relationship(cascade="all, delete-orphan")

    __mapper_args__ = {"version_id_col": version}

    @property
    def roles(self) -> list[str]:
        return sorted(r.role for r in self.role_rows)

    def set_roles(self, roles) -> None:
        wanted = {r for r in roles if r in ROLES}
        self.role_rows = [r for r in self.role_rows if r.role in wanted]
        have = {r.role for r in self.role_rows}
        self.role_rows.extend(UserRole(role=r) for r in sorted(wanted - have))

    def has_role(self, role: str) -> bool:
        return any(r.role == role for r in self.role_rows)

    def can(self, permission: Permission) -> bool:
        return permission in permissions_for(self.roles)

    def set_password(self, password: str) -> None:
        # scrypt by default; the test config picks a cheaper method to keep the suite fast.
        method = current_app.config.get("PASSWORD_HASH_METHOD", "scrypt")
        self.password_hash = generate_password_hash(password, method=method)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    def get_id(self) -> str:
        """What the session and the remember-me cookie store: the id and the session version."""
        return f"{self.id}:{self.session_version}"

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return bool(self.active)

    def __repr__(self) -> str:
        return f"<User {self.username}>"


class AnonymousUser(AnonymousUserMixin):
    roles: list[str] = []
    timezone = None
    name = "anonymous"

    def can(self, permission) -> bool:
        return False

    def has_role(self, role) -> bool:
        return False


login_manager.anonymous_user = AnonymousUser


@login_manager.user_loader
def load_user(user_id: str):
    """The user a session or remember-me cookie names, while its session version is still the
    user's and the account is active; anything else is signed out."""
    user_part, _, version_part = (user_id or "").partition(":")
    if not (user_part.isdigit() and version_part.isdigit()):
        return None  # also sessions from before session versions: they sign in again
    user = db.session.get(User, int(user_part))
    if user is None or not user.active or user.session_version != int(version_part):
        return None
    return user
