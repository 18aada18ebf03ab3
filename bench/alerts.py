"""Alert email throughput and latency: one `flask alerts worker` subprocess sending to an
in-process aiosmtpd server, on a fresh database of its own (SQLite, and PostgreSQL when
BENCH_DATABASE_URL is set).

Throughput: 10,000 messages queued (queue_email, committed in chunks) before the worker
starts; per_s = 10,000 / (worker start → last message received). Latency: with the
same worker running, a producer commits 100 messages a second for 20 s, one commit per
message; latency = receipt by the SMTP server − the producer's commit. Both runs check
that every Message-ID arrived exactly once.
"""

import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

import sqlalchemy as sa
from aiosmtpd.controller import Controller
from flask import render_template
from flask_migrate import upgrade

from app.alerts.outbox import counts_by_status, queue_email
from app.extensions import db
from config import BASE_DIR

from . import database

MESSAGES = 10_000
QUEUE_CHUNK = 1_000
LATENCY_RATE = 100  # messages per second
LATENCY_SECONDS = 20
POLL_SECONDS = 0.2
TARGET_PER_S = 200.0
TARGET_P95_MS = 2000.0
# Give up waiting for delivery after this long (a worker ten times too slow still finishes).
THROUGHPUT_TIMEOUT = 600.0
DRAIN_TIMEOUT = 60.0
# The plant database of BENCH_DATABASE_URL is never touched: the alerts bench uses a
# database of its own on the same server, named after it with this suffix.
PG_SUFFIX = "_alerts"

_MESSAGE_ID = re.compile(rb"^message-id:[ \t]*(<[^>\r\n]*>)", re.IGNORECASE | re.MULTILINE)


def sqlite_url() -> str:
    return f"sqlite:///{database.BENCH_DIR / 'alerts.db'}"


def postgresql_url(plant_url: str) -> str:
    """BENCH_DATABASE_URL with `_alerts` added to the database name (created when missing)."""
    url = sa.make_url(plant_url)
    return url.set(database=f"{url.database}{PG_SUFFIX}").render_as_string(hide_password=False)


def url_for_engine(engine: str, plant_url: str) -> str:
    return sqlite_url() if engine == "sqlite" else postgresql_url(plant_url)


# -- the SMTP server -----------------------------------------------------------------


class Sink:
    """aiosmtpd handler: the monotonic receipt times of each Message-ID (repeats kept).

    The waiting side is told by an Event when the last awaited message arrives, so it
    does not compete with the server thread for the GIL while messages stream in.
    """

    def __init__(self):
        self.lock = threading.Lock()
        self.received: dict[str, list[float]] = {}
        self.count = 0
        self.unparsed = 0
        self._awaited: set[str] = set()
        self._all_in = threading.Event()

    async def handle_DATA(self, server, session, envelope):
        now = time.monotonic()
        header_end = envelope.content.find(b"\r\n\r\n")
        match = _MESSAGE_ID.search(envelope.content, 0, header_end if header_end >= 0 else len(envelope.content))
        with self.lock:
            self.count += 1
            if match:
                message_id = match.group(1).decode()
                self.received.setdefault(message_id, []).append(now)
                self._awaited.discard(message_id)
                if not self._awaited:
                    self._all_in.set()
            else:
                self.unparsed += 1
        return "250 OK"

    def wait_for(self, ids: set[str], timeout: float, alive: Callable[[], bool]) -> bool:
        """True once every id in `ids` has arrived; False after the timeout or if the worker died."""
        with self.lock:
            self._awaited = {i for i in ids if i not in self.received}
            self._all_in.clear()
            if not self._awaited:
                return True
        deadline = time.monotonic() + timeout
        while not self._all_in.wait(0.5):
            if time.monotonic() > deadline or not alive():
                break
        with self.lock:
            return not self._awaited


