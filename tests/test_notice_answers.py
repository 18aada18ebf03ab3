"""A consignee answers each lot shipped to them, in that lot's unit (issue 17, points 4 and 5):
more than was shipped of a lot only when they say they had it from elsewhere, and then the
pages, reports and CSV say so; effectiveness never passes 100 %; marketing's entry of an
answer carries its version (409 on a lost save); posts of one link at once never give a 500."""

import csv
import io
import threading
import urllib.error
import urllib.parse
import urllib.request
from decimal import Decimal

import pytest
import sqlalchemy as sa
from pypdf import PdfReader
from werkzeug.serving import make_server

from app.extensions import db
from app.models import AuditEvent, RecallNotice, RecallNoticeLine
from app.recalls import responses, tokens
from tests import factories


def link(notice) -> str:
    return f"/respond/{tokens.token_for(notice)}"


def lines_of(notice_id: int) -> dict[str, RecallNoticeLine]:
    from app.models import Lot

    rows = db.session.execute(
        sa.select(Lot.code, RecallNoticeLine)
        .join(Lot, Lot.id == RecallNoticeLine.lot_id)
        .where(RecallNoticeLine.notice_id == notice_id)
        .execution_options(populate_existing=True)
    ).all()
    return {code: line for code, line in rows}


@pytest.fixture
def bags(app):
    """Épicerie Dupont received 113 bags of BAG-1 and 289 bags of BAG-2."""
    return factories.make_approved_recall()


def test_the_form_asks_each_lot_in_its_unit(client, bags):
    _recall, notice = bags
    page = client.get(link(notice)).get_data(as_text=True)
    assert "113 bags" in page and "289 bags" in page and "113.000" not in page
    assert "Lot BAG-1: still on hand (bags)" in page and "Lot BAG-2: destroyed (bags)" in page
    assert "We also received this lot from elsewhere (BAG-2)" in page
    assert "2,5" in page and "no thousands separator" in page  # the help says how to write them


def test_each_lot_is_answered_and_a_comma_is_a_decimal_separator(client, bags):
    _recall, notice = bags
    data = factories.answer(("0", "100", "13"), ("1,5", "287,5", "0"))
    done = client.post(link(notice), data=data)
    assert done.status_code == 200 and "your answer to recall" in done.get_data(as_text=True)
    by_lot = lines_of(notice.id)
    assert (by_lot["BAG-1"].quantity_returned, by_lot["BAG-1"].quantity_destroyed) == (100, 13)
    assert by_lot["BAG-2"].quantity_on_hand == Decimal("1.5")  # the old form stored 15
    assert by_lot["BAG-2"].quantity_returned == Decimal("287.5")
    saved = db.session.get(RecallNotice, notice.id)
    assert (saved.quantity_on_hand, saved.quantity_returned, saved.quantity_destroyed) == (
        Decimal("1.5"),
        Decimal("387.5"),
        13,
    )
    page = done.get_data(as_text=True)
    assert "287.5 bags" in page and "1.5 bags" in page and ".000" not in page
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "response received"))
    assert "BAG-2 on hand" in event.changes and "BAG-1 returned" in event.changes


@pytest.mark.parametrize(
    "typed, message",
    [
        ("2,500", "could be 2500 or 2.5"),
        ("9,999", "could be 9999 or 9.999"),  # the review's "9,999 returned" was stored as 9999
        ("1 000", "without a thousands separator"),
        ("-1", "cannot be negative"),
        ("1e3", "without an exponent"),
    ],
)
def test_a_thousands_separator_and_other_odd_numbers_are_refused(client, bags, typed, message):
    _recall, notice = bags
    page = client.post(link(notice), data=factories.answer((0, typed, 0), (0, 0, 0)))
    assert page.status_code == 422 and message in page.get_data(as_text=True)
    assert db.session.get(RecallNotice, notice.id).responded_at is None


def test_more_than_shipped_is_refused_naming_the_lot_and_what_was_shipped(client, bags):
    _recall, notice = bags
    page = client.post(link(notice), data=factories.answer((0, 9999, 0), (0, 0, 0)))
    text = page.get_data(as_text=True)
    assert page.status_code == 422
    assert "Lot BAG-1: 9999 bags accounted for, but 113 bags were shipped to you" in text
    assert db.session.get(RecallNotice, notice.id).responded_at is None
    assert all(line.quantity_returned is None for line in lines_of(notice.id).values())


def test_more_than_shipped_from_elsewhere_is_kept_flagged_and_shown_everywhere(client, bags, login_as):
    recall, notice = bags
    data = factories.answer((0, 150, 0), (0, 289, 0), elsewhere={0})  # 150 of the 113 shipped
    assert client.post(link(notice), data=data).status_code == 200
    by_lot = lines_of(notice.id)
    assert by_lot["BAG-1"].received_elsewhere and not by_lot["BAG-2"].received_elsewhere
    assert db.session.get(RecallNotice, notice.id).received_elsewhere

    figures = responses.effectiveness(recall)
    assert figures.reported == 439 and figures.accounted == 402 and figures.accounted_percent == 100.0
    assert figures.beyond_flagged == 37 and figures.beyond_unflagged == 0 and figures.elsewhere_consignees == 1

    marketing = login_as("marketing")
    page = marketing.get(f"/recalls/{recall.id}/effectiveness").get_data(as_text=True)
    assert 'id="beyond-flagged"' in page and "received from elsewhere" in page and "100.0%" in page
    notices_page = marketing.get(f"/recalls/{recall.id}/notices").get_data(as_text=True)
    assert "received elsewhere too" in notices_page

    rows = list(
        csv.DictReader(io.StringIO(marketing.get(f"/recalls/{recall.id}/notices?format=csv").text.lstrip("\ufeff")))
    )
    assert rows[0]["received_elsewhere"] == "yes" and rows[0]["returned"] == "439"

    for url in (f"/recalls/{recall.id}/status-report.pdf", f"/recalls/{recall.id}/report.pdf"):
        response = marketing.get(url)
        assert response.status_code == 200, url
        text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(response.data)).pages)
        assert "Épicerie Dupont (E)" in text and "from elsewhere" in text, url


