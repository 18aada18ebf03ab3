"""Jinja filters and globals: times in the user's zone, status badges, permissions."""

import json
from datetime import date, datetime

from flask import Flask, request, url_for

from ..models.quantity import format_quantity
from ..permissions import ROLE_LABELS, Permission
from ..workflow import WORKFLOWS
from .zones import user_zone


def localtime(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    if value is None:
        return ""
    local = value.astimezone(user_zone())
    return f"{local.strftime(fmt)} {local.tzname()}"


def format_date(value: date | None) -> str:
    return value.isoformat() if value else ""


def url_with(**changes) -> str:
    """The current page's URL with some query arguments changed (for sort and page links)."""
    args = request.args.to_dict(flat=True)
    args.update({k: v for k, v in changes.items() if v is not None})
    for key in [k for k, v in changes.items() if v is None]:
        args.pop(key, None)
    return url_for(request.endpoint, **(request.view_args or {}), **args)


def fromjson(text: str):
    return json.loads(text) if text else {}


def register(app: Flask) -> None:
    app.jinja_env.filters["fromjson"] = fromjson
    app.jinja_env.filters["localtime"] = localtime
    app.jinja_env.filters["isodate"] = format_date
    app.jinja_env.filters["quantity"] = format_quantity  # {{ line.quantity|quantity(line.unit) }}
    app.jinja_env.globals.update(
        Permission=Permission,
        WORKFLOWS=WORKFLOWS,
        ROLE_LABELS=ROLE_LABELS,
        url_with=url_with,
        user_zone_name=lambda: user_zone().key,
    )
