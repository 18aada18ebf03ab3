"""A reminder to all non-responders of a recall goes at most once per REMINDER_COOLDOWN_MINUTES
(issue 17, point 5): the refusal says when the last one went, in the user's zone, and two
people clicking together never both send (on SQLite and on PostgreSQL)."""

import threading
import time
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from app.errors import ValidationError
from app.extensions import db
from app.models import AuditEvent, OutboxMessage, Recall, RecallNotice, User
from app.recalls import notices, services
from tests import factories
from tests.factories import PASSWORD, RECALL_DATA


@pytest.fixture
def told(app):
    """An approved recall whose notice went by email to Shop One, who has not answered."""
    plant = factories.make_plant()
    recall = services.propose(plant["incident"], RECALL_DATA, [plant["raw"].id], plant["proposer"])
    marketing = factories.make_user(("marketing",))
    services.approve(recall, marketing, "approved", PASSWORD)
    notices.send_notices(recall, marketing)
    db.session.commit()
    return {"recall_id": recall.id, "marketing_id": marketing.id}


def _reminders() -> int:
    stmt = sa.select(sa.func.count(OutboxMessage.id)).where(OutboxMessage.event == "recall.reminder")
    return db.session.scalar(stmt)


def _remind(told, **kwargs) -> int:
    recall = db.session.get(Recall, told["recall_id"])
    count = notices.send_reminders(recall, db.session.get(User, told["marketing_id"]), **kwargs)
    db.session.commit()
    return count


def test_a_second_bulk_reminder_within_the_cooldown_is_refused_and_says_when(told):
    assert _remind(told) == 1
    with pytest.raises(ValidationError, match="A reminder went to all non-responders at .*; the next can go from"):
        _remind(told)
    db.session.rollback()
    assert _reminders() == 1


def test_chosen_reminders_are_not_held_back(told):
    assert _remind(told) == 1
    chosen = db.session.scalar(sa.select(RecallNotice.id).where(RecallNotice.outbox_id.is_not(None)))
    assert _remind(told, notice_ids=[chosen]) == 1
    assert _reminders() == 2


def test_the_cooldown_is_configurable(told, app):
    app.config["REMINDER_COOLDOWN_MINUTES"] = 0
    assert _remind(told) == 1
    assert _remind(told) == 1


def test_nobody_left_to_remind_is_said_even_within_the_cooldown(told):
    assert _remind(told) == 1
    db.session.execute(sa.update(RecallNotice).values(responded_at=sa.func.now()))
    db.session.commit()
    with pytest.raises(ValidationError, match="No reminder to send"):
        _remind(told)


def test_the_refusal_on_the_page_gives_the_time_in_the_users_zone(told, login_as):
    client = login_as("marketing")
    user = db.session.get(User, client.user.id)
    user.timezone = "Asia/Tokyo"
    db.session.commit()
    url = f"/recalls/{told['recall_id']}/notices/remind"
    assert client.post(url).status_code == 302
    page = client.post(url, follow_redirects=True).get_data(as_text=True)
    sent = db.session.scalar(sa.select(AuditEvent.created_at).where(AuditEvent.action == notices.BULK_REMINDER))
    local = sent.astimezone(ZoneInfo("Asia/Tokyo"))
    assert f"A reminder went to all non-responders at {local:%Y-%m-%d %H:%M} JST" in page
    assert _reminders() == 1


def test_two_people_clicking_together_send_once(told, app, monkeypatch):
    real_queue = notices._queue

    def slow_queue(rows, kind):
        time.sleep(0.5)  # widen the window between the check and the commit
        real_queue(rows, kind)

    monkeypatch.setattr(notices, "_queue", slow_queue)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def click():
        with app.app_context():
            try:
                recall = db.session.get(Recall, told["recall_id"])
                actor = db.session.get(User, told["marketing_id"])
                barrier.wait(timeout=10)
                notices.send_reminders(recall, actor)
                db.session.commit()
                outcomes.append("sent")
            except ValidationError as error:
                db.session.rollback()
                outcomes.append(error.message)
            except Exception as error:  # a lost race may also end as a stale or locked write
                db.session.rollback()
                outcomes.append(f"error: {type(error).__name__}")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=click) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert outcomes.count("sent") == 1, outcomes
    assert any(o.startswith("A reminder went to all non-responders") for o in outcomes), outcomes
    db.session.expire_all()
    assert _reminders() == 1
