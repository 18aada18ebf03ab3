"""Time `flask audit verify` on a chain of 1,000,000 audit events, a checkpoint, and the head
a PDF report prints, on a database of its own (SQLite `audit.db`; on PostgreSQL the
BENCH_DATABASE_URL database name + "_audit"). Plant-1M itself holds only a few dozen events
(its bulk tables get one summary event each), so it says little about the walk's speed.

The events are appended the way the app appends them in bulk (audit.record_many, sealed
under AUDIT_KEY), 10,000 per transaction; the database is kept and reused while it has
the wanted number of events and verifies."""

import time

import sqlalchemy as sa
from flask_migrate import upgrade

from app.audit import services as audit
from app.audit.checkpoints import printed_seal, write_checkpoint
from app.audit.verify import verify_chain
from app.extensions import db
from app.models import AuditEvent

from . import database
from .alerts import _ensure_postgresql_database

EVENTS = 1_000_000
BATCH = 10_000
PG_SUFFIX = "_audit"
TARGET_VERIFY_S_PER_MILLION = 60.0  # a nightly job: a minute per million events
TARGET_HEAD_MS = 50.0  # the head every PDF report prints


def url_for_engine(engine: str, plant_url: str | None) -> str:
    if engine == "sqlite":
        return f"sqlite:///{database.BENCH_DIR / 'audit.db'}"
    url = sa.make_url(plant_url)
    return url.set(database=f"{url.database}{PG_SUFFIX}").render_as_string(hide_password=False)


def _fill(events: int, log) -> float:
    """Append `events` events in batches; seconds taken."""
    started = time.perf_counter()
    for first in range(0, events, BATCH):
        records = [(n, f"BENCH-{n:07d}") for n in range(first, min(first + BATCH, events))]
        audit.record_many("bench", "lot", records, changes={"status": ["released", "on_hold"]})
        db.session.commit()
        if first and first % 200_000 == 0:
            log(f"    {first:,} events")
    return time.perf_counter() - started


def run(engines: list[tuple[str, str]], events: int, log) -> list[dict]:
    entries = []
    database.BENCH_DIR.mkdir(parents=True, exist_ok=True)
    for engine, plant_url in engines:
        url = url_for_engine(engine, plant_url)
        if engine == "postgresql":
            _ensure_postgresql_database(url)
        app = database.make_app(url)
        app.config["AUDIT_CHECKPOINT_FILE"] = database.BENCH_DIR / f"audit-checkpoints-{engine}.jsonl"
        with app.app_context():
            upgrade()
            have = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent))
            fill_s = None
            if have != events:
                log(f"  {engine}: appending {events:,} audit events to {url} ...")
                if engine == "postgresql" and not (sa.make_url(url).database or "").endswith(PG_SUFFIX):
                    raise RuntimeError(f"refusing to reset {url}: the audit bench database ends with {PG_SUFFIX}")
                db.session.remove()
                db.engine.dispose()
                database._reset(url)
                upgrade()
                app.config["AUDIT_CHECKPOINT_FILE"].unlink(missing_ok=True)
                fill_s = round(_fill(events, log), 1)
            started = time.perf_counter()
            head = printed_seal()
            head_ms = (time.perf_counter() - started) * 1000
            started = time.perf_counter()
            write_checkpoint("bench")
            checkpoint_ms = (time.perf_counter() - started) * 1000
            started = time.perf_counter()
            result = verify_chain()
            verify_s = time.perf_counter() - started
            db.session.remove()
        per_million = verify_s * 1_000_000 / max(result.checked, 1)
        log(
            f"  {engine}: verify {result.checked:,} events in {verify_s:.1f} s ({'OK' if result.ok else 'BROKEN'}), "
            f"head {head_ms:.0f} ms, checkpoint {checkpoint_ms:.0f} ms"
        )
        entries.append(
            {
                "name": "audit verify",
                "engine": engine,
                "events": result.checked,
                "ok": result.ok,
                "problems": result.problems[:3],
                "verify_s": round(verify_s, 2),
                "verify_s_per_million": round(per_million, 2),
                "target_s_per_million": TARGET_VERIFY_S_PER_MILLION,
                "ratio": round(per_million / TARGET_VERIFY_S_PER_MILLION, 2),
                "head_ms": round(head_ms, 1),
                "target_head_ms": TARGET_HEAD_MS,
                "checkpoint_ms": round(checkpoint_ms, 1),
                "fill_s": fill_s,
                "head_event": head.last_id if head else None,
            }
        )
    return entries


COLUMNS = ("engine", "events", "verify", "per million", "bound", "ratio", "head", "checkpoint", "ok")


def rows(entries: list[dict]) -> list[tuple]:
    return [
        (
            e["engine"],
            f"{e['events']:,}",
            f"{e['verify_s']} s",
            f"{e['verify_s_per_million']} s",
            f"{e['target_s_per_million']} s",
            f"{e['ratio']}x",
            f"{e['head_ms']} ms",
            f"{e['checkpoint_ms']} ms",
            "yes" if e["ok"] else "NO",
        )
        for e in entries
    ]


def missed(e: dict) -> list[str]:
    where = f"{e['engine']} audit verify"
    out = []
    if not e["ok"]:
        out.append(f"{where}: the chain did not verify ({'; '.join(e['problems'])})")
    if e["verify_s_per_million"] > e["target_s_per_million"]:
        out.append(f"{where}: {e['verify_s_per_million']} s per million events > {e['target_s_per_million']} s")
    if e["head_ms"] > e["target_head_ms"]:
        out.append(f"{where}: head {e['head_ms']} ms > {e['target_head_ms']} ms")
    return out
