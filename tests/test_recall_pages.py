"""Recall notice pages: the consignee table (progress, filters, CSV, fixed query count),
sending and reminding by POST, notifications and responses recorded by hand, effectiveness,
and the replacement request on the detail page."""

import csv
import io
from datetime import timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from app.alerts.worker import Worker
from app.extensions import db
from app.models import AuditEvent, Customer, OutboxMessage, RecallNotice
from app.models.types import utcnow
from app.recalls import services, tokens
from tests import factories
from tests.factories import PASSWORD, RECALL_DATA

# The first lot's answer (Shop Two: 7 of FIN-A; Shop One: 15 of FIN-A, then 3 of FIN-B).
ANSWER = factories.answer((2, 3, "1.5"), (0, 0, 0), response_comment="Told by phone")


def versioned(notice) -> dict:
    """ANSWER posted from the notice's current version, as the opened form would."""
    return {**ANSWER, "version": fresh(notice).version}


@pytest.fixture
def app(make_app, smtp_server, tmp_path):
    """Mail goes to a real local SMTP server, so the worker can send the queued notices."""
    app = make_app(MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp_server.port, MAIL_FILE_DIR=tmp_path / "mail")
    with app.app_context():
        yield app


def approve(remedy="refund", extra_consignees=()):
    """An approved recall of RAW-1 (FIN-A, FIN-B): Shop One (email, 18 shipped), Shop Two (no
    email, 7 shipped), and one more consignee of FIN-A per name in `extra_consignees`."""
    plant = factories.make_plant()
    for n, name in enumerate(extra_consignees):
        customer = factories.make_customer(name=name, email=f"shop{n}@example.com")
        factories.make_shipment(plant["a"], customer, quantity=1)
    recall = services.propose(
        plant["incident"], {**RECALL_DATA, "remedy": remedy}, [plant["raw"].id], plant["proposer"]
    )
    plant["approver"] = factories.make_user(("marketing",))
    services.approve(recall, plant["approver"], "approved", PASSWORD)
    db.session.commit()
    by_consignee = {n.consignee_id: n for n in db.session.scalars(sa.select(RecallNotice))}
    plant["one"] = by_consignee[plant["shop1"].id]
    plant["two"] = by_consignee[plant["shop2"].id]
    plant["recall"] = recall
    plant["base"] = f"/recalls/{recall.id}/notices"
    return plant


@pytest.fixture
def approved(app):
    return approve()


def notice_emails() -> int:
    return db.session.scalar(sa.select(sa.func.count(OutboxMessage.id)).where(OutboxMessage.event == "recall.notice"))


def audit_count() -> int:
    return db.session.scalar(sa.select(sa.func.count(AuditEvent.id)))


def fresh(notice) -> RecallNotice:
    db.session.expire_all()
    return db.session.get(RecallNotice, notice.id)


# --- sending ---------------------------------------------------------------------------------


def test_send_all_queues_the_notices_and_moves_the_recall_to_notifying(approved, login_as, app):
    client = login_as("marketing")
    recall = approved["recall"]
    page = client.get(approved["base"]).get_data(as_text=True)
    assert "Send all pending notices" in page and "data-confirm" in page
    assert 'http-equiv="refresh"' not in page  # nothing queued yet

    response = client.post(f"{approved['base']}/send?state=pending&q=Shop", follow_redirects=False)
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"{approved['base']}?state=pending&q=Shop")
    assert notice_emails() == 1  # Shop Two has no email address
    db.session.expire_all()
    assert recall.status == "notifying" and fresh(approved["one"]).status == "queued"

    page = client.get(approved["base"]).get_data(as_text=True)
    assert "1 notice queued" in page
    assert 'http-equiv="refresh"' in page and "Email queued</span> 1 (50.0%)" in page
    assert 'http-equiv="refresh"' not in client.get(f"{approved['base']}?refresh=off").get_data(as_text=True)

    assert Worker(app).run_once().sent == 1
    page = client.get(approved["base"]).get_data(as_text=True)
    assert "Email sent</span> 1 (50.0%)" in page and 'http-equiv="refresh"' not in page

    # Nothing is sent twice: the refusal is flashed and nothing changes.
    before = audit_count()
    page = client.post(f"{approved['base']}/send", follow_redirects=True).get_data(as_text=True)
    assert "No notice to send" in page and notice_emails() == 1 and audit_count() == before


