"""Quantities as people type them and as Lotline shows them: the one parser behind every
quantity a person enters (recall responses by link or by hand, complaint forms, lot and
shipment imports) and the one way a stored quantity is printed.

How a quantity is read (`parse_quantity`):

- digits with at most one decimal separator, a dot or a comma: ``1.5`` and ``1,5`` are both
  one and a half (consignees write either, French and German ones the comma);
- a thousands separator is refused, never guessed: two separators (``2,500.5``, ``1.000.000``),
  a space, an apostrophe or a thin space between digits (``1 000``, ``1'000``);
- one separator followed by exactly three digits after 1 to 3 digits that do not start with 0
  (``2,500``, ``2.500``, ``1,250``) is refused as ambiguous: it is 2500 to one reader and 2.5 to
  another. ``0,125`` (no one groups thousands after a 0), ``1234,567`` (a group has at most
  three digits) and ``2,5`` / ``2,50`` / ``2500`` are not ambiguous and are read;
- no sign, exponent, NaN or infinity, no digits other than 0–9; at most three decimal places
  (the columns keep three; a value is refused rather than rounded); at most 1,000,000,000.

Files written by machines (`machine=True`: lot, genealogy and shipment imports) follow their
documented format instead of the typed rules: digits and a dot, always a decimal point, so an
ERP's fixed three decimals ``12.500`` are 12.5; a comma is refused there.
"""

import re
from decimal import Decimal

MAX_QUANTITY = Decimal(1_000_000_000)
MILLI = Decimal("0.001")  # Numeric(14, 3): three decimal places are stored
QUANTITY_HELP = "A dot or a comma before decimals (2.5 or 2,5); no thousands separator (2500, not 2,500)."

_NUMBER = re.compile(r"([0-9]+)(?:[.,]([0-9]+))?", re.ASCII)
_MACHINE_NUMBER = re.compile(r"([0-9]+)(?:[.]([0-9]+))?", re.ASCII)
_AMBIGUOUS = re.compile(r"[1-9][0-9]{0,2}[.,][0-9]{3}", re.ASCII)
_GROUPED = re.compile(r"[0-9][ '\u00a0\u2009\u202f’_][0-9]|[0-9][.,][0-9]+[.,]", re.ASCII)
_MAX_TEXT = 40  # longer than any accepted quantity: refused before any arithmetic


class QuantityError(ValueError):
    """A typed quantity that is not read; the message says how to write it."""


def parse_quantity(raw, *, positive: bool = False, machine: bool = False) -> Decimal:
    """The quantity `raw` (text, int or Decimal) as a Decimal of at most three decimal places,
    ≥ 0 (> 0 with `positive`); raises QuantityError saying what to write instead. Empty text
    raises too: whether a quantity may be left out is the caller's rule. `machine`: a file's
    format (digits and a dot) rather than what people type (see the module's docstring)."""
    if isinstance(raw, bool):
        raise QuantityError("Enter a number, such as 0, 12 or 2.5.")
    if isinstance(raw, (int, Decimal)):
        return _checked(Decimal(raw), positive)
    text = str(raw if raw is not None else "").strip()
    if not text:
        raise QuantityError("Enter a number (0 if none).")
    if len(text) > _MAX_TEXT:
        raise QuantityError(f"This quantity is too large; the most is {MAX_QUANTITY:f}.")
    if text.startswith("-") or text.startswith("\u2212"):
        raise QuantityError("A quantity cannot be negative.")
    if machine:
        match = _MACHINE_NUMBER.fullmatch(text)
        if match is None and ("," in text or _GROUPED.search(text)):
            raise QuantityError("Use a dot before decimals, like 12.5 (no thousands separator).")
        if match is not None:
            whole, decimals = match.groups()
            return _checked(Decimal(f"{whole}.{decimals or '0'}"), positive)
    match = _NUMBER.fullmatch(text)
    if match is None or machine:
        if _GROUPED.search(text):
            raise QuantityError(_grouped_message(text))
        if re.fullmatch(r"[0-9.,]*[0-9][eE][+-]?[0-9]+", text):
            raise QuantityError("Write the number in full, without an exponent (1000, not 1e3).")
        raise QuantityError("Enter a number in digits, such as 0, 12 or 2.5.")
    if _AMBIGUOUS.fullmatch(text):
        raise QuantityError(_grouped_message(text))
    whole, decimals = match.groups()
    return _checked(Decimal(f"{whole}.{decimals or '0'}"), positive)


def _grouped_message(text: str) -> str:
    if _AMBIGUOUS.fullmatch(text):
        whole, part = re.split(r"[.,]", text)
        short = f"{whole}.{part.rstrip('0')}".rstrip(".")
        return (
            f"“{text}” could be {whole}{part} or {short}: write {whole}{part} without a thousands "
            f"separator, or {short} if you mean that."
        )
    return (
        "Write the number without a thousands separator (2500, not 2,500 or 2 500); "
        "a dot or a comma goes only before decimals."
    )


def _checked(value: Decimal, positive: bool) -> Decimal:
    if not value.is_finite():
        raise QuantityError("Enter a number in digits, such as 0, 12 or 2.5.")
    if value < 0:
        raise QuantityError("A quantity cannot be negative.")
    if positive and value == 0:
        raise QuantityError("The quantity must be greater than 0.")
    if value > MAX_QUANTITY:
        raise QuantityError(f"This quantity is too large; the most is {MAX_QUANTITY:f}.")
    rounded = value.quantize(MILLI)
    if rounded != value:
        raise QuantityError("Use at most 3 decimal places.")
    return rounded


def format_quantity(value, unit: str | None = None, *, group: str = "\u202f") -> str:
    """A stored quantity as people read it: no trailing zeros ("113", "1.5", never "113.000"),
    thousands grouped by `group` from 10 000 up (a narrow no-break space, as SI writes it and as
    French, German and English readers all read it; "" for machine-readable text), then the
    unit ("113 bags"). "" when there is no quantity."""
    if value is None or value == "":
        return ""
    number = Decimal(value).quantize(MILLI) if Decimal(value).is_finite() else Decimal(0)
    text = f"{number:f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    whole, dot, part = text.partition(".")
    if group and len(whole.lstrip("-")) > 4:
        whole = f"{int(whole):,}".replace(",", group)
    text = f"{whole}{dot}{part}"
    if text == "-0":
        text = "0"
    return f"{text} {unit}" if unit else text
