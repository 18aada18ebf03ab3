"""Inserting many rows at once: COPY on PostgreSQL, executemany elsewhere.

psycopg's executemany still runs one INSERT per row on the server; COPY streams the rows
in one command and roughly doubles a big import's speed. Both run in the session's
transaction, so a refused file is rolled back the same way.
"""

import json
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY

from ..extensions import db


def _defaults(table: sa.Table, given: list[str]) -> dict[str, Any]:
    """The Python-side scalar defaults (status, version…) COPY would not apply."""
    return {
        c.name: c.default.arg
        for c in table.columns
        if c.name not in given and c.default is not None and c.default.is_scalar
    }


def insert_rows(table: sa.Table, rows: list[dict[str, Any]]) -> None:
    """Insert rows that all have the same keys, in the current transaction."""
    if not rows:
        return
    connection = db.session.connection()
    dialect = connection.dialect
    if dialect.name != "postgresql":
        db.session.execute(sa.insert(table), rows)
        return
    names = list(rows[0])
    extra = _defaults(table, names)
    # Bind processors turn values into what the driver expects (UTCDateTime -> naive UTC).
    processors = [table.c[n].type._cached_bind_processor(dialect) for n in names]
    columns = ", ".join(dialect.identifier_preparer.quote(n) for n in [*names, *extra])
    statement = f"COPY {dialect.identifier_preparer.format_table(table)} ({columns}) FROM STDIN"
    tail = list(extra.values())
    driver = connection.connection.driver_connection
    try:
        with driver.cursor() as cursor, cursor.copy(statement) as copy:
            for row in rows:
                values = [row[n] if p is None else p(row[n]) for n, p in zip(names, processors)]
                copy.write_row(values + tail)
    except dialect.loaded_dbapi.IntegrityError as error:
        # The driver is called directly here: raise what SQLAlchemy would have, for the caller.
        raise sa.exc.IntegrityError(statement, None, error) from error


def id_in(column, ids: Iterable[int]) -> sa.ColumnElement[bool]:
    """`column IN ids` that holds for any number of ids as ONE bound value.

    An IN list binds one parameter per id: SQLite refuses more than 32,766 and both engines
    spend more time parsing a long list than running it. PostgreSQL takes an array;
    SQLite reads a JSON array through json_each.
    """
    ids = sorted({int(i) for i in ids})
    if db.session.get_bind().dialect.name == "postgresql":
        return column == sa.any_(sa.literal(ids, ARRAY(sa.Integer)))
    if len(ids) <= 100:
        return column.in_(ids)
    values = sa.func.json_each(json.dumps(ids)).table_valued("value")
    return column.in_(sa.select(values.c.value))
