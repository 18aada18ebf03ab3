"""Complaint intakes as finished table rows (plant scale): references, states, triage fields."""

import random
from datetime import datetime, timedelta

from ..models.lot import parse_lot_codes

COMPLAINT_COLUMNS = (
    "id",
    "reference",
    "status",
    "received_at",
    "channel",
    "customer_id",
    "complainant_name",
    "complainant_contact",
    "product_id",
    "lot_codes",
    "quantity_affected",
    "description",
    "category",
    "injury",
    "sample_available",
    "severity",
    "probability",
    "risk_score",
    "reportable",
    "reportable_reason",
    "investigator_id",
    "due_date",
    "rejection_reason",
    "reply_to_complainant",
    "closing_note",
    "created_by_id",
    "created_at",
    "updated_at",
    "version",
)
INTAKE_COLUMNS = COMPLAINT_COLUMNS[3:15]
LINK_COLUMNS = ("complaint_id", "lot_code")
# Where complaints of a given age (days) stand: old ones are closed, recent ones still open.
STATES_BY_AGE = (
    (7, {"new": 1}),
    (30, {"new": 2, "triaged": 3, "investigating": 4, "rejected": 1}),
    (90, {"investigating": 3, "resolved": 3, "closed": 3, "rejected": 1}),
    (None, {"closed": 22, "rejected": 3}),
)
TRIAGED = {"triaged", "investigating", "resolved", "closed"}


def _state(age_days: int, rng: random.Random) -> str:
    for limit, weights in STATES_BY_AGE:
        if limit is None or age_days < limit:
            return rng.choices(list(weights), list(weights.values()))[0]
    raise AssertionError("unreachable")


def build(
    intakes: list[dict], sales_id: int, investigator_id: int, now: datetime, rng: random.Random, first_id: int
) -> tuple[list[tuple], list[tuple], dict[int, int]]:
    """(complaint rows, complaint_lots rows, {year: last reference number}) for intakes
    sorted oldest first; references are numbered per year in that order, as intake does."""
    rows, links, last = [], [], {}
    for offset, intake in enumerate(intakes):
        complaint_id = first_id + offset
        received = intake["received_at"]
        last[received.year] = number = last.get(received.year, 0) + 1
        status = _state((now - received).days, rng)
        triage = [None] * 7
        if status in TRIAGED:
            severity, probability = rng.randint(1, 5), rng.randint(1, 5)
            reportable = bool(intake["injury"]) and severity >= 4
            reason = "Serious injury reported." if reportable else "Quality defect without health risk."
            due = (received + timedelta(days=30)).date()
            triage = [severity, probability, severity * probability, reportable, reason, investigator_id, due]
        rejection = "Not a product complaint." if status == "rejected" else None
        reply = "We apologised and replaced the product." if status in {"resolved", "closed"} else None
        closing = "Root cause found and corrected; CAPA raised where needed." if status == "closed" else None
        updated = min(now, received + timedelta(days=rng.randint(0, 40)))
        rows.append(
            (
                complaint_id,
                f"CMP-{received.year}-{number:04d}",
                status,
                *(intake[c] for c in INTAKE_COLUMNS),
                *triage,
                rejection,
                reply,
                closing,
                sales_id,
                received,
                updated,
                1,
            )
        )
        links.extend((complaint_id, code) for code in parse_lot_codes(intake["lot_codes"]))
    return rows, links, last
