"""All models, re-exported so `from app.models import Complaint` works."""

from .audit import AuditEvent
from .comment import Comment
from .complaint import CATEGORIES, CHANNELS, Complaint
from .customer import CUSTOMER_KINDS, Customer
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
    "Complaint",
    "Customer",
    "PRODUCT_KINDS",
    "Product",
    "ReferenceCounter",
    "User",
    "UserRole",
]
