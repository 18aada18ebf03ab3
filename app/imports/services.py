"""Bulk import of lots, genealogy and shipments from CSV files, all or nothing.

The file is streamed: rows are parsed with plain-Python field parsers, gathered in chunks,
and each chunk is matched against the database with one query and written with one
executemany (COPY on PostgreSQL), inside the caller's transaction. Writing stops at the first bad row (the
rest is still checked, to list every error); a refused file is rolled back, so nothing is
written. Re-importing a file writes nothing and records no audit event.
"""

from collections.abc import Callable, Hashable
from typing import IO

import sqlalchemy as sa

from ..audit import services as audit
from ..csv_import import ImportResult
from ..extensions import db
from .context import ImportContext, Row
from .fields import FieldError
from .genealogy import EdgeWriter
from .lots import LotWriter
from .reader import CsvStream, Refused
from .shipments import ShipmentWriter
from .specs import SPECS, Column, Spec, Values

CHUNK_SIZE = 5000
Progress = Callable[[int, int, int | None], None]  # (rows done, bytes done, bytes total or None)
WRITERS = {"lots": LotWriter, "genealogy": EdgeWriter, "shipments": ShipmentWriter}


def _parse(
    spec: Spec, columns: list[tuple[Column, int]], line: int, cells: list[str], width: int, ctx: ImportContext
) -> Values | None:
    """The typed values of one row; None for a blank line, {} for a bad row (errors go to ctx)."""
    values: Values = {}
    problems: list[tuple[str | None, str]] = []
    filled = False
    count = len(cells)
    for column, index in columns:
        raw = cells[index].strip() if index < count else ""
        if raw:
            filled = True
            try:
                values[column.name] = column.parse(raw)
            except FieldError as error:
                problems.append((column.name, str(error)))
        else:
            values[column.name] = None
            if column.required:
                problems.append((column.name, "This field is required."))
    if not filled and not any(c.strip() for c in cells):
        return None  # a blank line
    if count > width and any(c.strip() for c in cells[width:]):
        problems.insert(0, (None, f"more values than columns ({count} for {width}); check for an unquoted comma."))
    if not problems:
        problems = spec.check(values)
    for column_name, message in problems:
        ctx.error(line, column_name, message)
    return {} if problems else values


def _line_of(message: str) -> float:
    """Sort key: the line a 'Line N…' message is about; other messages keep their place at the end."""
    if message.startswith("Line "):
        digits = message[5:].split(",", 1)[0].split(":", 1)[0].split(" ", 1)[0]
        if digits.isdigit():
            return int(digits)
    return float("inf")


def _read(spec: Spec, stream: CsvStream, progress: Progress | None, chunk_size: int) -> tuple[ImportContext, int]:
    """Parse, check and write the whole stream chunk by chunk; return the context and row count."""
    try:
        columns = stream.header(spec)
    except Refused as refused:
        ctx = ImportContext(frozenset())
        ctx.result.errors.append(refused.message)
        return ctx, 0
    ctx = ImportContext(frozenset(column.name for column, _ in columns))
    writer = WRITERS[spec.kind](ctx)
    seen: dict[Hashable, int] = {}  # natural key -> first line: duplicates within the file
    chunk: list[Row] = []
    rows = 0

    def flush() -> None:
        if chunk:
            writer.process(chunk)
            chunk.clear()
        if progress:
            progress(rows, stream.bytes_done, stream.bytes_total)

    try:
        for line, cells in stream.rows():
            values = _parse(spec, columns, line, cells, stream.width, ctx)
            if values is None:
                continue
            rows += 1
            if values:
                first = seen.setdefault(spec.key(values), line)
                if first != line:
                    ctx.error(line, None, f"{spec.describe_key(values)} already appears on line {first}.")
                else:
                    chunk.append((line, values))
                    if len(chunk) >= chunk_size:
                        flush()
            if ctx.stopped:
                break
    except Refused as refused:
        ctx.result.errors.append(refused.message)
    if not ctx.stopped:
        flush()
    return ctx, rows


def run_import(
    kind: str,
    source: str | IO,
    actor=None,
    progress: Progress | None = None,
    *,
    name: str | None = None,
    chunk_size: int = CHUNK_SIZE,
) -> ImportResult:
    """Import a lots, genealogy or shipments CSV file (a path or a binary stream), all or nothing.

    Flushes, never commits: commit when `result.ok`. A refused file is rolled back here, so
    nothing of it can be committed by mistake (anything else pending in the session goes too).
    """
    spec = SPECS[kind]
    with CsvStream(source, name) as stream:
        try:
            ctx, rows = _read(spec, stream, progress, chunk_size)
        except sa.exc.IntegrityError:
            db.session.rollback()
            return ImportResult(
                errors=[
                    "The database refused the rows, probably because another import wrote the same "
                    "records at the same time. Nothing was imported; try again."
                ]
            )
        file_name = stream.name
    result = ctx.result
    result.errors.sort(key=_line_of)
    if not result.errors and not rows:
        result.errors.append("The file has a header but no rows.")
    if result.errors:
        db.session.rollback()
        return result
    if result.created or result.updated:
        audit.record(
            "imported",
            spec.record_type,
            None,
            label=f"{spec.title} from {file_name}"[:200],
            changes={"file": [None, file_name], "created": [None, result.created], "updated": [None, result.updated]},
            actor=actor,
        )
    return result