def test_send_to_chosen_consignees_only(app, login_as):
    plant = approve(extra_consignees=["Corner Store", "Deli Three"])
    client = login_as("marketing")
    chosen = db.session.scalar(
        sa.select(RecallNotice.id)
        .join(RecallNotice.consignee)
        .where(RecallNotice.recall_id == plant["recall"].id, Customer.name == "Deli Three")
    )
    page = client.post(
        f"{plant['base']}/send", data={"chosen": "1", "notice": [str(chosen), "junk", "²", "99999999999"]}
    )
    assert page.status_code == 302 and notice_emails() == 1
    assert db.session.scalar(sa.select(OutboxMessage.to_address)) == "shop1@example.com"
    # "Send to chosen" with nothing ticked is refused, not taken as "all".
    page = client.post(f"{plant['base']}/send", data={"chosen": "1"}, follow_redirects=True).get_data(as_text=True)
    assert "Choose at least one consignee" in page and notice_emails() == 1
    # A notice of another recall is not sent through this one.
    other = client.post("/recalls/999999/notices/send", data={"chosen": "1", "notice": str(chosen)})
    assert other.status_code == 404


def test_resend_failed_and_remind_by_post(approved, login_as):
    client = login_as("admin")
    base = approved["base"]
    assert client.post(f"{base}/send").status_code == 302
    row = db.session.get(OutboxMessage, fresh(approved["one"]).outbox_id)
    row.status, row.attempts = "failed", 10
    db.session.commit()
    page = client.get(base).get_data(as_text=True)
    assert "Email failed</span> 1" in page and "Resend failed (1)" in page

    page = client.post(f"{base}/resend", follow_redirects=True).get_data(as_text=True)
    assert "1 failed notice email put back in line" in page
    assert db.session.get(OutboxMessage, row.id).status == "pending"

    response = client.post(f"{base}/remind?back=effectiveness")
    assert response.headers["Location"].endswith(f"/recalls/{approved['recall'].id}/effectiveness")
    assert fresh(approved["one"]).reminders == 1
    reminders = sa.select(sa.func.count(OutboxMessage.id)).where(OutboxMessage.event == "recall.reminder")
    assert db.session.scalar(reminders) == 1


@pytest.mark.parametrize("role", ["sales", "production"])
@pytest.mark.parametrize("action", ["send", "resend", "remind"])
def test_only_marketing_and_admin_may_post(approved, login_as, role, action):
    client = login_as(role)
    before = audit_count()
    assert client.post(f"{approved['base']}/{action}").status_code == 403
    assert db.session.scalar(sa.select(sa.func.count(OutboxMessage.id))) == 0 and audit_count() == before
    page = client.get(approved["base"]).get_data(as_text=True)
    assert "Send all pending notices" not in page and "/notified" not in page and "/response" not in page
    assert "Shop One" in page and "Shop Two" in page


def test_a_proposed_recall_sends_nothing(app, login_as):
    plant = factories.make_plant()
    recall = services.propose(plant["incident"], RECALL_DATA, [plant["raw"].id], plant["proposer"])
    db.session.commit()
    client = login_as("marketing")
    page = client.post(f"/recalls/{recall.id}/notices/send", follow_redirects=True).get_data(as_text=True)
    assert "notices go out from approval" in page and notice_emails() == 0
    assert "The consignee list is built" in page


# --- the consignee table ---------------------------------------------------------------------


