"""Press pages: inquiries and statements through the web (create, edit, stale saves, moves),
four eyes on approval, new versions needing approval again, hostile text shown as text,
the press-release PDF, CSV exports, the one-voice card for sales, and the deadline alert."""

import csv
import io
import re
import subprocess
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from pypdf import PdfReader

from app.alerts.defaults import install_default_rules
from app.alerts.due import raise_time_based_alerts
from app.extensions import db
from app.models import (
    Alert,
    IncidentLot,
    OutboxMessage,
    PressInquiry,
    Signature,
    Statement,
    StatementVersion,
)
from app.models.types import utcnow
from app.press import services as press
from tests import factories
from tests.factories import PASSWORD, sign_in

HOSTILE_TITLE = "<script>alert('t')</script> Oat <b>bars</b>"
HOSTILE_BODY = '<script>alert("x")</script>\n\n<b>bold</b> & <img src=x onerror=alert(1)>'
CARD = "Approved words to use with customers"
NO_LINKS = dict(incident_id=None, recall_id=None)

INQUIRY = dict(
    outlet="Daily Courier",
    journalist="Jo Reporter",
    contact="jo@courier.example",
    channel="phone",
    question="Is the oat bar withdrawal linked to the injury in town?",
    deadline="",
    incident_id="0",
    recall_id="0",
    assignee_id="0",
)
STATEMENT = dict(
    kind="holding",
    title="Oat bar lots withdrawn as a precaution",
    body="We are withdrawing two lots of oat bars.\n\nNo other products are affected.",
    incident_id="0",
    recall_id="0",
)


def inquiry_data(**changes) -> dict:
    """What the services take (the web form sends "0" for "none")."""
    return {**INQUIRY, **NO_LINKS, "deadline": None, "assignee_id": None, **changes}


def statement_data(**changes) -> dict:
    return {**STATEMENT, **NO_LINKS, **changes}


def client_for(app, user):
    client = app.test_client()
    assert sign_in(client, user.username).status_code == 302
    client.user = user
    return client


def text_of(response) -> str:
    return response.get_data(as_text=True)


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


@pytest.fixture
def people(app):
    return {
        "author": factories.make_user(("marketing",), name="Ann Author"),
        "second": factories.make_user(("marketing",), name="Bo Second"),
        "sales": factories.make_user(("sales",), name="Sam Sales"),
        "production": factories.make_user(("production",), name="Pia Production"),
    }


@pytest.fixture
def clients(app, people):
    return {role: client_for(app, user) for role, user in people.items()}


@pytest.fixture
def linked(app):
    """A complaint and a lot, both part of one incident (where one-voice words show)."""
    lot = factories.make_lot(code="OAT-77")
    complaint = factories.make_complaint(lot_codes="OAT-77")
    incident = factories.make_incident([complaint])
    db.session.add(IncidentLot(incident_id=incident.id, lot_id=lot.id, is_root=True))
    db.session.commit()
    return {"lot": lot, "complaint": complaint, "incident": incident}


def new_statement(client, **changes) -> Statement:
    response = client.post("/press/statements/new", data={**STATEMENT, **changes})
    assert response.status_code == 302, text_of(response)
    return db.session.scalars(sa.select(Statement).order_by(Statement.id.desc())).first()


def approve_via_web(author_client, approver_client, statement) -> None:
    assert author_client.post(f"/press/statements/{statement.id}/do/submit").status_code == 302
    response = approver_client.post(
        f"/press/statements/{statement.id}/do/approve", data={"meaning": "approved", "password": PASSWORD}
    )
    assert response.status_code == 302, text_of(response)
    db.session.expire_all()


# Inquiries


