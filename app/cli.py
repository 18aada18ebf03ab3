"""Command line: `flask users create`, `flask demo load`, `flask audit verify`."""

import sys

import click
import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from flask import Flask, current_app
from flask.cli import AppGroup

from .errors import DomainError
from .extensions import db
from .permissions import ROLES

users_cli = AppGroup("users", help="Manage user accounts.")
demo_cli = AppGroup("demo", help="Demo data.")
audit_cli = AppGroup("audit", help="The audit trail.")


def _read_password() -> str:
    if sys.stdin.isatty():
        return click.prompt("Password", hide_input=True, confirmation_prompt=True)
    return sys.stdin.readline().rstrip("\r\n")


@users_cli.command("create")
@click.argument("username")
@click.option(
    "--role",
    "roles",
    multiple=True,
    required=True,
    type=click.Choice(ROLES),
    help="Repeat for several roles.",
)
@click.option("--email", required=True)
@click.option("--name", "full_name", help="Full name (defaults to the username).")
def create_user(username, roles, email, full_name):
    """Create a user; the password is prompted for, or read from the first line of stdin."""
    from .auth.services import create_user as create

    try:
        email = validate_email(email, check_deliverability=False).normalized
    except EmailNotValidError as error:
        raise click.ClickException(f"The email address is not valid: {error}") from None
    password = _read_password()
    try:
        user = create(username=username, name=full_name or username, email=email, password=password, roles=list(roles))
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(error.message) from None
    click.echo(f"Created user {user.username} with roles {', '.join(user.roles)}.")


@demo_cli.command("load")
@click.option("--if-empty", is_flag=True, help="Do nothing when the database already has users.")
@click.option(
    "--scale",
    type=click.Choice(("small", "plant-1M")),
    default="small",
    show_default=True,
    help="small: ~600 lots for trying the app; plant-1M: 1,000,000 lots for benchmarks (a few minutes).",
)
def load_demo(if_empty, scale):
    """Load demo users, products, customers, lots, shipments and complaints."""
    from .demo import load
    from .models import User

    if not current_app.config.get("DEMO_DATA_ALLOWED", True):
        # Refused even with --if-empty: demo accounts sign in with the password "demo".
        raise click.ClickException(
            "Demo data is refused in production (LOTLINE_CONFIG=production): its accounts have the "
            "password 'demo'. Create real users with `flask users create`."
        )
    if db.session.scalar(sa.select(sa.func.count(User.id))):
        if if_empty:
            click.echo("Database already has data; demo data not loaded.")
            return
        raise click.ClickException("The database is not empty; demo data is for a new database.")
    load(scale)
    db.session.commit()
    click.echo("Demo data loaded." if scale == "small" else f"Demo data loaded ({scale}).")


@audit_cli.command("verify")
def verify():
    """Check every seal and link of the audit chain against AUDIT_KEY and the checkpoints;
    exit 1 naming what is wrong (README: Security)."""
    from .audit.verify import verify_chain

    result = verify_chain()
    for note in result.notes:
        click.echo(f"Note: {note}")
    if result.ok:
        newest = result.newest_checkpoint
        agreed = (
            f" {result.checkpoints} checkpoint(s) agree, the newest of "
            f"{newest.at:%Y-%m-%d %H:%M} UTC ({newest.source})."
            if newest
            else ""
        )
        head = f" Head: event #{result.last_id}, {result.head}." if result.head else ""
        click.echo(f"OK: {result.checked} audit events verified. Key id {result.key_id}.{head}{agreed}")
        return
    if result.broken_id:
        click.echo(
            f"BROKEN at audit event #{result.broken_id}: {result.reason}. {result.intact} events before it are intact."
        )
    else:
        click.echo(f"BROKEN: {result.reason}.")
    for problem in result.problems[1:]:
        click.echo(f"- also: {problem}")
    sys.exit(1)


@audit_cli.command("checkpoint")
def checkpoint():
    """Append a checkpoint of the chain (length and head) to AUDIT_CHECKPOINT_FILE."""
    from .audit.checkpoints import email_checkpoint, write_checkpoint

    point = write_checkpoint("command")
    if point is None:
        click.echo("The audit chain is empty: nothing to checkpoint.")
        return
    if email_checkpoint(point):
        db.session.commit()
    click.echo(
        f"Checkpoint written to {current_app.config['AUDIT_CHECKPOINT_FILE']}: "
        f"{point.count} events, newest #{point.last_id}, head {point.head}."
    )


def register(app: Flask) -> None:
    from .alerts.cli import alerts_cli
    from .imports.cli import import_cli

    app.cli.add_command(users_cli)
    app.cli.add_command(demo_cli)
    app.cli.add_command(audit_cli)
    app.cli.add_command(import_cli)
    app.cli.add_command(alerts_cli)
