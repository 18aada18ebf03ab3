"""Dashboard, global search and trends on plant-1M: server time per request and SQL statements.

Each page is requested through the app's test client (the whole Flask request: guards,
queries, template), signed in as the plant's user of each role; the time is wall time around
the request, the median and p95 of `repeats` calls after one warm-up call, and the SQL
statements of one call are counted with a SQLAlchemy event. Search terms are taken from the
data (a complaint reference, a lot code named in a complaint, a lot-code prefix, a customer
name, a word of the complaint texts, a word found thousands of times, a word found nowhere).
"""

import statistics
import time
from collections.abc import Callable
from urllib.parse import urlencode

import sqlalchemy as sa
from flask import Flask
from flask_migrate import upgrade

from app.extensions import db
from app.models import Complaint, ComplaintLot, Customer, User

from . import database
from .trace import percentile

ROLES = ("sales", "production", "marketing", "admin")
TARGET_MS = 100.0
QUERY_LIMIT = 12


def _user_ids() -> dict[str, int]:
    """The plant's first user of each role (the generator makes one per role)."""
    ids = {}
    for user in db.session.scalars(sa.select(User).order_by(User.id)):
        for role in user.roles:
            ids.setdefault(role, user.id)
    missing = [role for role in ROLES if role not in ids]
    if missing:
        raise RuntimeError(f"plant has no user for {missing}; rebuild it with --rebuild")
    return ids


def search_terms() -> dict[str, str]:
    """What people type, taken from the plant's own data."""
    reference = db.session.scalar(sa.select(Complaint.reference).order_by(Complaint.id.desc()).limit(1))
    lot_code = db.session.scalar(sa.select(ComplaintLot.lot_code).order_by(ComplaintLot.complaint_id).limit(1))
    customer = db.session.scalar(sa.select(Customer.name).order_by(Customer.id).limit(1))
    return {
        "complaint reference": reference,
        "lot code": lot_code,
        "lot code prefix": lot_code[:6],
        "customer name": customer,
        "description word": "drier",
        "common word": "carton",
        "no match": "zqxjv",
    }


def _signed_in_client(app: Flask, user_id: int):
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = str(user_id)
        session["_fresh"] = True
    return client


def time_page(app: Flask, client, url: str, repeats: int) -> dict:
    """Median/p95 ms of `repeats` requests after a warm-up, and one request's SQL statements."""
    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    response = client.get(url)  # warm-up: caches, first compile of each statement
    if response.status_code != 200:
        raise RuntimeError(f"{url}: HTTP {response.status_code}")
    with app.app_context():
        sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        client.get(url)
    finally:
        with app.app_context():
            sa.event.remove(db.engine, "before_cursor_execute", count)
    samples = []
    for _ in range(repeats):
        started = time.perf_counter()
        client.get(url)
        samples.append((time.perf_counter() - started) * 1000)
    return {
        "median_ms": round(statistics.median(samples), 1),
        "p95_ms": round(percentile(samples, 95), 1),
        "queries": len(statements),
    }


def _entry(engine: str, name: str, cases: dict[str, dict]) -> dict:
    medians = [c["median_ms"] for c in cases.values()]
    return {
        "engine": engine,
        "name": name,
        "median_ms": round(statistics.median(medians), 1),
        "max_median_ms": max(medians),
        "p95_ms": max(c["p95_ms"] for c in cases.values()),
        "queries_max": max(c["queries"] for c in cases.values()),
        "target_ms": TARGET_MS,
        "query_limit": QUERY_LIMIT,
        "cases": cases,
    }


def run_engine(engine: str, url: str, lots: int, rebuild: bool, repeats: int, log: Callable[[str], None]) -> list[dict]:
    database.prepare(url, lots, rebuild, log)
    app = database.make_app(url)
    app.config["RATELIMIT_ENABLED"] = False
    with app.app_context():
        started = time.perf_counter()
        upgrade()  # a plant built before a later migration (the search indexes) is brought up to date
        log(f"  schema at head ({time.perf_counter() - started:.1f} s)")
        users = _user_ids()
        terms = search_terms()
        db.session.remove()
    dashboards, searches = {}, {}
    for role in ROLES:
        client = _signed_in_client(app, users[role])
        dashboards[role] = time_page(app, client, "/home", repeats)
        log(f"  dashboard {role}: {dashboards[role]}")
    client = _signed_in_client(app, users["marketing"])
    for label, term in terms.items():
        searches[f"{label}: {term}"] = time_page(app, client, "/search/?" + urlencode({"q": term}), repeats)
        log(f"  search {label} {term!r}: {searches[f'{label}: {term}']}")
    # The trends page has no target of its own (issue 9 takes every page); measured to know.
    with app.app_context():
        product_id = db.session.scalar(sa.select(Complaint.product_id).order_by(Complaint.id).limit(1))
    trends = {
        "all products, 12 months": time_page(app, client, "/trends/", max(3, repeats // 4)),
        "one product, 12 months": time_page(app, client, f"/trends/?product={product_id}", max(3, repeats // 4)),
    }
    log(f"  trends: {trends}")
    with app.app_context():
        db.engine.dispose()
    trends_entry = _entry(engine, "trends", trends) | {"target_ms": None}
    return [_entry(engine, "dashboard", dashboards), _entry(engine, "search", searches), trends_entry]


def run(engines: list[tuple[str, str]], lots: int, rebuild: bool, repeats: int, log: Callable[[str], None]) -> list:
    entries = []
    for engine, url in engines:
        log(f"pages on {engine}: {url}")
        entries += run_engine(engine, url, lots, rebuild, repeats, log)
    return entries


def rows(entries: list[dict]) -> list[tuple]:
    out = []
    for e in entries:
        for case, figures in e["cases"].items():
            out.append((e["engine"], e["name"], case, figures["median_ms"], figures["p95_ms"], figures["queries"]))
    return out


COLUMNS = ("engine", "page", "case", "median ms", "p95 ms", "SQL")
