"""The state one import carries from chunk to chunk: counts, errors, present columns."""

from dataclasses import dataclass, field

from ..csv_import import MAX_ERRORS, ImportResult
from .specs import Values

Row = tuple[int, Values]  # (line number, parsed values)


@dataclass
class ImportContext:
    present: frozenset[str]  # columns the file has: absent optional columns are left as they are
    result: ImportResult = field(default_factory=ImportResult)
    stopped: bool = False

    @property
    def writing(self) -> bool:
        """Write only while every row so far is good: a refused file is rolled back anyway."""
        return not self.result.errors

    def error(self, line: int, column: str | None, message: str) -> None:
        """Record 'Line N, column: message' (or 'Line N: message'), up to MAX_ERRORS."""
        if self.stopped:
            return
        errors = self.result.errors
        errors.append(f"Line {line}, {column}: {message}" if column else f"Line {line}: {message}")
        if len(errors) >= MAX_ERRORS:
            errors.append(f"Stopped after {MAX_ERRORS} errors.")
            self.stopped = True

    def counted(self, rows: int, created: int, updated: int) -> None:
        self.result.created += created
        self.result.updated += updated
        self.result.unchanged += rows - created - updated