def free_port() -> int:
    """aiosmtpd 1.4 refuses port 0, so ask the OS for a free port and hand it over."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# -- the database --------------------------------------------------------------------


def _ensure_postgresql_database(url: str) -> None:
    target = sa.make_url(url)
    admin = sa.create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            exists = conn.scalar(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": target.database})
            if not exists:
                quoted = admin.dialect.identifier_preparer.quote(target.database)
                conn.execute(sa.text(f"CREATE DATABASE {quoted}"))
    finally:
        admin.dispose()


def fresh_database(url: str) -> None:
    """An empty, migrated database: the SQLite file deleted, or the PostgreSQL schema dropped."""
    if url.startswith("postgresql"):
        name = sa.make_url(url).database or ""
        if not name.endswith(PG_SUFFIX):  # never drop a schema that is not the alerts bench's own
            raise RuntimeError(f"refusing to reset {name!r}: the alerts bench database ends with {PG_SUFFIX}")
        _ensure_postgresql_database(url)
    database._reset(url)
    app = database.make_app(url)
    with app.app_context():
        upgrade()
        db.session.remove()
        db.engine.dispose()


# -- messages ------------------------------------------------------------------------


def _queue(n: int) -> str:
    """Queue one alert email the size of a real one (the app's templates); its Message-ID."""
    alert = SimpleNamespace(
        title=f"Complaint C-2026-{n:05d}: plastic piece in the bag",
        high_priority=n % 10 == 0,
        text="Customer found a hard blue plastic piece, about 1 cm, in a bag of crisps.",
    )
    link = f"http://127.0.0.1:5000/complaints/{n}"
    context = {
        "event": "complaint.created",
        "event_label": "New complaint",
        "alert": alert,
        "facts": [
            ("Reference", f"C-2026-{n:05d}"),
            ("Product", "SKU-0042 Sea salt crisps 150 g"),
            ("Lots", f"L{n:07d}"),
            ("Category", "Foreign matter"),
            ("Received", "2026-03-02 09:14 CET"),
        ],
        "recipient": None,
        "link": link,
    }
    row = queue_email(
        f"qa{n % 50}@example.com",
        f"[Lotline] New complaint C-2026-{n:05d}: plastic piece in the bag",
        render_template("email/alert.txt", **context),
        render_template("email/alert.html", **context),
        event="complaint.created",
        record_type="complaint",
        record_id=n,
        priority="high" if alert.high_priority else "normal",
    )
    return row.message_id


def queue_backlog(count: int) -> set[str]:
    ids: set[str] = set()
    for start in range(0, count, QUEUE_CHUNK):
        ids.update(_queue(n) for n in range(start, min(count, start + QUEUE_CHUNK)))
        db.session.commit()
    return ids


@dataclass
class Producer:
    """Commits one message at a time at a steady rate; the time after each commit per Message-ID."""

    rate: float
    seconds: float
    committed: dict[str, float] = field(default_factory=dict)
    max_behind_ms: float = 0.0

    def run(self, offset: int) -> None:
        started = time.monotonic()
        for n in range(round(self.rate * self.seconds)):
            due = started + n / self.rate
            wait = due - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            else:
                self.max_behind_ms = max(self.max_behind_ms, -wait * 1000)
            message_id = _queue(offset + n)
            db.session.commit()
            self.committed[message_id] = time.monotonic()


# -- the worker ----------------------------------------------------------------------


def start_worker(url: str, port: int, log_path: Path) -> subprocess.Popen:
    """`flask alerts worker` as deployed: its own process, configured from the environment."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MAIL_", "ALERT_"))}
    env.update(
        FLASK_APP="wsgi.py",
        LOTLINE_CONFIG="development",
        DATABASE_URL=url,
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=str(port),
        ALERT_POLL_SECONDS=str(POLL_SECONDS),
    )
    with log_path.open("wb") as out:
        return subprocess.Popen(  # noqa: S603 - our own interpreter and CLI
            [sys.executable, "-m", "flask", "alerts", "worker"],
            cwd=BASE_DIR,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def stop_worker(process: subprocess.Popen) -> int:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    return process.returncode


# -- figures ---------------------------------------------------------------------------


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def _delivery(ids: set[str], received: dict[str, list[float]]) -> dict:
    return {
        "delivered": sum(1 for i in ids if i in received),
        "missing": sum(1 for i in ids if i not in received),
        "duplicates": sum(len(received[i]) - 1 for i in ids if i in received),
    }


def _write_latencies(path: Path, committed: dict[str, float], received: dict[str, list[float]]) -> None:
    """Each latency-run message: seconds since the first commit, latency in ms (to see when it was slow)."""
    start = min(committed.values(), default=0.0)
    lines = ["commit_s,latency_ms"]
    for message_id, at in sorted(committed.items(), key=lambda item: item[1]):
        latency = f"{(received[message_id][0] - at) * 1000:.1f}" if message_id in received else ""
        lines.append(f"{at - start:.3f},{latency}")
    path.write_text("\n".join(lines) + "\n")


def run_engine(engine: str, url: str, log: Callable[[str], None]) -> list[dict]:
    """Both runs on one engine; returns the `alert throughput` and `alert latency` entries."""
    fresh_database(url)
    app = database.make_app(url)
    sink = Sink()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    log_path = database.BENCH_DIR / f"alerts-worker-{engine}.log"
    worker = None
    try:
        with app.app_context():
            started = time.perf_counter()
            backlog = queue_backlog(MESSAGES)
            log(f"  {MESSAGES:,} messages queued in {time.perf_counter() - started:.1f} s")

            worker_started = time.monotonic()
            worker = start_worker(url, port, log_path)
            alive = lambda: worker.poll() is None  # noqa: E731
            complete = sink.wait_for(backlog, THROUGHPUT_TIMEOUT, alive)
            with sink.lock:
                times = [t for i in backlog for t in sink.received.get(i, [])]
            last = max(times) if times else time.monotonic()
            seconds = last - worker_started
            first_after = (min(times) - worker_started) if times else None
            steady = (len(times) - 1) / (last - min(times)) if len(times) > 1 and last > min(times) else None
            log(
                f"  throughput: {len(times):,} received in {seconds:.1f} s from worker start"
                f" (first after {first_after or 0:.2f} s){'' if complete else ' INCOMPLETE'}"
            )

            producer = Producer(LATENCY_RATE, LATENCY_SECONDS)
            latency_complete = False
            if alive():
                producer.run(offset=MESSAGES)
                latency_complete = sink.wait_for(set(producer.committed), DRAIN_TIMEOUT, alive)
            log(
                f"  latency: {len(producer.committed):,} committed at {LATENCY_RATE}/s"
                f"{'' if latency_complete else ' INCOMPLETE'}"
            )
            returncode = stop_worker(worker)
            time.sleep(0.2)  # a message in flight at SIGTERM is still counted (or caught as a repeat)
            statuses = counts_by_status()
            db.session.remove()
            db.engine.dispose()
    finally:
        if worker is not None:
            stop_worker(worker)
        controller.stop()

    if returncode not in (0, -signal.SIGTERM):
        log(f"  worker exited with {returncode}; see {log_path}")
    # A database error in the worker costs a pause of up to 2 s (10 polls): worth seeing.
    warnings = [line for line in log_path.read_text(errors="replace").splitlines() if " WARNING " in line]
    for line in warnings[:5]:
        log(f"  worker: {line}")
    with sink.lock:
        received = {k: list(v) for k, v in sink.received.items()}
    backlog_delivery = _delivery(backlog, received)
    throughput = {
        "name": "alert throughput",
        "engine": engine,
        "per_s": round(backlog_delivery["delivered"] / seconds, 1) if seconds > 0 else 0.0,
        "messages": MESSAGES,
        "seconds": round(seconds, 2),
        "first_after_s": None if first_after is None else round(first_after, 2),
        "steady_per_s": None if steady is None else round(steady, 1),
        **backlog_delivery,
        "worker_warnings": len(warnings),
        "batch_size": app.config["ALERT_BATCH_SIZE"],
        "poll_s": POLL_SECONDS,
        "target_per_s": TARGET_PER_S,
    }
    latencies = [(received[i][0] - committed) * 1000 for i, committed in producer.committed.items() if i in received]
    _write_latencies(database.BENCH_DIR / f"alerts-latency-{engine}.csv", producer.committed, received)
    latency = {
        "name": "alert latency",
        "engine": engine,
        "median_ms": round(statistics.median(latencies), 1) if latencies else None,
        "p95_ms": round(_percentile(latencies, 0.95), 1) if latencies else None,
        "max_ms": round(max(latencies), 1) if latencies else None,
        "count": len(latencies),
        "rate_per_s": LATENCY_RATE,
        "producer_max_behind_ms": round(producer.max_behind_ms, 1),
        "worker_warnings": len(warnings),
        **_delivery(set(producer.committed), received),
        "target_p95_ms": TARGET_P95_MS,
    }
    log(f"  outbox rows by status: {statuses}; SMTP messages received: {sink.count:,} ({sink.unparsed} unparsed)")
    log(
        f"  alert throughput: {throughput['per_s']}/s (steady {throughput['steady_per_s']}/s), "
        f"{throughput['missing']} missing, {throughput['duplicates']} duplicates"
    )
    log(
        f"  alert latency: median {latency['median_ms']} ms, p95 {latency['p95_ms']} ms, max {latency['max_ms']} ms, "
        f"{latency['missing']} missing, {latency['duplicates']} duplicates"
    )
    return [throughput, latency]


def run(engines: list[tuple[str, str]], log: Callable[[str], None]) -> list[dict]:
    """`engines` as bench.__main__.engines gives them (the plant URLs): each gets its own database."""
    entries = []
    for engine, plant_url in engines:
        url = url_for_engine(engine, plant_url)
        log(f"alerts ({engine}): {sa.make_url(url).render_as_string(hide_password=True)}")
        entries += run_engine(engine, url, log)
    return entries
