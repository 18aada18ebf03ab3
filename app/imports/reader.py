"""Reading a CSV file as a stream, one line at a time, with file-level checks that say what to fix.

Lines are decoded one by one (not through a TextIOWrapper) so a bad byte, a NUL or an
overlong line is reported with its line number; memory stays bounded by the longest line.
"""

import csv
import os
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from ..csv_import import csv_error, multiline_value, unclosed_quote
from .specs import Column, Spec

MAX_LINE_BYTES = 64 * 1024  # far above any real row; a longer line means a wrong file
_DELIMITERS = (",", ";", "\t")  # what spreadsheets write, depending on the locale
_SNIFF_BYTES = 8192


class Refused(Exception):
    """The file as a whole cannot be read; the message says why."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _binary() -> Refused:
    return Refused("The file is not a CSV text file (it contains binary data).")


def _size(stream: IO) -> int | None:
    try:
        if not stream.seekable():
            return None
        here = stream.tell()
        end = stream.seek(0, os.SEEK_END)
        stream.seek(here)
        return end - here
    except (AttributeError, OSError, ValueError):
        return None


class CsvStream:
    """A CSV source read incrementally: `header(spec)`, then `rows()`; counts lines and bytes."""

    def __init__(self, source: str | os.PathLike | IO, name: str | None = None):
        if isinstance(source, (str, os.PathLike)):
            self._file: IO = open(source, "rb", buffering=1 << 20)  # noqa: SIM115 - closed by close()
            self._owned = True
            self.name = name or Path(source).name
        else:
            self._file = source
            self._owned = False
            self.name = name or Path(str(getattr(source, "name", "") or "upload.csv")).name
        self._is_text = isinstance(self._file.read(0), str)
        self.bytes_total = _size(self._file)
        self.bytes_done = 0
        self.line_no = 0
        self._reader: Iterator[list[str]] | None = None

    def close(self) -> None:
        if self._owned:
            self._file.close()

    def __enter__(self) -> "CsvStream":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _check_head(self) -> None:
        """A NUL in the first block means a binary file: say so before any decoding error."""
        if self._is_text or not self._file.seekable():
            return
        here = self._file.tell()
        head = self._file.read(_SNIFF_BYTES)
        self._file.seek(here)
        if b"\x00" in head:
            raise _binary()

    def _lines(self) -> Iterator[str]:
        readline = self._file.readline
        while True:
            raw = readline(MAX_LINE_BYTES + 1)
            if not raw:
                return
            self.line_no += 1
            self.bytes_done += len(raw)
            if len(raw) > MAX_LINE_BYTES:
                raise Refused(f"Line {self.line_no} is too long (more than 64 KB); is this the right file?")
            if self._is_text:
                if "\x00" in raw:
                    raise _binary()
                line = raw
            else:
                if b"\x00" in raw:
                    raise _binary()
                try:
                    line = raw.decode("utf-8")
                except UnicodeDecodeError as error:
                    raise Refused(
                        f"The file is not UTF-8 text (line {self.line_no} has a bad byte at position "
                        f"{error.start + 1}). Save it from your spreadsheet as 'CSV UTF-8' and upload it again."
                    ) from None
            if self.line_no == 1 and line.startswith("\ufeff"):
                line = line[1:]  # Excel's byte order mark
            yield line

    def header(self, spec: Spec) -> list[tuple[Column, int]]:
        """Read the first line; return each known column of `spec` with its position."""
        self._check_head()
        lines = self._lines()
        for first in lines:
            if first.strip():
                break
        else:
            raise Refused("The file is empty.")
        delimiter = max(_DELIMITERS, key=first.count) if any(d in first for d in _DELIMITERS) else ","
        names = [n.strip().lower() for n in next(csv.reader([first], delimiter=delimiter))]
        known = {c.name: c for c in spec.columns}
        twice = sorted({n for n in names if n in known and names.count(n) > 1})
        if twice:
            raise Refused(f"Column(s) {', '.join(twice)} appear more than once in the first line.")
        missing = [c for c in spec.required if c not in names]
        if missing:
            raise Refused(
                f"Missing column(s): {', '.join(missing)}. The first line must name the columns: "
                f"{', '.join(spec.required)} (optional: {', '.join(spec.optional) or 'none'})."
            )
        self.width = len(names)
        self._reader = csv.reader(lines, delimiter=delimiter, strict=True)
        self._positions = [i for i, n in enumerate(names) if n in known]
        return [(known[n], i) for i, n in enumerate(names) if n in known]

    def rows(self) -> Iterator[tuple[int, list[str]]]:
        """(first line number, cells) of each record after the header, blank lines included."""
        reader = self._reader
        if reader is None:
            raise RuntimeError("header() must be read first")
        while True:
            start = self.line_no + 1
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as error:
                if "field limit" in str(error):
                    raise Refused(
                        f"Line {start} is too long (a value holds more than {csv.field_size_limit()} characters; "
                        "check for an unclosed quote)."
                    ) from None
                raise Refused(csv_error(error, start)) from None
            if self.line_no > start and multiline_value(cells[i] for i in self._positions if i < len(cells)):
                raise Refused(unclosed_quote(start, self.line_no))
            yield start, cells
