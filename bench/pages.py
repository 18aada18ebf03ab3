"""Pages on plant-1M: server time per request and SQL statements.

The dashboards, the global search and trends are measured here; every other page a user can
GET (lists, details, forms, trace pages, CSV exports, PDF reports, public pages) by
bench/app_pages.py, on the records bench/scenario.py adds to plant-1M once. Each page is
requested through the app's test client (the whole Flask request: guards, queries,
template), signed in as the plant's user of each role; the time is wall time around the
request, the median and p95 of `repeats` calls after one warm-up call, and the SQL
statements of one call are counted with a SQLAlchemy event. Search terms are taken from the
data (a complaint reference, a lot code named in a complaint, a lot-code prefix, a customer
name, a word of the complaint texts, a word found thousands of times, a word found nowhere).
"""

import time
from collections.abc import Callable
from urllib.parse import urlencode

import sqlalchemy as sa
from flask_migrate import upgrade

from app.extensions import db
from app.models import Complaint, ComplaintLot, Customer, User

from . import app_pages, database, scenario
from .app_pages import TARGET_MS, entry, signed_in_client, time_page

ROLES = ("sales", "production", "marketing", "admin")


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


def run_engine(engine: str, url: str, lots: int, rebuild: bool, repeats: int, log: Callable[[str], None]) -> list[dict]:
    database.prepare(url, lots, rebuild, log)
    app = database.make_app(url)
    app.config["RATELIMIT_ENABLED"] = False
    # The scenario's attachments and the import job page's status file live with the bench data.
    app.config["UPLOAD_DIR"] = database.BENCH_DIR / "uploads"
    app.config["IMPORT_DIR"] = database.BENCH_DIR / "imports"
    with app.app_context():
        started = time.perf_counter()
        upgrade()  # a plant built before a later migration (the search indexes) is brought up to date
        log(f"  schema at head ({time.perf_counter() - started:.1f} s)")
        facts = scenario.ensure(log)
        users = _user_ids()
        terms = search_terms()
        db.session.remove()
    dashboards, searches = {}, {}
    for role in ROLES:
        client = signed_in_client(app, users[role])
        dashboards[role] = time_page(app, client, "/home", repeats)
        log(f"  dashboard {role}: {dashboards[role]}")
    client = signed_in_client(app, users["marketing"])
    for label, term in terms.items():
        searches[f"{label}: {term}"] = time_page(app, client, "/search/?" + urlencode({"q": term}), repeats)
        log(f"  search {label} {term!r}: {searches[f'{label}: {term}']}")
    # The trends page has no target of its own (issue 9 takes every page); measured to know.
    with app.app_context():
        product_id = db.session.scalar(sa.select(Complaint.product_id).order_by(Complaint.id).limit(1))
    # Computed on every view (cache off), then as users see it: kept TRENDS_CACHE_SECONDS per
    # process (app/trends/cache.py), so after the first view of a filter the panels are reused.
    trends = {}
    for label, url in (("all products", "/trends/"), ("one product", f"/trends/?product={product_id}")):
        app.config["TRENDS_CACHE_SECONDS"] = 0
        trends[f"{label}, 12 months, computed"] = time_page(app, client, url, max(3, repeats // 4))
        app.config["TRENDS_CACHE_SECONDS"] = 300
        trends[f"{label}, 12 months, kept"] = time_page(app, client, url, repeats) | {"target_ms": TARGET_MS}
    log(f"  trends: {trends}")
    others = app_pages.run(app, engine, facts, users, repeats, log)
    with app.app_context():
        db.engine.dispose()
    trends_entry = entry(engine, "trends", trends, target_ms=None)
    return [entry(engine, "dashboard", dashboards), entry(engine, "search", searches), trends_entry, *others]


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
