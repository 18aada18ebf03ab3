"""Concurrent intake on PostgreSQL: references stay gapless and unique, the audit chain does not fork."""

import re
import threading

import pytest
import sqlalchemy as sa

from app.audit.verify import verify_chain
from app.complaints.services import add_comment, create_complaint
from app.extensions import db
from app.models import AuditEvent, Complaint, User
from tests import factories

pytestmark = pytest.mark.postgres

THREADS = 8
PER_THREAD = 5


@pytest.fixture
def pg_app(database_url, make_app):
    if not database_url.startswith("postgresql"):
        pytest.skip("needs TEST_DATABASE_URL pointing at PostgreSQL")
    return make_app()


def _log_complaints(app, barrier, ids, results, errors):
    """One worker: its own app context (so its own session and connection), five committed complaints."""
    try:
        with app.app_context():
            actor = db.session.get(User, ids["user"])
            barrier.wait(timeout=30)  # all workers start their transactions together
            for n in range(PER_THREAD):
                data = factories.complaint_data(
                    customer_id=ids["customer"], product_id=ids["product"], lot_codes=f"LOT-{n}"
                )
                complaint = create_complaint(data, actor)
                db.session.commit()
                results.append(complaint.reference)
    except Exception as error:  # reported to the test thread
        errors.append(error)
        barrier.abort()


def _run(workers) -> None:
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    assert not any(worker.is_alive() for worker in workers), "a worker hung (deadlock?)"


def test_concurrent_intake_numbers_without_gaps_and_keeps_one_chain(pg_app):
    with pg_app.app_context():
        ids = {
            "user": factories.make_user(("sales",)).id,
            "customer": factories.make_customer().id,
            "product": factories.make_product().id,
        }
        events_before = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent))

    barrier = threading.Barrier(THREADS)
    results, errors = [], []
    workers = [
        threading.Thread(target=_log_complaints, args=(pg_app, barrier, ids, results, errors)) for _ in range(THREADS)
    ]
    _run(workers)
    assert errors == [], errors

    # (a) 40 distinct references, numbered 1..40 with no gap.
    total = THREADS * PER_THREAD
    assert len(results) == total
    assert len(set(results)) == total
    numbers = sorted(int(re.fullmatch(r"CMP-\d{4}-(\d{4})", ref).group(1)) for ref in results)
    assert numbers == list(range(1, total + 1))

    with pg_app.app_context():
        stored = db.session.scalars(sa.select(Complaint.reference)).all()
        assert sorted(stored) == sorted(results)
        # (b) every complaint wrote its event, and the chain is still one unbroken line.
        events_after = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent))
        assert events_after - events_before == total
        prev_hashes = db.session.scalars(sa.select(AuditEvent.prev_hash)).all()
        assert len(prev_hashes) == len(set(prev_hashes)), "two events claim the same predecessor"
        result = verify_chain()
        assert result.ok, f"chain broken at event {result.broken_id}: {result.reason}"
        assert result.checked == events_after


def _comment(app, barrier, ids, errors):
    try:
        with app.app_context():
            actor = db.session.get(User, ids["user"])
            complaint = db.session.get(Complaint, ids["complaint"])
            barrier.wait(timeout=30)
            for n in range(PER_THREAD):
                add_comment(complaint, f"note {n}", actor)
                db.session.commit()
    except Exception as error:  # reported to the test thread
        errors.append(error)
        barrier.abort()


def test_concurrent_comments_keep_one_chain(pg_app):
    """Comments take no counter lock, so only the chain's own lock keeps appends in line."""
    with pg_app.app_context():
        complaint = factories.make_complaint()
        ids = {"user": factories.make_user(("production",)).id, "complaint": complaint.id}

    barrier = threading.Barrier(THREADS)
    errors = []
    _run([threading.Thread(target=_comment, args=(pg_app, barrier, ids, errors)) for _ in range(THREADS)])
    assert errors == [], errors

    with pg_app.app_context():
        comments = db.session.scalar(
            sa.select(sa.func.count()).select_from(AuditEvent).where(AuditEvent.action == "commented")
        )
        assert comments == THREADS * PER_THREAD
        result = verify_chain()
        assert result.ok, f"chain broken at event {result.broken_id}: {result.reason}"
