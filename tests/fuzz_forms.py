"""Every POST form of Lotline as a fuzzing spec, the hostile-value strategies, the database
fingerprint and the outcome counter used by tests/test_fuzz.py (issue 9)."""

import hashlib
import itertools
import json
import os
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from io import BytesIO
from pathlib import Path
from urllib.parse import quote

import sqlalchemy as sa
from hypothesis import strategies as st

from app.extensions import db
from app.models import AlertRule, Complaint, Customer, Incident, Lot, Product, RecallNotice, User
from app.recalls import tokens
from app.workflow import consequences
from tests import factories
from tests.factories import PASSWORD

ALL_ROLES = ("sales", "production", "marketing", "admin")
_seq = itertools.count(1)

# --- Hostile values --------------------------------------------------------------------------

LONG = 10_000
SQL_HTML = [
    "' OR 1=1 --",
    "'; DROP TABLE users; --",
    '" OR ""="',
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "{{7*7}}{% raw %}",
    "%s%s%n%x",
    "../../../etc/passwd",
    "\\",
    "%00",
    "%",
    "_",
    "javascript:alert(1)",
]
UNICODE = [
    "\u202eevil\u202c",  # right-to-left override
    "مرحبا بالعالم",
    "שלום",
    "😀🧪🍫👨‍👩‍👧",
    "e\u0301" * 50,  # combining marks
    "Z̷̡̛̖͎a̴̪̔l̸̰̓g̶̣̈o̶̢͝",
    "\u200b\u200d\ufeff",
    "\u00a0",
    "\u2028\u2029",
    "\uffff",
    "ǅ",
    "İ",
]
NUMBERS = [
    "-1",
    "0",
    "-0",
    "NaN",
    "nan",
    "Infinity",
    "-Infinity",
    "inf",
    "1e999",
    "-1e999",
    "1e-999",
    "9" * 40,
    "-" + "9" * 40,
    "2147483648",
    "9223372036854775808",
    "0.0000000001234567891",
    "3.14159265358979323846264338327950288",
    "1,000",
    "1 000",
    "١٢٣",  # Arabic-Indic digits: isdigit() and int() accept them
    "²",  # isdigit() is true, int() refuses it
    "½",
    "0x10",
    " 5 ",
    "+5",
    "5.",
    ".5",
    "1_000",
    "1e3",
    "true",
]
DATES = [
    "0000-00-00",
    "9999-12-31",
    "2026-02-30",
    "2026-13-01",
    "2026-00-10",
    "0001-01-01",
    "1899-12-31",
    "10000-01-01",
    "-2026-01-01",
    "2026-1-1",
    "31/12/2026",
    "12/31/2026",
    "2026-01-01T25:61",
    "2026-01-01T00:00",
    "0001-01-01T00:00",
    "9999-12-31T23:59",
    "2026-02-30T10:00",
    "2026-03-29T02:30",  # a local time that does not exist in Europe (DST gap)
    "2026-01-01T10:00:00Z",
    "2026-01-01 10:00",
    "today",
]
IDS = ["0", "-1", "abc", "1.5", "²", "١", "2147483647", "2147483648", "9" * 30, "1 OR 1=1", "0x1", " 1"]


def _long(alphabet):
    return st.builds(lambda c, n: c * n, alphabet, st.sampled_from([LONG, LONG + 1, 5_001, 65, 201, 1_001]))


def _long_text():
    return st.one_of(_long(st.sampled_from(["x", "é", "😀", " ", "\n", "9", "<"])), st.text(min_size=200, max_size=600))


