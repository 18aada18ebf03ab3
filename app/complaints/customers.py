"""Choosing a complaint's customer: a <select> for small plants, a name search above that."""

from dataclasses import dataclass

import sqlalchemy as sa

from ..errors import ValidationError
from ..extensions import db
from ..models import Customer
from ..web.filters import like_pattern

# Up to this many customers the form keeps its <select>; above it the customer is typed and
# looked up (50,000 options made the page 2.4 MB and 2 s to serve).
SELECT_LIMIT = 300
LOOKUP_LIMIT = 20  # suggestions per lookup
LOOKUP_MIN_LENGTH = 2  # one letter matches most names: wait for two
LOOKUP_MAX_LENGTH = 200  # the longest name


@dataclass(frozen=True)
class Match:
    id: int
    name: str


def select_choices() -> list[Match] | None:
    """Every customer by name when there are at most SELECT_LIMIT; None means "search instead"."""
    rows = db.session.execute(sa.select(Customer.id, Customer.name).order_by(Customer.name).limit(SELECT_LIMIT + 1))
    matches = [Match(*row) for row in rows]
    return matches if len(matches) <= SELECT_LIMIT else None


def _insensitive_like(column, pattern: str):
    # SQLite's LIKE already ignores (ASCII) case and reads 50,000 names in ~5 ms; ilike() there
    # becomes lower(name) LIKE lower(?), three times slower for the same answer.
    if db.session.get_bind().dialect.name == "sqlite":
        return column.like(pattern, escape="\\")
    return column.ilike(pattern, escape="\\")


def lookup(text: str | None) -> list[Match]:
    """At most LOOKUP_LIMIT customers whose name contains `text` (any case), names that start
    with it first; LIKE's % and _ are taken literally."""
    text = " ".join((text or "").split())[:LOOKUP_MAX_LENGTH]
    if len(text) < LOOKUP_MIN_LENGTH:
        return []
    contains = like_pattern(text)
    starts = contains[1:]  # the same escaped text, anchored at the start
    stmt = (
        sa.select(Customer.id, Customer.name)
        .where(_insensitive_like(Customer.name, contains))
        .order_by(sa.case((_insensitive_like(Customer.name, starts), 0), else_=1), Customer.name)
        .limit(LOOKUP_LIMIT)
    )
    return [Match(*row) for row in db.session.execute(stmt)]


def resolve(typed: str | None, picked_id: int | None) -> int:
    """The customer the user means by the name typed (and the suggestion picked, if any).

    The typed name decides: a picked id counts only while the text still is that customer's
    name, so editing the text after picking (or without JS) never keeps a stale id. Otherwise
    the name must be one customer's, ignoring case; an exact match wins over case variants.
    Raises ValidationError (on the `customer_name` field) when that is not so.
    """
    typed = " ".join((typed or "").split())
    if not typed:
        raise ValidationError(
            "Choose a customer or type the name of a new one.",
            {"customer_name": ["Type the customer's name and pick it from the suggestions."]},
        )
    if picked_id:
        picked = db.session.get(Customer, picked_id)
        if picked is not None and picked.name.lower() == typed.lower():
            return picked.id
    candidates = db.session.scalars(
        sa.select(Customer).where(sa.func.lower(Customer.name) == sa.func.lower(typed)).limit(LOOKUP_LIMIT)
    ).all()
    exact = [c for c in candidates if c.name == typed]
    if len(exact) == 1:
        return exact[0].id
    if len(candidates) == 1:
        return candidates[0].id
    if not candidates:
        message = (
            f"No customer named “{typed}”; check the spelling, pick one from the suggestions, "
            "or type the name under “…or a new customer” to create it."
        )
    else:
        message = (
            f"{len(candidates)} customers are named “{typed}” (written differently); "
            "pick the one you mean from the suggestions."
        )
    raise ValidationError(message, {"customer_name": [message]})
