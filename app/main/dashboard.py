"""The home page for each role: what needs the user now, one query per section.

sales: their open complaints, complaints awaiting a reply, approved words to use;
production: complaints to triage, their investigations, overdue actions, lots on hold,
possible clusters; marketing: active recalls with their progress, press inquiries by
deadline, statements awaiting approval, open injury complaints; admin: failed alert
emails and users. Everyone with open CAPA actions sees them.
"""

from datetime import timedelta

import sqlalchemy as sa
import sqlalchemy.orm as so

from ..capa import queries as capa_queries
from ..capa.services import today
from ..extensions import db
from ..models import (
    Action,
    Complaint,
    ComplaintLot,
    Lot,
    OutboxMessage,
    PressInquiry,
    Recall,
    RecallNotice,
    Statement,
    User,
)
from ..models.types import utcnow
from ..press import one_voice
from ..recalls.responses import told_clause
from ..workflow import COMPLAINT
from .sections import Section, first_records, first_rows

CLOSED_COMPLAINT = ("closed", "rejected")
ACTIVE_RECALL = ("approved", "notifying", "in_progress")
OPEN_INQUIRY = ("received", "drafting")
CLUSTER_DAYS = 90
INQUIRY_DUE_SOON = timedelta(hours=24)


def _complaints(*where, order=None) -> sa.Select:
    return (
        sa.select(Complaint)
        .options(so.joinedload(Complaint.customer), so.joinedload(Complaint.product))
        .where(*where)
        .order_by(*(order or (Complaint.received_at.desc(),)), Complaint.id.desc())
    )


def _complaint_section(title: str, empty: str, *where, order=None, more: dict | None = None) -> Section:
    items, total = first_records(_complaints(*where, order=order), Complaint)
    return Section(title, "complaints", items, total, empty, ("complaints.list", more) if more is not None else None)


def sales(user) -> list[Section]:
    words = one_voice.latest()
    return [
        _complaint_section(
            "My open complaints",
            "You have no open complaint.",
            Complaint.created_by_id == user.id,
            Complaint.status.not_in(CLOSED_COMPLAINT),
        ),
        _complaint_section(
            "Awaiting a reply to the customer",
            "No complaint is waiting for a reply.",
            Complaint.status.in_(COMPLAINT.get("resolve").sources),  # what sales answers next
            order=(Complaint.due_date.asc(),),
            more={"status": "investigating"},
        ),
        Section("Approved words to use with customers", "words", words, len(words), "No approved statement yet."),
    ]


def _lots_on_hold() -> Section:
    stmt = (
        sa.select(Lot)
        .options(so.joinedload(Lot.product))
        .where(Lot.status == "on_hold")
        .order_by(Lot.status_changed_at.desc(), Lot.id.desc())
    )
    items, total = first_records(stmt, Lot)
    return Section("Lots on hold", "lots", items, total, "No lot is on hold.", ("trace.lots", {"status": "on_hold"}))


def _overdue_actions() -> Section:
    stmt = (
        sa.select(Action)
        .options(so.joinedload(Action.owner), so.joinedload(Action.incident))
        .where(capa_queries.overdue_clause(today()))
        .order_by(Action.due_date, Action.id)
    )
    items, total = first_records(stmt, Action)
    return Section("Overdue actions", "actions", items, total, "No action is overdue.", ("capa.list", {"overdue": "1"}))


def _possible_clusters() -> Section:
    """Lot codes named by two or more recent complaints: the cheap signal, one GROUP BY. The
    clusters page goes further (complaints whose lots share an input lot)."""
    # (complaint_id, lot_code) is the key, so count(*) counts complaints. Grouping by an
    # expression rather than the column keeps SQLite from walking all complaint lots in
    # lot-code index order (300 ms on plant-1M) instead of starting from the recent
    # complaints (20 ms).
    lot_code = (ComplaintLot.lot_code + sa.literal_column("''")).label("lot_code")
    complaints = sa.func.count()
    stmt = (
        sa.select(lot_code, complaints.label("complaints"))
        .join(Complaint, Complaint.id == ComplaintLot.complaint_id)
        .where(Complaint.received_at >= utcnow() - timedelta(days=CLUSTER_DAYS), Complaint.status != "rejected")
        .group_by(lot_code)
        .having(complaints >= 2)
        .order_by(complaints.desc(), lot_code)
    )
    rows, total = first_rows(stmt, None)
    return Section(
        f"Possible clusters: lots named by 2 or more complaints in {CLUSTER_DAYS} days",
        "clusters",
        rows,
        total,
        "No lot is named by more than one recent complaint.",
        ("incidents.clusters", {}),
    )


