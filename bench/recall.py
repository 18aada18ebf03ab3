"""Recall benches.

`recall report`: the full recall report PDF of a recall with 10,000 consignees, on a database
of its own (instance/bench/recall.db; on PostgreSQL the database of BENCH_DATABASE_URL with
`_recall` added), rebuilt each run with bulk inserts (a few seconds). Most consignees are told
by email (the outbox row sent, some failed), some by phone; 60% answered; the recall's
timeline holds one audit event per answer and per phone call, as the services write them.
The report (load + build) is timed in a subprocess, a fresh session per call: the median of
REPORT_RUNS calls after a warm-up. Memory, two figures: the subprocess's peak resident set
(VmHWM of /proc/self/status: the whole process, interpreter, app and PDF; its size before the
first report is given too), and the tracemalloc peak of one more, untimed, report (the Python
memory the report itself takes). Not ru_maxrss: Linux keeps it across fork and exec, so a
child of this bench process reports the bench's own peak (523 MB for a child of 10 MB in a
trial).

`mock recall`: on plant-1M, the raw lot whose forward trace reaches the most lots, recalled
end to end: propose (forward trace scope), approve (signed; lots recalled, notices built from
the shipments), then the full recall report PDF. Each run is one transaction rolled back
afterwards, so plant-1M is left as it was.
"""

import json
import resource
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa
from flask_migrate import upgrade

from app.audit import services as audit
from app.auth.services import create_user
from app.complaints.services import create_complaint
from app.extensions import db
from app.incidents.services import create_incident
from app.models import (
    Complaint,
    Customer,
    Lot,
    LotInput,
    OutboxMessage,
    Product,
    Recall,
    RecallLot,
    RecallNotice,
    Shipment,
)
from app.recalls import services
from app.recalls.report_data import recall_report_data
from app.reports.recall import build_recall_report, build_status_report
from app.trace import engine
from config import BASE_DIR

from . import database
from .alerts import _ensure_postgresql_database

CONSIGNEES = 10_000
FINISHED_LOTS = 200
REPORT_RUNS = 5
MOCK_RUNS = 3
TARGET_REPORT_MS = 3000.0
TARGET_REPORT_MB = 300.0
TARGET_MOCK_MS = 5000.0
PG_SUFFIX = "_recall"
PASSWORD = "bench-password-1"  # noqa: S105 (throwaway bench users, needed to sign)
RECALL = dict(
    title="Metal fragments in oat bars",
    reason="Metal found at the detector after a sieve broke on line 2.",
    hazard="Small metal pieces can cut the mouth or throat.",
    classification="II",
    depth="retail",
    public_warning=False,
    effectiveness_level="C",
    effectiveness_percent=None,
    remedy="refund",
    instructions="Stop selling, take the product off the shelf and return it.",
    estimated_completion=date(2026, 12, 31),
)


def sqlite_url() -> str:
    return f"sqlite:///{database.BENCH_DIR / 'recall.db'}"


def postgresql_url(plant_url: str) -> str:
    url = sa.make_url(plant_url)
    return url.set(database=f"{url.database}{PG_SUFFIX}").render_as_string(hide_password=False)


def _users(suffix: str = "") -> dict:
    roles = {"proposer": "marketing", "approver": "marketing", "owner": "production"}
    return {
        key: create_user(
            username=f"bench-{key}{suffix}",
            name=f"Bench {key.capitalize()}",
            email=f"bench-{key}{suffix}@example.com",
            password=PASSWORD,
            roles=[role],
        )
        for key, role in roles.items()
    }


def _incident(owner, complaint_id: int):
    return create_incident(
        [complaint_id],
        dict(
            title="Metal in oat bars", description="Metal pieces found.", owner_id=owner.id, severity=4, probability=3
        ),
        owner,
    )


# -- recall report: a data set of its own ----------------------------------------------------


def fresh_database(url: str) -> None:
    if url.startswith("postgresql"):
        name = sa.make_url(url).database or ""
        if not name.endswith(PG_SUFFIX):  # never drop a schema that is not this bench's own
            raise RuntimeError(f"refusing to reset {name!r}: the recall bench database ends with {PG_SUFFIX}")
        _ensure_postgresql_database(url)
    database._reset(url)


