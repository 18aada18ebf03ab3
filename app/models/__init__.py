"""All models, re-exported so `from app.models import Complaint` works."""

from .audit import AuditEvent
from .comment import Comment
from .complaint import CATEGORIES, CHANNELS, Complaint
from .customer import CUSTOMER_KINDS, Customer
from .lot import LOT_KINDS, ComplaintLot, Lot, LotInput, Shipment
from .product import PRODUCT_KINDS, Product
from .sequence import ReferenceCounter
from .user import AnonymousUser, User, UserRole

__all__ = [
    "AnonymousUser",
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
