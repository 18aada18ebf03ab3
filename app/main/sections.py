"""A dashboard section: a titled list of the first few records and how many there are.

Each section is one SQL statement: the first rows, and the total as an uncorrelated scalar
subquery the database runs once. The total stops counting at CAP ("1,000+"): a count of
everything, or `count(*) over ()`, would read every matching row of a plant's history on
each page view, where the list itself stops after ten rows of an index. The full list
pages give the exact count.
"""

from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from ..extensions import db

LIMIT = 10
CAP = 1000


@dataclass
class Section:
    title: str
    kind: str  # which partial draws the items: templates/main/_<kind>.html
    items: list = field(default_factory=list)
    total: int = 0
    empty: str = "Nothing here."
    more: tuple[str, dict[str, Any]] | None = None  # (endpoint, args) of the full list
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def total_label(self) -> str:
        return f"{CAP:,}+" if self.total > CAP else f"{self.total:,}"


def capped_count(stmt: sa.Select) -> sa.ScalarSelect:
    """count(*) of the statement's rows, stopping at CAP + 1."""
    return sa.select(sa.func.count()).select_from(stmt.order_by(None).limit(CAP + 1).subquery()).scalar_subquery()


def first_rows(stmt: sa.Select, counted: sa.Select | None, limit: int = LIMIT) -> tuple[list[sa.Row], int]:
    """The first `limit` rows of `stmt` and the (capped) number of rows of `counted`, the same
    rows without the eager loads, in one query. A grouped statement, whose groups are few
    however many rows they sum up, passes counted=None: its groups are counted with
    `count(*) over ()` after the grouping instead of grouping twice."""
    total = sa.func.count().over() if counted is None else capped_count(counted)
    rows = db.session.execute(stmt.add_columns(total.label("_total")).limit(limit)).all()
    return rows, (rows[0]._total if rows else 0)


def first_records(stmt: sa.Select, model, limit: int = LIMIT) -> tuple[list, int]:
    """As first_rows, for a statement selecting one model (eager loads allowed, no joins
    that filter): the first records and how many match its WHERE clause."""
    counted = sa.select(sa.literal(1)).select_from(model)
    if stmt.whereclause is not None:
        counted = counted.where(stmt.whereclause)
    rows, total = first_rows(stmt, counted, limit)
    return [row[0] for row in rows], total
