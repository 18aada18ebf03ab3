"""The work a plant's people leave behind, added once to the page bench's database.

plant-1M holds lots, genealogy, shipments, master data and complaints, but none of what
people make of them: incidents, CAPA actions, recalls with their notices and answers, press
inquiries and statements, alerts and emails. `ensure` adds them ONCE, through the app's own
services (so audit events, trace snapshots, notices, alerts and outbox rows are what real use
writes), commits, and records it in bench_meta (name "scenario", with VERSION). A database
whose scenario is missing, half built or of another version is reset to the bare plant (the
tables only the scenario fills are emptied, its users, audit events and counters removed, its
lots released again) and built again; the plant itself is never rebuilt for it.

The recall's root is the widest raw lot whose forward trace shares no lot with the mock
recall's (bench/recall.py recalls the widest of all, in transactions rolled back): so the mock
recall still finds every lot of its scope released, as it did before the scenario existed.
"""

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from flask import current_app

from app.alerts import inbox
from app.alerts.defaults import install_default_rules
from app.auth.services import create_user, update_user
from app.demo.masters import DEMO_PASSWORD
from app.extensions import db
from app.models import AuditEvent, Lot, LotInput, User
from app.trace import engine

from . import database, scenario_press, scenario_recall, scenario_work
from .recall import PASSWORD

# Bump when the scenario changes shape: bench databases then get the new one on the next run.
VERSION = 3
# Tables only the scenario fills (plant-1M leaves them empty): emptied by a reset.
SCENARIO_TABLES = (
    "alert_marks",
    "alert_rule_users",
    "alert_rules",
    "alerts",
    "outbox",
    "attachments",
    "comments",
    "signatures",
    "incident_whys",
    "incident_complaints",
    "incident_lots",
    "actions",
    "recall_notice_lines",
    "recall_notices",
    "recall_lots",
    "press_inquiries",
    "statement_versions",
    "statements",
    "recalls",
    "incidents",
)
FIRST_NAMES = ("Ana", "Ben", "Chloé", "Dario", "Eva", "Farid", "Greta", "Hugo", "Ines", "Jonas", "Kim", "Lena")
LAST_NAMES = ("Moreau", "Berger", "Rossi", "Novak", "Dubois", "Lindqvist", "Okafor", "Petit", "Sato", "Weber")
# Staff beside the plant's four users: who owns actions, answers the press, reads alerts.
STAFF = (("production", 10), ("sales", 8), ("marketing", 3), ("admin", 1))


@dataclass(frozen=True)
class Sizes:
    """How much of each record the scenario makes (plant scale, or a tiny one for tests)."""

    incidents: int = 300
    inquiries: int = 300
    statements: int = 60
    small_recalls: int = 6
    main_complaints: int = 20
    candidates: int = 30  # raw lots traced to choose the recall's root


TINY = Sizes(incidents=12, inquiries=8, statements=6, small_recalls=2, main_complaints=4, candidates=5)


@dataclass
class Cast:
    """The plant's four users (password "demo") and the scenario's staff."""

    plant: dict[str, User]
    staff: dict[str, list[User]]

    def __getattr__(self, role: str) -> User:
        try:
            return self.__dict__["plant"][role]
        except KeyError:
            raise AttributeError(role) from None

    def password(self, user: User) -> str:
        return DEMO_PASSWORD if user in self.plant.values() else PASSWORD

    def pick(self, role: str, n: int) -> User:
        """Staff of a role in turn, the plant's own user every third time."""
        people = self.staff[role]
        return self.plant[role] if n % 3 == 0 else people[n % len(people)]


