"""complaints: index for the sort by risk; lots: index (product_id, code) in place of (product_id)

The complaint list sorted by risk (ORDER BY risk_score DESC NULLS LAST, id DESC) sorted all
100,000 complaints of plant-1M for each page (~200 ms); with the index both engines read the
page from it. PostgreSQL's index spells out DESC NULLS LAST (the order the query asks for);
SQLite has no NULLS in CREATE INDEX and needs none: its NULLs sort lowest, so its DESC
already puts them last.

The lot list filtered by one product (ORDER BY code) walked the whole code index on
PostgreSQL, checking each lot's product (175 ms). (product_id, code) gives a product's lots
in code order; it serves every look-up by product_id the old index served, so the old one
goes: lots keep the same number of indexes to maintain.

SQLite plans from the statistics ANALYZE left in sqlite_stat1, and an index without a row
there is taken for a very selective one: on plant-1M the incident page then read every lot
through (product_id, code) (300 ms instead of 6). Where ANALYZE has been run, the new indexes
are analyzed too (0.5 s on plant-1M). PostgreSQL's statistics are per column: nothing to do.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04 16:30:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


# Plain index operations, not batch mode: SQLite creates and drops indexes in place, and a
# batch that decided to copy the table would rewrite a million lot rows.
def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        columns = [sa.text("risk_score DESC NULLS LAST"), sa.text("id DESC")]
    else:
        columns = [sa.text("risk_score DESC"), sa.text("id DESC")]
    op.create_index("ix_complaints_risk_order", "complaints", columns, unique=False)
    op.create_index("ix_lots_product_code", "lots", ["product_id", "code"], unique=False)
    op.drop_index("ix_lots_product_id", table_name="lots")
    _analyze("ix_complaints_risk_order", "ix_lots_product_code")


def downgrade():
    op.create_index("ix_lots_product_id", "lots", ["product_id"], unique=False)
    op.drop_index("ix_lots_product_code", table_name="lots")
    op.drop_index("ix_complaints_risk_order", table_name="complaints")
    _analyze("ix_lots_product_id")


def _analyze(*indexes: str) -> None:
    """Give new indexes their SQLite statistics, if the database keeps statistics at all."""
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    if bind.exec_driver_sql("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'").first() is None:
        return  # never analyzed: SQLite plans without statistics, and so it should stay
    for name in indexes:
        op.execute(f"ANALYZE {name}")
