"""Build the plant-1M benchmark database once, then reuse it while it is complete."""

import json
import os
import time
from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa
from flask import Flask
from flask_migrate import upgrade

from app import create_app
from app.demo.plant import SEED, generate_plant
from app.extensions import db
from config import INSTANCE_DIR, DevConfig, normalise_database_url

BENCH_DIR = INSTANCE_DIR / "bench"
# Bump when the generator changes shape, so old benchmark databases are rebuilt.
GENERATOR_VERSION = 1
META = sa.table("bench_meta", sa.column("name", sa.String), sa.column("value", sa.Text))


def scale_name(lots: int) -> str:
    return "plant-1M" if lots == 1_000_000 else f"plant-{lots}"


def sqlite_url(lots: int) -> str:
    return f"sqlite:///{BENCH_DIR / scale_name(lots)}.db"


def postgresql_url() -> str | None:
    url = os.environ.get("BENCH_DATABASE_URL")
    return normalise_database_url(url) if url else None


def make_app(url: str) -> Flask:
    """The app as it runs, on the benchmark database."""
    return create_app(DevConfig, {"SQLALCHEMY_DATABASE_URI": url})


def _wanted(lots: int) -> dict:
    return {"lots": lots, "seed": SEED, "generator": GENERATOR_VERSION}


def loaded(url: str, lots: int) -> dict | None:
    """The marker of a complete load of this plant, or None (missing, partial, other shape)."""
    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).exists():
        return None
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            if not sa.inspect(conn).has_table("bench_meta"):
                return None
            value = conn.scalar(sa.select(META.c.value).where(META.c.name == "plant"))
    finally:
        engine.dispose()
    meta = json.loads(value) if value else None
    return meta if meta and all(meta.get(k) == v for k, v in _wanted(lots).items()) else None


def _reset(url: str) -> None:
    """Start from an empty database (a half-built one is never reused)."""
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        path.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text("DROP SCHEMA public CASCADE"))
        conn.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()


def _fast_sqlite_writes() -> None:
    """Bench database only: no fsync and a big cache while loading (a crash means a rebuild)."""

    @sa.event.listens_for(db.engine, "connect")
    def _pragmas(dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        for pragma in ("journal_mode=WAL", "synchronous=OFF", "cache_size=-1000000", "temp_store=MEMORY"):
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()


def build(url: str, lots: int, log: Callable[[str], None]) -> dict:
    """Migrate an empty database, load the plant, ANALYZE, then write the completion marker."""
    _reset(url)
    app = make_app(url)
    started = time.perf_counter()
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            _fast_sqlite_writes()
        upgrade()
        summary = generate_plant(lots, log=log)
        db.session.commit()
        log(f"  committed: {time.perf_counter() - started:.1f} s")
        analyze_started = time.perf_counter()
        analyze()
        log(f"  analyzed: {time.perf_counter() - analyze_started:.1f} s")
        meta = _wanted(lots) | {"counts": summary.counts, "seconds": round(time.perf_counter() - started, 1)}
        with db.engine.begin() as conn:
            conn.execute(sa.text("CREATE TABLE bench_meta (name VARCHAR(64) PRIMARY KEY, value TEXT NOT NULL)"))
            conn.execute(sa.insert(META).values(name="plant", value=json.dumps(meta)))
        db.session.remove()
        db.engine.dispose()
    return meta


def analyze() -> None:
    """Fresh planner statistics; on PostgreSQL VACUUM too, so index-only scans skip the heap."""
    db.session.remove()
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("VACUUM ANALYZE"))
    else:
        with db.engine.begin() as conn:
            conn.execute(sa.text("ANALYZE"))


def prepare(url: str, lots: int, rebuild: bool, log: Callable[[str], None]) -> dict:
    """Reuse a complete benchmark database or build it; returns its marker."""
    meta = None if rebuild else loaded(url, lots)
    if meta:
        log(f"  reusing the complete {scale_name(lots)} database (loaded in {meta['seconds']} s)")
        return meta
    log(f"  building {scale_name(lots)} (lots={lots:,}) ...")
    return build(url, lots, log)
