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


# Plain ALTER TABLE, not batch mode: on SQLite a batch copies the table and drops its
# triggers, and the search index of recalls (0008, fts_recalls_*) lives in triggers.
def upgrade():
    # The one place outside the engine that sets a status: existing rows of a state that no
    # longer exists (no person makes this move, so there is no one to audit it as).
    op.execute("UPDATE incidents SET status = 'investigating' WHERE status = 'contained'")
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "ALTER TABLE recalls ADD COLUMN extends_id INTEGER "
            "CONSTRAINT fk_recalls_extends_id_recalls REFERENCES recalls (id)"
        )
    else:
        op.add_column("recalls", sa.Column("extends_id", sa.Integer(), nullable=True))
        op.create_foreign_key("fk_recalls_extends_id_recalls", "recalls", "recalls", ["extends_id"], ["id"])


def downgrade():
    if op.get_bind().dialect.name == "sqlite":
        # SQLite drops no column that a foreign key names: copy the table, then put the
        # search triggers back (the copy drops them).
        with op.batch_alter_table("recalls") as batch:
            batch.drop_column("extends_id")
        _recall_search_triggers()
    else:
        op.drop_constraint("fk_recalls_extends_id_recalls", "recalls", type_="foreignkey")
        op.drop_column("recalls", "extends_id")
    op.execute("UPDATE incidents SET status = 'contained' WHERE status = 'investigating' AND containment IS NOT NULL")


def _recall_search_triggers() -> None:
    """The triggers 0008 made, if its search table is there."""
    bind = op.get_bind()
    if not bind.execute(sa.text("SELECT 1 FROM sqlite_master WHERE name = 'fts_recalls'")).first():
        return
    cols = "title, reason, hazard"
    insert = f"INSERT INTO fts_recalls(rowid, {cols}) VALUES (new.id, new.title, new.reason, new.hazard);"
    delete = f"INSERT INTO fts_recalls(fts_recalls, rowid, {cols}) VALUES ('delete', old.id, old.title, old.reason, old.hazard);"
    op.execute(f"CREATE TRIGGER IF NOT EXISTS fts_recalls_ai AFTER INSERT ON recalls BEGIN {insert} END")
    op.execute(f"CREATE TRIGGER IF NOT EXISTS fts_recalls_ad AFTER DELETE ON recalls BEGIN {delete} END")
    op.execute(
        f"CREATE TRIGGER IF NOT EXISTS fts_recalls_au AFTER UPDATE OF {cols} ON recalls BEGIN {delete} {insert} END"
    )
