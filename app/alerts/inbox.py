"""The bell: a user's own in-app alerts, how many are unread, marking them read."""

from urllib.parse import urlsplit

import sqlalchemy as sa

from ..extensions import db
from ..models import Alert
from ..models.types import utcnow


def unread_count(user_id: int) -> int:
    """How many of the user's alerts are unread (one COUNT on the (user_id, read_at) index)."""
    stmt = sa.select(sa.func.count()).select_from(Alert).where(Alert.user_id == user_id, Alert.read_at.is_(None))
    return db.session.scalar(stmt) or 0


def inbox_statement(user_id: int, unread_only: bool = False) -> sa.Select:
    """The user's alerts, newest first."""
    stmt = sa.select(Alert).where(Alert.user_id == user_id)
    if unread_only:
        stmt = stmt.where(Alert.read_at.is_(None))
    return stmt.order_by(Alert.created_at.desc(), Alert.id.desc())


def own_alert(alert_id: int, user_id: int) -> Alert | None:
    """The alert if it belongs to the user; someone else's is as good as missing."""
    return db.session.scalar(sa.select(Alert).where(Alert.id == alert_id, Alert.user_id == user_id))


# Reading one's own alerts is personal state, not a change to a quality record, so it is
# not written to the audit trail (it would fill the chain with every click on the bell).
def mark_read(alert: Alert) -> None:
    """Mark one alert read (keeps the first read time)."""
    if alert.read_at is None:
        alert.read_at = utcnow()
        db.session.flush()


def mark_all_read(user_id: int) -> int:
    """Mark every unread alert of the user read; returns how many."""
    result = db.session.execute(
        sa.update(Alert)
        .where(Alert.user_id == user_id, Alert.read_at.is_(None))
        .values(read_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0


def safe_path(url: str | None) -> str | None:
    """`url` if it is a path inside this application, else None (never an open redirect)."""
    if not url or not url.startswith("/") or url.startswith("//"):
        return None
    # Browsers read a backslash as a slash ("/\\evil.example" is another host) and drop
    # tabs and line breaks, so refuse both; a path has no scheme or host either.
    if "\\" in url or any(ord(ch) < 32 or ord(ch) == 127 for ch in url):
        return None
    parts = urlsplit(url)
    if parts.scheme or parts.netloc:
        return None
    return url
