"""The audit trail: every change recorded, chained by SHA-256, tampering detected."""

import json

import sqlalchemy as sa

from app.audit.seal import GENESIS_HASH, compute_hash
from app.audit.verify import verify_chain
from app.extensions import db
from app.models import AuditEvent
from tests import factories


def events():
    return db.session.scalars(sa.select(AuditEvent).order_by(AuditEvent.id)).all()


def test_chain_links_every_event_to_the_previous(app):
    complaint = factories.make_complaint()
    factories.triage(complaint)
    chain = events()
    assert len(chain) >= 5
    assert chain[0].prev_hash == GENESIS_HASH
    for before, after in zip(chain, chain[1:]):
        assert after.prev_hash == before.hash
    for event in chain:
        assert event.hash == compute_hash(event)
    assert verify_chain().ok


def test_changes_record_old_and_new_values(app):
    complaint = factories.make_complaint()
    factories.triage(complaint, severity=4, probability=2)
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "triage"))
    changes = json.loads(event.changes)
    assert changes["status"] == ["new", "triaged"]
    assert changes["severity"] == [None, 4]
    assert changes["risk_score"] == [None, 8]
    assert event.actor_name.startswith("User production")
    assert event.record_label == complaint.reference


def test_edited_event_is_named_by_verify(app):
    complaint = factories.make_complaint()
    factories.triage(complaint)
    middle = events()[3]
    db.session.execute(sa.update(AuditEvent).where(AuditEvent.id == middle.id).values(actor_name="Somebody Else"))
    db.session.commit()
    result = verify_chain()
    assert not result.ok and result.broken_id == middle.id
    assert "does not match its hash" in result.reason


def test_deleted_event_breaks_the_link(app):
    factories.make_complaint()
    chain = events()
    db.session.execute(sa.delete(AuditEvent).where(AuditEvent.id == chain[1].id))
    db.session.commit()
    result = verify_chain()
    assert not result.ok and result.broken_id == chain[2].id
    assert "link" in result.reason


def test_rehashed_forgery_is_caught_at_the_next_event(app):
    """Recomputing the edited event's hash does not help: the next event points at the old one."""
    factories.make_complaint()
    chain = events()
    forged = chain[1]
    forged.actor_name = "Forger"
    forged.hash = compute_hash(forged)
    db.session.commit()
    result = verify_chain()
    assert not result.ok and result.broken_id == chain[2].id


def test_verify_walks_in_batches(app):
    for _ in range(3):
        factories.make_complaint()
    total = len(events())
    result = verify_chain(batch_size=2)
    assert result.ok and result.checked == total


def test_timeline_reads_from_the_audit_trail(app, login_as):
    client = login_as("production")
    complaint = factories.make_complaint()
    factories.triage(complaint, actor=client.user)
    client.post(f"/complaints/{complaint.id}/comments", data={"body": "Sample received in lab."})
    page = client.get(f"/complaints/{complaint.id}").get_data(as_text=True)
    order = [page.index(f"<strong>{a}</strong>") for a in ("Created", "Triage", "Commented")]
    assert order == sorted(order)
    assert "Sample received in lab." in page
    assert "new</span> → triaged" in page


def test_admin_sees_the_audit_log(app, login_as):
    factories.make_complaint()
    admin = login_as("admin")
    page = admin.get("/admin/audit", query_string={"record_type": "complaint"}).get_data(as_text=True)
    assert "CMP-" in page
