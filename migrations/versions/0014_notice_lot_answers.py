"""recall notice lines: the consignee's answer per lot, in the lot's unit; notices: the
"received from elsewhere" flag and the mark of an answer shared out onto its lots

Until now a consignee answered one set of quantities for every lot they received (113 bags
of one lot and 289 of another: one "on hand", one "returned", one "destroyed"). From here
each lot is answered on its own line, and may exceed what was shipped of it only when the
consignee says they also had it from elsewhere.

Conversion of the answers already recorded (nothing recorded is lost):
- the notice keeps its three totals exactly as the consignee gave them;
- a notice of one lot: the totals are that lot's answer, copied as they are;
- a notice of several lots: the totals are shared out onto its lots in proportion to the
  quantity of each shipped (rounded down to 0.001, the rest on the lot shipped most, so the
  lots add up exactly to the totals) and the notice is marked answer_shared_out, which the
  pages and reports show: those per-lot figures are ours, not the consignee's;
- a notice without lines keeps its totals only;
- an answer above what was shipped is kept as given, without the "received elsewhere" flag
  (the consignee never said so): the effectiveness figures count no lot above what was
  shipped of it and show the excess apart.
The audit trail keeps every answer as it was given.

Downgrade drops the per-lot answers and the flags; the notice totals (kept equal to the sum
of the lots by the response service) stay.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-08 12:00:00

"""

from decimal import ROUND_DOWN, Decimal

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

QUANTITIES = ("quantity_on_hand", "quantity_returned", "quantity_destroyed")
MILLI = Decimal("0.001")


def upgrade():
    # Plain ADD COLUMNs (no batch copy of the tables on SQLite).
    for name in QUANTITIES:
        op.add_column("recall_notice_lines", sa.Column(name, sa.Numeric(14, 3), nullable=True))
    for table in ("recall_notice_lines", "recall_notices"):
        op.add_column(table, sa.Column("received_elsewhere", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.add_column("recall_notices", sa.Column("answer_shared_out", sa.Boolean(), nullable=False, server_default=sa.false()))
    _share_out_answers(op.get_bind())


def downgrade():
    # Plain DROP COLUMNs (SQLite 3.35+ drops a column no key or index names in place): a batch
    # copy would drop recall_notices, and with it, by ON DELETE CASCADE, every notice line.
    op.drop_column("recall_notices", "answer_shared_out")
    op.drop_column("recall_notices", "received_elsewhere")
    op.drop_column("recall_notice_lines", "received_elsewhere")
    for name in reversed(QUANTITIES):
        op.drop_column("recall_notice_lines", name)


def share(total: Decimal | None, shipped: list[Decimal]) -> list[Decimal | None]:
    """`total` shared out in proportion to `shipped`, rounded down to 0.001, the rest on the
    largest share (the first of equals), so the shares add up to `total` exactly."""
    if total is None:
        return [None] * len(shipped)
    whole = sum(shipped, Decimal(0))
    if whole <= 0:  # nothing shipped to weigh by: all on the first lot
        return [total] + [Decimal(0)] * (len(shipped) - 1)
    shares = [(total * q / whole).quantize(MILLI, rounding=ROUND_DOWN) for q in shipped]
    largest = max(range(len(shipped)), key=lambda i: (shipped[i], -i))
    shares[largest] += total - sum(shares, Decimal(0))
    return shares


def _share_out_answers(conn) -> None:
    notices = sa.table(
        "recall_notices",
        sa.column("id"),
        sa.column("answer_shared_out"),
        *(sa.column(name, sa.Numeric(14, 3)) for name in QUANTITIES),
    )
    lines = sa.table(
        "recall_notice_lines",
        sa.column("notice_id"),
        sa.column("lot_id"),
        sa.column("quantity", sa.Numeric(14, 3)),
        *(sa.column(name, sa.Numeric(14, 3)) for name in QUANTITIES),
    )
    answered = sa.or_(*(getattr(notices.c, name).is_not(None) for name in QUANTITIES))
    rows = conn.execute(
        sa.select(notices.c.id, *(getattr(notices.c, name) for name in QUANTITIES), lines.c.lot_id, lines.c.quantity)
        .join(lines, lines.c.notice_id == notices.c.id)
        .where(answered)
        .order_by(notices.c.id, lines.c.lot_id)
    ).all()
    by_notice: dict[int, list] = {}
    for row in rows:
        by_notice.setdefault(row.id, []).append(row)
    updates, shared = [], []
    for notice_id, its_lines in by_notice.items():
        shipped = [Decimal(r.quantity or 0) for r in its_lines]
        parts = {name: share(_decimal(getattr(its_lines[0], name)), shipped) for name in QUANTITIES}
        for i, line in enumerate(its_lines):
            updates.append({"_notice": notice_id, "_lot": line.lot_id, **{name: parts[name][i] for name in QUANTITIES}})
        if len(its_lines) > 1:
            shared.append(notice_id)
    if updates:
        conn.execute(
            lines.update()
            .where(lines.c.notice_id == sa.bindparam("_notice"), lines.c.lot_id == sa.bindparam("_lot"))
            .values({name: sa.bindparam(name) for name in QUANTITIES}),
            updates,
        )
    for start in range(0, len(shared), 500):
        conn.execute(
            notices.update().where(notices.c.id.in_(shared[start : start + 500])).values(answer_shared_out=True)
        )


def _decimal(value) -> Decimal | None:
    return None if value is None else Decimal(str(value))
