"""List pagination that counts only as far as the pages a user can reach from here.

An exact total of a plant's whole history costs more than the page itself: on plant-1M the
complaint list spent 32 of its 44 ms on PostgreSQL counting 100,000 complaints through the
list's joins. Lists therefore count at most COUNT_CAP rows, or ten pages past the current one,
whichever is more, and show "1,000+" when there are more; filtering narrows to an exact count,
and CSV exports still give every row.
"""

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask_sqlalchemy.pagination import SelectPagination

from ..extensions import db

COUNT_CAP = 1000
PAGES_AHEAD = 10


class CappedPagination(SelectPagination):
    """Flask-SQLAlchemy's pagination with a bounded count; `capped` says the total is a floor."""

    capped = False

    def _query_count(self) -> int:
        select = self._query_args["select"]
        limit = max(COUNT_CAP, self._query_offset + PAGES_AHEAD * self.per_page)
        # The list's eager loads and ORDER BY do not change how many rows match.
        rows = select.options(so.lazyload("*")).order_by(None).limit(limit + 1).subquery()
        found = self._query_args["session"].execute(sa.select(sa.func.count()).select_from(rows)).scalar_one()
        self.capped = found > limit
        return min(found, limit)


def paginate(stmt: sa.Select, page: int, per_page: int, max_per_page: int | None = 100) -> CappedPagination:
    """Items of `page` (1-based; past the end gives an empty page, not a 404) and a bounded total."""
    return CappedPagination(
        select=stmt,
        session=db.session(),
        page=page,
        per_page=per_page,
        max_per_page=max_per_page,
        error_out=False,
        count=True,
    )
