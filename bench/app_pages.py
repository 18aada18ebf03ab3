"""Every page of the app on plant-1M with the scenario's records: server time and SQL statements.

Each page of bench/page_list.py is requested through the app's test client (the whole Flask
request: guards, queries, template; a streamed CSV read to its last byte), signed in as the
plant's user of the role allowed to see it: the median and p95 of `repeats` calls after one
warm-up call, and the SQL statements of one call, counted with a SQLAlchemy event. Files (CSV,
PDF) and pages whose warm-up took over a second are timed max(3, repeats // 4) times.
"""

import os
import statistics
import time
from collections.abc import Callable

import sqlalchemy as sa
from flask import Flask

from app.extensions import db
from app.models import User

from . import page_list
from .trace import percentile

TARGET_MS = 100.0
QUERY_LIMIT = 12
SLOW_SECONDS = 1.0


def signed_in_client(app: Flask, user_id: int | None):
    """A test client with the user's session (None: nobody signed in)."""
    client = app.test_client()
    if user_id is not None:
        with app.app_context():
            # What a sign-in stores: the id and the user's session version (User.get_id()).
            user_key = db.session.get(User, user_id).get_id()
            db.session.remove()
        with client.session_transaction() as session:
            session["_user_id"] = user_key
            session["_fresh"] = True
    return client


def _get(client, url: str, mimetype: str):
    # buffered: a streamed body (CSV) is read whole inside the call, as a browser would.
    response = client.get(url, buffered=True)
    if response.status_code != 200 or response.mimetype != mimetype:
        raise RuntimeError(f"{url}: HTTP {response.status_code} {response.mimetype}, expected 200 {mimetype}")
    return response


def time_page(app: Flask, client, url: str, repeats: int, mimetype: str = "text/html") -> dict:
    """Median/p95 ms of `repeats` requests after a warm-up, and one request's SQL statements."""
    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    started = time.perf_counter()
    response = _get(client, url, mimetype)  # warm-up: caches, first compile of each statement
    if time.perf_counter() - started > SLOW_SECONDS:
        repeats = min(repeats, max(3, repeats // 4))
    with app.app_context():
        sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        _get(client, url, mimetype)
    finally:
        with app.app_context():
            sa.event.remove(db.engine, "before_cursor_execute", count)
    samples = []
    for _ in range(repeats):
        started = time.perf_counter()
        client.get(url, buffered=True)
        samples.append((time.perf_counter() - started) * 1000)
    return {
        "median_ms": round(statistics.median(samples), 1),
        "p95_ms": round(percentile(samples, 95), 1),
        "queries": len(statements),
        "bytes": len(response.get_data()),
    }


def entry(engine: str, name: str, cases: dict[str, dict], target_ms=TARGET_MS, query_limit=QUERY_LIMIT) -> dict:
    """One results.json entry: a page group and its cases (each case may carry its own target)."""
    medians = [c["median_ms"] for c in cases.values()]
    return {
        "engine": engine,
        "name": name,
        "median_ms": round(statistics.median(medians), 1),
        "max_median_ms": max(medians),
        "p95_ms": max(c["p95_ms"] for c in cases.values()),
        "queries_max": max(c["queries"] for c in cases.values()),
        "target_ms": target_ms,
        "query_limit": query_limit,
        "cases": cases,
    }


def measure(app: Flask, pages: list, users: dict[str, int], repeats: int, log: Callable[[str], None]) -> dict:
    """{group: {case: figures}} for these pages, in order."""
    clients = {role: signed_in_client(app, user_id) for role, user_id in users.items()}
    clients["anonymous"] = signed_in_client(app, None)
    groups: dict[str, dict] = {}
    for page in pages:
        calls = repeats if page.mimetype == "text/html" else max(3, repeats // 4)
        figures = time_page(app, clients[page.role], page.url, calls, page.mimetype)
        figures |= {"url": page.url, "role": page.role}
        if page.target_ms is not None:
            figures["target_ms"] = page.target_ms
        groups.setdefault(page.group, {})[page.case] = figures
        ms, p95, sql = figures["median_ms"], figures["p95_ms"], figures["queries"]
        log(f"  {page.group} / {page.case}: {ms} ms (p95 {p95}), {sql} SQL")
    return groups


def entries(engine: str, groups: dict[str, dict]) -> list[dict]:
    """HTML groups carry the page target; CSV exports only the statement limit; PDFs neither
    (their cases may carry a target of their own: the incident report's 300 ms)."""
    limits = {"csv exports": (None, QUERY_LIMIT), "pdf reports": (None, None)}
    return [entry(engine, name, cases, *limits.get(name, (TARGET_MS, QUERY_LIMIT))) for name, cases in groups.items()]


def run(app: Flask, engine: str, facts: dict, users: dict[str, int], repeats: int, log: Callable[[str], None]) -> list:
    """The entries of every page group on this engine (the scenario's facts from bench.scenario)."""
    with app.app_context():
        pages = page_list.build(facts)
        db.session.remove()
    # BENCH_PAGE_GROUPS="incident pages,recall pages": only those groups (a before/after of a few pages)
    if wanted := {g.strip() for g in os.environ.get("BENCH_PAGE_GROUPS", "").split(",") if g.strip()}:
        pages = [p for p in pages if p.group in wanted]
    log(f"  {len(pages)} pages in {len({p.group for p in pages})} groups")
    return entries(engine, measure(app, pages, users, repeats, log))