def test_log_an_inquiry_with_a_deadline_in_the_users_zone(app, people, linked):
    user = factories.make_user(("marketing",), timezone="Europe/Berlin")
    client = client_for(app, user)
    form = client.get(f"/press/inquiries/new?incident={linked['incident'].id}")
    assert form.status_code == 200
    assert re.search(rf'<option selected value="{linked["incident"].id}">', text_of(form))  # prefilled link
    data = {
        **INQUIRY,
        "deadline": "2030-07-01T14:30",
        "incident_id": str(linked["incident"].id),
        "assignee_id": str(people["second"].id),
    }
    response = client.post("/press/inquiries/new", data=data)
    assert response.status_code == 302
    inquiry = db.session.scalars(sa.select(PressInquiry)).one()
    assert inquiry.deadline == datetime(2030, 7, 1, 12, 30, tzinfo=UTC)  # 14:30 CEST
    assert inquiry.incident_id == linked["incident"].id and inquiry.assignee_id == people["second"].id
    page = text_of(client.get(response.headers["Location"]))
    assert "2030-07-01 14:30 CEST" in page and "Bo Second" in page and linked["incident"].reference in page
    assert "Received" in page and "Start drafting" in page


def test_edit_an_inquiry(app, clients, people):
    client = clients["author"]
    client.post("/press/inquiries/new", data=INQUIRY)
    inquiry = db.session.scalars(sa.select(PressInquiry)).one()
    form = text_of(client.get(f"/press/inquiries/{inquiry.id}/edit"))
    assert 'value="Daily Courier"' in form and f'name="version" type="hidden" value="{inquiry.version}"' in form
    response = client.post(
        f"/press/inquiries/{inquiry.id}/edit",
        data={**INQUIRY, "outlet": "Evening Star", "version": str(inquiry.version)},
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(PressInquiry, inquiry.id).outlet == "Evening Star"
    assert "Evening Star" in text_of(client.get(f"/press/inquiries/{inquiry.id}"))


@pytest.mark.parametrize(
    "change, field, message",
    [
        ({"outlet": "  "}, "outlet", "Name the newspaper"),
        ({"channel": "pigeon"}, "channel", "Not a valid choice"),
        ({"question": "q" * 20_001}, "question", "20000"),
        ({"outlet": "o" * 201}, "outlet", "200"),
        ({"incident_id": "999999"}, "incident_id", "Not a valid choice"),
        ({"recall_id": "abc"}, "recall_id", "Invalid Choice"),
        ({"deadline": "tomorrow"}, "deadline", "Not a valid datetime"),
        ({"deadline": "0001-01-01T00:00"}, "deadline", "between the years 2000 and 2100"),
        ({"assignee_id": "SALES"}, "assignee_id", "Not a valid choice"),  # only press users are offered
    ],
)
def test_bad_inquiries_show_errors_by_the_field_and_save_nothing(clients, people, change, field, message):
    if change.get("assignee_id") == "SALES":
        change = {"assignee_id": str(people["sales"].id)}
    response = clients["author"].post("/press/inquiries/new", data={**INQUIRY, **change})
    assert response.status_code == 422
    page = text_of(response)
    errors = re.findall(rf'id="{field}-error" role="alert">([^<]*)<', page)
    assert errors and message in errors[0], errors
    assert f'id="{field}"' in page and "is-invalid" in page
    assert count(PressInquiry) == 0


def test_a_stale_inquiry_save_is_refused_and_keeps_what_was_typed(clients):
    mine, theirs = clients["author"], clients["second"]
    mine.post("/press/inquiries/new", data=INQUIRY)
    inquiry = db.session.scalars(sa.select(PressInquiry)).one()
    opened = inquiry.version
    theirs_saved = theirs.post(
        f"/press/inquiries/{inquiry.id}/edit", data={**INQUIRY, "outlet": "Their Outlet", "version": str(opened)}
    )
    assert theirs_saved.status_code == 302

    response = mine.post(
        f"/press/inquiries/{inquiry.id}/edit",
        data={**INQUIRY, "question": "My longer question, typed at length", "version": str(opened)},
    )
    assert response.status_code == 409
    page = text_of(response)
    assert "changed by someone else" in page
    assert "My longer question, typed at length" in page  # nothing typed is lost
    assert "Their Outlet" in page  # the saved values beside mine
    db.session.expire_all()
    saved = db.session.get(PressInquiry, inquiry.id)
    assert saved.outlet == "Their Outlet" and saved.question == INQUIRY["question"]
    new_version = re.search(r'name="version" type="hidden" value="(\d+)"', page).group(1)
    assert int(new_version) == saved.version
    again = mine.post(
        f"/press/inquiries/{inquiry.id}/edit",
        data={**INQUIRY, "question": "My longer question, typed at length", "version": new_version},
    )
    assert again.status_code == 302


def test_inquiry_moves_through_the_web(clients):
    client = clients["author"]
    client.post("/press/inquiries/new", data=INQUIRY)
    inquiry = db.session.scalars(sa.select(PressInquiry)).one()
    base = f"/press/inquiries/{inquiry.id}"
    assert client.post(f"{base}/do/draft").status_code == 302
    empty = client.post(f"{base}/do/answer", data={"answer": " "})
    assert empty.status_code == 422 and "Write down the answer we gave." in text_of(empty)
    assert client.post(f"{base}/do/answer", data={"answer": "We sent the holding statement."}).status_code == 302
    assert client.post(f"{base}/do/close").status_code == 302
    db.session.expire_all()
    inquiry = db.session.get(PressInquiry, inquiry.id)
    assert inquiry.status == "closed" and inquiry.answer == "We sent the holding statement."
    page = text_of(client.get(base))
    assert "We sent the holding statement." in page and "Reopen" in page and f"{base}/edit" not in page
    assert client.get(f"{base}/edit").status_code == 409
    assert client.post(f"{base}/do/draft").status_code == 409  # not from closed
    assert client.get(f"{base}/do/fly").status_code == 404


def test_sales_and_production_cannot_write_press_records(clients, people):
    statement = press.create_statement(statement_data(), people["author"])
    inquiry = press.create_inquiry(inquiry_data(), people["author"])
    db.session.commit()
    posts = [
        ("/press/inquiries/new", INQUIRY),
        (f"/press/inquiries/{inquiry.id}/edit", {**INQUIRY, "outlet": "X"}),
        (f"/press/inquiries/{inquiry.id}/do/draft", {}),
        ("/press/statements/new", STATEMENT),
        (f"/press/statements/{statement.id}/edit", {**STATEMENT, "body": "Changed"}),
        (f"/press/statements/{statement.id}/do/submit", {}),
    ]
    for role in ("sales", "production"):
        for url, data in posts:
            assert clients[role].post(url, data=data).status_code == 403, (role, url)
    db.session.expire_all()
    assert count(PressInquiry) == 1 and count(Statement) == 1 and count(StatementVersion) == 1
    assert db.session.get(Statement, statement.id).status == "draft"
    assert db.session.get(PressInquiry, inquiry.id).status == "received"
    # Production checks the facts in drafts (read only); sales sees no press pages at all.
    assert clients["production"].get(f"/press/statements/{statement.id}").status_code == 200
    assert clients["sales"].get(f"/press/statements/{statement.id}").status_code == 403
    assert clients["sales"].get("/press/inquiries/").status_code == 403


# Statements


def test_four_eyes_through_the_web(clients, people):
    author, second, sales = clients["author"], clients["second"], clients["sales"]
    statement = new_statement(author)
    base = f"/press/statements/{statement.id}"
    assert author.post(f"{base}/do/submit").status_code == 302

    page = text_of(author.get(base))
    assert "In review" in page and f"{base}/do/approve" not in page and "Four eyes" in page
    assert author.get(f"{base}/do/approve").status_code == 403
    refused = author.post(f"{base}/do/approve", data={"meaning": "approved", "password": PASSWORD})
    assert refused.status_code == 403 and "Four eyes" in text_of(refused)
    assert sales.post(f"{base}/do/approve", data={"meaning": "approved", "password": PASSWORD}).status_code == 403
    db.session.expire_all()
    assert db.session.get(Statement, statement.id).status == "in_review" and count(Signature) == 0

    assert f"{base}/do/approve" in text_of(second.get(base))
    form = second.get(f"{base}/do/approve")
    assert form.status_code == 200 and "Electronic signature" in text_of(form)
    wrong = second.post(f"{base}/do/approve", data={"meaning": "approved", "password": "not-it"})
    assert wrong.status_code == 422 and "nothing was signed" in text_of(wrong)
    db.session.expire_all()
    assert db.session.get(Statement, statement.id).status == "in_review" and count(Signature) == 0

    assert second.post(f"{base}/do/approve", data={"meaning": "approved", "password": PASSWORD}).status_code == 302
    db.session.expire_all()
    statement = db.session.get(Statement, statement.id)
    assert statement.status == "approved" and statement.approved_by_id == people["second"].id
    page = text_of(author.get(base))
    assert "Signed by <strong>Bo Second</strong>" in page and "approved version: 1" in page
    assert "signature refused" in page.lower()  # the wrong password is on the timeline


def test_an_edit_after_approval_is_a_draft_that_needs_approval_again(clients, people, linked):
    author, second = clients["author"], clients["second"]
    statement = new_statement(author, incident_id=str(linked["incident"].id))
    approve_via_web(author, second, statement)
    base = f"/press/statements/{statement.id}"

    form = text_of(second.get(f"{base}/edit"))
    assert "must be approved again" in form
    body = STATEMENT["body"] + "\n\nCall 0800 123 456 for a refund."
    response = second.post(
        f"{base}/edit",
        data={
            **STATEMENT,
            "incident_id": str(linked["incident"].id),
            "body": body,
            "note": "Added the hotline",
            "version": str(statement.version),
        },
        follow_redirects=True,
    )
    assert "needs approval again" in text_of(response)
    db.session.expire_all()
    statement = db.session.get(Statement, statement.id)
    assert (statement.status, statement.current_version, statement.approved_version) == ("draft", 2, 1)
    page = text_of(second.get(base))
    assert "Version 2 is not approved yet" in page and "Added the hotline" in page

    diff = text_of(second.get(f"{base}/versions/2"))
    assert re.search(r'diff-added" role="listitem"><span class="visually-hidden">Added: </span>\+ Call 0800', diff)
    # Sales keeps seeing version 1 until version 2 is approved (by someone who did not write it).
    sales_page = text_of(clients["sales"].get(f"/complaints/{linked['complaint'].id}"))
    assert CARD in sales_page and "Call 0800" not in sales_page and "version 1" in sales_page
    assert second.post(f"{base}/do/submit").status_code == 302
    assert second.get(f"{base}/do/approve").status_code == 403  # second wrote version 2
    assert author.post(f"{base}/do/approve", data={"meaning": "approved", "password": PASSWORD}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Statement, statement.id).approved_version == 2
    assert "Call 0800" in text_of(clients["sales"].get(f"/complaints/{linked['complaint'].id}"))


def test_a_stale_statement_save_is_refused_and_keeps_the_text(clients):
    author, second = clients["author"], clients["second"]
    statement = new_statement(author)
    opened = str(statement.version)
    base = f"/press/statements/{statement.id}/edit"
    assert second.post(base, data={**STATEMENT, "body": "Their words", "version": opened}).status_code == 302
    response = author.post(base, data={**STATEMENT, "body": "My careful words", "version": opened})
    assert response.status_code == 409
    page = text_of(response)
    assert "My careful words" in page and "Their words" in page and "changed by someone else" in page
    db.session.expire_all()
    assert db.session.get(Statement, statement.id).body == "Their words"


def test_bad_statements_show_errors_and_save_nothing(clients):
    for change, field in (
        ({"kind": "rumour"}, "kind"),
        ({"title": ""}, "title"),
        ({"title": "t" * 201}, "title"),
        ({"body": "  "}, "body"),
        ({"body": "b" * 20_001}, "body"),
        ({"incident_id": "-1"}, "incident_id"),
    ):
        response = clients["author"].post("/press/statements/new", data={**STATEMENT, **change})
        assert response.status_code == 422, change
        assert f'id="{field}-error"' in text_of(response), change
    assert count(Statement) == 0 and count(StatementVersion) == 0


def test_script_and_html_are_shown_as_text(clients, linked):
    author, second = clients["author"], clients["second"]
    statement = new_statement(author, title=HOSTILE_TITLE, body=HOSTILE_BODY, incident_id=str(linked["incident"].id))
    approve_via_web(author, second, statement)
    pages = {
        "detail": author.get(f"/press/statements/{statement.id}"),
        "version": author.get(f"/press/statements/{statement.id}/versions/1"),
        "list": author.get("/press/statements/"),
        "complaint": clients["sales"].get(f"/complaints/{linked['complaint'].id}"),
        "lot": clients["sales"].get(f"/lots/{linked['lot'].id}"),
        "incident": clients["sales"].get(f"/incidents/{linked['incident'].id}"),
    }
    for name, response in pages.items():
        page = text_of(response)
        assert response.status_code == 200, name
        assert "<script>alert" not in page and "<b>bold</b>" not in page and "<img src=x" not in page, name
        assert "&lt;script&gt;alert(&#39;t&#39;)&lt;/script&gt; Oat &lt;b&gt;bars&lt;/b&gt;" in page, name
        if name != "list":
            assert "&lt;b&gt;bold&lt;/b&gt; &amp; &lt;img src=x onerror=alert(1)&gt;" in page, name


def test_the_version_page_shows_the_diff(clients):
    author = clients["author"]
    statement = new_statement(author)
    author.post(
        f"/press/statements/{statement.id}/edit",
        data={**STATEMENT, "title": "New title", "body": "We are withdrawing two lots of oat bars.", "version": "1"},
    )
    page = text_of(author.get(f"/press/statements/{statement.id}/versions/2"))
    assert "Changes from version 1" in page
    assert "− # Oat bar lots withdrawn as a precaution" in page and "+ # New title" in page
    assert "− No other products are affected." in page
    first = text_of(author.get(f"/press/statements/{statement.id}/versions/1"))
    assert "First version: every line is new" in first
    assert author.get(f"/press/statements/{statement.id}/versions/3").status_code == 404
    assert author.get(f"/press/statements/{statement.id}/versions/2?against=junk").status_code == 200


def test_publish_and_withdraw_through_the_web(clients, people, linked):
    author, second = clients["author"], clients["second"]
    statement = new_statement(author, kind="talking_points", incident_id=str(linked["incident"].id))
    approve_via_web(author, second, statement)
    base = f"/press/statements/{statement.id}"
    refused = author.post(f"{base}/do/publish", data={"published_where": "", "published_at": ""})
    assert refused.status_code == 422 and 'id="published_where-error"' in text_of(refused)
    future = (utcnow() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    late = author.post(f"{base}/do/publish", data={"published_where": "Website", "published_at": future})
    assert late.status_code == 422 and "not in the future" in text_of(late)
    assert author.post(f"{base}/do/publish", data={"published_where": "Website newsroom"}).status_code == 302
    assert CARD in text_of(clients["sales"].get(f"/lots/{linked['lot'].id}"))
    assert author.post(f"{base}/do/withdraw", data={"withdrawn_reason": "Recall over"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Statement, statement.id).status == "withdrawn"
    assert CARD not in text_of(clients["sales"].get(f"/lots/{linked['lot'].id}"))
    assert author.get(f"{base}/edit").status_code == 409


# One voice


def test_the_one_voice_card_shows_for_sales_only_after_approval(clients, linked):
    author, second, sales = clients["author"], clients["second"], clients["sales"]
    complaint_url, lot_url = f"/complaints/{linked['complaint'].id}", f"/lots/{linked['lot'].id}"
    statement = new_statement(author, incident_id=str(linked["incident"].id))
    new_statement(author, kind="press_release", title="Release words", incident_id=str(linked["incident"].id))
    author.post(f"/press/statements/{statement.id}/do/submit")
    for url in (complaint_url, lot_url):
        assert CARD not in text_of(sales.get(url))  # drafts and statements in review are never shown
    second.post(f"/press/statements/{statement.id}/do/approve", data={"meaning": "approved", "password": PASSWORD})
    for url in (complaint_url, lot_url, f"/incidents/{linked['incident'].id}"):
        page = text_of(sales.get(url))
        assert CARD in page and STATEMENT["title"] in page and "No other products are affected." in page, url
        assert "Approved by Bo Second" in page and "Holding statement" in page
        assert "Release words" not in page  # press releases are not talking points
        assert f"/press/statements/{statement.id}" not in page  # sales cannot open press pages
    assert f"/press/statements/{statement.id}" in text_of(author.get(complaint_url))


def test_the_incident_page_offers_press_links_to_marketing_only(clients, linked):
    url = f"/incidents/{linked['incident'].id}"
    for role in ("author", "sales", "production"):
        page = text_of(clients[role].get(url))
        expected = role == "author"
        assert (f"/press/inquiries/new?incident={linked['incident'].id}" in page) == expected, role
        assert (f"/press/statements/new?incident={linked['incident'].id}" in page) == expected, role
    nav = {role: text_of(clients[role].get("/home")) for role in ("author", "sales", "production")}
    assert 'href="/press/inquiries/"' in nav["author"] and 'href="/press/inquiries/"' in nav["production"]
    assert 'href="/press/inquiries/"' not in nav["sales"]


# PDF


def pdf_text(data: bytes) -> str:
    return " ".join("\n".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages).split())


def test_the_press_release_pdf(app, clients, tmp_path):
    author, second = clients["author"], clients["second"]
    statement = new_statement(author, title=HOSTILE_TITLE, body="First paragraph.\n\nSecond <b>para</b>.")
    draft = author.get(f"/press/statements/{statement.id}.pdf")
    assert draft.status_code == 200 and draft.mimetype == "application/pdf"
    assert f'filename="{statement.reference}-v1-DRAFT.pdf"' in draft.headers["Content-Disposition"]
    text = pdf_text(draft.data)
    assert "DRAFT — NOT APPROVED" in text and app.config["COMPANY_NAME"] in text
    assert "<script>alert('t')</script> Oat <b>bars</b>" in text
    assert "First paragraph." in text and "Second <b>para</b>." in text and statement.reference in text

    approve_via_web(author, second, statement)
    author.post(
        f"/press/statements/{statement.id}/edit",
        data={**STATEMENT, "title": "Unapproved title", "body": "Unapproved words", "version": "3"},
    )
    db.session.expire_all()
    assert db.session.get(Statement, statement.id).current_version == 2
    approved = author.get(f"/press/statements/{statement.id}.pdf")
    text = pdf_text(approved.data)
    assert "DRAFT" not in text and "Approved by Bo Second on" in text
    assert "First paragraph." in text and "Unapproved words" not in text  # the approved version is printed
    assert f'filename="{statement.reference}-v1.pdf"' in approved.headers["Content-Disposition"]

    path = tmp_path / "release.pdf"
    path.write_bytes(draft.data)
    subprocess.run(["pdftoppm", "-png", "-r", "50", str(path), str(tmp_path / "page")], check=True)
    pngs = sorted(tmp_path.glob("page*.png"))
    assert len(pngs) == len(PdfReader(path).pages) >= 1 and all(p.stat().st_size > 3_000 for p in pngs)
    assert clients["sales"].get(f"/press/statements/{statement.id}.pdf").status_code == 403


# Lists and CSV


def test_inquiry_list_filters_search_sort_and_csv(clients, people):
    now = utcnow()
    rows = [
        ("Daily Courier", "phone", now - timedelta(hours=2), people["second"]),  # overdue
        ("Evening Star", "email", now + timedelta(hours=30, minutes=30), None),
        ('=HYPERLINK("http://evil.example","x")', "social", None, None),
    ]
    for outlet, channel, deadline, assignee in rows:
        data = inquiry_data(outlet=outlet, channel=channel, deadline=deadline, assignee_id=assignee and assignee.id)
        press.create_inquiry(data, people["author"])
    db.session.commit()
    client = clients["production"]
    page = text_of(client.get("/press/inquiries/"))
    assert page.index("Daily Courier") < page.index("Evening Star") < page.index("HYPERLINK")  # by deadline
    assert "overdue by 2 h 00 min" in page and "due in 30 h 29 min" in page
    assert "Daily Courier" not in text_of(client.get("/press/inquiries/?q=star"))
    overdue = text_of(client.get("/press/inquiries/?overdue=1"))
    assert "Daily Courier" in overdue and "Evening Star" not in overdue
    mine = text_of(client.get(f"/press/inquiries/?assignee_id={people['second'].id}&channel=phone"))
    assert "1 result" in mine
    assert "Evening Star" in text_of(client.get("/press/inquiries/?channel=email"))
    bad = client.get("/press/inquiries/?status=bogus&assignee_id=abc&sort=evil&page=x")
    assert bad.status_code == 200 and "Unknown status" in text_of(bad) and "3 results" in text_of(bad)
    assert "Log a press inquiry" not in page  # production reads, does not write

    export = client.get("/press/inquiries/?format=csv&sort=-deadline")
    assert export.mimetype == "text/csv"
    table = list(csv.reader(io.StringIO(export.get_data(as_text=True).lstrip("\ufeff"))))
    assert table[0][:3] == ["reference", "status", "outlet"] and len(table) == 4
    assert table[1][2] == "Evening Star"  # latest deadline first; no deadline last
    assert table[3][2].startswith("'=HYPERLINK")  # formulas neutralised


def test_statement_list_filters_and_csv(clients, people):
    for kind, title in (("holding", "Holding words"), ("press_release", "Release words"), ("social", "Post words")):
        press.create_statement(statement_data(kind=kind, title=title), people["author"])
    db.session.commit()
    client = clients["author"]
    page = text_of(client.get("/press/statements/"))
    assert "3 results" in page and "Draft a statement" in page
    assert "Release words" not in text_of(client.get("/press/statements/?kind=holding"))
    assert "1 result" in text_of(client.get("/press/statements/?q=post"))
    assert "No statement matches" in text_of(client.get("/press/statements/?status=approved"))
    export = client.get("/press/statements/?format=csv&kind=press_release")
    table = list(csv.reader(io.StringIO(export.get_data(as_text=True).lstrip("\ufeff"))))
    assert len(table) == 2 and table[1][1] == "press_release" and table[1][4] == "Release words"
    assert table[1][5] == STATEMENT["body"]


@pytest.mark.parametrize("url", ["/press/inquiries/", "/press/statements/"])
def test_lists_use_a_fixed_number_of_queries(clients, people, linked, url):
    client = clients["author"]
    statements: list[str] = []

    def record(*args):
        statements.append(args[2])

    def measure() -> int:
        statements.clear()
        sa.event.listen(db.engine, "before_cursor_execute", record)
        try:
            assert client.get(url).status_code == 200
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", record)
        return len(statements)

    def add(n: int) -> None:
        for _ in range(n):
            assignee = factories.make_user(("marketing",))
            incident_id = linked["incident"].id
            data = inquiry_data(deadline=utcnow(), incident_id=incident_id, assignee_id=assignee.id)
            press.create_inquiry(data, people["author"])
            press.create_statement(statement_data(incident_id=incident_id), assignee)
        db.session.commit()

    add(2)
    small = measure()
    add(12)
    assert measure() == small, statements


# Alerts


def test_deadline_near_alert_once_per_day(app, people):
    install_default_rules()
    now = utcnow()
    near = press.create_inquiry(
        inquiry_data(deadline=now + timedelta(hours=2), assignee_id=people["second"].id), people["author"]
    )
    press.create_inquiry(inquiry_data(deadline=now + timedelta(hours=30)), people["author"])
    answered = press.create_inquiry(inquiry_data(deadline=now + timedelta(hours=1)), people["author"])
    press.apply_inquiry_transition(answered, "answer", {"answer": "Done."}, people["author"])
    db.session.commit()

    assert raise_time_based_alerts()["inquiry.deadline_near"] == 1
    db.session.commit()
    alerts = db.session.scalars(sa.select(Alert).where(Alert.event == "inquiry.deadline_near")).all()
    assert {a.user_id for a in alerts} == {people["author"].id, people["second"].id}  # marketing + the assignee
    assert {a.url for a in alerts} == {f"/press/inquiries/{near.id}"}
    assert all(a.record_id == near.id and "deadline in 1 h" in a.title for a in alerts)
    mails = db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.event == "inquiry.deadline_near")).all()
    assert len(mails) == 2 and all(f"/press/inquiries/{near.id}" in m.body_text for m in mails)

    assert raise_time_based_alerts()["inquiry.deadline_near"] == 0  # once per day
    db.session.commit()
    assert count(Alert) == 2 and count(OutboxMessage) == 2


def test_awaiting_approval_alert_opens_the_statement(app, clients, people):
    install_default_rules()
    db.session.commit()
    statement = new_statement(clients["author"])
    clients["author"].post(f"/press/statements/{statement.id}/do/submit")
    alerts = db.session.scalars(sa.select(Alert).where(Alert.event == "statement.awaiting_approval")).all()
    assert {a.user_id for a in alerts} == {people["second"].id}  # never the author
    assert alerts[0].url == f"/press/statements/{statement.id}"
    opened = clients["second"].get(f"/alerts/{alerts[0].id}/open")
    assert opened.status_code == 302 and opened.headers["Location"].endswith(f"/press/statements/{statement.id}")