def production(user) -> list[Section]:
    return [
        _complaint_section(
            "Complaints to triage",
            "Nothing waiting for triage.",
            Complaint.status.in_(COMPLAINT.get("triage").sources),
            order=(Complaint.injury.desc(), Complaint.received_at),
            more={"status": "new"},
        ),
        _complaint_section(
            "My investigations",
            "No investigation assigned to you.",
            Complaint.investigator_id == user.id,
            Complaint.status.in_(("triaged", "investigating")),
            order=(Complaint.due_date.asc(),),
        ),
        _overdue_actions(),
        _lots_on_hold(),
        _possible_clusters(),
    ]


def _active_recalls() -> Section:
    """Each active recall with its consignees, how many were told and how many answered."""
    answered = RecallNotice.responded_at.is_not(None)
    stmt = (
        sa.select(
            Recall,
            sa.func.count(RecallNotice.id).label("consignees"),
            sa.func.count(RecallNotice.id).filter(told_clause()).label("notified"),
            sa.func.count(RecallNotice.id).filter(answered).label("responded"),
        )
        .outerjoin(RecallNotice, RecallNotice.recall_id == Recall.id)
        .outerjoin(OutboxMessage, OutboxMessage.id == RecallNotice.outbox_id)
        .where(Recall.status.in_(ACTIVE_RECALL))
        .group_by(Recall.id)
        .order_by(Recall.approved_at.desc(), Recall.id.desc())
    )
    rows, total = first_rows(stmt, sa.select(Recall.id).where(Recall.status.in_(ACTIVE_RECALL)))
    return Section("Active recalls", "recalls", rows, total, "No recall is active.", ("recalls.list", {}))


def _inquiries_due() -> Section:
    stmt = (
        sa.select(PressInquiry)
        .where(PressInquiry.status.in_(OPEN_INQUIRY))
        .order_by(PressInquiry.deadline.is_(None), PressInquiry.deadline, PressInquiry.id)
    )
    items, total = first_records(stmt, PressInquiry)
    return Section(
        "Press inquiries to answer",
        "inquiries",
        items,
        total,
        "No press inquiry is open.",
        ("press.inquiries", {}),
        {"now": utcnow(), "soon": utcnow() + INQUIRY_DUE_SOON},
    )


def _statements_in_review() -> Section:
    stmt = (
        sa.select(Statement)
        .options(so.joinedload(Statement.author))
        .where(Statement.status == "in_review")
        .order_by(Statement.updated_at, Statement.id)
    )
    items, total = first_records(stmt, Statement)
    return Section(
        "Statements awaiting approval",
        "statements",
        items,
        total,
        "No statement is waiting for approval.",
        ("press.statements", {"status": "in_review"}),
    )


def marketing(user) -> list[Section]:
    return [
        _active_recalls(),
        _inquiries_due(),
        _statements_in_review(),
        _complaint_section(
            "Open complaints with injury or illness",
            "No open complaint reports an injury.",
            Complaint.injury.is_(True),
            Complaint.status.not_in(CLOSED_COMPLAINT),
            more={"injury": "1"},
        ),
    ]


def admin(user) -> list[Section]:
    failed = sa.select(OutboxMessage).where(OutboxMessage.status == "failed").order_by(OutboxMessage.id.desc())
    items, total = first_records(failed, OutboxMessage)
    counts = sa.select(sa.func.count(User.id), sa.func.count(User.id).filter(User.active.is_(False)))
    users, inactive = db.session.execute(counts).one()
    return [
        Section(
            "Alert emails that failed",
            "outbox",
            items,
            total,
            "No alert email has failed.",
            ("alerts.mail", {"status": "failed"}),
        ),
        Section("Users", "users", [], users, "", ("admin.users", {}), {"inactive": inactive}),
    ]


def my_actions(user) -> Section | None:
    """The user's open CAPA actions (any role may own one), or None if there are none."""
    items, total = first_records(capa_queries.mine_statement(user, open_only=True), Action)
    if not total:
        return None
    return Section("My actions", "actions", items, total, "", ("capa.mine", {}), {"today": today()})


BY_ROLE = (("sales", sales), ("production", production), ("marketing", marketing), ("admin", admin))


def sections_for(user) -> list[Section]:
    sections = [section for role, build in BY_ROLE if user.has_role(role) for section in build(user)]
    mine = my_actions(user)
    return sections + ([mine] if mine else [])
