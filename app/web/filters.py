"""Parsing list filters from the query string: bad values are reported, never a 500."""

from datetime import date

MAX_ID = 2_147_483_647


def whole_number(value: str, maximum: int = MAX_ID) -> int | None:
    """`value` as a number from 1 to `maximum`, or None. Only ASCII digits: "²".isdigit() is
    true but int("²") raises, and int() refuses more than 4,300 digits."""
    value = value.strip()
    if not (value.isascii() and value.isdigit()) or len(value) > len(str(maximum)):
        return None
    number = int(value)
    return number if 0 < number <= maximum else None


def like_pattern(text: str) -> str:
    """A LIKE pattern matching `text` anywhere, with LIKE's wildcards taken literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


# Dates a filter accepts: anything outside is a typing slip (and 9999-12-31 + 1 day overflows).
FIRST_DATE = date(1900, 1, 1)
LAST_DATE = date(2999, 12, 31)


class FilterParser:
    """Reads query arguments, collecting a message for each one that makes no sense."""

    def __init__(self, args):
        self.args = args
        self.errors: list[str] = []

    def text(self, name: str, max_length: int = 200) -> str:
        return (self.args.get(name) or "").strip()[:max_length]

    def choice(self, name: str, allowed) -> str:
        value = (self.args.get(name) or "").strip()
        if value and value not in allowed:
            self.errors.append(f"Unknown {name} '{value[:40]}' ignored.")
            return ""
        return value

    def record_id(self, name: str) -> int | None:
        value = (self.args.get(name) or "").strip()
        if not value:
            return None
        number = whole_number(value)
        if number is None:
            self.errors.append(f"{name.replace('_', ' ').capitalize()} '{value[:40]}' is not valid; ignored.")
        return number

    def date(self, name: str, label: str) -> date | None:
        value = (self.args.get(name) or "").strip()
        if not value:
            return None
        try:
            parsed = date.fromisoformat(value)
        except ValueError:
            self.errors.append(f"{label} '{value[:40]}' is not a date (use YYYY-MM-DD); ignored.")
            return None
        if not FIRST_DATE <= parsed <= LAST_DATE:
            # 9999-12-31 and the like: a day after it is past what Python's dates hold.
            self.errors.append(
                f"{label} {parsed.isoformat()} is out of range ({FIRST_DATE.year}–{LAST_DATE.year}); ignored."
            )
            return None
        return parsed

    def page(self) -> int:
        value = (self.args.get("page") or "1").strip()
        return whole_number(value, 1_000_000) or 1
