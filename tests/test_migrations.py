"""Migrations build the whole schema from an empty database, on SQLite and PostgreSQL,
and match the models exactly (no change left out of a migration)."""

import hashlib
import json
import os
import uuid
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from app import create_app
from app.audit.verify import verify_chain
from app.extensions import db
from app.models import AuditEvent
from app.models.db_setup import include_name
from config import TestConfig, normalise_database_url


@pytest.fixture
def empty_database(tmp_path):
    """A brand-new empty database of the engine under test."""
    server = os.environ.get("TEST_DATABASE_URL")
    if not server:
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    server_url = sa.make_url(normalise_database_url(server))
    name = f"lotline_migtest_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield server_url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_upgrade_from_empty_matches_models(empty_database):
    app = create_app(TestConfig, {"SQLALCHEMY_DATABASE_URI": empty_database})
    with app.app_context():
        assert sa.inspect(db.engine).get_table_names() == []
        upgrade()
        tables = set(sa.inspect(db.engine).get_table_names())
        assert {t.name for t in db.metadata.sorted_tables} <= tables
        with db.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True, "include_name": include_name})
            diff = compare_metadata(context, db.metadata)
        assert diff == [], f"models and migrations differ: {diff}"
        db.engine.dispose()


def test_downgrade_to_base_and_upgrade_again(empty_database):
    app = create_app(TestConfig, {"SQLALCHEMY_DATABASE_URI": empty_database})
    with app.app_context():
        upgrade()
        downgrade(revision="base")
        assert set(sa.inspect(db.engine).get_table_names()) <= {"alembic_version"}
        upgrade()
        assert "complaints" in sa.inspect(db.engine).get_table_names()
        db.engine.dispose()


def test_0002_links_lot_codes_of_existing_complaints(empty_database):
    app = create_app(TestConfig, {"SQLALCHEMY_DATABASE_URI": empty_database})
    with app.app_context():
        upgrade(revision="0001")
        with db.engine.begin() as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO users (id, username, name, email, password_hash, active, created_at, version)"
                    " VALUES (1, 'u', 'U', 'u@x.org', 'x', true, '2026-01-01', 1)"
                )
            )
            conn.execute(sa.text("INSERT INTO customers (id, name, kind, version) VALUES (1, 'C', 'other', 1)"))
            conn.execute(
                sa.text(
                    "INSERT INTO products (id, sku, name, unit, kind, version) VALUES (1, 'P', 'P', 'kg', 'raw', 1)"
                )
            )
            conn.execute(
                sa.text(
                    "INSERT INTO complaints (id, reference, status, received_at, channel, customer_id, product_id,"
                    " lot_codes, description, category, injury, sample_available, created_by_id, created_at,"
                    " updated_at, version) VALUES (1, 'CMP-2026-0001', 'new', '2026-01-01', 'phone', 1, 1,"
                    " 'L1, L2;L1  L3', 'd', 'other', false, false, 1, '2026-01-01', '2026-01-01', 1)"
                )
            )
        upgrade()
        with db.engine.connect() as conn:
            codes = conn.execute(sa.text("SELECT lot_code FROM complaint_lots ORDER BY lot_code")).scalars().all()
        assert codes == ["L1", "L2", "L3"]
        db.engine.dispose()


def test_new_indexes_get_sqlite_statistics_where_there_are_some(tmp_path):
    """0010 analyzes its indexes on a SQLite database that keeps statistics (ANALYZE was run):
    an index missing from sqlite_stat1 is taken for a very selective one."""
    if os.environ.get("TEST_DATABASE_URL"):
        pytest.skip("SQLite statistics")
    app = create_app(TestConfig, {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'stats.db'}"})
    with app.app_context():
        upgrade(revision="0009")
        with db.engine.begin() as conn:  # ANALYZE writes statistics of tables with rows
            conn.execute(
                sa.text(
                    "INSERT INTO products (id, sku, name, unit, kind, version) VALUES (1, 'P', 'P', 'kg', 'raw', 1)"
                )
            )
            conn.execute(
                sa.text(
                    "INSERT INTO lots (code, product_id, kind, quantity, unit, produced_on, status, version) "
                    "VALUES ('L1', 1, 'raw', 1, 'kg', '2026-01-01', 'released', 1)"
                )
            )
            conn.execute(sa.text("ANALYZE"))
            assert "ix_lots_product_id" in set(conn.scalars(sa.text("SELECT idx FROM sqlite_stat1")))
        upgrade()
        with db.engine.connect() as conn:
            analyzed = set(conn.scalars(sa.text("SELECT idx FROM sqlite_stat1")))
        assert "ix_lots_product_code" in analyzed and "ix_lots_product_id" not in analyzed
        db.engine.dispose()


def test_0011_moves_contained_incidents_to_investigating_and_keeps_search(empty_database):
    """0011: the "contained" state goes (the incident keeps its containment text); recalls get
    extends_id without losing the triggers that keep their search index (SQLite)."""
    app = create_app(TestConfig, {"SQLALCHEMY_DATABASE_URI": empty_database})
    with app.app_context():
        upgrade(revision="0010")
        with db.engine.begin() as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO users (id, username, name, email, password_hash, active, created_at, version)"
                    " VALUES (1, 'u', 'U', 'u@x.org', 'x', true, '2026-01-01', 1)"
                )
            )
            for n, status in enumerate(("contained", "open", "closed"), start=1):
                conn.execute(
                    sa.text(
                        "INSERT INTO incidents (id, reference, status, title, description, owner_id, containment,"
                        " created_by_id, created_at, updated_at, version) VALUES (:n, :ref, :status, 't', 'd', 1,"
                        " 'Held.', 1, '2026-01-01', '2026-01-01', 1)"
                    ),
                    {"n": n, "ref": f"INC-2026-000{n}", "status": status},
                )
        upgrade()
        with db.engine.connect() as conn:
            states = conn.execute(sa.text("SELECT status, containment FROM incidents ORDER BY id")).all()
            assert [tuple(r) for r in states] == [("investigating", "Held."), ("open", "Held."), ("closed", "Held.")]
            assert "extends_id" in {c["name"] for c in sa.inspect(conn).get_columns("recalls")}
            if conn.dialect.name == "sqlite":
                triggers = conn.execute(
                    sa.text("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'recalls'")
                ).scalars()
                assert set(triggers) == {"fts_recalls_ai", "fts_recalls_ad", "fts_recalls_au"}
        db.engine.dispose()


