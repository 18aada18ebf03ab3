"""`flask import lots|genealogy|shipments FILE`: import a CSV file from the command line."""

import sys
import time

import click
import sqlalchemy as sa
from flask.cli import AppGroup

from ..extensions import db
from ..models import User
from .services import run_import
from .specs import SPECS

import_cli = AppGroup("import", help="Bulk import of lots, genealogy and shipments from CSV files.")


class ProgressPrinter:
    """Prints 'rows, % of the file, rows/s' to stderr at most once a second."""

    def __init__(self, every: float = 1.0):
        self.started = self._printed = time.monotonic()
        self.every = every
        self.rows = 0

    def __call__(self, rows: int, bytes_done: int, bytes_total: int | None) -> None:
        self.rows = rows
        now = time.monotonic()
        if now - self._printed < self.every:
            return
        self._printed = now
        percent = f"{100 * bytes_done / bytes_total:5.1f}%" if bytes_total else "   ?"
        click.echo(f"{rows:>12,} rows {percent} {rows / (now - self.started):>10,.0f} rows/s", err=True)


def _actor(username: str | None):
    if username is None:
        return None
    user = db.session.scalar(sa.select(User).where(User.username == username))
    if user is None:
        raise click.ClickException(f"No user is named '{username}'.")
    return user


def _command(kind: str):
    spec = SPECS[kind]

    @click.argument("path", type=click.Path(exists=True, dir_okay=False, readable=True))
    @click.option("--user", "username", help="Record the import in the audit trail under this user.")
    def command(path: str, username: str | None) -> None:
        actor = _actor(username)
        printer = ProgressPrinter()
        click.echo(f"Importing {spec.title.lower()} from {path} …", err=True)
        result = run_import(kind, path, actor, progress=printer)
        elapsed = time.monotonic() - printer.started
        if not result.ok:
            db.session.rollback()
            click.echo(f"Nothing was imported: the file was refused ({len(result.errors)} errors).", err=True)
            for error in result.errors:
                click.echo(error, err=True)
            sys.exit(1)
        db.session.commit()
        rate = printer.rows / elapsed if elapsed else 0
        click.echo(f"Import done: {result.summary()} ({printer.rows:,} rows in {elapsed:.1f} s, {rate:,.0f} rows/s).")

    command.__doc__ = f"Import {spec.title.lower()} from a CSV file (columns: {', '.join(spec.required)})."
    return import_cli.command(kind)(command)


for _kind in SPECS:
    _command(_kind)
