"""Bulk inserts for generated data: COPY on PostgreSQL, chunked executemany on SQLite.

Rows carry their own ids (edges and shipments point at lots by id), so PostgreSQL's
sequences are moved past them afterwards. Everything runs in the session's transaction:
a load that fails half-way leaves nothing behind.
"""

from collections.abc import Sequence

import sqlalchemy as sa

from ..audit import services as audit
from ..extensions import db

CHUNK = 20_000


def is_postgresql() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


def next_id(table: sa.Table) -> int:
    """The first free id of a table (ids are assigned here, not by the database)."""
    return (db.session.scalar(sa.select(sa.func.max(table.c.id))) or 0) + 1


def insert(table: sa.Table, columns: Sequence[str], rows: Sequence[tuple]) -> int:
    """Insert tuples (in `columns` order) into `table`; returns the row count."""
    if not rows:
        return 0
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        # COPY through the session's own DBAPI connection: same transaction, ~10x faster
        # than INSERT for millions of rows.
        cursor = connection.connection.driver_connection.cursor()
        with cursor, cursor.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    else:
        statement = table.insert()
        for start in range(0, len(rows), CHUNK):
            connection.execute(statement, [dict(zip(columns, row)) for row in rows[start : start + CHUNK]])
    return len(rows)


def reset_sequences(*tables: sa.Table) -> None:
    """Make PostgreSQL's next generated id follow the ids inserted explicitly."""
    if not is_postgresql():
        return  # SQLite takes max(rowid) + 1 by itself
    for table in tables:
        # Table names come from our own models, never from input.
        sql = f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), coalesce(max(id), 0) + 1, false) FROM {table.name}"  # noqa: S608, E501
        db.session.execute(sa.text(sql))


def record_import(record_type: str, count: int, actor, **details) -> None:
    """One summary audit event for a bulk-inserted table (not one event per row)."""
    changes = {"rows": [None, count]} | {key: [None, value] for key, value in details.items()}
    audit.record("imported", record_type, None, label="demo data", changes=changes, actor=actor)