def _people() -> Cast:
    plant = {}
    for user in db.session.scalars(sa.select(User).order_by(User.id)):
        for role in user.roles:
            plant.setdefault(role, user)
    admin = plant["admin"]
    staff: dict[str, list[User]] = {}
    n = 0
    for role, count in STAFF:
        for _ in range(count):
            first, last = FIRST_NAMES[n % len(FIRST_NAMES)], LAST_NAMES[(n * 7) % len(LAST_NAMES)]
            username = f"{first[0].lower()}.{last.lower()}{n}"
            user = create_user(
                username=username,
                name=f"{first} {last}",
                email=f"{username}@lotline.example",
                password=PASSWORD,
                roles=[role],
                timezone="Europe/Paris" if n % 2 else None,
                actor=admin,
            )
            staff.setdefault(role, []).append(user)
            n += 1
    for left in (staff["sales"][-1], staff["production"][-1]):  # people leave: their accounts stay
        update_user(left, actor=admin, active=False)
    for role in staff:
        staff[role] = [u for u in staff[role] if u.active]
    db.session.flush()
    return Cast(plant, staff)


def candidate_roots(limit: int) -> list[int]:
    """Raw lots ranked by a two-step estimate of their reach (outputs of outputs), as
    bench.recall.widest_raw_lot ranks them."""
    edges, lots = LotInput.__table__, Lot.__table__
    first, second = edges.alias("first"), edges.alias("second")
    return list(
        db.session.scalars(
            sa.select(first.c.input_lot_id)
            .join(lots, sa.and_(lots.c.id == first.c.input_lot_id, lots.c.kind == "raw"))
            .join(second, second.c.input_lot_id == first.c.output_lot_id)
            .group_by(first.c.input_lot_id)
            .order_by(sa.func.count().desc(), first.c.input_lot_id)
            .limit(limit)
        )
    )


def choose_roots(limit: int) -> tuple[int, set[int], int]:
    """(the widest raw lot, its forward trace, the recall's root): the root is the widest
    candidate whose trace does not touch the widest lot's (the widest itself on a tiny plant)."""
    traces = {lot: {r.id for r in engine.forward([lot])} | {lot} for lot in candidate_roots(limit)}
    widest = max(traces, key=lambda lot: (len(traces[lot]), -lot))
    apart = [lot for lot in traces if lot != widest and not traces[lot] & traces[widest]]
    root = max(apart, key=lambda lot: (len(traces[lot]), -lot)) if apart else widest
    return widest, traces[widest], root


def build(log: Callable[[str], None], sizes: Sizes = Sizes()) -> dict:
    """Make the scenario's records, committed step by step; returns the ids the page bench
    opens, the counts made and the seconds taken."""
    started = time.perf_counter()
    steps = _Steps(log)
    cast = _people()
    install_default_rules()  # what an installation starts with: every event below alerts someone
    db.session.commit()
    steps.done("users and alert rules")
    widest, widest_trace, root = choose_roots(sizes.candidates)
    steps.done(f"recall root chosen: lot {root} (the mock recall's widest raw lot is {widest})")
    facts = {"widest_lot": widest, "recall_root": root}
    facts |= scenario_work.main_incident(cast, root, sizes)
    db.session.commit()
    steps.done("main incident: traced, held, analysed, with actions")
    facts |= scenario_work.incidents_with_actions(cast, sizes, exclude=facts["main_complaints"])
    db.session.commit()
    steps.done(f"{sizes.incidents} incidents with their actions")
    for user in (cast.sales, *cast.staff["sales"]):  # people read their alerts now and then
        inbox.mark_all_read(user.id)
    facts |= scenario_recall.main_recall(cast, facts["main_incident"], root, log)
    db.session.commit()
    steps.done("main recall: proposed, approved, notices sent, answers in")
    keep = {facts["open_incident"]}
    facts |= scenario_recall.small_recalls(cast, facts["escalated"], widest_trace, sizes, keep)
    db.session.commit()
    steps.done("smaller recalls")
    facts |= scenario_press.press_work(cast, facts, sizes)
    db.session.commit()
    steps.done("press inquiries and statements")
    scenario_recall.worker_outcome()
    db.session.commit()
    steps.done("outbox: sent and failed as the worker leaves them")
    facts["users"] = {role: user.id for role, user in cast.plant.items()}
    facts["counts"] = counts()
    facts["seconds"] = round(time.perf_counter() - started, 1)
    return facts


