"""The scenario's press work: inquiries in every state and statements, one with many versions."""

from datetime import timedelta

from app.models import INQUIRY_CHANNELS, STATEMENT_KINDS
from app.models.types import utcnow
from app.press import services as press

OUTLETS = ("Daily Courier", "FoodNavigator", "Radio Lyon", "The Grocer", "Le Progrès", "Consumer Watch")
QUESTIONS = (
    "Which products are affected, and since when?",
    "Has anyone been hurt? How many complaints have you received?",
    "Why did it take a week to recall the product?",
    "What are you doing so it does not happen again?",
)
HOLDING = (
    "We are recalling {title} as a precaution. Customers should not eat it and can return it "
    "to any store for a full refund.\nWe are working with the authorities to find the cause."
)
# Later versions: what marketing, legal and production change in a week of a recall.
REVISIONS = (
    "Customers should not eat the products listed below.",
    "No injury has been reported to us.",
    "The cause has been found: a torn sieve on one line. It has been replaced.",
    "Stores have removed the products from sale.",
    "Call 0800 123 456 (free, 8:00 to 20:00) with any question.",
)
INQUIRY_STATES = ("received", "drafting", "answered", "closed", "received", "drafting")
STATEMENT_STATES = ("draft", "in_review", "approved", "published", "withdrawn")


def _statement(cast, author, kind: str, title: str, body: str, incident_id=None, recall_id=None):
    data = dict(kind=kind, title=title, body=body, incident_id=incident_id, recall_id=recall_id)
    return press.create_statement(data, author)


def _move(statement, name: str, actor, cast, **data) -> None:
    if name == "approve":
        data |= dict(meaning="approved")
    press.apply_statement_transition(statement, name, data, actor, cast.password(actor))


def _to(statement, state: str, cast, approver) -> None:
    """Move a draft to `state` the way it goes: submitted, approved by someone else, published."""
    if state == "withdrawn":
        _move(statement, "withdraw", approver, cast, withdrawn_reason="Replaced by a newer statement.")
        return
    if state == "draft":
        return
    _move(statement, "submit", statement.author, cast)
    if state == "in_review":
        return
    _move(statement, "approve", approver, cast)
    if state == "published":
        _move(statement, "publish", approver, cast, published_where="Website and press agencies")


def main_statement(cast, facts: dict) -> int:
    """The recall's holding statement: versions by three people, approved and published, then
    revised again (a new draft while the approved words stay in use)."""
    comms = cast.staff["marketing"]
    body = HOLDING.format(title="oat bars and cereals")
    statement = _statement(
        cast, cast.marketing, "holding", "Recall of oat products", body, facts["main_incident"], facts["main_recall"]
    )
    data = dict(kind="holding", incident_id=facts["main_incident"], recall_id=facts["main_recall"])
    authors = (comms[0], cast.marketing, comms[-1], comms[0])
    for n, author in enumerate(authors):
        body = f"{body}\n{REVISIONS[n]}"
        note = ("Legal review", "Facts from production", "Hotline added", "Shorter")[n]
        data |= dict(title="Recall of oat products", body=body)
        press.edit_statement(statement, data, author, note=note, opened_version=statement.version)
    _to(statement, "published", cast, cast.marketing if statement.author_id != cast.marketing.id else comms[1])
    data |= dict(body=f"{body}\n{REVISIONS[-1]}")
    press.edit_statement(
        statement, data, comms[-1], note="Update after the first week", opened_version=statement.version
    )
    return statement.id


def statements(cast, facts: dict, count: int) -> dict:
    """`count` statements of every kind and state; the approver is never the author."""
    comms = cast.staff["marketing"]
    kinds = list(STATEMENT_KINDS)
    ids: dict = {"main_statement": main_statement(cast, facts)}
    for n in range(count):
        author = comms[n % len(comms)]
        state = STATEMENT_STATES[n % len(STATEMENT_STATES)]
        linked = dict(incident_id=facts.get("escalated_incident")) if n % 3 == 0 else {}
        statement = _statement(
            cast, author, kinds[n % len(kinds)], f"Statement {n + 1}", HOLDING.format(title=f"product {n}"), **linked
        )
        _to(statement, state, cast, cast.marketing)
        ids.setdefault(f"{state}_statement", statement.id)
    return ids


def inquiries(cast, facts: dict, count: int) -> dict:
    """`count` press inquiries: deadlines from yesterday to next week, some about the recall."""
    now = utcnow()
    channels = list(INQUIRY_CHANNELS)
    press_people = [cast.marketing, *cast.staff["marketing"]]
    ids: dict = {}
    for n in range(count):
        links = {}
        if n % 10 == 0:
            links = dict(incident_id=facts["main_incident"], recall_id=facts["main_recall"])
        elif n % 3 == 0:
            links = dict(incident_id=facts.get("open_incident"))
        data = dict(
            outlet=OUTLETS[n % len(OUTLETS)],
            journalist=f"Journalist {n}",
            contact=f"desk{n}@press.example",
            channel=channels[n % len(channels)],
            question=QUESTIONS[n % len(QUESTIONS)],
            deadline=now + timedelta(hours=(n % 9) * 20 - 30) if n % 5 else None,
            assignee_id=press_people[n % len(press_people)].id,
            **links,
        )
        actor = press_people[(n + 1) % len(press_people)]
        inquiry = press.create_inquiry(data, actor)
        state = INQUIRY_STATES[n % len(INQUIRY_STATES)]
        if state != "received":
            press.apply_inquiry_transition(inquiry, "draft", {}, actor)
        if state in ("answered", "closed"):
            answer = dict(answer="We refer you to our statement of this morning.")
            press.apply_inquiry_transition(inquiry, "answer", answer, actor)
        if state == "closed":
            press.apply_inquiry_transition(inquiry, "close", {}, actor)
        ids.setdefault(f"{state}_inquiry", inquiry.id)
        if links.get("recall_id"):
            ids.setdefault("main_inquiry", inquiry.id)
    return ids


def press_work(cast, facts: dict, sizes) -> dict:
    return statements(cast, facts, sizes.statements) | inquiries(cast, facts, sizes.inquiries)