GENERIC = st.one_of(
    st.just(""),
    st.sampled_from([" ", "   ", "\t", "\n", "\r\n", " \n\t "]),
    st.text(max_size=40),
    _long_text(),
    st.sampled_from(UNICODE),
    st.text(alphabet=st.characters(max_codepoint=0x1F), max_size=10),  # control characters, NUL too
    st.sampled_from(SQL_HTML),
    st.sampled_from(NUMBERS),
    st.sampled_from(DATES),
    st.sampled_from(IDS),
)
BY_KIND = {
    "int": st.one_of(st.sampled_from(NUMBERS), st.integers().map(str)),
    "decimal": st.one_of(
        st.sampled_from(NUMBERS),
        st.decimals(allow_nan=True, allow_infinity=True).map(str),
        st.floats().map(repr),
        st.integers().map(str),
    ),
    "id": st.one_of(st.sampled_from(IDS), st.integers().map(str)),
    "date": st.one_of(
        st.sampled_from(DATES),
        st.dates().map(lambda d: d.isoformat()),
        st.from_regex(r"\A-?[0-9]{1,5}-[0-9]{1,2}-[0-9]{1,2}\Z"),
    ),
    "datetime": st.one_of(
        st.sampled_from(DATES),
        st.datetimes().map(lambda d: f"{d.year:04d}-{d.month:02d}-{d.day:02d}T{d.hour:02d}:{d.minute:02d}"),
        st.from_regex(r"\A[0-9]{1,5}-[0-9]{1,2}-[0-9]{1,2}T[0-9]{1,2}:[0-9]{1,2}\Z"),
    ),
    "choice": st.one_of(st.sampled_from(["", "none", "ALL", "0", "1"]), st.text(max_size=12)),
    "bool": st.sampled_from(["y", "on", "true", "1", "0", "false", "", "no", "n", "off", "yes"]),
    "text": st.just(""),
    "password": st.just(""),
}


def hostile(kind: str):
    """A strategy for one odd value of a field of this kind."""
    return st.one_of(GENERIC, BY_KIND.get(kind, GENERIC))


def file_value():
    """An uploaded file: odd bytes under an odd name (FileStorage tuples for the test client)."""
    csv_text = st.one_of(
        st.text(max_size=300),
        st.lists(st.lists(st.one_of(GENERIC), min_size=1, max_size=9).map(",".join), max_size=5).map("\n".join),
        st.sampled_from(SQL_HTML + UNICODE + NUMBERS + DATES),
    )
    content = st.one_of(
        csv_text.map(lambda t: t.encode("utf-8")),
        csv_text.map(lambda t: t.encode("utf-16")),
        st.binary(max_size=300),
        st.just(b""),
        st.just(b"\x89PNG\r\n\x1a\n" + b"\x00" * 32),
        st.just(b"%PDF-1.4\n%%EOF\n"),
        st.just(b"lot_code,product_sku\n" + b"A," * 5000),
    )
    name = st.one_of(
        st.sampled_from(["data.csv", "photo.png", "../../evil.csv", "", ".csv", "a" * 300 + ".csv", "x.pdf\x00.csv"]),
        st.text(max_size=30),
    )
    return st.tuples(content, name).map(lambda cn: ("file", cn))


# --- Specs -----------------------------------------------------------------------------------


@dataclass
class Field:
    kind: str = "text"
    good: object = "Fuzzed value"  # a string, a list of strings, or a callable(world) giving one
    many: bool = False  # a multi-valued field (checkboxes, repeated ids)


@dataclass
class Spec:
    name: str
    url: object  # callable(world, state) -> path (unquoted parts already safe)
    fields: dict[str, Field] = field(default_factory=dict)
    states: tuple[str, ...] = ("default",)  # records the url may be built for; re-made after a success
    moves: tuple[str, ...] = ()  # for /do/<name>: the move names to try (plus odd ones)
    anonymous: bool = False
    signed: bool = False  # a refused signature is audited: the one write a rejection may make
    success_status: tuple[int, ...] = (302,)
    query: dict[str, Field] = field(default_factory=dict)  # fuzzed query-string arguments
    method_get_too: bool = False
    success_flash: bool = True  # a success redirect says so with a "success" flash (sign-in does not)
    remake: tuple[str, ...] = ()  # world keys to make again after a success ("{state}" filled in)
    patches: tuple[tuple[str, str, object], ...] = ()  # (module, attribute, value) set for this spec's run


