"""shipments: index (lot_id, quantity) in place of (lot_id)

The trends page sums the shipped quantity of every lot named by a complaint in the period
(~51,000 lots over a year of plant-1M). With quantity in the index each sum is read from
the index alone (PostgreSQL: an index-only scan; SQLite: a covering index) instead of
visiting ~4 shipment rows per lot. The new index serves every look-up by lot_id the old one
served, so the old one goes: shipments keep the same number of indexes to maintain.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04 15:30:00

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


# Plain index operations, not batch mode: SQLite creates and drops indexes in place, and a
# batch that decided to copy the table would rewrite millions of shipment rows.
def upgrade():
    op.create_index("ix_shipments_lot_quantity", "shipments", ["lot_id", "quantity"], unique=False)
    op.drop_index("ix_shipments_lot_id", table_name="shipments")


def downgrade():
    op.create_index("ix_shipments_lot_id", "shipments", ["lot_id"], unique=False)
    op.drop_index("ix_shipments_lot_quantity", table_name="shipments")