def _legacy_events(conn, rows: list[tuple[str, str]]) -> list[str]:
    """Audit events chained the way revision 0012 did (plain SHA-256): (actor, action) each."""
    prev, hashes = "0" * 64, []
    for n, (actor, action) in enumerate(rows, start=1):
        created = datetime(2026, 1, n, 12, 0, tzinfo=UTC)
        payload = [prev, created.isoformat(timespec="microseconds"), None, actor, "complaint", n, f"CMP-{n}"]
        payload += [action, "{}"]
        digest = hashlib.sha256(json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()).hexdigest()
        conn.execute(
            sa.text(
                # ids from the sequence, as the app wrote them (the migration appends after them)
                "INSERT INTO audit_events (created_at, actor_id, actor_name, record_type, record_id,"
                " record_label, action, changes, prev_hash, hash) VALUES (:at, NULL, :actor, 'complaint', :n,"
                " :label, :action, '{}', :prev, :hash)"
            ),
            {"n": n, "at": created.replace(tzinfo=None), "actor": actor, "label": f"CMP-{n}", "action": action}
            | {"prev": prev, "hash": digest},
        )
        prev = digest
        hashes.append(digest)
    return hashes


@pytest.mark.parametrize("broken", [False, True])
def test_0013_seals_the_existing_chain_and_records_what_it_was(empty_database, broken):
    """0013: the SHA-256 chain becomes an HMAC chain under AUDIT_KEY; every event keeps its
    content; one "sealed" event says whether the old chain was intact and what its head was."""
    app = create_app(TestConfig, {"SQLALCHEMY_DATABASE_URI": empty_database})
    with app.app_context():
        upgrade(revision="0012")
        with db.engine.begin() as conn:
            hashes = _legacy_events(conn, [("Ann", "created"), ("Bob", "triage"), ("Cy", "closed")])
            if broken:
                conn.execute(sa.text("UPDATE audit_events SET actor_name = 'Mallory' WHERE record_id = 2"))
        upgrade()
        events = db.session.scalars(sa.select(AuditEvent).order_by(AuditEvent.id)).all()
        assert [(e.actor_name, e.action) for e in events[:3]] == [
            ("Ann", "created"),
            ("Mallory" if broken else "Bob", "triage"),
            ("Cy", "closed"),
        ]
        assert events[3].action == "sealed" and events[3].record_type == "audit"
        note = json.loads(events[3].changes)["note"]
        assert f"3 events re-sealed. The SHA-256 chain they had {'was broken' if broken else 'was intact'}" in note
        assert hashes[-1] in note
        assert not {e.hash for e in events} & set(hashes)  # none keeps its unkeyed hash
        assert verify_chain().ok
        db.session.remove()
        db.engine.dispose()


def _legacy_answers(conn, answers: dict[int, tuple]) -> None:
    """Write answers as revision 0012 stored them: one set of totals per notice."""
    for notice_id, (on_hand, returned, destroyed) in answers.items():
        conn.execute(
            sa.text(
                "UPDATE recall_notices SET quantity_on_hand = :h, quantity_returned = :r, quantity_destroyed = :d,"
                " responded_at = '2026-12-01 10:00:00', response_source = 'link', response_by = 'Ann',"
                " distributed_further = false WHERE id = :id"
            ),
            {"h": on_hand, "r": returned, "d": destroyed, "id": notice_id},
        )