def _fmt_dt(value: datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M")


NOW = lambda w: _fmt_dt(datetime.now(UTC) - timedelta(hours=2))  # noqa: E731
SOON = lambda w: (date.today() + timedelta(days=7)).isoformat()  # noqa: E731
LATER = lambda w: (date.today() + timedelta(days=90)).isoformat()  # noqa: E731
T = Field  # shorthand


def text(good="Fuzzed value"):
    return Field("text", good)


class World:
    """The records the forms are posted against, made lazily through the services; a record
    whose move succeeded is made again, so every example finds the state its spec asks for."""

    def __init__(self, app):
        self.app = app
        self.cache: dict[str, int] = {}
        self.fuzzer = factories.make_user(ALL_ROLES, username=f"fuzzer{next(_seq)}")
        self.other_id = factories.make_user(("marketing", "production"), username=f"author{next(_seq)}").id
        self.product_id = factories.make_product().id
        self.customer_id = factories.make_customer().id

    # Users by id: each request ends with the session removed, so objects would be detached.
    @property
    def fuzzer(self) -> User:
        return db.session.get(User, self.fuzzer_id)

    @fuzzer.setter
    def fuzzer(self, user: User) -> None:
        self.fuzzer_id = user.id
        self.fuzzer_name = user.username

    @property
    def other(self) -> User:
        return db.session.get(User, self.other_id)

    def get(self, key: str) -> int:
        if key not in self.cache:
            self.cache[key] = getattr(self, f"_make_{key.replace('-', '_')}")()
        return self.cache[key]

    def forget(self, key: str) -> None:
        self.cache.pop(key, None)

    # Complaints
    def _make_complaint(self):
        return factories.make_complaint(actor=self.other, product_id=self.product_id, customer_id=self.customer_id).id

    def _make_complaint_new(self):
        return self._make_complaint()

    def _make_complaint_triaged(self):
        c = factories.make_complaint(actor=self.other, product_id=self.product_id, customer_id=self.customer_id)
        return factories.triage(c, actor=self.other).id

    def _make_complaint_investigating(self):
        from app.complaints import services

        c = db.session.get(Complaint, self._make_complaint_triaged())
        services.apply_transition(c, "investigate", {}, self.other)
        db.session.commit()
        return c.id

    def _make_complaint_resolved(self):
        from app.complaints import services

        c = db.session.get(Complaint, self._make_complaint_investigating())
        services.apply_transition(c, "resolve", {"reply_to_complainant": "We refunded."}, self.fuzzer)
        db.session.commit()
        return c.id

    # Incidents
    def _make_incident(self):
        c = db.session.get(Complaint, self._make_complaint())
        return factories.make_incident([c], actor=self.other).id

    def _make_incident_open(self):
        return self._make_incident()

    def _make_incident_contained(self):
        from app.incidents import services

        i = db.session.get(Incident, self._make_incident())
        services.apply_transition(i, "contain", {"containment": "Held all lots."}, self.other)
        db.session.commit()
        return i.id

    # CAPA
    def _make_action(self):
        return factories.make_action(db.session.get(Incident, self.get("incident")), actor=self.other).id

    def _make_action_planned(self):
        return self._make_action()

    def _action_moved(self, *moves):
        from app.capa import services
        from app.models import Action

        a = db.session.get(Action, self._make_action())
        for name, data in moves:
            services.apply_transition(a, name, data, self.other)
        db.session.commit()
        return a.id

    def _make_action_in_progress(self):
        return self._action_moved(("start", {}))

    def _make_action_implemented(self):
        return self._action_moved(("start", {}), ("implement", {"implementation_note": "Sieve replaced."}))

    # Recalls: a small plant of its own per recall (lot codes are unique)
    def _plant(self, consignees=3):
        n = next(_seq)
        raw = factories.make_lot(code=f"FZ-RAW-{n}", kind="raw")
        fin = factories.make_lot(code=f"FZ-FIN-{n}")
        factories.make_edge(raw, fin)
        for k in range(consignees):
            shop = factories.make_customer(name=f"Fuzz Shop {n}-{k}", email=f"shop{n}-{k}@example.com")
            factories.make_shipment(fin, shop, quantity=10 + k)
        self.cache["lot_code"] = raw.code
        return raw

    def _make_recall_proposed(self):
        raw = self._plant()
        incident = db.session.get(Incident, self.get("incident"))
        live = consequences.live_recalls(incident)  # a second recall of the incident extends the first
        extends = {"extends_id": live[0].id} if live else {}
        return factories.make_recall(self.other, [raw], incident, **extends).id

    def _make_recall_approved(self):
        from app.models import Recall
        from app.recalls import services

        recall = db.session.get(Recall, self._make_recall_proposed())
        approver = factories.make_user(("marketing",))
        services.approve(recall, approver, "approved", PASSWORD)
        db.session.commit()
        return recall.id

    def _make_recall(self):
        return self._make_recall_approved()

    def notice_id(self, answered_ok=True) -> int:
        """An unanswered notice of an approved recall (a new recall when all are answered)."""
        for _ in range(2):
            recall_id = self.get("recall")
            notice = db.session.scalar(
                sa.select(RecallNotice)
                .where(RecallNotice.recall_id == recall_id, RecallNotice.responded_at.is_(None))
                .order_by(RecallNotice.id)
            )
            if notice is not None:
                return notice.id
            self.forget("recall")
        raise AssertionError("no unanswered notice")

    # Press
    def _make_inquiry(self):
        return factories.make_inquiry(self.other).id

    def _make_inquiry_received(self):
        return self._make_inquiry()

    def _make_inquiry_answered(self):
        from app.models import PressInquiry
        from app.press import services

        q = db.session.get(PressInquiry, self._make_inquiry())
        services.apply_inquiry_transition(q, "answer", {"answer": "We answered."}, self.other)
        db.session.commit()
        return q.id

    def _statement(self, submit=False):
        return factories.make_statement(self.other, submit=submit, title="Withdrawn", body="We withdraw two lots.").id

    def _make_statement(self):
        return self._statement()

    def _make_statement_draft(self):
        return self._statement()

    def _make_statement_in_review(self):
        return self._statement(submit=True)

    # Admin, alerts
    def _make_user(self):
        return factories.make_user(("sales",)).id

    def _make_rule(self):
        return factories.make_rule(name=f"Fuzz rule {next(_seq)}", event="complaint.logged", roles="sales").id

    def _make_message(self):
        mail = factories.make_mail("failed", "x@example.com", "Fuzz", body_text="Fuzz", event="complaint.logged")
        return mail.id

    def _make_lot(self):
        return factories.make_lot(code=f"FZ-LOT-{next(_seq)}").id

    def version(self, model, key):
        return str(db.session.get(model, self.get(key)).version)

    def reference(self, key):
        return db.session.get(Complaint, self.get(key)).reference

    def token(self) -> str:
        return tokens.token_for(db.session.get(RecallNotice, self.get("notice")))

    def _make_notice(self):
        return self.notice_id()


def _do(prefix, key):
    """The URL of a move: /<prefix>/<record in the example's state>/do/<move>."""
    return lambda w, state, move: f"/{prefix}/{w.get(f'{key}-{state}')}/do/{quote(move, safe='')}"


RISK = {"severity": Field("int", "3"), "probability": Field("int", "2")}
SIGN = {"meaning": Field("choice", lambda w: w.meaning), "password": Field("password", PASSWORD)}
COMPLAINT_FIELDS = {
    "received_at": Field("datetime", NOW),
    "channel": Field("choice", "phone"),
    "customer_id": Field("id", lambda w: str(w.customer_id)),
    "new_customer_name": Field("text", ""),
    # Read only when the form searches customers (more than customers.SELECT_LIMIT).
    "customer_name": text(lambda w: db.session.get(Customer, w.customer_id).name),
    "complainant_name": text("Pat Caller"),
    "complainant_contact": text("555-0100"),
    "product_id": Field("id", lambda w: str(w.product_id)),
    "lot_codes": text("L24-117"),
    "quantity_affected": Field("decimal", "3"),
    "description": text("Plastic in the bag."),
    "category": Field("choice", "foreign_matter"),
    "injury": Field("bool", ""),
    "sample_available": Field("bool", "y"),
}
INCIDENT_FIELDS = {
    **RISK,
    "title": text("Plastic in bags"),
    "description": text("Several customers found plastic."),
    "owner_id": Field("id", lambda w: str(w.fuzzer_id)),
}
ACTION_FIELDS = {
    "description": text("Replace the sieve."),
    "owner_id": Field("id", lambda w: str(w.fuzzer_id)),
    "due_date": Field("date", SOON),
    "effectiveness_check": text("No metal for 3 months."),
    "effectiveness_due": Field("date", LATER),
}
LINKS = {"incident_id": Field("id", "0"), "recall_id": Field("id", "0")}
INQUIRY_FIELDS = {
    "outlet": text("Daily Courier"),
    "journalist": text("Jo Reporter"),
    "contact": text("555-0199"),
    "channel": Field("choice", "phone"),
    "question": text("Is it safe?"),
    "deadline": Field("datetime", lambda w: _fmt_dt(datetime.now(UTC) + timedelta(days=1))),
    "assignee_id": Field("id", lambda w: str(w.fuzzer_id)),
    **LINKS,
}
STATEMENT_FIELDS = {
    "kind": Field("choice", "holding"),
    "title": text("We withdraw two lots"),
    "body": text("As a precaution we withdraw two lots."),
    **LINKS,
}
RESPONSE_FIELDS = {  # the fuzz plant ships one lot (10 to 12 units) to each consignee
    "confirm_receipt": Field("bool", "y"),
    "lot_0_quantity_on_hand": Field("decimal", "4"),
    "lot_0_quantity_returned": Field("decimal", "6"),
    "lot_0_quantity_destroyed": Field("decimal", "0"),
    "lot_0_received_elsewhere": Field("bool", ""),
    "distributed_further": Field("choice", "no"),
    "response_by": text("Ann Buyer"),
    "response_comment": text("Pulled from the shelf."),
}
USER_FIELDS = {
    "username": text(lambda w: f"fz{next(_seq)}"),
    "name": text("Fuzz Person"),
    "email": text(lambda w: f"fz{next(_seq)}@example.com"),
    "roles": Field("choice", ["sales"], many=True),
    "timezone": Field("choice", "Europe/Berlin"),
    "active": Field("bool", "y"),
    "password": Field("password", "long-enough-pw"),
}
PRODUCT_FIELDS = {
    "sku": text(lambda w: f"FZ-{next(_seq)}"),
    "name": text("Fuzz bar"),
    "unit": text("case"),
    "kind": Field("choice", "finished"),
}
CUSTOMER_FIELDS = {
    "name": text(lambda w: f"Fuzz Customer {next(_seq)}"),
    "kind": Field("choice", "retailer"),
    "email": text("shop@example.com"),
    "phone": text("555-0100"),
    "address": text("1 Main St"),
    "country": text("DE"),
}
RULE_FIELDS = {
    "name": text("Tell sales"),
    "event": Field("choice", "complaint.logged"),
    "roles": Field("choice", ["sales"], many=True),
    "users": Field("id", lambda w: [str(w.fuzzer_id)], many=True),
    "notify_assignee": Field("bool", ""),
    "min_severity": Field("int", "2"),
    "enabled": Field("bool", "y"),
}
FILE = {"file": Field("file", None)}


def _ver(model, key):
    return Field("int", lambda w: w.version(model, key))


SPECS = [
    # Sign-in and own account
    Spec(
        "auth.login",
        lambda w, s, m: "/auth/login",
        {
            "username": text(lambda w: w.login_name),
            "password": Field("password", PASSWORD),
            "remember": Field("bool", ""),
        },
        anonymous=True,
        success_flash=False,
    ),
    # Signing out ends every session of the user (a new session version, audited) and says so
    # with an "info" flash: its redirect is a success without a "success" flash.
    Spec("auth.logout", lambda w, s, m: "/auth/logout", {}, success_flash=False),
    Spec(
        "auth.account",
        lambda w, s, m: "/auth/account",
        {
            "timezone": Field("choice", "Europe/Paris"),
            "current_password": Field("password", PASSWORD),
            "new_password": Field("password", PASSWORD),
            "confirm_password": Field("password", PASSWORD),
        },
    ),
    # Complaints
    Spec("complaints.create", lambda w, s, m: "/complaints/new", COMPLAINT_FIELDS),
    # The same form as large plants get it: the customer typed by name (SELECT_LIMIT 0).
    Spec(
        "complaints.create (customer by name)",
        lambda w, s, m: "/complaints/new",
        COMPLAINT_FIELDS,
        patches=(("app.complaints.customers", "SELECT_LIMIT", 0),),
    ),
    Spec(
        "complaints.edit",
        lambda w, s, m: f"/complaints/{w.get('complaint')}/edit",
        {**COMPLAINT_FIELDS, "version": _ver(Complaint, "complaint")},
    ),
    Spec(
        "complaints.transition",
        _do("complaints", "complaint"),
        {
            **RISK,
            "reportable": Field("choice", "no"),
            "reportable_reason": text("No risk."),
            "investigator_id": Field("id", lambda w: str(w.fuzzer_id)),
            "due_date": Field("date", SOON),
            "reply_to_complainant": text("Refunded."),
            "closing_note": text("Done."),
            "rejection_reason": text("Spam."),
        },
        states=("new", "triaged", "investigating", "resolved"),
        moves=("triage", "investigate", "resolve", "close", "reject"),
    ),
    Spec("complaints.comment", lambda w, s, m: f"/complaints/{w.get('complaint')}/comments", {"body": text("Hi")}),
    # Incidents
    Spec(
        "incidents.create",
        lambda w, s, m: "/incidents/new",
        {**INCIDENT_FIELDS, "version": Field("int", "")},
        query={"complaint": Field("id", lambda w: [str(w.get("complaint"))], many=True)},
    ),
    Spec(
        "incidents.edit",
        lambda w, s, m: f"/incidents/{w.get('incident')}/edit",
        {
            **INCIDENT_FIELDS,
            "version": _ver(Incident, "incident"),
            "containment": text("Held."),
            **{f"why_{n}": text(f"Because {n}") for n in range(1, 6)},
            "fishbone_category": Field("choice", "machine"),
            "root_cause": text("Worn sieve."),
            "escape_point": text("Detector."),
            "decision": Field("choice", ""),
            "decision_reason": text(""),
        },
    ),
    Spec(
        "incidents.link",
        lambda w, s, m: f"/incidents/{w.get('incident')}/complaints",
        {"reference": text(lambda w: w.reference("complaint-new"))},
    ),
    Spec(
        "incidents.trace",
        lambda w, s, m: f"/incidents/{w.get('incident')}/trace",
        {
            "lot_code": text(lambda w: db.session.get(Lot, w.get("lot")).code),
            "root": Field("id", lambda w: [str(w.get("lot"))], many=True),
        },
    ),
    Spec("incidents.hold", lambda w, s, m: f"/incidents/{w.get('incident')}/hold", {"reason": text("Metal.")}),
    Spec(
        "incidents.transition",
        _do("incidents", "incident"),
        {"containment": text("Held."), "reopen_reason": text("New facts."), "closing_summary": text("Fixed."), **SIGN},
        states=("open", "contained"),
        moves=("investigate", "contain", "close", "reopen"),
        signed=True,
    ),
    # CAPA
    Spec(
        "capa.create",
        lambda w, s, m: "/actions/new",
        {"kind": Field("choice", "corrective"), **ACTION_FIELDS},
        query={"incident": Field("id", lambda w: str(w.get("incident")))},
    ),
    Spec(
        "capa.edit",
        lambda w, s, m: f"/actions/{w.get('action')}/edit",
        {**ACTION_FIELDS, "version": _ver(__import__("app.models", fromlist=["Action"]).Action, "action")},
    ),
    Spec(
        "capa.transition",
        _do("actions", "action"),
        {"implementation_note": text("Done."), "effectiveness_result": text("No repeat."), **SIGN},
        states=("planned", "in_progress", "implemented"),
        moves=("start", "implement", "verify", "ineffective", "rework"),
        signed=True,
    ),
    Spec("capa.justify", lambda w, s, m: f"/actions/{w.get('action')}/justify", {"justification": text("Covered.")}),
    # Recalls
    Spec(
        "recalls.propose",
        lambda w, s, m: "/recalls/propose",
        {
            "title": text("Metal in bars"),
            "reason": text("Sieve broke."),
            "hazard": text("Cuts."),
            "classification": Field("choice", "II"),
            "depth": Field("choice", "retail"),
            "public_warning": Field("bool", ""),
            "effectiveness_level": Field("choice", "C"),
            "effectiveness_percent": Field("int", ""),
            "remedy": Field("choice", "refund"),
            "instructions": text("Stop selling."),
            "estimated_completion": Field("date", LATER),
            "root_lots": text(lambda w: w.cache.get("lot_code") or db.session.get(Lot, w.get("lot")).code),
            "exclude_lots": text(""),
        },
        query={"incident": Field("id", lambda w: str(w.get("incident")))},
    ),
    Spec(
        "recalls.transition",
        _do("recalls", "recall"),
        {"termination_note": text("All back."), "completion_note": text("Done."), **SIGN},
        states=("proposed", "approved"),
        moves=("approve", "cancel", "progress", "complete", "reopen", "terminate"),
        signed=True,
    ),
    *[
        Spec(
            f"recalls.{name}",
            (lambda n: lambda w, s, m: f"/recalls/{w.get('recall')}/notices/{n}")(name),
            {"chosen": Field("bool", "1"), "notice": Field("id", lambda w: [str(w.notice_id())], many=True)},
            query={"back": Field("choice", "effectiveness")},
        )
        for name in ("send", "resend", "remind")
    ],
    Spec(
        "recalls.record_notification",
        lambda w, s, m: f"/recalls/{w.get('recall')}/notices/{w.notice_id()}/notified",
        {
            "method": Field("choice", "phone"),
            "notified_at": Field("datetime", NOW),
            "notified_note": text("Spoke to Ann."),
        },
    ),
    Spec(
        "recalls.enter_response",
        lambda w, s, m: f"/recalls/{w.get('recall')}/notices/{w.notice_id()}/response",
        {
            **RESPONSE_FIELDS,
            "version": Field("int", lambda w: str(db.session.get(RecallNotice, w.notice_id()).version)),
        },
    ),
    Spec(
        "respond.form",
        lambda w, s, m: f"/respond/{quote(m, safe='')}",
        RESPONSE_FIELDS,
        anonymous=True,
        success_status=(200,),
        method_get_too=True,
        remake=("notice",),
    ),
    # Press
    Spec("press.inquiry_new", lambda w, s, m: "/press/inquiries/new", INQUIRY_FIELDS),
    Spec(
        "press.inquiry_edit",
        lambda w, s, m: f"/press/inquiries/{w.get('inquiry')}/edit",
        {**INQUIRY_FIELDS, "version": _ver(__import__("app.models", fromlist=["x"]).PressInquiry, "inquiry")},
    ),
    Spec(
        "press.inquiry_transition",
        _do("press/inquiries", "inquiry"),
        {"answer": text("It is safe.")},
        states=("received", "answered"),
        moves=("draft", "answer", "close", "reopen"),
    ),
    Spec("press.statement_new", lambda w, s, m: "/press/statements/new", STATEMENT_FIELDS),
    Spec(
        "press.statement_edit",
        lambda w, s, m: f"/press/statements/{w.get('statement')}/edit",
        {
            **STATEMENT_FIELDS,
            "note": text("Hotline added."),
            "version": _ver(__import__("app.models", fromlist=["x"]).Statement, "statement"),
        },
    ),
    Spec(
        "press.statement_transition",
        _do("press/statements", "statement"),
        {
            "note": text("Shorter."),
            "published_where": text("Website"),
            "published_at": Field("datetime", NOW),
            "withdrawn_reason": text("Outdated."),
            **SIGN,
        },
        states=("draft", "in_review"),
        moves=("submit", "return", "approve", "publish", "withdraw"),
        signed=True,
    ),
    # Alerts
    Spec("alerts.read_all", lambda w, s, m: "/alerts/read-all", {}),
    Spec("alerts.rule_create", lambda w, s, m: "/alerts/rules/new", RULE_FIELDS),
    Spec(
        "alerts.rule_edit",
        lambda w, s, m: f"/alerts/rules/{w.get('rule')}/edit",
        {**RULE_FIELDS, "version": _ver(AlertRule, "rule")},
    ),
    Spec(
        "alerts.rule_toggle", lambda w, s, m: f"/alerts/rules/{w.get('rule')}/toggle", {"enabled": Field("bool", "1")}
    ),
    Spec("alerts.rule_delete", lambda w, s, m: f"/alerts/rules/{w.get('rule')}/delete", {}, remake=("rule",)),
    Spec("alerts.mail_resend", lambda w, s, m: f"/alerts/mail/{w.get('message')}/resend", {}),
    Spec("alerts.mail_resend_failed", lambda w, s, m: "/alerts/mail/resend-failed", {}),
    # Admin
    Spec("admin.user_create", lambda w, s, m: "/admin/users/new", USER_FIELDS),
    Spec(
        "admin.user_edit",
        lambda w, s, m: f"/admin/users/{w.get('user')}",
        {**USER_FIELDS, "version": _ver(User, "user")},
    ),
    Spec("admin.user_toggle_active", lambda w, s, m: f"/admin/users/{w.get('user')}/active", {}),
    Spec("admin.product_create", lambda w, s, m: "/admin/products/new", PRODUCT_FIELDS),
    Spec(
        "admin.product_edit",
        lambda w, s, m: f"/admin/products/{w.product_id}",
        {**PRODUCT_FIELDS, "version": Field("int", lambda w: str(db.session.get(Product, w.product_id).version))},
    ),
    Spec("admin.customer_create", lambda w, s, m: "/admin/customers/new", CUSTOMER_FIELDS),
    Spec(
        "admin.customer_edit",
        lambda w, s, m: f"/admin/customers/{w.customer_id}",
        {**CUSTOMER_FIELDS, "version": Field("int", lambda w: str(db.session.get(Customer, w.customer_id).version))},
    ),
    Spec("admin.product_import", lambda w, s, m: "/admin/products/import", FILE),
    Spec("admin.customer_import", lambda w, s, m: "/admin/customers/import", FILE),
    # Lots, imports, attachments
    Spec(
        "trace.status",
        lambda w, s, m: "/lots/status",
        {
            "move": Field("choice", "hold"),
            "scope": Field("choice", "chosen"),
            "reason": text("Metal."),
            "back": text("/lots/"),
            "root": Field("id", lambda w: [str(w.get("lot"))], many=True),
            "lot": Field("id", lambda w: [str(w.get("lot"))], many=True),
        },
    ),
    *[
        Spec(f"imports.upload.{kind}", (lambda k: lambda w, s, m: f"/imports/{k}")(kind), FILE)
        for kind in ("lots", "genealogy", "shipments")
    ],
    Spec("attachments.upload", lambda w, s, m: f"/attachments/complaint/{w.get('complaint')}", FILE),
]
MOVE_ODDITIES = ["", "unknown", "TRIAGE", "..", "%2e%2e", "triage ", "😀", "a" * 300]


def token_strategy():
    """The response link's path segment: the real token, near misses and junk."""
    return st.one_of(
        st.just("VALID"),
        st.just("VALID-UPPER"),
        st.just("VALID-FLIP"),
        st.just("VALID-SHORT"),
        st.just("VALID+X"),
        st.from_regex(r"\A[0-9a-f]{32}\.[0-9a-f]{32}\Z"),
        st.from_regex(r"\A[0-9a-fA-F.]{60,70}\Z"),
        st.text(min_size=1, max_size=80),
        st.sampled_from(SQL_HTML + UNICODE + ["x" * 5000, ".", "..", "%00", "\x00" * 65, "a" * 65]),
    )


def resolve_token(world, choice: str) -> str:
    if not choice.startswith("VALID"):
        return choice
    good = world.token()
    return {
        "VALID": good,
        "VALID-UPPER": good.upper(),
        "VALID-FLIP": good[:-1] + ("0" if good[-1] != "0" else "1"),
        "VALID-SHORT": good[:-1],
        "VALID+X": good + "x",
    }[choice]


# --- Database fingerprint ---------------------------------------------------------------------


def db_fingerprint() -> dict[str, tuple[int, str]]:
    """Per table: row count and a hash of every row (ordered by primary key)."""
    result = {}
    with db.engine.connect() as conn:
        for table in db.metadata.sorted_tables:
            order = list(table.primary_key.columns) or list(table.columns)
            rows = conn.execute(sa.select(table).order_by(*order)).all()
            digest = hashlib.sha1(repr(rows).encode(), usedforsecurity=False).hexdigest()
            result[table.name] = (len(rows), digest)
    return result


def changed_tables(before: dict, after: dict) -> set[str]:
    return {name for name in before if before[name] != after.get(name)}


def new_audit_actions(before_count: int) -> list[str]:
    from app.models import AuditEvent

    rows = db.session.scalars(sa.select(AuditEvent.action).order_by(AuditEvent.id).offset(before_count)).all()
    return list(rows)


# --- Outcomes --------------------------------------------------------------------------------

RESULTS_DIR = Path(__file__).resolve().parent.parent / "instance"
COUNTS: dict[str, Counter] = defaultdict(Counter)


def record(spec_name: str, outcome: str, status: int) -> None:
    COUNTS[spec_name]["submissions"] += 1
    COUNTS[spec_name][outcome] += 1
    COUNTS[spec_name][f"status_{status}"] += 1


def totals() -> Counter:
    total = Counter()
    for counter in COUNTS.values():
        total.update(counter)
    return total


def write_results(extra: dict) -> Path | None:
    if not COUNTS:
        return None
    # instance/fuzz-results-<engine>[-<xdist worker>].json
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    path = RESULTS_DIR / f"fuzz-results-{extra['engine']}{'-' + worker if worker else ''}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {**extra, "total": dict(totals()), "per_form": {k: dict(v) for k, v in sorted(COUNTS.items())}}
    path.write_text(json.dumps(payload, indent=2, sort_keys=True))
    return path


def upload_value(content_name):
    content, name = content_name
    return (BytesIO(content), name)
