"""Parsing list filters from the query string: bad values are reported, never a 500."""

from datetime import date

MAX_ID = 2_147_483_647


def like_pattern(text: str) -> str:
    """A LIKE pattern matching `text` anywhere, with LIKE's wildcards taken literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


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
        if not value.isdigit() or not 0 < int(value) <= MAX_ID:
            self.errors.append(f"{name.replace('_', ' ').capitalize()} '{value[:40]}' is not valid; ignored.")
            return None
        return int(value)

    def date(self, name: str, label: str) -> date | None:
        value = (self.args.get(name) or "").strip()
        if not value:
            return None
        try:
            return date.fromisoformat(value)
        except ValueError:
            self.errors.append(f"{label} '{value[:40]}' is not a date (use YYYY-MM-DD); ignored.")
            return None

    def page(self) -> int:
        value = (self.args.get("page") or "1").strip()
        return int(value) if value.isdigit() and 0 < int(value) <= 1_000_000 else 1
