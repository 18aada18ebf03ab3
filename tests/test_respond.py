"""The consignee's response page: no login, CSRF, once per link, refused when wrong, forged,
expired or replayed, hostile input shown as text and never stored half-way."""

import re

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import AuditEvent, RecallNotice
from app.recalls import services, tokens
from tests import factories
from tests.factories import PASSWORD, RECALL_DATA

# Shop One's lots: FIN-A (15 shipped), FIN-B (3).
FORM = factories.answer((4, 6, 0), (0, 0, 0), response_comment="Pulled from the shelf on Monday.")


def _approved_notice():
    plant = factories.make_plant()
    recall = services.propose(plant["incident"], RECALL_DATA, [plant["raw"].id], plant["proposer"])
    services.approve(recall, factories.make_user(("marketing",)), "approved", PASSWORD)
    db.session.commit()
    notice = db.session.scalar(sa.select(RecallNotice).where(RecallNotice.consignee_id == plant["shop1"].id))
    return recall, notice


@pytest.fixture
def notice(app):
    return _approved_notice()[1]


def url(notice) -> str:
    return f"/respond/{tokens.token_for(notice)}"


def test_the_link_shows_the_notice_without_login(client, notice):
    page = client.get(url(notice))
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "URGENT: PRODUCT RECALL" in html and "Shop One" in html and "FIN-A" in html and "FIN-B" in html
    assert "FIN-C" not in html and "Send our answer" in html


def test_an_answer_is_recorded_once_and_a_replay_changes_nothing(client, notice):
    done = client.post(url(notice), data=FORM)
    assert done.status_code == 200 and "your answer to recall" in done.get_data(as_text=True)
    saved = db.session.get(RecallNotice, notice.id)
    assert saved.responded_at is not None and saved.response_source == "link" and saved.quantity_returned == 6
    first = saved.responded_at

    replay = client.post(url(notice), data={**FORM, "lot_0_quantity_returned": "999"})
    assert replay.status_code == 200 and "answered on" in replay.get_data(as_text=True)
    db.session.expire_all()
    again = db.session.get(RecallNotice, notice.id)
    assert again.quantity_returned == 6 and again.responded_at == first
    actions = db.session.scalars(sa.select(AuditEvent.action).where(AuditEvent.action.like("response%"))).all()
    assert actions == ["response received"]


@pytest.mark.parametrize(
    "token",
    [
        "nonsense",
        "0" * 32 + "." + "0" * 32,  # right shape, no such notice
        "%2e%2e%2f" * 10,
        "x" * 5000,
        "' OR 1=1 --",
    ],
)
def test_wrong_tokens_are_refused(client, notice, token):
    page = client.get(f"/respond/{token}")
    assert page.status_code == 404
    if "%2f" not in token:  # an encoded slash never reaches the page: the router answers 404
        assert "This link does not work" in page.get_data(as_text=True)
    assert client.post(f"/respond/{token}", data=FORM).status_code == 404
    assert db.session.get(RecallNotice, notice.id).responded_at is None


def test_a_forged_mac_on_a_real_nonce_is_refused(client, notice, app):
    forged = f"{notice.token_nonce}.{'a' * 32}"
    assert client.post(f"/respond/{forged}", data=FORM).status_code == 404
    app.config["SECRET_KEY"] = "rotated-secret-key-for-this-test"  # links made under the old key die
    assert client.get(url(notice)).status_code == 200  # (url() re-signs with the new key)
    assert db.session.get(RecallNotice, notice.id).responded_at is None


def test_the_link_expires_when_the_recall_is_terminated(client, app):
    recall, notice = _approved_notice()
    link = url(notice)
    recall.status = "terminated"
    db.session.commit()
    page = client.post(link, data=FORM)
    assert page.status_code == 410 and "no longer takes responses" in page.get_data(as_text=True)
    assert db.session.get(RecallNotice, notice.id).responded_at is None


@pytest.mark.parametrize(
    "change, message",
    [
        ({"confirm_receipt": ""}, "confirm you received"),
        ({"lot_0_quantity_on_hand": "-3"}, "cannot be negative"),
        ({"lot_0_quantity_returned": "lots"}, "Enter a number"),
        ({"lot_1_quantity_destroyed": "Infinity"}, "Enter a number"),
        ({"distributed_further": "perhaps"}, "yes or no"),
        ({"response_by": ""}, "name"),
        ({"response_comment": "z" * 5000}, "2000"),
    ],
)
def test_bad_answers_show_what_to_fix_and_store_nothing(client, notice, change, message):
    page = client.post(url(notice), data={**FORM, **change})
    assert page.status_code == 422
    assert message in page.get_data(as_text=True)
    assert db.session.get(RecallNotice, notice.id).responded_at is None


def test_script_in_an_answer_is_stored_as_text_and_shown_escaped(client, notice, login_as):
    hostile = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    client.post(url(notice), data={**FORM, "response_by": hostile[:100], "response_comment": hostile})
    saved = db.session.get(RecallNotice, notice.id)
    assert saved.response_comment == hostile
    page = client.get(url(notice)).get_data(as_text=True)
    assert "<script>alert" not in page and "&lt;script&gt;" in page


def test_nul_bytes_are_a_clear_400(client, notice):
    page = client.post(url(notice), data={**FORM, "response_by": "Ann\x00"})
    assert page.status_code == 400
    assert db.session.get(RecallNotice, notice.id).responded_at is None


def test_csrf_is_required(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        notice = _approved_notice()[1]
        client = app.test_client()
        without = client.post(url(notice), data=FORM)
        assert without.status_code == 400 and db.session.get(RecallNotice, notice.id).responded_at is None
        page = client.get(url(notice)).get_data(as_text=True)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        assert client.post(url(notice), data={**FORM, "csrf_token": token}).status_code == 200
        db.session.expire_all()
        assert db.session.get(RecallNotice, notice.id).responded_at is not None


def test_the_page_is_rate_limited_per_address(make_app):
    app = make_app(RATELIMIT_ENABLED=True, RESPONSE_RATE_LIMIT="3 per minute")
    with app.app_context():
        client = app.test_client()
        codes = [client.get("/respond/guessing-" + str(i)).status_code for i in range(5)]
    assert codes == [404, 404, 404, 429, 429]


def test_a_signed_in_user_answering_is_not_recorded_as_themselves(notice, login_as):
    client = login_as("marketing")
    client.post(url(notice), data=FORM)
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "response received"))
    assert event.actor_id is None and "by response link" in event.actor_name


@pytest.mark.parametrize("seen_as", ["refusal", "stale"])
def test_an_answer_recorded_meanwhile_shows_that_answer(client, notice, monkeypatch, seen_as):
    """Another tab answers between the page's check and this save: the save changes nothing and
    the consignee sees the answer we have (409), whether the service refuses it or the row's
    version does (which was a 500 before the view went through submit)."""
    from sqlalchemy.orm.exc import StaleDataError

    from app.respond import routes

    real = routes.record_response

    def other_tab_first(target, data, *, source):
        real(target, {**data, "lot_0_quantity_returned": 2}, source=source)
        db.session.commit()
        if seen_as == "stale":
            raise StaleDataError("the row's version moved")
        return real(target, data, source=source)  # AlreadyAnswered

    monkeypatch.setattr(routes, "record_response", other_tab_first)
    page = client.post(url(notice), data=FORM)
    assert page.status_code == 409 and "This notice was answered on" in page.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(RecallNotice, notice.id).quantity_returned == 2
