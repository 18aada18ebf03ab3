"""Incident and recall detail pages list the first rows of a long list and say how many there
are (the reports and CSVs keep every row); holding a whole traced scope binds its lot ids as
one value, however many there are."""

from contextlib import contextmanager

import pytest
import sqlalchemy as sa

from app.audit import services as audit
from app.extensions import db
from app.incidents import scope
from app.models import AuditEvent, Customer, IncidentLot, Lot, Shipment
from app.models.types import utcnow
from app.trace.services import change_status
from tests import factories
from tests.test_export_many_ids import POSTGRESQL_PARAMETERS, SQLITE_PARAMETERS, _bulk, _code, _lowered_sqlite_limit
from tests.test_recall_services import propose


@pytest.fixture
def production(login_as):
    return login_as("production")


def _traced_incident(actor, consignees: int):
    """An incident whose stored scope is one lot shipped to `consignees` consignees (bulk rows)."""
    incident = factories.make_incident(actor=actor)
    lot = factories.make_lot()
    db.session.add(IncidentLot(incident_id=incident.id, lot_id=lot.id, is_root=True, depth=0))
    incident.traced_at = utcnow()
    _bulk(Customer.__table__, dict(name=_code("Consignee "), kind="retailer", version=1), consignees)
    customers = sa.select(Customer.id).where(Customer.name.like("Consignee %"))
    columns = [Shipment.lot_id, Shipment.consignee_id, Shipment.quantity, Shipment.shipped_on, Shipment.reference]
    rows = sa.select(
        sa.literal(lot.id), Customer.id, sa.literal(1), sa.literal(utcnow().date()), sa.literal("BOL-1")
    ).where(Customer.id.in_(customers))
    db.session.execute(sa.insert(Shipment).from_select([c.key for c in columns], rows))
    db.session.commit()
    return incident


def _names_shown(page: str) -> list[str]:
    return [line.split("</td>")[0] for line in page.split("<tr><td>Consignee ")[1:]]


def test_incident_page_lists_the_first_consignees_and_counts_them_all(app, production):
    incident = _traced_incident(production.user, scope.CONSIGNEES_SHOWN + 5)
    page = production.get(f"/incidents/{incident.id}").get_data(as_text=True)
    assert len(_names_shown(page)) == scope.CONSIGNEES_SHOWN
    total = scope.CONSIGNEES_SHOWN + 5
    assert f"<strong>{total}</strong> consignees" in page
    assert f"Showing the first {scope.CONSIGNEES_SHOWN} of {total} consignees" in page
    assert f"/incidents/{incident.id}/report.pdf" in page and "/lots/trace.csv?root=" in page


def test_incident_page_lists_a_short_list_whole(app, production):
    incident = _traced_incident(production.user, 3)
    page = production.get(f"/incidents/{incident.id}").get_data(as_text=True)
    assert len(_names_shown(page)) == 3 and "<strong>3</strong> consignees" in page
    assert "Showing the" not in page


def _events(record_type: str, record_id: int, count: int) -> None:
    audit.record_many("commented", record_type, [(record_id, "bulk")] * count, changes={"comment": [None, "x"]})
    db.session.commit()


def test_incident_timeline_shows_the_latest_events(app, production):
    incident = factories.make_incident(actor=production.user)
    _events("incident", incident.id, audit.TIMELINE_SHOWN + 10)
    total = db.session.scalar(
        sa.select(sa.func.count()).where(AuditEvent.record_id == incident.id, AuditEvent.record_type == "incident")
    )
    page = production.get(f"/incidents/{incident.id}").get_data(as_text=True)
    assert page.count('class="timeline-item"') == audit.TIMELINE_SHOWN
    assert f"Showing the latest {audit.TIMELINE_SHOWN} of {total} events" in page
    assert "Opened" not in page.split('id="timeline"')[1]  # the oldest event is the one left out


def test_recall_timeline_shows_the_latest_events(app, login_as):
    recall = propose(factories.make_plant())
    _events("recall", recall.id, audit.TIMELINE_SHOWN + 10)
    client = login_as("marketing")
    page = client.get(f"/recalls/{recall.id}").get_data(as_text=True)
    total = audit.TIMELINE_SHOWN + 10 + 1  # and "proposed"
    assert page.count('class="timeline-item"') == audit.TIMELINE_SHOWN
    assert f"Showing the latest {audit.TIMELINE_SHOWN} of {total} events" in page
    assert f"/recalls/{recall.id}/report.pdf" in page and f"/recalls/{recall.id}/notices" in page
    assert "/admin/audit" not in page  # marketing may not read the audit log
    assert "/admin/audit?" in login_as("admin").get(f"/recalls/{recall.id}").get_data(as_text=True)


def test_short_recall_timeline_is_whole_and_read_in_one_statement(app):
    recall_id = propose(factories.make_plant()).id
    statements = []

    def count(*args):
        statements.append(args[2])

    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        events, total = audit.latest_events("recall", recall_id)
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)
    assert [e.action for e in events] == ["proposed"] and total == 1 and len(statements) == 1


def test_latest_events_are_oldest_first(app):
    recall = propose(factories.make_plant())
    _events("recall", recall.id, 5)
    events, total = audit.latest_events("recall", recall.id, limit=3)
    assert total == 6 and len(events) == 3 and [e.id for e in events] == sorted(e.id for e in events)
    assert events[-1].id == db.session.scalar(sa.select(sa.func.max(AuditEvent.id)))


# --- holding a whole scope ------------------------------------------------------------------


@contextmanager
def _parameters_seen():
    """The largest number of parameters any statement bound meanwhile."""
    seen = [0]

    def count(_conn, _cursor, _statement, parameters, _context, executemany):
        if not executemany:
            seen[0] = max(seen[0], len(parameters or ()))

    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)


def test_change_status_binds_any_number_of_lots_as_one_value(app):
    actor = factories.make_user(("production",))
    lot = factories.make_lot()
    absent = range(10**7, 10**7 + POSTGRESQL_PARAMETERS)  # no such lots: cheap, and past both limits
    with _parameters_seen() as seen:
        result = change_status([*absent, lot.id], "hold", "Suspected glass", actor)
    assert (result.moved, result.skipped) == (1, 0)
    assert seen[0] < 20
    db.session.commit()
    assert db.session.get(Lot, lot.id).status == "on_hold"


def test_hold_of_a_scope_past_the_sqlite_limit(app, login_as):
    """A thousand lots in the stored scope, with SQLite binding at most 999 parameters."""
    with _lowered_sqlite_limit():
        production = login_as("production")
        incident = factories.make_incident(actor=production.user)
        product = factories.make_product()
        columns = dict(code=_code("BULK-"), product_id=product.id, kind="finished", quantity=1, unit="case")
        columns |= dict(produced_on=utcnow().date(), status="released", version=1)
        _bulk(Lot.__table__, columns, SQLITE_PARAMETERS + 1)
        bulk = sa.select(Lot.id, sa.literal(incident.id), sa.false(), sa.literal(1)).where(Lot.code.like("BULK-%"))
        db.session.execute(sa.insert(IncidentLot).from_select(["lot_id", "incident_id", "is_root", "depth"], bulk))
        db.session.commit()
        response = production.post(f"/incidents/{incident.id}/hold", data={"reason": "Suspected glass"})
        assert response.status_code == 302
        held = sa.select(sa.func.count()).where(Lot.code.like("BULK-%"), Lot.status == "on_hold")
        assert db.session.scalar(held) == SQLITE_PARAMETERS + 1
