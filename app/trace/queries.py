"""Lot search: filters from the query string."""

from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
import sqlalchemy.orm as so

from ..models import LOT_KINDS, Lot
from ..web.filters import FilterParser, like_pattern
from ..workflow import LOT


@dataclass
class LotFilters:
    q: str = ""
    status: str = ""
    kind: str = ""
    product_id: int | None = None
    produced_from: date | None = None
    produced_to: date | None = None
    errors: list[str] = field(default_factory=list)

    @classmethod
    def from_args(cls, args) -> "LotFilters":
        p = FilterParser(args)
        filters = cls(
            q=p.text("q", 64),
            status=p.choice("status", LOT.states),
            kind=p.choice("kind", LOT_KINDS),
            product_id=p.record_id("product_id"),
            produced_from=p.date("produced_from", "From date"),
            produced_to=p.date("produced_to", "To date"),
        )
        filters.errors = p.errors
        return filters

    def statement(self) -> sa.Select:
        """Lots matching the filters; a code search is a prefix match so it can use the index."""
        stmt = sa.select(Lot).options(so.joinedload(Lot.product))
        if self.q:
            escaped = like_pattern(self.q)[1:]  # "prefix%": the unique index on code serves it
            stmt = stmt.where(Lot.code.like(escaped, escape="\\"))
        if self.status:
            stmt = stmt.where(Lot.status == self.status)
        if self.kind:
            stmt = stmt.where(Lot.kind == self.kind)
        if self.product_id:
            stmt = stmt.where(Lot.product_id == self.product_id)
        if self.produced_from:
            stmt = stmt.where(Lot.produced_on >= self.produced_from)
        if self.produced_to:
            stmt = stmt.where(Lot.produced_on <= self.produced_to)
        return stmt.order_by(Lot.code)
