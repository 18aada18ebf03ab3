"""Reading uploaded CSV files: encoding, header and size checks with messages that say what to fix.

Each importer validates every row with the same WTForms form the web page uses, so a
rule lives in one place; nothing is written unless every row is valid.
"""

import codecs
import csv
import io
from dataclasses import dataclass, field

from werkzeug.datastructures import MultiDict

from .errors import ValidationError

MAX_ERRORS = 1000


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        return f"{self.created} created, {self.updated} updated, {self.unchanged} unchanged"


class ImportRefused(ValidationError):
    """A file with errors: nothing is imported; `result.errors` says what to fix, row by row."""

    def __init__(self, result: ImportResult):
        super().__init__("Nothing was imported.")
        self.result = result


def read_rows(stream, required: tuple[str, ...], optional: tuple[str, ...] = ()):
    """Yield (line number, MultiDict) for each data row of a UTF-8 CSV file.

    Raises ValidationError for a file that is not UTF-8 text or lacks a required column.
    """
    raw = stream.read() if hasattr(stream, "read") else stream
    if isinstance(raw, bytes):
        if b"\x00" in raw:
            raise ValidationError("The file is not a CSV text file (it contains binary data).")
        try:
            text = codecs.decode(raw, "utf-8-sig")
        except UnicodeDecodeError as error:
            raise ValidationError(
                f"The file is not UTF-8 text (bad byte at position {error.start}). "
                "Save it from your spreadsheet as 'CSV UTF-8' and upload it again."
            ) from None
    else:
        text = raw
    if not text.strip():
        raise ValidationError("The file is empty.")
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.DictReader(io.StringIO(text, newline=""), dialect=dialect)
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    missing = [c for c in required if c not in header]
    if missing:
        raise ValidationError(
            f"Missing column(s): {', '.join(missing)}. The first line must name the columns: "
            f"{', '.join(required + optional)}."
        )
    reader.fieldnames = header
    try:
        for row in reader:
            if row.get(None):
                raise ValidationError(f"Line {reader.line_num}: more values than columns; check for an unquoted comma.")
            values = {k: (v or "").strip() for k, v in row.items() if k in required + optional}
            if not any(values.values()):
                continue  # blank line
            yield reader.line_num, MultiDict(values)
    except csv.Error as error:
        raise ValidationError(f"Line {reader.line_num}: the CSV is malformed ({error}).") from None


def form_errors(line: int, form) -> list[str]:
    """'Line 3, sku: This field is required.' for every error of a row's form."""
    return [f"Line {line}, {name}: {message}" for name, messages in form.errors.items() for message in messages]
