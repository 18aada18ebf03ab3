"""The alert rules a new installation starts with (loaded with demo data, or by
`flask alerts install-defaults`); admins change them under Admin › Alert rules."""

import sqlalchemy as sa

from ..extensions import db
from ..models import AlertRule

DEFAULT_RULES = (
    # (name, event, roles, notify assignee, minimum severity)
    ("New complaints to production for triage", "complaint.logged", "production", False, None),
    ("Severe complaints and injuries to marketing and admins", "complaint.logged", "marketing,admin", False, 4),
    ("Triaged complaint to its investigator", "complaint.triaged", "", True, None),
    ("Incidents opened to production and marketing", "incident.opened", "production,marketing", True, None),
    ("Escalated incidents to everyone who decides", "incident.escalated", "production,marketing,admin", True, None),
    ("Lots on hold to sales and production", "lot.held", "sales,production", False, None),
    ("Locked e-signing to admins", "signature.locked", "admin", False, None),
    ("Recall proposals to the approvers", "recall.proposed", "marketing,admin", True, None),
    ("Approved recalls to everyone", "recall.approved", "sales,production,marketing,admin", True, None),
    ("Consignee responses to marketing", "recall.response_received", "marketing", False, None),
    ("Statements to approve to marketing and admins", "statement.awaiting_approval", "marketing,admin", False, None),
    ("Press deadlines to the assignee and marketing", "inquiry.deadline_near", "marketing", True, None),
    ("Action to its owner", "action.assigned", "", True, None),
    ("Action due soon to its owner", "action.due_soon", "", True, None),
    ("Overdue action to its owner and production", "action.overdue", "production", True, None),
)


def install_default_rules() -> int:
    """Add the default rules if there are no rules yet; returns how many were added."""
    if db.session.scalar(sa.select(sa.func.count(AlertRule.id))):
        return 0
    for name, event, roles, assignee, severity in DEFAULT_RULES:
        rule = AlertRule(name=name, event=event, roles=roles, notify_assignee=assignee, min_severity=severity)
        rule.enabled = True
        db.session.add(rule)
    db.session.flush()
    return len(DEFAULT_RULES)
