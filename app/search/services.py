"""Global search: one query per kind, each returning a page of hits and the kind's total."""

from dataclasses import dataclass, field

import sqlalchemy as sa
from flask import url_for

from ..extensions import db
from ..models.lot import parse_lot_codes
from ..permissions import Permission
from . import sql
from .query import SearchQuery, code_upper_bound, fts5_match, pg_tsquery

KINDS = {
    "complaints": "Complaints",
    "incidents": "Incidents",
    "lots": "Lots",
    "recalls": "Recalls",
    "statements": "Statements",
}
PREVIEW = 5  # hits per kind on the grouped page
PER_PAGE = 25  # hits per page when one kind is shown
# Counting stops here: a short lot prefix or a common word can match most of the plant's
# history, and nobody pages through more than this (type more to narrow).
WINDOW = 1000
SNIPPET = 70  # characters either side of the first matched word


@dataclass
class Hit:
    url: str | None
    reference: str
    title: str
    status: str
    field: str  # which field matched: "Reference", "Lot code", "Customer", "Description", ...
    parts: list[tuple[str, bool]]  # the matched text in pieces, True where a searched word is


@dataclass
class KindResult:
    kind: str
    label: str
    total: int
    hits: list[Hit] = field(default_factory=list)
    capped: bool = False  # total is a lower bound


def allowed_kinds(user) -> list[str]:
    """The kinds this user may search: everyone sees all five (sales: approved statements)."""
    needs = {
        "complaints": Permission.COMPLAINT_VIEW,
        "incidents": Permission.INCIDENT_VIEW,
        "lots": Permission.LOTS_VIEW,
        "recalls": Permission.RECALL_VIEW,
    }
    return [k for k in KINDS if k == "statements" or user.can(needs[k])]


def search(query: SearchQuery, user, kinds: list[str], limit: int, offset: int = 0) -> list[KindResult]:
    """Search each kind in `kinds` with one statement each."""
    dialect = sql.Dialect(db.session.get_bind().dialect.name)
    with_text = bool(query.words)
    params = {
        "code": query.code,
        "code_hi": code_upper_bound(query.code),
        "code_len": len(query.code),
        "fts": (pg_tsquery if dialect.pg else fts5_match)(query.words),
        "limit": limit,
        "offset": offset,
        "window": WINDOW + 1,  # one more than shown tells "1,000" from "1,000+"
    }
    press_view = user.can(Permission.PRESS_VIEW)
    statements = {
        "complaints": lambda: sql.complaints(dialect, with_text),
        "incidents": lambda: sql.incidents(dialect, with_text),
        "lots": lambda: sql.lots(dialect),
        "recalls": lambda: sql.recalls(dialect, with_text),
        "statements": lambda: sql.statements(dialect, with_text, approved_only=not press_view),
    }
    results = []
    for kind in kinds:
        rows = db.session.execute(sa.text(statements[kind]()), params).all()
        total = rows[0].total if rows else 0
        hits = [_HIT_BUILDERS[kind](row, query, press_view) for row in rows if row.id is not None]
        results.append(KindResult(kind, KINDS[kind], min(total, WINDOW), hits, capped=total > WINDOW))
    return results


def snippet(text: str | None, words: tuple[str, ...]) -> list[tuple[str, bool]] | None:
    """A window of `text` around the first searched word, cut in pieces marking each word."""
    if not text:
        return None
    folded = text.casefold()
    # casefold can change lengths (ß -> ss); then positions are unreliable: mark nothing.
    exact = len(folded) == len(text)
    spans = []
    for word in words:
        start = folded.find(word)
        while exact and start != -1:
            spans.append((start, start + len(word)))
            start = folded.find(word, start + len(word))
    if not spans:
        return None
    spans.sort()
    first = spans[0][0]
    lo = max(0, first - SNIPPET)
    hi = min(len(text), first + SNIPPET)
    parts: list[tuple[str, bool]] = [("…", False)] if lo else []
    pos = lo
    for start, end in spans:
        if start < pos or start >= hi:
            continue
        parts += [(text[pos:start], False), (text[start : min(end, hi)], True)]
        pos = min(end, hi)
    parts.append((text[pos:hi], False))
    if hi < len(text):
        parts.append(("…", False))
    return [p for p in parts if p[0]]


def _first_match(query: SearchQuery, reference: str, fields: list[tuple[str, str | None]]) -> tuple[str, list]:
    """Which field matched, and its text in pieces; the reference first, then each text field."""
    if reference.startswith(query.code):
        return "Reference", [(reference, True)]
    for label, text in fields:
        parts = snippet(text, query.words)
        if parts:
            return label, parts
    label, text = fields[0]
    text = text or ""
    return label, [(text[: 2 * SNIPPET] + ("…" if len(text) > 2 * SNIPPET else ""), False)]


def _lot_codes_match(lot_codes: str | None, code: str) -> str | None:
    for item in parse_lot_codes(lot_codes):
        if item.upper().startswith(code):
            return item
    return None


def _complaint(row, query: SearchQuery, _press: bool) -> Hit:
    lot = _lot_codes_match(row.lot_codes, query.code)
    if lot and not row.reference.startswith(query.code):
        field_name, parts = "Lot code", [(lot, True)]
    else:
        field_name, parts = _first_match(
            query, row.reference, [("Customer", row.customer), ("Description", row.description)]
        )
    url = url_for("complaints.detail", complaint_id=row.id)
    return Hit(url, row.reference, row.customer, row.status, field_name, parts)


def _incident(row, query: SearchQuery, _press: bool) -> Hit:
    field_name, parts = _first_match(query, row.reference, [("Title", row.title), ("Description", row.description)])
    return Hit(url_for("incidents.detail", incident_id=row.id), row.reference, row.title, row.status, field_name, parts)


def _recall(row, query: SearchQuery, _press: bool) -> Hit:
    field_name, parts = _first_match(
        query, row.reference, [("Title", row.title), ("Reason", row.reason), ("Hazard", row.hazard)]
    )
    return Hit(url_for("recalls.detail", recall_id=row.id), row.reference, row.title, row.status, field_name, parts)


def _lot(row, query: SearchQuery, _press: bool) -> Hit:
    return Hit(url_for("trace.lot", lot_id=row.id), row.code, row.product, row.status, "Lot code", [(row.code, True)])


def _statement(row, query: SearchQuery, press: bool) -> Hit:
    field_name, parts = _first_match(query, row.reference, [("Title", row.title), ("Text", row.body)])
    if press and not any(marked for _, marked in parts):
        field_name = "Words (this or an earlier version)"
    if press:
        url = url_for("press.statement", statement_id=row.id)
    elif row.incident_id:  # sales reads approved words on the record's page (one voice)
        url = url_for("incidents.detail", incident_id=row.incident_id)
    elif row.recall_id:
        url = url_for("recalls.detail", recall_id=row.recall_id)
    else:
        url = None
    return Hit(url, row.reference, row.title, row.status, field_name, parts)


_HIT_BUILDERS = {
    "complaints": _complaint,
    "incidents": _incident,
    "lots": _lot,
    "recalls": _recall,
    "statements": _statement,
}