class _Steps:
    def __init__(self, log: Callable[[str], None]):
        self.log, self.started = log, time.perf_counter()

    def done(self, what: str) -> None:
        now = time.perf_counter()
        self.log(f"    {what}: {now - self.started:.1f} s")
        self.started = now


def counts() -> dict[str, int]:
    """Rows of each scenario table (and of the audit trail)."""
    names = (*SCENARIO_TABLES, "audit_events")
    tables = {t.name: t for t in db.metadata.sorted_tables}
    return {name: db.session.scalar(sa.select(sa.func.count()).select_from(tables[name])) for name in names}


# -- bench_meta: built once, per version -------------------------------------------------------


def _read(conn) -> dict | None:
    value = conn.scalar(sa.select(database.META.c.value).where(database.META.c.name == "scenario"))
    return json.loads(value) if value else None


def _write(conn, meta: dict) -> None:
    conn.execute(sa.delete(database.META).where(database.META.c.name == "scenario"))
    conn.execute(sa.insert(database.META).values(name="scenario", value=json.dumps(meta)))


def reset(marks: dict) -> None:
    """Back to the bare plant: what a scenario (of any version, finished or not) added goes."""
    tables = {t.name: t for t in db.metadata.sorted_tables}
    with db.engine.begin() as conn:
        for stored in conn.scalars(sa.select(tables["attachments"].c.stored_name)):
            (Path(current_app.config["UPLOAD_DIR"]) / stored).unlink(missing_ok=True)
        for table in reversed(db.metadata.sorted_tables):
            if table.name in SCENARIO_TABLES:
                conn.execute(sa.delete(table))
        users, roles = tables["users"], tables["user_roles"]
        conn.execute(sa.delete(roles).where(roles.c.user_id > marks["users_from"]))
        conn.execute(sa.delete(users).where(users.c.id > marks["users_from"]))
        # The chain's prefix (the plant's own events) stays intact and verifiable.
        conn.execute(sa.delete(AuditEvent.__table__).where(AuditEvent.__table__.c.id > marks["audit_from"]))
        counters = tables["reference_counters"]
        conn.execute(sa.delete(counters).where(counters.c.prefix != "CMP"))
        lots = tables["lots"]
        conn.execute(
            sa.update(lots)
            .where(lots.c.version > 1)
            .values(status="released", status_reason=None, status_changed_at=None, version=1)
        )


def ensure(log: Callable[[str], None], sizes: Sizes = Sizes()) -> dict:
    """The scenario's facts: reused when this version was built completely, else (re)built."""
    db.session.remove()
    with db.engine.connect() as conn:
        meta = _read(conn)
    if meta and meta.get("version") == VERSION and meta.get("state") == "done":
        log(f"  reusing the scenario (version {VERSION}, built in {meta['facts']['seconds']} s)")
        scenario_work.restore_files()
        return meta["facts"]
    if meta:
        log(f"  resetting the scenario ({meta.get('state')}, version {meta.get('version')}) ...")
        reset(meta)
    marks = {
        "version": VERSION,
        "state": "building",
        "users_from": db.session.scalar(sa.select(sa.func.max(User.id))) or 0,
        "audit_from": db.session.scalar(sa.select(sa.func.max(AuditEvent.id))) or 0,
    }
    db.session.remove()
    with db.engine.begin() as conn:  # marked before anything is added, so a crash can be undone
        _write(conn, marks)
    log(f"  building the scenario (version {VERSION}) ...")
    facts = build(log, sizes)
    db.session.remove()
    with db.engine.begin() as conn:
        _write(conn, marks | {"state": "done", "facts": facts})
    database.analyze()
    log(f"  scenario built in {facts['seconds']} s: {facts['counts']}")
    return facts