def test_0014_shares_out_the_answers_recorded_before_and_loses_none(empty_database):
    """0014: an answer of a one-lot notice becomes that lot's answer; a several-lot notice's
    totals are shared out in proportion to what was shipped (adding up exactly) and marked; the
    totals stay as given; an answer above what was shipped is kept (counted apart, unflagged)."""
    from decimal import Decimal

    from app.models import RecallNotice, RecallNoticeLine
    from app.recalls import responses, services
    from tests import factories

    app = create_app(TestConfig, {"SQLALCHEMY_DATABASE_URI": empty_database})
    with app.app_context():
        upgrade()
        plant = factories.make_plant()  # Shop One: FIN-A 15 + FIN-B 3; Shop Two: FIN-A 7
        extra = factories.make_customer(name="Shop Three")
        factories.make_shipment(plant["a"], extra, quantity=402)
        recall = services.propose(plant["incident"], factories.RECALL_DATA, [plant["raw"].id], plant["proposer"])
        services.approve(recall, factories.make_user(("marketing",)), "approved", factories.PASSWORD)
        db.session.commit()
        ids = {n.consignee_id: n.id for n in db.session.scalars(sa.select(RecallNotice))}
        one, two, three = ids[plant["shop1"].id], ids[plant["shop2"].id], ids[extra.id]
        lot_a, lot_b = plant["a"].id, plant["b"].id
        recall_id = recall.id
        db.session.remove()

        downgrade(revision="0012")
        with db.engine.begin() as conn:
            assert "received_elsewhere" not in {c["name"] for c in sa.inspect(conn).get_columns("recall_notices")}
            # Shop One: 2 on hand, 10 returned, 1.5 destroyed of its 18; Shop Two: 7 returned of 7;
            # Shop Three: "9,999 returned" of 402, as the old form took it.
            _legacy_answers(conn, {one: ("2", "10", "1.5"), two: ("0", "7", "0"), three: ("0", "9999", "0")})
        upgrade()

        with db.engine.connect() as conn:
            lines = {
                (r.notice_id, r.lot_id): (r.quantity_on_hand, r.quantity_returned, r.quantity_destroyed)
                for r in conn.execute(sa.select(RecallNoticeLine.__table__))
            }
            notices = {r.id: r for r in conn.execute(sa.select(RecallNotice.__table__))}
        d = Decimal
        # 15/18 and 3/18 of each total, rounded down to 0.001, the rest on FIN-A (shipped most).
        assert lines[(one, lot_a)] == (d("1.667"), d("8.334"), d("1.250"))
        assert lines[(one, lot_b)] == (d("0.333"), d("1.666"), d("0.250"))
        assert lines[(two, lot_a)] == (d(0), d(7), d(0))
        assert lines[(three, lot_a)] == (d(0), d(9999), d(0))
        for notice_id, totals in ((one, ("2", "10", "1.5")), (two, ("0", "7", "0")), (three, ("0", "9999", "0"))):
            row = notices[notice_id]
            assert (row.quantity_on_hand, row.quantity_returned, row.quantity_destroyed) == tuple(map(d, totals))
            assert sum(lines[k][1] for k in lines if k[0] == notice_id) == d(totals[1])  # adds up exactly
            assert row.responded_at is not None and row.received_elsewhere in (False, 0)
        assert notices[one].answer_shared_out in (True, 1) and notices[two].answer_shared_out in (False, 0)

        figures = responses.effectiveness(db.session.get(type(recall), recall_id))
        assert figures.shipped == d(427) and figures.beyond_shipped == d(9999 - 402)
        assert figures.beyond_flagged == 0 and figures.beyond_unflagged == d(9597)
        assert figures.accounted == d("13.5") + 7 + 402 and figures.accounted_percent <= 100
        db.session.remove()
        db.engine.dispose()


def test_0014_upgrades_a_database_of_demo_data(empty_database):
    """The demo data, taken back to 0012 (per-lot answers and the keyed audit chain undone) and
    upgraded again: every row is still there, and the chain verifies."""
    from app.demo import load

    app = create_app(TestConfig, {"SQLALCHEMY_DATABASE_URI": empty_database})
    with app.app_context():
        upgrade()
        load("small")
        db.session.commit()
        tables = [t.name for t in db.metadata.sorted_tables]

        def counts():
            with db.engine.connect() as conn:
                return {t: conn.scalar(sa.text(f"SELECT count(*) FROM {t}")) for t in tables}  # noqa: S608

        before = counts()
        assert before["customers"] and before["lots"] and before["shipments"]
        db.session.remove()
        downgrade(revision="0012")
        upgrade()
        assert counts() == {**before, "audit_events": before["audit_events"] + 1}  # 0013's "sealed" event
        assert verify_chain().ok
        db.engine.dispose()
