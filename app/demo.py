"""Demo data for `make run`: four users (password 'demo'), products, customers, complaints."""

from datetime import date, timedelta

from .admin import masterdata
from .auth.services import create_user
from .complaints import services as complaints
from .models.types import utcnow

DEMO_PASSWORD = "demo"  # noqa: S105 - demo accounts exist only in demo data
DEMO_USERS = [
    ("sales", "Sam Sales", ["sales"]),
    ("production", "Pat Production", ["production"]),
    ("marketing", "Morgan Marketing", ["marketing"]),
    ("admin", "Alex Admin", ["admin"]),
]
PRODUCTS = [
    ("GR-500", "Granola 500 g", "bag", "finished"),
    ("MB-12", "Muesli bar 12-pack", "case", "finished"),
    ("OC-250", "Oat cookies 250 g", "box", "finished"),
    ("RM-OAT", "Rolled oats", "kg", "raw"),
    ("RM-HNY", "Honey", "kg", "raw"),
]
CUSTOMERS = [
    ("Northwind Distribution", "distributor", "recalls@northwind.example", "US"),
    ("Fresh Mart #12", "retailer", "store12@freshmart.example", "US"),
    ("Corner Grocer", "retailer", None, "US"),
    ("Jane Doe", "consumer", "jane@example.org", "US"),
]


def load() -> None:
    users = {}
    for username, name, roles in DEMO_USERS:
        users[username] = create_user(
            username=username,
            name=name,
            email=f"{username}@lotline.example",
            password=DEMO_PASSWORD,
            roles=roles,
        )
    admin = users["admin"]
    products = {
        sku: masterdata.create(masterdata.PRODUCTS, dict(sku=sku, name=name, unit=unit, kind=kind), admin)
        for sku, name, unit, kind in PRODUCTS
    }
    customers = {
        name: masterdata.create(masterdata.CUSTOMERS, dict(name=name, kind=kind, email=email, country=country), admin)
        for name, kind, email, country in CUSTOMERS
    }
    now = utcnow()
    sales, production = users["sales"], users["production"]

    def complaint(days_ago, customer, sku, lots, category, description, injury=False):
        return complaints.create_complaint(
            dict(
                received_at=now - timedelta(days=days_ago, hours=2),
                channel="phone",
                customer_id=customers[customer].id,
                complainant_name=None,
                complainant_contact=None,
                product_id=products[sku].id,
                lot_codes=lots,
                quantity_affected=None,
                description=description,
                category=category,
                injury=injury,
                sample_available=True,
            ),
            sales,
        )

    complaint(
        0,
        "Jane Doe",
        "GR-500",
        "L24-117",
        "foreign_matter",
        "Customer found a piece of hard plastic in the granola; chipped a tooth.",
        injury=True,
    )
    complaint(
        1,
        "Fresh Mart #12",
        "MB-12",
        "L24-120, L24-121",
        "packaging",
        "Three cases arrived with torn wrappers.",
    )
    triaged = complaint(
        3, "Northwind Distribution", "OC-250", "L24-098", "taste_odor", "Rancid smell reported by two stores."
    )
    complaints.apply_transition(
        triaged,
        "triage",
        dict(
            severity=3,
            probability=2,
            reportable=False,
            reportable_reason="Quality defect without health risk.",
            investigator_id=production.id,
            due_date=date.today() + timedelta(days=7),
        ),
        production,
    )
    complaints.apply_transition(triaged, "investigate", {}, production)
