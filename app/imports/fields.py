"""Plain-Python field parsers for bulk CSV rows: each takes a stripped, non-empty cell and
returns the typed value or raises FieldError with a message that says what to fix.

WTForms would cost tens of microseconds per field; a million-row file needs a few.
"""

import re
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

from .. import hygiene
from ..models.quantity import QuantityError, parse_quantity

Parser = Callable[[str], Any]

_BAD_CODE = re.compile(r"[\s,;\x00-\x1f\x7f]")


class FieldError(ValueError):
    """A cell's value is not acceptable; str(error) is the message for the user."""


def code(max_length: int = 64) -> Parser:
    """A code such as a lot code or SKU: no spaces, commas or semicolons."""

    def parse(raw: str) -> str:
        if len(raw) > max_length:
            raise FieldError(f"Field cannot be longer than {max_length} characters.")
        if message := hygiene.problem(raw, "code"):
            raise FieldError(message)
        if _BAD_CODE.search(raw):
            raise FieldError("No spaces, commas or semicolons.")
        return raw

    return parse


def text(max_length: int) -> Parser:
    """Free text of one line, at most `max_length` characters."""

    def parse(raw: str) -> str:
        if len(raw) > max_length:
            raise FieldError(f"Field cannot be longer than {max_length} characters.")
        if message := hygiene.problem(raw, "line"):
            raise FieldError(message)
        return raw

    return parse


def choice(options: tuple[str, ...]) -> Parser:
    """One of `options`, case-insensitive (ERP exports often capitalise)."""
    allowed = frozenset(options)
    message = f"Not a valid choice; use one of {', '.join(options)}."

    def parse(raw: str) -> str:
        value = raw.lower()
        if value not in allowed:
            raise FieldError(message)
        return value

    return parse


def quantity(positive: bool = False) -> Parser:
    """A decimal ≥ 0 (or > 0) and ≤ 1e9 with at most three decimal places, in a file's format
    (models.quantity.parse_quantity, machine=True: digits and a dot, 12.500 is 12.5). Refused
    rather than rounded: a silently rounded value would never compare equal on re-import."""

    def parse(raw: str) -> Decimal:
        try:
            return parse_quantity(raw, positive=positive, machine=True)
        except QuantityError as error:
            raise FieldError(str(error)) from None

    return parse


def iso_date(raw: str) -> date:
    """A date written YYYY-MM-DD (date.fromisoformat alone would also take 20240131 and week dates)."""
    if len(raw) != 10 or raw[4] != "-" or raw[7] != "-":
        raise FieldError("Use the format YYYY-MM-DD, like 2024-03-31.")
    try:
        value = date.fromisoformat(raw)
    except ValueError:
        raise FieldError("Not a valid date (YYYY-MM-DD).") from None
    if not 1900 <= value.year <= 2199:
        raise FieldError("The year must be between 1900 and 2199.")
    return value
