"""All models, re-exported so `from app.models import Complaint` works."""

from .alert import OUTBOX_STATUSES, Alert, AlertMark, AlertRule, OutboxMessage, alert_rule_users
from .attachment import Attachment
from .audit import AuditEvent
from .capa import ACTION_KINDS, Action
from .comment import Comment
from .complaint import CATEGORIES, CHANNELS, Complaint
from .customer import CUSTOMER_KINDS, Customer
from .incident import DECISIONS, FISHBONE, Incident, IncidentComplaint, IncidentLot, IncidentWhy
from .lot import LOT_KINDS, ComplaintLot, Lot, LotInput, Shipment
from .press import INQUIRY_CHANNELS, ONE_VOICE_KINDS, STATEMENT_KINDS, PressInquiry, Statement, StatementVersion
from .product import PRODUCT_KINDS, Product
from .recall import (
    CLASSIFICATIONS,
    DEPTHS,
    EFFECTIVENESS_LEVELS,
    NOTICE_METHODS,
    REMEDIES,
    Recall,
    RecallLot,
    RecallNotice,
    RecallNoticeLine,
)
from .sequence import ReferenceCounter
from .signature import MEANINGS, Signature
from .user import AnonymousUser, User, UserRole

__all__ = [
    "INQUIRY_CHANNELS",
    "ONE_VOICE_KINDS",
    "STATEMENT_KINDS",
    "PressInquiry",
    "Statement",
    "StatementVersion",
    "CLASSIFICATIONS",
    "DEPTHS",
    "EFFECTIVENESS_LEVELS",
    "NOTICE_METHODS",
    "REMEDIES",
    "Recall",
    "RecallLot",
    "RecallNotice",
    "RecallNoticeLine",
    "OUTBOX_STATUSES",
    "Alert",
    "AlertMark",
    "AlertRule",
    "OutboxMessage",
    "alert_rule_users",
    "ACTION_KINDS",
    "Action",
    "DECISIONS",
    "FISHBONE",
    "Incident",
    "IncidentComplaint",
    "IncidentLot",
    "IncidentWhy",
    "MEANINGS",
    "Signature",
    "AnonymousUser",
    "Attachment",
    "AuditEvent",
    "CATEGORIES",
    "CHANNELS",
    "CUSTOMER_KINDS",
    "Comment",
    "ComplaintLot",
    "LOT_KINDS",
    "Lot",
    "LotInput",
    "Shipment",
    "Complaint",
    "Customer",
    "PRODUCT_KINDS",
    "Product",
    "ReferenceCounter",
    "User",
    "UserRole",
]
