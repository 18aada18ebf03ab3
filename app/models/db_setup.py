"""Per-engine connection settings."""

import re

import sqlalchemy as sa

_SETTING = re.compile(r"[a-z_]+=[A-Za-z0-9_.]+")


def postgres_connect_args(settings: str) -> dict:
    """'random_page_cost=1.1 jit=off' -> libpq startup options, set once per connection.

    Startup options rather than SET on connect: a SET inside the pool's first transaction
    would be undone by its rollback.
    """
    pairs = settings.split()
    bad = [pair for pair in pairs if not _SETTING.fullmatch(pair)]
    if bad:
        raise RuntimeError(f"LOTLINE_POSTGRES_SETTINGS: {' '.join(bad)!r} is not name=value (e.g. jit=off)")
    return {"options": " ".join(f"-c {pair}" for pair in pairs)} if pairs else {}


def install_engine_hooks(engine: sa.Engine) -> None:
    """Turn on SQLite foreign keys and a busy timeout; PostgreSQL needs nothing."""
    if engine.dialect.name != "sqlite":
        return

    @sa.event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        # WAL lets the web app read while the alert worker writes (and the other way round).
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()


# Search objects (migration 0008) live outside the models: SQLite FTS5 tables (and their
# shadow tables) named fts_*, and expression indexes named ix_search_*. Autogenerate and the
# models-vs-migrations test must not report them as "removed".
SEARCH_PREFIXES = {"table": ("fts_",), "index": ("ix_search_",)}


def include_name(name: str | None, type_: str, _parent_names: dict) -> bool:
    """Alembic include_name hook: skip the search objects that only migrations create."""
    return not (name and name.startswith(SEARCH_PREFIXES.get(type_, ())))