def _plant(users: dict) -> tuple[int, int]:
    """A raw lot made into FINISHED_LOTS lots, each consignee receiving two of them; the
    raw lot's id and a complaint's id."""
    raw_product = Product(sku="RAW-OATS", name="Rolled oats", unit="kg", kind="raw")
    bar = Product(sku="BAR-150", name="Oat bar 150 g", unit="case", kind="finished")
    db.session.add_all([raw_product, bar])
    db.session.flush()
    made = date(2026, 1, 5)
    raw = Lot(code="RAW-0001", product_id=raw_product.id, kind="raw", quantity=5000, unit="kg", produced_on=made)
    db.session.add(raw)
    db.session.flush()
    db.session.execute(
        sa.insert(Lot),
        [
            dict(code=f"BAR-{n:04d}", product_id=bar.id, kind="finished", quantity=2000, unit="case", produced_on=made)
            for n in range(FINISHED_LOTS)
        ],
    )
    finished = db.session.scalars(sa.select(Lot.id).where(Lot.kind == "finished").order_by(Lot.code)).all()
    db.session.execute(sa.insert(LotInput), [dict(input_lot_id=raw.id, output_lot_id=lot) for lot in finished])
    db.session.execute(
        sa.insert(Customer),
        [
            dict(
                name=f"Consignee {n:05d} Markt",
                kind="retailer",
                country="DE",
                email=f"store{n}@example.com" if n % 10 < 8 else None,
                phone=None if n % 10 < 8 else f"+49 30 {n:07d}",
                version=1,
            )
            for n in range(CONSIGNEES)
        ],
    )
    customers = db.session.scalars(sa.select(Customer.id).order_by(Customer.id)).all()
    shipments = [
        dict(
            lot_id=finished[(n * k) % FINISHED_LOTS],
            consignee_id=customer,
            quantity=10 + n % 40,
            shipped_on=date(2026, 2, 1),
            reference=f"BOL-{n}-{k}",
        )
        for n, customer in enumerate(customers)
        for k in (1, 7)
    ]
    for start in range(0, len(shipments), 5000):
        db.session.execute(sa.insert(Shipment), shipments[start : start + 5000])
    complaint = create_complaint(
        dict(
            received_at=datetime.now(UTC),
            channel="phone",
            customer_id=customers[0],
            product_id=bar.id,
            lot_codes="BAR-0001",
            description="Metal piece in the bar.",
            category="foreign_matter",
            injury=False,
            sample_available=True,
        ),
        users["owner"],
    )
    return raw.id, complaint.id


def _notify_and_answer(recall: Recall, users: dict) -> None:
    """What weeks of a recall leave behind, in bulk: emails sent (2% failed), phone calls
    for those without email, 60% answered; one audit event per call and per answer."""
    notices = db.session.execute(
        sa.select(RecallNotice.id, Customer.email, Customer.name)
        .join(Customer, Customer.id == RecallNotice.consignee_id)
        .where(RecallNotice.recall_id == recall.id)
        .order_by(RecallNotice.id)
    ).all()
    sent_at = (recall.approved_at or datetime.now(UTC)) + timedelta(minutes=5)
    emailed = [n for n in notices if n.email]
    outbox = [
        dict(
            event="recall.notice",
            record_type="recall",
            record_id=recall.id,
            to_address=n.email,
            subject=f"URGENT: PRODUCT RECALL — {recall.reference}",
            body_text="The recall notice.",
            priority="high",
            message_id=f"<bench-{n.id}@lotline.example>",
            status="failed" if i % 50 == 0 else "sent",
            attempts=1,
            next_attempt_at=sent_at,
            created_at=sent_at,
            sent_at=None if i % 50 == 0 else sent_at,
        )
        for i, n in enumerate(emailed)
    ]
    for start in range(0, len(outbox), 5000):
        db.session.execute(sa.insert(OutboxMessage), outbox[start : start + 5000])
    outbox_ids = dict(db.session.execute(sa.select(OutboxMessage.message_id, OutboxMessage.id)).all())
    table = RecallNotice.__table__
    update = sa.update(table).where(table.c.id == sa.bindparam("nid"))
    db.session.execute(
        update.values(status="queued", method="email", outbox_id=sa.bindparam("oid")),
        [dict(nid=n.id, oid=outbox_ids[f"<bench-{n.id}@lotline.example>"]) for n in emailed],
    )
    phoned = [n for n in notices if not n.email]
    db.session.execute(
        update.values(status="notified", method="phone", notified_at=sa.bindparam("at")),
        [dict(nid=n.id, at=sent_at + timedelta(hours=2)) for n in phoned],
    )
    answered = [n for i, n in enumerate(notices) if i % 10 < 6]
    db.session.execute(
        update.values(
            responded_at=sa.bindparam("at"),
            response_source="manual",
            response_by="Store manager",
            quantity_on_hand=sa.bindparam("on_hand"),
            quantity_returned=sa.bindparam("returned"),
            quantity_destroyed=0,
            distributed_further=False,
        ),
        [
            dict(nid=n.id, at=sent_at + timedelta(days=1 + i % 9), on_hand=i % 3, returned=10 + i % 20)
            for i, n in enumerate(answered)
        ],
    )
    for action, count, changes in (
        ("consignee notified", len(phoned), {"method": [None, "phone"], "status": ["pending", "notified"]}),
        ("response received", len(answered), {"quantity_returned": [None, "12"], "response_by": [None, "Manager"]}),
    ):
        records = [(recall.id, recall.reference)] * count
        audit.record_many(action, "recall", records, changes=changes, actor=users["approver"])


