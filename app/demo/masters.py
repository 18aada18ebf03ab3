"""Demo records made through the audited services: the four accounts and the products."""

from ..admin import masterdata
from ..auth.services import create_user
from ..models import Product, User
from .catalog import ProductSpec

DEMO_PASSWORD = "demo"  # noqa: S105 - demo accounts exist only in demo data
DEMO_USERS = [
    ("sales", "Sam Sales", ["sales"]),
    ("production", "Pat Production", ["production"]),
    ("marketing", "Morgan Marketing", ["marketing"]),
    ("admin", "Alex Admin", ["admin"]),
]


def create_users() -> dict[str, User]:
    """Create the demo users through the audited service; keyed by username."""
    return {
        username: create_user(
            username=username,
            name=name,
            email=f"{username}@lotline.example",
            password=DEMO_PASSWORD,
            roles=roles,
            password_rules=False,  # demo accounts only: the README gives their password
        )
        for username, name, roles in DEMO_USERS
    }


def create_products(specs: tuple[ProductSpec, ...], actor) -> dict[str, Product]:
    """Create the catalogue's products through the audited service; keyed by SKU."""
    return {
        s.sku: masterdata.create(
            masterdata.PRODUCTS, dict(sku=s.sku, name=s.name, unit=s.unit, kind=s.product_kind), actor
        )
        for s in specs
    }
