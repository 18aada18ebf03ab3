"""Human references (CMP-YYYY-NNNN), unique even when many are created at once."""

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from .extensions import db
from .models import ReferenceCounter
from .models.types import utcnow


def next_reference(prefix: str, year: int | None = None) -> str:
    """Take the next number for `prefix` this year.

    The counter row is bumped with UPDATE ... RETURNING: on PostgreSQL the row lock
    makes concurrent transactions queue, so no two get the same number.
    """
    year = year or utcnow().year
    insert = pg_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    db.session.execute(insert(ReferenceCounter).values(prefix=prefix, year=year, last_value=0).on_conflict_do_nothing())
    value = db.session.execute(
        sa.update(ReferenceCounter)
        .where(ReferenceCounter.prefix == prefix, ReferenceCounter.year == year)
        .values(last_value=ReferenceCounter.last_value + 1)
        .returning(ReferenceCounter.last_value)
        .execution_options(synchronize_session=False)
    ).scalar_one()
    return f"{prefix}-{year}-{value:04d}"
