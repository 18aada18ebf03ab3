"""incidents: containment is an activity, not a state; recalls: a second recall of an
incident names the recall whose scope it extends

"Contained" excluded investigation, though containment and investigation run side by
side in every 8D: the state goes, and incidents in it are investigating (their containment
text stays where it was). A recall may extend an earlier recall of the same incident
(recalls.extends_id); without it a second live recall of one incident is refused.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 23:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade():
    # The one place outside the engine that sets a status: existing rows of a state that no
    # longer exists (no person makes this move, so there is no one to audit it as).
    op.execute("UPDATE incidents SET status = 'investigating' WHERE status = 'contained'")
    with op.batch_alter_table("recalls") as batch:
        batch.add_column(sa.Column("extends_id", sa.Integer(), nullable=True))
        batch.create_foreign_key("fk_recalls_extends_id_recalls", "recalls", ["extends_id"], ["id"])


def downgrade():
    with op.batch_alter_table("recalls") as batch:
        batch.drop_constraint("fk_recalls_extends_id_recalls", type_="foreignkey")
        batch.drop_column("extends_id")
    op.execute(
        "UPDATE incidents SET status = 'contained' WHERE status = 'investigating' AND containment IS NOT NULL"
    )
