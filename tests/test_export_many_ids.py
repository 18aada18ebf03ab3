"""Incident and recall CSV exports hold more rows than one IN list may bind ids for."""

import sqlite3
from contextlib import contextmanager

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.incidents.queries import complaint_references
from app.models import Incident, IncidentComplaint, Recall, RecallLot
from app.models.types import utcnow
from app.recalls.queries import lot_counts
from tests import factories

# PostgreSQL's wire protocol counts a statement's parameters in 16 bits.
POSTGRESQL_PARAMETERS = 65_535
# SQLite's limit is a build option (32,766 upstream, 250,000 in Debian's build). The export
# tests lower it per connection to the pre-3.32 default, so a thousand rows cross it; 65,536
# rows (to cross PostgreSQL's) cost seconds to insert, export and delete.
SQLITE_PARAMETERS = 999
ROWS = SQLITE_PARAMETERS + 1


def _limit_sqlite(dbapi_connection, _record):
    dbapi_connection.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, SQLITE_PARAMETERS)


@contextmanager
def _lowered_sqlite_limit():
    if db.engine.dialect.name != "sqlite":
        yield
        return
    db.session.remove()
    db.engine.dispose()  # pooled connections were opened without the limit
    sa.event.listen(db.engine, "connect", _limit_sqlite)
    try:
        yield
    finally:
        db.session.remove()
        sa.event.remove(db.engine, "connect", _limit_sqlite)
        db.engine.dispose()


@pytest.fixture
def limited(app):
    with _lowered_sqlite_limit():
        yield


@pytest.fixture
def owner(limited):
    return factories.make_user(("production",))


def _bulk(table, values: dict, count: int) -> None:
    """INSERT ... SELECT `count` rows made in the database from n = 1..count; `values` maps
    columns to a function of n or a constant."""
    n = sa.select(sa.literal(1).label("i")).cte("n", recursive=True)
    n = n.union_all(sa.select(n.c.i + 1).where(n.c.i < count))
    row = [v(n.c.i) if callable(v) else sa.literal(v, table.c[k].type) for k, v in values.items()]
    db.session.execute(sa.insert(table).from_select(list(values), sa.select(*row)))


def _code(prefix: str):
    return lambda i: sa.literal(prefix) + sa.cast(i, sa.String)


def _incidents(owner, count: int) -> None:
    now = utcnow()
    columns = dict(reference=_code("INC-B-"), status="open", title=_code("Bulk "), description="Bulk row.")
    columns |= dict(owner_id=owner.id, created_by_id=owner.id, created_at=now, updated_at=now, version=1)
    _bulk(Incident.__table__, columns, count)


def _recalls(owner, incident_id: int, count: int) -> None:
    now = utcnow()
    columns = dict(reference=_code("RCL-B-"), incident_id=incident_id, status="proposed", title=_code("Bulk "))
    columns |= dict(reason="Bulk row.", hazard="None.", classification="III", depth="retail", public_warning=False)
    columns |= dict(effectiveness_level="C", remedy="destroy", instructions="Hold the lots.")
    columns |= dict(proposed_by_id=owner.id, created_at=now, updated_at=now, version=1)
    _bulk(Recall.__table__, columns, count)


def _csv_lines(response) -> list[str]:
    assert response.status_code == 200 and response.mimetype == "text/csv"
    return response.get_data(as_text=True).lstrip("\ufeff").splitlines()


def test_sqlite_limit_is_lowered(limited):
    if db.engine.dialect.name == "sqlite":
        with pytest.raises(sa.exc.OperationalError, match="too many SQL variables"):
            db.session.execute(sa.select(Incident.id).where(Incident.id.in_(range(ROWS))))


def test_incident_export_past_the_parameter_limit(login_as, owner):
    _incidents(owner, ROWS)
    complaint = factories.make_complaint()
    last = db.session.scalar(sa.select(Incident).where(Incident.reference == f"INC-B-{ROWS}"))
    db.session.add(IncidentComplaint(incident_id=last.id, complaint_id=complaint.id))
    db.session.commit()
    lines = _csv_lines(login_as("production").get("/incidents/export.csv"))
    assert len(lines) == ROWS + 1
    assert [line for line in lines if line.startswith(f"INC-B-{ROWS},")][0].count(complaint.reference) == 1


def test_recall_export_past_the_parameter_limit(login_as, owner):
    _incidents(owner, 1)
    _recalls(owner, db.session.scalar(sa.select(Incident.id)), ROWS)
    last = db.session.scalar(sa.select(Recall).where(Recall.reference == f"RCL-B-{ROWS}"))
    db.session.add(RecallLot(recall_id=last.id, lot_id=factories.make_lot().id, is_root=True))
    db.session.commit()
    lines = _csv_lines(login_as("sales").get("/recalls/?format=csv"))
    assert len(lines) == ROWS + 1
    assert ",INC-B-1,1," in [line for line in lines if line.startswith(f"RCL-B-{ROWS},")][0]


def test_export_lookups_past_the_postgresql_limit(app):
    """The two look-ups that take every exported id, with more ids than PostgreSQL binds."""
    owner = factories.make_user(("production",))
    _incidents(owner, 1)
    incident_id = db.session.scalar(sa.select(Incident.id))
    _recalls(owner, incident_id, 1)
    recall_id = db.session.scalar(sa.select(Recall.id))
    complaint = factories.make_complaint()
    db.session.add(IncidentComplaint(incident_id=incident_id, complaint_id=complaint.id))
    db.session.add(RecallLot(recall_id=recall_id, lot_id=factories.make_lot().id, is_root=True))
    db.session.commit()
    absent = range(10**6, 10**6 + POSTGRESQL_PARAMETERS)
    assert complaint_references(db.session, [*absent, incident_id]) == {incident_id: [complaint.reference]}
    assert lot_counts([*absent, recall_id]) == {recall_id: 1}
