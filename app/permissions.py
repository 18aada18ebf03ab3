"""Roles, the permissions each grants, and the one decorator that guards views.

Coarse rights live here (who may open which pages). Who may move a record from one
state to another lives in the transition tables of app/workflow/tables.py; per-record rules
(only sales edits a complaint before triage, etc.) live in the services.
"""

from enum import StrEnum
from functools import wraps

from flask import abort
from flask_login import current_user

ROLES = ("sales", "production", "marketing", "admin")
ROLE_LABELS = {
    "sales": "Sales",
    "production": "Production / quality",
    "marketing": "Marketing / communications",
    "admin": "Administrator",
}


class Permission(StrEnum):
    COMPLAINT_VIEW = "complaint.view"
    COMPLAINT_CREATE = "complaint.create"
    COMPLAINT_EDIT = "complaint.edit"  # and reply to the complainant
    COMPLAINT_TRIAGE = "complaint.triage"  # triage, investigate, reject, close
    COMMENT = "comment.create"
    MASTERDATA_VIEW = "masterdata.view"
    MASTERDATA_EDIT = "masterdata.edit"
    USERS_MANAGE = "users.manage"
    AUDIT_VIEW = "audit.view"
    LOTS_IMPORT = "lots.import"
    LOTS_VIEW = "lots.view"
    LOTS_HOLD = "lots.hold"  # hold, release, record destruction
    INCIDENT_VIEW = "incident.view"
    INCIDENT_EDIT = "incident.edit"
    ACTION_VIEW = "action.view"
    ACTION_CREATE = "action.create"
    ACTION_MANAGE = "action.manage"  # move any action (an action's owner may move their own)
    RECALL_VIEW = "recall.view"
    RECALL_PROPOSE = "recall.propose"
    RECALL_MANAGE = "recall.manage"  # approval, notices, responses, effectiveness
    RECALL_CANCEL = "recall.cancel"  # close a proposal without a recall
    PRESS_VIEW = "press.view"  # inquiries and statements in every state (sales sees approved words only)
    PRESS_MANAGE = "press.manage"
    ALERTS_VIEW = "alerts.view"
    ALERTS_MANAGE = "alerts.manage"


_EVERYONE = {
    Permission.COMPLAINT_VIEW,
    Permission.COMMENT,
    Permission.MASTERDATA_VIEW,
    Permission.LOTS_VIEW,
    Permission.INCIDENT_VIEW,
    Permission.ACTION_VIEW,
    Permission.ALERTS_VIEW,
    Permission.RECALL_VIEW,
}

ROLE_PERMISSIONS: dict[str, frozenset[Permission]] = {
    "sales": frozenset(_EVERYONE | {Permission.COMPLAINT_CREATE, Permission.COMPLAINT_EDIT}),
    "production": frozenset(
        _EVERYONE
        | {
            Permission.LOTS_IMPORT,
            Permission.LOTS_HOLD,
            Permission.COMPLAINT_TRIAGE,
            Permission.ACTION_CREATE,
            Permission.ACTION_MANAGE,
            Permission.INCIDENT_EDIT,
            Permission.RECALL_PROPOSE,
            Permission.RECALL_CANCEL,
            Permission.PRESS_VIEW,  # production checks the facts in drafts
        }
    ),
    "marketing": frozenset(
        _EVERYONE
        | {
            Permission.RECALL_PROPOSE,
            Permission.RECALL_MANAGE,
            Permission.RECALL_CANCEL,
            Permission.PRESS_VIEW,
            Permission.PRESS_MANAGE,
        }
    ),
    "admin": frozenset(
        _EVERYONE
        | {
            Permission.MASTERDATA_EDIT,
            Permission.USERS_MANAGE,
            Permission.AUDIT_VIEW,
            Permission.LOTS_IMPORT,
            Permission.ALERTS_MANAGE,
            Permission.RECALL_MANAGE,
            Permission.RECALL_CANCEL,
            Permission.PRESS_VIEW,
            Permission.PRESS_MANAGE,
        }
    ),
}


def permissions_for(roles) -> frozenset[Permission]:
    granted: set[Permission] = set()
    for role in roles:
        granted |= ROLE_PERMISSIONS.get(role, frozenset())
    return frozenset(granted)


def roles_with(permission: Permission) -> list[str]:
    """The roles that grant `permission` (for messages: "Only production may …")."""
    return sorted(role for role, granted in ROLE_PERMISSIONS.items() if permission in granted)


def permission_required(permission: Permission):
    """Refuse the view unless the user holds `permission`: login page if anonymous, 403 if not."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                from .extensions import login_manager

                return login_manager.unauthorized()
            if not current_user.can(permission):
                abort(403)
            return view(*args, **kwargs)

        wrapped.required_permission = permission
        return wrapped

    return decorator
