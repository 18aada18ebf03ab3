"""users: session_version, so that signing out, a new password, deactivation or an admin's
"sign out everywhere" ends every session and remember-me cookie of the user

A session and a remember-me cookie name the user as "<id>:<session_version>"; the loader
accepts them only while the number is the user's. Sessions made before this revision name
the user by id alone and so end with the upgrade: everyone signs in once more.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-08 00:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade():
    # A plain ADD COLUMN (no batch copy of the table on SQLite).
    op.add_column("users", sa.Column("session_version", sa.Integer(), nullable=False, server_default="1"))


def downgrade():
    with op.batch_alter_table("users") as batch:
        batch.drop_column("session_version")