def test_effectiveness_counts_no_lot_above_what_was_shipped_of_it(bags):
    """One lot over (flagged), the other under: the excess of one never covers the other."""
    recall, notice = bags
    responses.record_response(notice, factories.answer((0, 200, 0), (0, 100, 0), elsewhere={0}), source="link")
    db.session.commit()
    figures = responses.effectiveness(recall)
    assert figures.accounted == 113 + 100 and figures.unaccounted == 189  # not 402 - 300 = 102
    assert figures.accounted_percent == 53.0


def test_a_manual_entry_lost_to_another_save_answers_409_and_keeps_the_first(bags, login_as):
    _recall, notice = bags
    url = f"/recalls/{notice.recall_id}/notices/{notice.id}/response"
    first, second = login_as("marketing"), login_as("marketing")
    opened = notice.version  # both opened the form now
    assert f'name="version" type="hidden" value="{opened}"' in first.get(url).get_data(as_text=True)
    saved = first.post(url, data=factories.answer((0, 113, 0), (0, 289, 0), version=opened))
    assert saved.status_code == 302
    lost = second.post(url, data=factories.answer((5, 0, 0), (0, 0, 0), version=opened))
    page = lost.get_data(as_text=True)
    assert lost.status_code == 409 and "changed by someone else" in page and "The answer saved meanwhile" in page
    notice = db.session.get(RecallNotice, notice.id)
    assert notice.quantity_returned == 402 and notice.quantity_on_hand == 0
    assert f'value="{notice.version}"' in page  # saving again overwrites knowingly
    again = second.post(url, data=factories.answer((5, 0, 0), (0, 0, 0), version=notice.version))
    assert again.status_code == 302 and db.session.get(RecallNotice, notice.id).quantity_on_hand == 5


@pytest.mark.parametrize("error", ["integrity", "locked"])
def test_a_link_save_lost_to_a_concurrent_one_shows_the_answer_not_a_500(client, bags, monkeypatch, error):
    """A concurrent save that took a key first (IntegrityError) or that SQLite let write first
    ("database is locked") is a lost race: the consignee gets the answer page (409)."""
    from sqlalchemy.exc import IntegrityError, OperationalError

    from app.respond import routes

    _recall, notice = bags
    real = routes.record_response

    def concurrent_first(target, data, *, source):
        real(target, factories.answer((0, 113, 0), (0, 289, 0)), source=source)
        db.session.commit()  # the other request
        if error == "integrity":
            raise IntegrityError("INSERT", {}, Exception("duplicate key"))
        raise OperationalError("UPDATE", {}, Exception("database is locked"))

    monkeypatch.setattr(routes, "record_response", concurrent_first)
    page = client.post(link(notice), data=factories.answer((1, 0, 0), (0, 0, 0)))
    assert page.status_code == 409 and "This notice was answered on" in page.get_data(as_text=True)


def test_other_database_errors_are_not_taken_for_a_lost_race(app):
    from sqlalchemy.exc import OperationalError

    from app.web.submit import lost_race

    assert not lost_race(OperationalError("SELECT", {}, Exception("no such table: x")))


def test_one_link_posted_eight_times_at_once_never_gives_a_500(make_app):
    """Eight simultaneous posts of one response link, against a real threaded server (the
    review saw [200, 200, 500]): one answer is recorded, the others see it; no 500."""
    app = make_app()
    with app.app_context():
        _recall, notice = factories.make_approved_recall()
        path = link(notice)
        notice_id = notice.id
        db.session.remove()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    serving = threading.Thread(target=server.serve_forever, daemon=True)
    serving.start()
    body = urllib.parse.urlencode(factories.answer((0, 113, 0), (0, 289, 0))).encode()
    barrier, statuses = threading.Barrier(8), []

    def post():
        barrier.wait(timeout=10)
        request = urllib.request.Request(f"http://127.0.0.1:{server.server_port}{path}", data=body)
        try:
            with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 (local test server)
                statuses.append(response.status)
        except urllib.error.HTTPError as refused:
            statuses.append(refused.code)

    try:
        posters = [threading.Thread(target=post) for _ in range(8)]
        for poster in posters:
            poster.start()
        for poster in posters:
            poster.join(timeout=90)
    finally:
        server.shutdown()
        server.server_close()
    assert len(statuses) == 8 and all(status in (200, 409) for status in statuses), statuses
    with app.app_context():
        assert db.session.get(RecallNotice, notice_id).quantity_returned == 402
        received = sa.select(sa.func.count()).where(AuditEvent.action == "response received")
        assert db.session.scalar(received) == 1
        db.session.remove()