def test_filters_and_row_actions(approved, login_as):
    client = login_as("marketing")
    base = approved["base"]
    page = client.get(base).get_data(as_text=True)
    assert "no email — phone/post" in page
    assert page.count("Record phone/post notification") == 2 and page.count("Enter response") == 2
    assert 'class="btn btn-sm btn-warning"' in page  # Shop Two, without email, stands out

    def names(query):
        text = client.get(f"{base}?{query}").get_data(as_text=True)
        return {name for name in ("Shop One", "Shop Two") if f"<td>{name}</td>" in text}

    assert names("no_email=1") == {"Shop Two"}
    assert names("q=one") == {"Shop One"}
    assert names("q=%25") == set()  # LIKE wildcards are taken literally
    assert names("state=pending") == {"Shop One", "Shop Two"}
    assert names("state=sent") == set()
    assert names("responded=no") == {"Shop One", "Shop Two"}
    assert names("responded=yes") == set()
    page = client.get(f"{base}?state=bogus").get_data(as_text=True)
    assert "Unknown state" in page and "<td>Shop Two</td>" in page
    assert client.get("/recalls/999999/notices").status_code == 404


def test_page_queries_do_not_grow_with_consignees(app, login_as):
    plant = approve(extra_consignees=[f"Store {n:02d}" for n in range(3)])  # 5 consignees
    client = login_as("marketing")
    client.post(f"{plant['base']}/send")  # a mix of queued and pending rows for the outer join
    statements = []

    def count(*args):
        statements.append(args[2])

    def measure() -> int:
        statements.clear()
        sa.event.listen(db.engine, "before_cursor_execute", count)
        try:
            page = client.get(plant["base"])
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", count)
        assert page.status_code == 200
        return len(statements)

    small = measure()
    recall = plant["recall"]
    for n in range(55):  # 60 consignees: more than a page
        customer = factories.make_customer(name=f"Late store {n:02d}")
        db.session.add(
            RecallNotice(
                recall_id=recall.id, consignee_id=customer.id, quantity_shipped=1, token_nonce=tokens.new_nonce()
            )
        )
    db.session.commit()
    large = measure()
    assert large == small, statements
    page = client.get(plant["base"]).get_data(as_text=True)
    assert "60 results" in page and page.count('name="notice"') == 25
    assert "Late store 54" in client.get(f"{plant['base']}?page=3").get_data(as_text=True)


