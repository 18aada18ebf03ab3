"""Load on plant-1M (PostgreSQL): gunicorn with 4 sync workers, Locust users, 60 s per run.

The app runs as it is deployed: `gunicorn wsgi:app`, LOTLINE_CONFIG=production, a random
SECRET_KEY, DATABASE_URL = the bench database. Sync workers, as many as gunicorn's guide
suggests for 2 cores ((2 x cores) + 1, rounded to 4): every page is CPU work in Python
(SQLAlchemy, Jinja) between short database calls, so threads in one process would share one
GIL; behind nginx (which buffers slow clients) sync workers are gunicorn's recommended setup.
The login rate limit is raised by environment for the bench only (every user comes from
127.0.0.1); nothing else is changed. No access log (left to the reverse proxy).

Four users `load-<role>` (created in the bench database if missing, with LOAD_PASSWORD) sign
in through POST /auth/login with the CSRF token of the sign-in page; the Locust users share
their session cookies. Runs (after a 5 s warm-up of all workers), `seconds` long each but the one with
the most users, which lasts `soak_seconds` (the 0-error target is for 5 minutes at 50 users):
- `load N users`: a mix of complaint list 4, complaint detail 3, home dashboard 2, search 1;
- `complaint list 10 users`: only /complaints/ (the main case of the ratio);
- `bare flask 10 users`: only /healthz (returns "ok": routing, the app's request hooks and
  gunicorn, nothing else), the framework's limit on this server.
Users never pause (think 0, like wrk): 10 users keep 10 requests in flight, far more than 10
people clicking. With `think` > 0 only the mixed runs are made, named `load N users, think T s`,
each user waiting 0.5-1.5 x T seconds between pages, as people reading them do.
Locust (FastHttpUser) shares the 2 cores with gunicorn and PostgreSQL.
Median, p95 (Locust's, whole milliseconds, 2 significant digits above 100 ms), requests per
second and failures come from Locust's stats CSV.
"""

import csv
import json
import os
import random
import re
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa
from flask_migrate import upgrade

from app.auth import services as auth_services
from app.extensions import db
from app.models import Complaint, User
from config import BASE_DIR

from . import database
from .pages import ROLES, search_terms

WORKERS = 4
WORKER_CLASS = "sync"
LOAD_PASSWORD = "load-bench-password-2026"  # noqa: S105 - bench users of the bench database only
USER_AGENT = "lotline-load-bench"  # must match bench/locustfile.py (Flask-Login session protection)
LOCUSTFILE = Path(__file__).with_name("locustfile.py")
OUT_DIR = database.BENCH_DIR / "load"
TARGET_P95_MS = 100.0  # at 10 users
TARGET_RATIO = 0.2  # complaint list throughput / bare route throughput
MIX_WEIGHTS = {"complaint list": 4, "complaint detail": 3, "dashboard": 2, "search": 1}
WARMUP_SECONDS = 5


def ensure_users() -> None:
    """One bench user per role with the known password (created or reset; never anyone else's)."""
    for role in ROLES:
        username = f"load-{role}"
        user = db.session.scalar(sa.select(User).where(User.username == username))
        if user is None:
            auth_services.create_user(
                username=username,
                name=f"Load bench ({role})",
                email=f"{username}@bench.invalid",
                password=LOAD_PASSWORD,
                roles=[role],
            )
        elif not user.check_password(LOAD_PASSWORD) or user.roles != [role] or not user.active:
            user.set_password(LOAD_PASSWORD)
            user.set_roles([role])
            user.active = True
    db.session.commit()


