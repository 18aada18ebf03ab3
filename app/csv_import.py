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
    reader = csv.reader(io.StringIO(text, newline=""), dialect=dialect, strict=True)
    try:
        header = [h.strip().lower() for h in next(reader, [])]
    except csv.Error as error:
        raise ValidationError(f"Line 1: the CSV is malformed ({error}).") from None
    missing = [c for c in required if c not in header]
    if missing:
        raise ValidationError(
            f"Missing column(s): {', '.join(missing)}. The first line must name the columns: "
            f"{', '.join(required + optional)}."
        )
    wanted = [(i, name) for i, name in enumerate(header) if name in required + optional]
    start = reader.line_num + 1
    try:
        for cells in reader:
            line, start = start, reader.line_num + 1
            if not cells:
                continue  # blank line
            values = {name: cells[i].strip() if i < len(cells) else "" for i, name in wanted}
            if multiline_value(values.values()):
                raise ValidationError(unclosed_quote(line, reader.line_num))
            if len(cells) > len(header):
                raise ValidationError(f"Line {line}: more values than columns; check for an unquoted comma.")
            if not any(values.values()):
                continue
            yield line, MultiDict(values)
    except csv.Error as error:
        raise ValidationError(csv_error(error, start)) from None


def multiline_value(values) -> bool:
    """No column of an import holds several lines: a value that does is a quote left open."""
    return any("\n" in value or "\r" in value for value in values)


def unclosed_quote(start: int, end: int | None = None) -> str:
    """The message for a quote opened on line `start` that swallowed the lines after it
    (up to line `end`, or None: to the end of the file)."""
    if end is None:
        what = "is never closed, so the rest of the file became part of one value"
    else:
        swallowed = f"lines {start + 1} to {end}" if end > start + 1 else f"line {end}"
        what = f"is not closed on it, so {swallowed} became part of one value"
    return (
        f"Line {start}: a quote opened on this line {what}. Close the quote, or remove it "
        "(quotes are needed only around a value holding the separator)."
    )


def csv_error(error: csv.Error, start: int) -> str:
    """What to fix for an error of Python's csv reader (strict mode) in the record from line `start`."""
    if "unexpected end of data" in str(error):
        return unclosed_quote(start)
    return f"Line {start}: the CSV is malformed ({error})."


def form_errors(line: int, form) -> list[str]:
    """'Line 3, sku: This field is required.' for every error of a row's form."""
    return [f"Line {line}, {name}: {message}" for name, messages in form.errors.items() for message in messages]
