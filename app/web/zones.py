"""Time zones: the signed-in user's (pages, typed times) and the company's (printed documents)."""

from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import current_app
from flask_login import current_user


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def user_zone() -> ZoneInfo:
    """The signed-in user's zone, else the company's; UTC if the name is unknown."""
    return _zone(getattr(current_user, "timezone", None) or current_app.config["DEFAULT_TIMEZONE"])


def company_zone() -> ZoneInfo:
    """The site's zone (LOTLINE_TIMEZONE): a printed document is read away from any one user."""
    return _zone(current_app.config["DEFAULT_TIMEZONE"])


def local_to_utc(value: datetime, zone_name: str) -> datetime:
    """A naive time typed in the user's zone, as an aware UTC time."""
    return value.replace(tzinfo=ZoneInfo(zone_name)).astimezone(ZoneInfo("UTC"))