def request_groups() -> dict[str, list[str]]:
    """The URLs of each request group, taken from the plant's data."""
    recent = db.session.scalars(sa.select(Complaint.id).order_by(Complaint.id.desc()).limit(2000)).all()
    ids = random.Random(9).sample(recent, min(50, len(recent)))  # noqa: S311 - a reproducible sample
    return {
        "complaint list": ["/complaints/"],
        "complaint detail": [f"/complaints/{i}" for i in ids],
        "dashboard": ["/home"],
        "search": ["/search/?q=" + re.sub(r"\s+", "+", term) for term in search_terms().values()],
    }


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(url: str, log_path: Path) -> tuple[subprocess.Popen, str]:
    """gunicorn wsgi:app with production settings on a free port; returns once /healthz answers."""
    port = _free_port()
    env = os.environ | {
        "LOTLINE_CONFIG": "production",
        "SECRET_KEY": secrets.token_hex(32),
        "DATABASE_URL": url,
        "LOGIN_RATE_LIMIT": "100000 per minute",  # bench only: every user signs in from 127.0.0.1
    }
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        f"--workers={WORKERS}",
        f"--worker-class={WORKER_CLASS}",
        f"--bind=127.0.0.1:{port}",
        f"--chdir={BASE_DIR}",
        "wsgi:app",
    ]
    log_file = log_path.open("w")
    server = subprocess.Popen(command, env=env, stdout=log_file, stderr=subprocess.STDOUT)  # noqa: S603
    base = f"http://127.0.0.1:{port}"
    import requests  # installed with locust (requirements-dev.txt); not needed by the app

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {server.returncode}; see {log_path}")
        try:
            if requests.get(base + "/healthz", timeout=10).text == "ok":
                return server, base
        except requests.RequestException:  # refused before the bind, timed out while workers boot
            pass
        time.sleep(0.2)
    stop_server(server)
    raise RuntimeError(f"gunicorn did not answer within 60 s; see {log_path}")


def stop_server(server: subprocess.Popen) -> None:
    server.terminate()  # SIGTERM: gunicorn's graceful shutdown
    try:
        server.wait(30)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def sign_in(base: str, username: str) -> str:
    """POST /auth/login as a browser does (CSRF token of the sign-in page); the session cookie.

    The cookies are Secure (production settings), so they are carried by hand over plain HTTP.
    """
    import requests

    headers = {"User-Agent": USER_AGENT}
    page = requests.get(base + "/auth/login", headers=headers, timeout=30)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text)
    if page.status_code != 200 or not token:
        raise RuntimeError(f"sign-in page: HTTP {page.status_code}, CSRF token {'found' if token else 'missing'}")
    response = requests.post(
        base + "/auth/login",
        data={"csrf_token": token.group(1), "username": username, "password": LOAD_PASSWORD},
        headers=headers | {"Cookie": f"session={page.cookies['session']}"},
        allow_redirects=False,
        timeout=30,
    )
    cookie = response.cookies.get("session")
    if response.status_code != 302 or not cookie:
        raise RuntimeError(f"sign-in as {username}: HTTP {response.status_code}")
    # Sign-in starts a new session; the first page stores a CSRF token in it, as a browser's
    # cookie would then carry: take the cookie once it no longer changes.
    for _ in range(3):
        home = requests.get(base + "/home", headers=headers | {"Cookie": f"session={cookie}"}, timeout=60)
        if home.status_code != 200:
            raise RuntimeError(f"{username} signed in but /home answered {home.status_code}")
        if "session" not in home.cookies:
            return cookie
        cookie = home.cookies["session"]
    raise RuntimeError(f"the session cookie of {username} changes on every page")


def locust(base: str, plan: dict, users: int, seconds: int, prefix: Path) -> dict:
    """Run Locust headless; the Aggregated row and each request group of its stats CSV."""
    env = os.environ | {"LOTLINE_LOAD_PLAN": json.dumps(plan)}
    command = [
        sys.executable,
        "-m",
        "locust",
        f"--locustfile={LOCUSTFILE}",
        "--headless",
        "--only-summary",
        f"--users={users}",
        f"--spawn-rate={users}",
        f"--run-time={seconds}s",
        f"--host={base}",
        f"--csv={prefix}",
        "--loglevel=WARNING",
    ]
    # Locust exits 1 when a request failed; the CSV says which and how many.
    finished = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    stats_path = Path(f"{prefix}_stats.csv")
    if not stats_path.exists():
        raise RuntimeError(f"locust wrote no stats (exit {finished.returncode}):\n{finished.stderr[-2000:]}")
    with stats_path.open(newline="") as f:
        rows = {row["Name"]: _figures(row) for row in csv.DictReader(f)}
    total = rows.pop("Aggregated")
    return total | {"users": users, "seconds": seconds, "by_request": rows}


def _figures(row: dict) -> dict:
    count = int(row["Request Count"])
    return {
        "median_ms": float(row["50%"]) if count else None,
        "p95_ms": float(row["95%"]) if count else None,
        "per_s": round(float(row["Requests/s"]), 1),
        "errors": int(row["Failure Count"]),
        "requests": count,
    }


def _plan(cookies: list[str], groups: dict[str, list[str]], weights: dict[str, int], think: float = 0.0) -> dict:
    requests_ = [{"name": name, "paths": groups[name], "weight": w} for name, w in weights.items()]
    return {"cookies": cookies, "think": think, "requests": requests_}


