"""Finding existing records by natural key: one query per chunk, never one per row."""

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY

from ..extensions import db
from ..models import Lot

AMBIGUOUS = -1  # two records share a name that differs only in case


def among(column: sa.ColumnElement, values: list) -> sa.ColumnElement[bool]:
    """`column IN values`; on PostgreSQL as `= ANY(array)`, one parameter instead of thousands
    (building and parsing a 5000-item IN list costs more than running the query)."""
    if db.session.get_bind().dialect.name == "postgresql":
        return column == sa.any_(sa.bindparam(None, values, type_=ARRAY(column.type), unique=True))
    return column.in_(values)


def keys_among(columns: tuple[sa.ColumnElement, ...], keys: set[tuple]) -> sa.ColumnElement[bool]:
    """Rows whose `columns` hold one of `keys`; on PostgreSQL a superset, so filter the result.

    PostgreSQL plans a long row-value IN list as a scan of the whole table, but uses the
    index for one `= ANY(array)` per column; SQLite is the other way round (without ANALYZE
    it probes every combination of two IN lists, but walks the index for row values).
    """
    if db.session.get_bind().dialect.name == "postgresql":
        return sa.and_(*(among(column, sorted({k[i] for k in keys})) for i, column in enumerate(columns)))
    return sa.tuple_(*columns).in_(sorted(keys))


class NameCache:
    """Name -> id for master data (products by SKU, customers by name): exact match first, then any case.

    The table is read once per import, and the case-insensitive match is made in Python:
    SQLite's lower() folds only ASCII, so 'Épicerie' would match on PostgreSQL and not on SQLite.
    """

    def __init__(self, id_column: sa.ColumnElement, name_column: sa.ColumnElement):
        self._columns = (id_column, name_column)
        self._exact: dict[str, int] | None = None
        self._folded: dict[str, int] = {}

    def _load(self) -> dict[str, int]:
        exact: dict[str, int] = {}
        for record_id, name in db.session.execute(sa.select(*self._columns)):
            exact[name] = record_id
            key = name.casefold()
            self._folded[key] = AMBIGUOUS if key in self._folded else record_id
        return exact

    def get(self, name: str) -> int | None:
        """The id, None if no record has this name, AMBIGUOUS if several do in different case."""
        if self._exact is None:
            self._exact = self._load()
        found = self._exact.get(name)
        return found if found is not None else self._folded.get(name.casefold())


def lot_ids(codes: set[str]) -> dict[str, int]:
    """{lot code: id} for the codes that exist (codes are matched exactly, as traced)."""
    if not codes:
        return {}
    lots = Lot.__table__
    return dict(db.session.execute(sa.select(lots.c.code, lots.c.id).where(among(lots.c.code, sorted(codes)))).all())


def lot_codes(ids: set[int]) -> dict[int, str]:
    """{id: lot code} for the given lot ids."""
    lots = Lot.__table__
    return dict(db.session.execute(sa.select(lots.c.id, lots.c.code).where(among(lots.c.id, sorted(ids)))).all())