def test_csv_lists_every_consignee_safely(app, login_as):
    plant = approve(extra_consignees=['=HYPERLINK("http://evil.example","x")', "@SUM(A1)"])
    client = login_as("sales")
    client_m = login_as("marketing")
    client_m.post(f"/recalls/{plant['recall'].id}/notices/{plant['two'].id}/response", data=versioned(plant["two"]))
    response = client.get(f"{plant['base']}?format=csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    header, body = rows[0], rows[1:]
    assert header[:5] == ["consignee", "email", "phone", "quantity_shipped", "state"]
    assert len(body) == 4
    by_name = {row[0]: dict(zip(header, row, strict=True)) for row in body}
    assert '\'=HYPERLINK("http://evil.example","x")' in by_name and "'@SUM(A1)" in by_name
    two = by_name["Shop Two"]
    assert two["email"] == "" and Decimal(two["quantity_shipped"]) == 7 and two["state"] == "pending"
    assert two["responded_at_utc"] and two["returned"] == "3" and two["distributed_further"] == "no"
    assert two["destroyed"] == "1.5" and two["received_elsewhere"] == "no"  # no trailing zeros
    assert two["answered_by"] == "Ann Buyer" and two["reminders"] == "0"
    filtered = client.get(f"{plant['base']}?format=csv&responded=yes").get_data(as_text=True)
    assert len(list(csv.reader(io.StringIO(filtered.lstrip("\ufeff"))))) == 2


# --- notification recorded by hand ----------------------------------------------------------


def test_record_a_phone_call_in_the_users_zone(approved, login_as):
    client = login_as("marketing")
    client.user.timezone = "America/New_York"
    approved["recall"].approved_at = utcnow() - timedelta(days=1)
    db.session.commit()
    url = f"{approved['base']}/{approved['two'].id}/notified"
    page = client.get(url).get_data(as_text=True)
    assert 'type="datetime-local"' in page and "America/New_York" in page
    told = (utcnow() - timedelta(hours=1)).replace(second=0, microsecond=0)
    typed = told.astimezone(ZoneInfo("America/New_York")).strftime("%Y-%m-%dT%H:%M")
    data = {"method": "phone", "notified_at": typed, "notified_note": "Spoke to the store manager"}
    response = client.post(url, data=data, follow_redirects=True)
    assert response.status_code == 200 and "Shop Two: notified by phone." in response.get_data(as_text=True)
    notice = fresh(approved["two"])
    assert (notice.status, notice.method, notice.notified_at) == ("notified", "phone", told)
    assert notice.notified_by_id == client.user.id and approved["recall"].status == "notifying"
    page = client.get(approved["base"]).get_data(as_text=True)
    assert "Notified by hand</span> 1 (50.0%)" in page and "Spoke to the store manager" in page


@pytest.mark.parametrize(
    "data, message",
    [
        ({"method": "email"}, "Choose how the consignee was told"),
        ({"method": ""}, "Choose how the consignee was told"),
        ({"method": "pigeon"}, "Choose how the consignee was told"),
        ({"method": "phone", "when": "future"}, "in the future"),
        ({"method": "phone", "when": "before"}, "before the recall was approved"),
        ({"method": "phone", "notified_at": "yesterday"}, "Not a valid datetime value"),
        ({"method": "post", "notified_note": "x" * 501}, "under 500 characters"),
    ],
)
def test_bad_notifications_are_refused_and_change_nothing(approved, login_as, data, message):
    client = login_as("marketing")
    when = data.pop("when", None)
    if when == "future":
        data["notified_at"] = (utcnow() + timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M")
    elif when == "before":
        data["notified_at"] = (approved["recall"].approved_at - timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    before = audit_count()
    response = client.post(f"{approved['base']}/{approved['two'].id}/notified", data=data)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    notice = fresh(approved["two"])
    assert notice.status == "pending" and notice.method is None and audit_count() == before


def test_notification_and_response_pages_guard_the_recall(approved, login_as):
    client = login_as("marketing")
    notice = approved["two"].id
    other = approved["recall"].id + 1000
    assert client.get(f"/recalls/{other}/notices/{notice}/notified").status_code == 404
    assert client.get(f"/recalls/{other}/notices/{notice}/response").status_code == 404
    assert client.get(f"{approved['base']}/999999/notified").status_code == 404
    sales = login_as("sales")
    assert sales.post(f"{approved['base']}/{notice}/notified", data={"method": "phone"}).status_code == 403
    assert sales.post(f"{approved['base']}/{notice}/response", data=ANSWER).status_code == 403
    assert fresh(approved["two"]).status == "pending" and fresh(approved["two"]).responded_at is None


# --- response entered by hand ----------------------------------------------------------------


def test_enter_and_correct_a_response_by_hand(approved, login_as):
    client = login_as("marketing")
    url = f"{approved['base']}/{approved['two'].id}/response"
    page = client.get(url).get_data(as_text=True)
    assert "Enter the response" in page and "FIN-A" in page and "The consignee confirmed" in page

    response = client.post(url, data=versioned(approved["two"]), follow_redirects=True)
    assert "Shop Two: response recorded." in response.get_data(as_text=True)
    notice = fresh(approved["two"])
    assert notice.response_source == "manual" and notice.responded_at is not None
    assert (notice.quantity_on_hand, notice.quantity_returned, notice.quantity_destroyed) == (
        Decimal(2),
        Decimal(3),
        Decimal("1.5"),
    )
    answered_at = notice.responded_at

    page = client.get(url).get_data(as_text=True)
    assert "Correct the response" in page and 'value="3"' in page and 'value="1.5"' in page
    assert 'value="Ann Buyer"' in page and '<input checked class="form-check-input" id="distributed_further-0"' in page

    data = {**versioned(approved["two"]), "lot_0_quantity_returned": "3.5", "distributed_further": "yes"}
    response = client.post(url, data=data)
    assert response.status_code == 302
    notice = fresh(approved["two"])
    assert notice.quantity_returned == Decimal("3.5") and notice.distributed_further is True
    assert notice.responded_at == answered_at  # a correction keeps when they answered
    corrected = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "response corrected"))
    assert corrected.actor_id == client.user.id


@pytest.mark.parametrize(
    "change, message",
    [
        ({"confirm_receipt": None}, "Tick the box"),
        ({"lot_0_quantity_on_hand": "-1"}, "cannot be negative"),
        ({"lot_0_quantity_returned": "ten"}, "Enter a number"),
        ({"distributed_further": "maybe"}, "yes or no"),
        ({"response_by": ""}, "Give the name"),
        ({"lot_1_quantity_destroyed": "<script>alert(1)</script>"}, "Enter a number"),
    ],
)
def test_bad_responses_are_refused_and_change_nothing(approved, login_as, change, message):
    client = login_as("marketing")
    data = {k: v for k, v in {**versioned(approved["one"]), **change}.items() if v is not None}
    before = audit_count()
    response = client.post(f"{approved['base']}/{approved['one'].id}/response", data=data)
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert message in text and "<script>alert(1)</script>" not in text
    assert fresh(approved["one"]).responded_at is None and audit_count() == before


# --- effectiveness and the detail page -------------------------------------------------------


def test_effectiveness_page_shows_the_figures(approved, login_as):
    marketing = login_as("marketing")
    recall = approved["recall"]
    marketing.post(f"{approved['base']}/{approved['two'].id}/response", data=versioned(approved["two"]))  # 6.5 of 7
    client = login_as("production")
    page = client.get(f"/recalls/{recall.id}/effectiveness").get_data(as_text=True)
    assert 'id="notified-figure">1 of 2 (50.0%)' in page
    assert 'id="responded-figure">1 of 2 (50.0%)' in page
    assert "Level C — 10% of consignees" in page and "Check <strong>1</strong> of 2" in page
    balance = page[page.index('id="mass-balance"') : page.index("</table>", page.index('id="mass-balance"'))]
    for label, value in (
        ("Shipped to consignees", "25"),
        ("Reported on hand", "2"),
        ("Returned", "3"),
        ("Destroyed", "1.5"),
        ("Accounted for", "<strong>6.5</strong>"),
        ("Unaccounted", "18.5"),
        ("Accounted for, %", "26.0%"),
    ):
        assert f'<th scope="row">{label}</th><td class="text-end' in balance
        assert value in balance.split(f">{label}</th>")[1].split("</tr>")[0]
    assert "Not answered: 1" in page and "Shop One" in page and "Shop Two" not in page.split("Not answered")[1]
    assert f"/recalls/{recall.id}/notices?responded=no" in page
    assert "Send reminder to all non-responders" not in page  # production does not send
    assert 'style="' not in page  # the CSP allows no inline styles
    assert "Send reminder to all non-responders" in marketing.get(f"/recalls/{recall.id}/effectiveness").get_data(
        as_text=True
    )


def test_detail_page_links_to_notices_and_summarises_them(approved, login_as):
    client = login_as("sales")
    page = client.get(f"/recalls/{approved['recall'].id}").get_data(as_text=True)
    assert f"/recalls/{approved['recall'].id}/notices" in page
    assert f"/recalls/{approved['recall'].id}/effectiveness" in page
    assert "Not yet notified <strong" in page and "Notified 0 (0.0%)" in page
    assert "Replacement request" not in page  # the remedy is a refund


def test_replacement_request_appears_for_remedy_replace(app, login_as):
    plant = approve(remedy="replace")
    data = factories.answer_for(plant["one"], {"FIN-A": (5, 10, 0), "FIN-B": (1, 2, 0)}, version=plant["one"].version)
    login_as("marketing").post(f"{plant['base']}/{plant['one'].id}/response", data=data)
    page = login_as("production").get(f"/recalls/{plant['recall'].id}").get_data(as_text=True)
    table = page[page.index('id="replacement"') : page.index("</table>", page.index('id="replacement"'))]

    def cells(product) -> list[str]:
        row = table[table.index(f"<td>{product}</td>") : table.index("</tr>", table.index(f"<td>{product}</td>"))]
        return [cell.rsplit(">", 1)[-1] for cell in row.replace("</strong>", "").split("</td>")[1:5]]

    # Shop One had 15 of FIN-A's product and 3 of FIN-B's and answered each lot; Shop Two (7
    # of FIN-A) has not answered.
    assert cells(plant["a"].product.name) == ["22", "5", "10", "15"]
    assert cells(plant["b"].product.name) == ["3", "1", "2", "3"]
