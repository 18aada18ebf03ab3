"""global search: full-text indexes and case-insensitive code indexes

SQLite: FTS5 tables (external content where the table has an integer key) kept in sync by
triggers, so rows written outside the ORM (bulk imports, raw SQL) are indexed too.
PostgreSQL: GIN indexes on to_tsvector('simple', ...) expressions (built-in full text: no
extension needed). Both: indexes on upper(lot code) for prefix search in any case.

Every object is named fts_* or ix_search_* so autogenerate can be told to leave them alone
(app.models.db_setup.include_name).

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-22 05:00:00

"""

from alembic import op

# ruff: noqa: S608  (DDL assembled from this module's constant names)

# revision identifiers, used by Alembic.
revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

TOKENIZE = "unicode61 remove_diacritics 2"

# FTS5 table -> (content table, indexed columns); the content table's `id` is the rowid.
EXTERNAL = {
    "fts_complaints": ("complaints", ("description",)),
    "fts_customers": ("customers", ("name",)),
    "fts_incidents": ("incidents", ("title", "description")),
    "fts_recalls": ("recalls", ("title", "reason", "hazard")),
}

# PostgreSQL: the same documents. The expressions must stay identical to app/search/sql.py,
# or the planner will not use the indexes. Punctuation becomes a space first so "24-117"
# gives the words 24 and 117 on both databases (the default parser would read "-117").
PG_DOCUMENTS = {
    "ix_search_complaints_text": ("complaints", "description"),
    "ix_search_customers_text": ("customers", "name"),
    "ix_search_incidents_text": ("incidents", "title || ' ' || description"),
    "ix_search_recalls_text": ("recalls", "title || ' ' || reason || ' ' || hazard"),
    "ix_search_statement_versions_text": ("statement_versions", "title || ' ' || body"),
}

CODE_INDEXES = {
    "ix_search_lots_code": ("lots", "code"),
    "ix_search_complaint_lots_code": ("complaint_lots", "lot_code"),
}


def pg_document(expression: str) -> str:
    return f"to_tsvector('simple', regexp_replace({expression}, '[^[:alnum:]]+', ' ', 'g'))"


def _sqlite_external(name: str, table: str, columns: tuple[str, ...]) -> None:
    cols = ", ".join(columns)
    new = ", ".join(f"new.{c}" for c in columns)
    old = ", ".join(f"old.{c}" for c in columns)
    op.execute(
        f"CREATE VIRTUAL TABLE {name} USING fts5({cols}, content='{table}', content_rowid='id', "
        f"tokenize='{TOKENIZE}', prefix='2 3')"
    )
    insert = f"INSERT INTO {name}(rowid, {cols}) VALUES (new.id, {new});"
    delete = f"INSERT INTO {name}({name}, rowid, {cols}) VALUES ('delete', old.id, {old});"
    op.execute(f"CREATE TRIGGER {name}_ai AFTER INSERT ON {table} BEGIN {insert} END")
    op.execute(f"CREATE TRIGGER {name}_ad AFTER DELETE ON {table} BEGIN {delete} END")
    op.execute(f"CREATE TRIGGER {name}_au AFTER UPDATE OF {cols} ON {table} BEGIN {delete} {insert} END")
    op.execute(f"INSERT INTO {name}({name}) VALUES ('rebuild')")


def _sqlite_statement_versions() -> None:
    # statement_versions has a composite key (no stable rowid), so this index keeps its own copy.
    op.execute(
        "CREATE VIRTUAL TABLE fts_statement_versions USING fts5(title, body, statement_id UNINDEXED, "
        f"number UNINDEXED, tokenize='{TOKENIZE}', prefix='2 3')"
    )
    insert = (
        "INSERT INTO fts_statement_versions(title, body, statement_id, number) "
        "VALUES (new.title, new.body, new.statement_id, new.number);"
    )
    delete = "DELETE FROM fts_statement_versions WHERE statement_id = old.statement_id AND number = old.number;"
    op.execute(f"CREATE TRIGGER fts_statement_versions_ai AFTER INSERT ON statement_versions BEGIN {insert} END")
    op.execute(f"CREATE TRIGGER fts_statement_versions_ad AFTER DELETE ON statement_versions BEGIN {delete} END")
    op.execute(
        f"CREATE TRIGGER fts_statement_versions_au AFTER UPDATE ON statement_versions BEGIN {delete} {insert} END"
    )
    op.execute(
        "INSERT INTO fts_statement_versions(title, body, statement_id, number) "
        "SELECT title, body, statement_id, number FROM statement_versions"
    )


def upgrade():
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        for name, (table, expression) in PG_DOCUMENTS.items():
            op.execute(f"CREATE INDEX {name} ON {table} USING gin ({pg_document(expression)})")
        for name, (table, column) in CODE_INDEXES.items():
            # COLLATE "C": byte order, so a prefix is a range whatever the database's collation.
            op.execute(f'CREATE INDEX {name} ON {table} ((upper({column})) COLLATE "C")')
        return
    for name, (table, columns) in EXTERNAL.items():
        _sqlite_external(name, table, columns)
    _sqlite_statement_versions()
    for name, (table, column) in CODE_INDEXES.items():
        op.execute(f"CREATE INDEX {name} ON {table} (upper({column}))")


def downgrade():
    for name in CODE_INDEXES:
        op.execute(f"DROP INDEX IF EXISTS {name}")
    if op.get_bind().dialect.name == "postgresql":
        for name in PG_DOCUMENTS:
            op.execute(f"DROP INDEX IF EXISTS {name}")
        return
    for name in [*EXTERNAL, "fts_statement_versions"]:
        for suffix in ("ai", "ad", "au"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}_{suffix}")
        op.execute(f"DROP TABLE IF EXISTS {name}")