def seed_report(url: str, log: Callable[[str], None]) -> int:
    """The 10,000-consignee recall on a fresh database of its own; returns its id."""
    fresh_database(url)
    app = database.make_app(url)
    with app.app_context():
        started = time.perf_counter()
        upgrade()
        users = _users()
        raw_id, complaint_id = _plant(users)
        incident = _incident(users["owner"], complaint_id)
        recall = services.propose(incident, RECALL, [raw_id], users["proposer"])
        services.approve(recall, users["approver"], "approved", PASSWORD)
        _notify_and_answer(recall, users)
        recall_id = recall.id
        db.session.commit()
        database.analyze()
        count = db.session.scalar(sa.select(sa.func.count()).where(RecallNotice.recall_id == recall_id))
        log(f"  {count:,} consignees, {FINISHED_LOTS + 1} lots: built in {time.perf_counter() - started:.1f} s")
        db.session.remove()
        db.engine.dispose()
    return recall_id


def _rss_mb(field: str) -> float:
    """VmRSS (now) or VmHWM (peak since exec) of this process, in MB; ru_maxrss elsewhere."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith(f"{field}:"):
                    return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _report(recall_id: int, build) -> bytes:
    db.session.expunge_all()  # each call starts from an empty session, as a request does
    recall = db.session.get(Recall, recall_id)
    pdf = build(recall_report_data(recall, with_timeline=build is build_recall_report))
    db.session.rollback()
    return pdf


def measure_report(url: str, recall_id: int, runs: int) -> dict:
    """In the subprocess: time `runs` full reports (and status reports) after a warm-up,
    then one more full report under tracemalloc."""
    app = database.make_app(url)
    with app.app_context():
        before = _rss_mb("VmRSS")
        full, cpu, status = [], [], []
        for attempt in range(runs + 1):
            for samples, build in ((full, build_recall_report), (status, build_status_report)):
                started, cpu_started = time.perf_counter(), time.process_time()
                pdf = _report(recall_id, build)
                if attempt:  # the first call of each is a warm-up (imports, font metrics, page cache)
                    samples.append((time.perf_counter() - started) * 1000)
                    if build is build_recall_report:
                        cpu.append((time.process_time() - cpu_started) * 1000)
                if build is build_recall_report:
                    size, pages = len(pdf), pdf.count(b"/Type /Page\n")
        peak_rss = _rss_mb("VmHWM")
        tracemalloc.start()
        _report(recall_id, build_recall_report)
        traced_peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        db.session.remove()
        db.engine.dispose()
    return {
        "median_ms": round(statistics.median(full), 1),
        "max_ms": round(max(full), 1),
        # This process's CPU time: what the report costs when other work competes for the CPU.
        "cpu_median_ms": round(statistics.median(cpu), 1),
        "status_median_ms": round(statistics.median(status), 1),
        "pdf_bytes": size,
        "pages": pages,
        "rss_before_report_mb": before,
        "peak_rss_mb": peak_rss,
        "tracemalloc_peak_mb": round(traced_peak / 1024 / 1024, 1),
    }


def time_report(engine_name: str, url: str, log: Callable[[str], None]) -> dict:
    recall_id = seed_report(url, log)
    process = subprocess.run(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "bench.recall", "measure", url, str(recall_id), str(REPORT_RUNS)],
        cwd=BASE_DIR,
        stdout=subprocess.PIPE,
        check=True,
    )
    figures = json.loads(process.stdout.decode().strip().splitlines()[-1])
    entry = {
        "name": "recall report",
        "engine": engine_name,
        "consignees": CONSIGNEES,
        "lots": FINISHED_LOTS + 1,
        "runs": REPORT_RUNS,
        **figures,
        "memory": "peak_rss_mb: VmHWM of the measuring subprocess; tracemalloc_peak_mb: one report's Python memory",
        "target_ms": TARGET_REPORT_MS,
        "target_mb": TARGET_REPORT_MB,
    }
    log(
        f"  recall report ({CONSIGNEES:,} consignees, {entry['pages']:,} pages, {entry['pdf_bytes']:,} bytes): "
        f"median {entry['median_ms']} ms (CPU {entry['cpu_median_ms']} ms, max {entry['max_ms']} ms; "
        f"status report {entry['status_median_ms']} ms), "
        f"peak RSS {entry['peak_rss_mb']} MB ({entry['rss_before_report_mb']} MB before the first report), "
        f"tracemalloc peak {entry['tracemalloc_peak_mb']} MB"
    )
    return entry


# -- mock recall on plant-1M -----------------------------------------------------------------


def widest_raw_lot() -> tuple[int, int]:
    """(raw lot, lots reached): rank raw lots by a two-step estimate in SQL (outputs of
    outputs), then trace the ten best forward and keep the widest."""
    edges, lots = LotInput.__table__, Lot.__table__
    first, second = edges.alias("first"), edges.alias("second")
    candidates = db.session.scalars(
        sa.select(first.c.input_lot_id)
        .join(lots, sa.and_(lots.c.id == first.c.input_lot_id, lots.c.kind == "raw"))
        .join(second, second.c.input_lot_id == first.c.output_lot_id)
        .group_by(first.c.input_lot_id)
        .order_by(sa.func.count().desc(), first.c.input_lot_id)
        .limit(10)
    ).all()
    reach = {lot: engine.reach_count([lot], "forward") for lot in candidates}
    best = max(reach, key=reach.get)
    return best, reach[best]


def mock_recall(engine_name: str, url: str, lots: int, rebuild: bool, log: Callable[[str], None]) -> dict:
    database.prepare(url, lots, rebuild, log)
    app = database.make_app(url)
    with app.app_context():
        started = time.perf_counter()
        root, reached = widest_raw_lot()
        log(f"  widest raw lot {root}: {reached:,} lots reached (found in {time.perf_counter() - started:.1f} s)")
        complaint_id = db.session.scalar(sa.select(Complaint.id).order_by(Complaint.id).limit(1))
        totals, phases, facts = [], [], {}
        for attempt in range(MOCK_RUNS + 1):
            try:
                users = _users(f"-mock{attempt}")  # untimed: password hashing and the incident
                incident = _incident(users["owner"], complaint_id)
                db.session.flush()
                t0 = time.perf_counter()
                recall = services.propose(incident, RECALL, [root], users["proposer"])
                t1 = time.perf_counter()
                services.approve(recall, users["approver"], "approved", PASSWORD)
                t2 = time.perf_counter()
                pdf = build_recall_report(recall_report_data(recall))
                t3 = time.perf_counter()
                facts = {
                    "scope_lots": db.session.scalar(sa.select(sa.func.count()).where(RecallLot.recall_id == recall.id)),
                    "consignees": db.session.scalar(
                        sa.select(sa.func.count()).where(RecallNotice.recall_id == recall.id)
                    ),
                    "pdf_bytes": len(pdf),
                    "pages": pdf.count(b"/Type /Page\n"),
                }
            finally:
                db.session.rollback()  # plant-1M is left exactly as it was
            times = [(t1 - t0) * 1000, (t2 - t1) * 1000, (t3 - t2) * 1000]
            log(
                f"  run {attempt}{'' if attempt else ' (cold, not counted)'}: propose {times[0]:.0f} ms, "
                f"approve {times[1]:.0f} ms, report {times[2]:.0f} ms, total {sum(times):.0f} ms"
            )
            if attempt:
                totals.append(sum(times))
                phases.append(times)
        db.session.remove()
        db.engine.dispose()
    entry = {
        "name": "mock recall",
        "engine": engine_name,
        "root_lot_id": root,
        **facts,
        "median_ms": round(statistics.median(totals), 1),
        "max_ms": round(max(totals), 1),
        "propose_ms": round(statistics.median(p[0] for p in phases), 1),
        "approve_ms": round(statistics.median(p[1] for p in phases), 1),
        "report_ms": round(statistics.median(p[2] for p in phases), 1),
        "runs": MOCK_RUNS,
        "target_ms": TARGET_MOCK_MS,
    }
    log(
        f"  mock recall ({entry['scope_lots']:,} lots, {entry['consignees']:,} consignees, {entry['pages']:,} pages): "
        f"median {entry['median_ms']} ms (propose {entry['propose_ms']}, approve {entry['approve_ms']}, "
        f"report {entry['report_ms']})"
    )
    return entry


def run(engines: list[tuple[str, str]], lots: int, rebuild: bool, log: Callable[[str], None]) -> list[dict]:
    """Both recall entries on each engine (`engines` as bench.__main__.engines gives them)."""
    entries = []
    for engine_name, plant_url in engines:
        url = sqlite_url() if engine_name == "sqlite" else postgresql_url(plant_url)
        log(f"recall report ({engine_name}): {sa.make_url(url).render_as_string(hide_password=True)}")
        entries.append(time_report(engine_name, url, log))
        log(f"mock recall ({engine_name}): {sa.make_url(plant_url).render_as_string(hide_password=True)}")
        entries.append(mock_recall(engine_name, plant_url, lots, rebuild, log))
    return entries


if __name__ == "__main__" and sys.argv[1:2] == ["measure"]:
    _url, _recall_id, _runs = sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    print(json.dumps(measure_report(_url, _recall_id, _runs)), flush=True)
