"""`flask alerts worker`, `flask alerts send --once`, `flask alerts install-defaults`."""

import logging

import click
from flask import current_app
from flask.cli import AppGroup

from ..extensions import db

alerts_cli = AppGroup("alerts", help="Alert emails: the outbox worker and the default rules.")


def _log_to_stderr() -> None:
    logger = logging.getLogger("lotline.alerts")
    if not logger.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s alerts %(levelname)s %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)


def _where() -> str:
    config = current_app.config
    if config["MAIL_SERVER"]:
        return f"SMTP {config['MAIL_SERVER']}:{config['MAIL_PORT']}"
    return f".eml files in {config['MAIL_FILE_DIR']} (MAIL_SERVER is not set)"


@alerts_cli.command("worker")
def worker():
    """Send queued alert emails until stopped (Ctrl-C or SIGTERM finish the current message)."""
    from .worker import Worker

    _log_to_stderr()
    runner = Worker(current_app._get_current_object())
    runner.install_signal_handlers()
    click.echo(f"Alert worker {runner.id} sending to {_where()}.", err=True)
    tally = runner.run_forever()
    click.echo(f"Alert worker stopped: {tally.sent} sent, {tally.retried} to retry, {tally.failed} failed.", err=True)


@alerts_cli.command("send")
@click.option("--once", is_flag=True, help="Send what is ready now and exit (the only mode; the flag says so).")
def send(once):
    """Send every message that is ready now, raise today's due/overdue alerts, then exit."""
    from .worker import Worker

    _log_to_stderr()
    runner = Worker(current_app._get_current_object())
    tally = runner.run_once()
    click.echo(f"{tally.sent} sent, {tally.retried} to retry, {tally.failed} failed ({_where()}).")


@alerts_cli.command("install-defaults")
def install_defaults():
    """Add the default alert rules when there are none."""
    from .defaults import install_default_rules

    added = install_default_rules()
    db.session.commit()
    click.echo(f"{added} default alert rules added." if added else "Alert rules already exist; nothing added.")