def run_engine(
    engine: str,
    url: str,
    lots: int,
    rebuild: bool,
    seconds: int,
    soak_seconds: int,
    users: list[int],
    log: Callable[[str], None],
    think: float = 0.0,
) -> list[dict]:
    database.prepare(url, lots, rebuild, log)
    app = database.make_app(url)
    with app.app_context():
        upgrade()  # a plant built before a later migration is brought up to date
        ensure_users()
        groups = request_groups()
        db.session.remove()
        db.engine.dispose()
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    server, base = start_server(url, OUT_DIR / "gunicorn.log")
    log(f"  gunicorn: {WORKERS} {WORKER_CLASS} workers at {base} (production config)")
    entries = []
    try:
        cookies = [sign_in(base, f"load-{role}") for role in ROLES]
        log(f"  signed in as {', '.join(f'load-{r}' for r in ROLES)} through POST /auth/login")
        mix = _plan(cookies, groups, MIX_WEIGHTS)
        locust(base, mix, 10, WARMUP_SECONDS, OUT_DIR / "warmup")  # every worker compiles and caches
        # The most users run for soak_seconds: the target is no error over 5 minutes at 50 users.
        most = max(users)
        runs = [(f"load {n} users", mix, n, soak_seconds if n == most else seconds) for n in users]
        if think:
            # People, not a saturating client: each user waits 0.5-1.5 x `think` s between pages.
            paced = _plan(cookies, groups, MIX_WEIGHTS, think)
            runs = [(f"load {n} users, think {think:g} s", paced, n, seconds) for n in users]
        elif 10 in users:
            runs.append(("complaint list 10 users", _plan(cookies, groups, {"complaint list": 1}), 10, seconds))
            bare = {"cookies": [], "think": 0, "requests": [{"name": "bare flask", "paths": ["/healthz"], "weight": 1}]}
            runs.append(("bare flask 10 users", bare, 10, seconds))
        for name, plan, n, length in runs:
            figures = locust(base, plan, n, length, OUT_DIR / name.replace(" ", "-"))
            entry = {"engine": engine, "name": name, **figures, "workers": f"{WORKERS} {WORKER_CLASS}"}
            if name == "load 10 users":
                entry["target_p95_ms"] = TARGET_P95_MS
            if name.startswith("load "):
                entry["target_errors"] = 0
            entries.append(entry)
            log(
                f"  {name}: median {entry['median_ms']} ms, p95 {entry['p95_ms']} ms, {entry['per_s']}/s, "
                f"{entry['errors']} errors of {entry['requests']:,}"
            )
    finally:
        stop_server(server)
    by_name = {e["name"]: e for e in entries}
    if "complaint list 10 users" in by_name and by_name["bare flask 10 users"]["per_s"]:
        ratio = by_name["complaint list 10 users"]["per_s"] / by_name["bare flask 10 users"]["per_s"]
        by_name["complaint list 10 users"] |= {"ratio_to_bare": round(ratio, 3), "target_ratio": TARGET_RATIO}
        log(f"  complaint list / bare route throughput: {ratio:.1%}")
    return entries


def run(
    engines: list[tuple[str, str]],
    lots: int,
    rebuild: bool,
    seconds: int,
    soak_seconds: int,
    users: list[int],
    log: Callable[[str], None],
    think: float = 0.0,
) -> list[dict]:
    """Only PostgreSQL: a deployment serves several workers from one database server."""
    pg = [(engine, url) for engine, url in engines if engine == "postgresql"]
    if not pg:
        log("load skipped: it runs on PostgreSQL only (set BENCH_DATABASE_URL).")
    entries = []
    for engine, url in pg:
        log(f"load on {engine}: {url}")
        entries += run_engine(engine, url, lots, rebuild, seconds, soak_seconds, users, log, think)
    return entries


def rows(entries: list[dict]) -> list[tuple]:
    out = []
    for e in entries:
        ratio = f"{e['ratio_to_bare']:.1%} of bare" if "ratio_to_bare" in e else ""
        row = (e["engine"], e["name"], e["seconds"], e["median_ms"], e["p95_ms"], e["per_s"], e["errors"])
        out.append((*row, f"{e['requests']:,}", ratio))
    return out


COLUMNS = ("engine", "load", "s", "median ms", "p95 ms", "per s", "errors", "requests", "ratio")
