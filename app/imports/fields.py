"""Plain-Python field parsers for bulk CSV rows: each takes a stripped, non-empty cell and
returns the typed value or raises FieldError with a message that says what to fix.

WTForms would cost tens of microseconds per field; a million-row file needs a few.
"""

import re
from collections.abc import Callable
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from .. import hygiene

Parser = Callable[[str], Any]

MAX_QUANTITY = Decimal(1_000_000_000)
_MILLI = Decimal("0.001")  # Numeric(14, 3): three decimal places are stored
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
    """A decimal ≥ 0 (or > 0) and ≤ 1e9 with at most three decimal places."""

    def parse(raw: str) -> Decimal:
        try:
            value = Decimal(raw)
        except InvalidOperation:
            raise FieldError("Not a number; use digits and a dot, like 12.5.") from None
        if not value.is_finite():
            raise FieldError("Not a number; use digits and a dot, like 12.5.")
        if positive and value <= 0:
            raise FieldError("Must be greater than 0.")
        if value < 0:
            raise FieldError("Must not be negative.")
        if value > MAX_QUANTITY:
            raise FieldError("Must be at most 1000000000.")
        rounded = value.quantize(_MILLI)
        # Refuse rather than round: a silently rounded value would never compare equal on re-import.
        if rounded != value:
            raise FieldError("At most 3 decimal places.")
        return rounded

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
