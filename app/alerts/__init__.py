"""Alerts: events → rules → outbox rows (same transaction) → the SMTP worker.

`catalogue` describes each event, `dispatch` turns an event into alerts and outbox rows,
`outbox` writes and resends rows, `worker` sends them, `due` raises the time-based events.
The web side: `inbox` (the bell), `rules` (who hears about what), `routes` and `forms`.
"""

from flask import Blueprint

bp = Blueprint("alerts", __name__)

from . import routes  # noqa: E402,F401
