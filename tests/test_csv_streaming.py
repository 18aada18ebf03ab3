"""CSV exports stream their rows after the view has returned, as a real server sends them.

The other tests keep an app context open, which Flask reuses for every request, so the
database session outlives the view there; under a server it does not: the view's context ends
(and Flask-SQLAlchemy closes its session) before the first byte is sent. Rows read from a
query the view started then fail ("identity map is no longer valid") and the download stops
after its first batch. Here no context is held while the requests run.
"""

from datetime import date

import sqlalchemy as sa

from app.extensions import db
from app.models import Customer, Lot
from tests import factories
from tests.factories import PASSWORD, sign_in

LOTS = 2500  # past the lot export's first two batches of 1,000
CUSTOMERS = 1200


def test_lot_product_and_customer_exports_stream_every_row_after_the_view(make_app):
    app = make_app()
    with app.app_context():
        user = factories.make_user(("admin",), password=PASSWORD)
        product = factories.make_product()
        rows = [
            dict(
                code=f"L{n:05d}",
                product_id=product.id,
                kind="finished",
                quantity=1,
                unit="case",
                produced_on=date.today(),
            )
            for n in range(LOTS)
        ]
        db.session.execute(sa.insert(Lot), rows)
        db.session.execute(
            sa.insert(Customer), [dict(name=f"Store {n:05d}", kind="retailer") for n in range(CUSTOMERS)]
        )
        db.session.commit()
        username = user.username
    client = app.test_client()
    assert sign_in(client, username).status_code == 302
    for url, expected in (
        ("/lots/?format=csv", LOTS),
        ("/admin/products?format=csv", 1),
        ("/admin/customers?format=csv", CUSTOMERS),
    ):
        response = client.get(url)  # the test client reads the whole streamed body
        assert response.status_code == 200, url
        lines = response.get_data(as_text=True).strip().splitlines()
        assert len(lines) == expected + 1, url  # the header and every row
