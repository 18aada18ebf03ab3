"""Transition tables: for each record type, the allowed moves, the permission each needs,
the values each takes, what it requires and what it triggers, and the named sets of states.

Views and templates ask these tables which buttons to show; the engine (engine.py) asks
them whether a move is allowed and applies it. Nothing else decides who may change a
record's state.
"""

from dataclasses import dataclass, field

from ..errors import InvalidTransition, NotAllowed
from ..permissions import Permission, roles_with


@dataclass(frozen=True)
class Transition:
    name: str
    label: str
    sources: tuple[str, ...]
    target: str | None  # None: an activity recorded through the engine that keeps the state
    permission: Permission
    required: tuple[str, ...] = ()  # values that must be given to make the move
    optional: tuple[str, ...] = ()  # values the move also takes
    notes: tuple[str, ...] = ()  # values written to the audit event only, never to the record
    signature: str = ""  # meaning of the electronic signature the move needs ("" = none)
    triggers: tuple[str, ...] = ()  # events raised when the move is made
    style: str = "primary"  # Bootstrap button colour
    confirm: str = ""  # question asked before an irreversible move
    manual: bool = True  # False: made only by a service as part of a larger step (no button)
    owner: bool = False  # the record's owner may make it whatever their roles
    # Four eyes: the record's attribute naming the one user who may not make this move,
    # and who that user is (for the refusal).
    not_by: str = ""
    not_by_who: str = ""
    audit_action: str = ""  # the audit event's action when it is not the move's name

    @property
    def action(self) -> str:
        return self.audit_action or self.name

    @property
    def fields(self) -> tuple[str, ...]:
        """Every value the move takes (required first)."""
        return tuple(dict.fromkeys((*self.required, *self.optional, *self.notes)))

    def shuts_out(self, user, record) -> bool:
        """True if four eyes keeps this user from the move on this record."""
        return bool(self.not_by) and getattr(record, self.not_by, None) == user.id

    def allows(self, user, record) -> bool:
        """True if the user may make this move on this record: four eyes first (the
        record's proposer or author never approves their own work), then the owner, then
        the permission."""
        if self.shuts_out(user, record):
            return False
        if self.owner and getattr(record, "owner_id", None) == user.id:
            return True
        return user.can(self.permission)

    def refusal(self, user, record) -> str:
        """Why `allows` said no, in words."""
        if self.shuts_out(user, record):
            others = " or ".join(roles_with(self.permission))
            return f"Four eyes: {self.not_by_who}, so you cannot {self.label.lower()}. Ask another {others} user."
        who = ", ".join(roles_with(self.permission))
        if self.owner:
            who = f"the owner or {who}"
        return f"Only {who} may {self.label.lower()}."


@dataclass(frozen=True)
class Workflow:
    record_type: str
    initial: str
    states: dict[str, str]  # state -> label
    transitions: tuple[Transition, ...]
    state_styles: dict[str, str] = field(default_factory=dict)
    # Named sets of states (final, editable, open, …): templates and services ask these,
    # never compare a status to a string.
    sets: dict[str, frozenset[str]] = field(default_factory=dict)
    field_labels: dict[str, str] = field(default_factory=dict)
    # Where a move of this record is audited: (record_type, id, label). By default the
    # record itself under its reference; a recall notice is audited on its recall.
    audit_as: object = None
    # A value stored under another attribute of the record (a lot's "reason" is its status_reason).
    columns: dict[str, str] = field(default_factory=dict)
    # Events of this record type carry the ids of the records moved (lots move many at once,
    # and one alert tells of them all).
    events_of_many: bool = False

    def column(self, name: str) -> str:
        return self.columns.get(name, name)

    def audit_target(self, record) -> tuple[str, int, str]:
        if self.audit_as is not None:
            return self.audit_as(record)
        return self.record_type, record.id, getattr(record, "audit_label", None) or record.reference

    def get(self, name: str) -> Transition:
        for transition in self.transitions:
            if transition.name == name:
                return transition
        raise InvalidTransition(f"There is no action '{name}' for a {self.record_type}.")

    def from_state(self, state: str) -> list[Transition]:
        return [t for t in self.transitions if state in t.sources]

    def available(self, record, user) -> list[Transition]:
        """The moves this user may make on this record now (the buttons to show)."""
        return [t for t in self.from_state(record.status) if t.manual and t.allows(user, record)]

    def shut_out(self, record, user) -> list[Transition]:
        """The moves open now that four eyes keeps from this user (the page says why)."""
        return [t for t in self.from_state(record.status) if t.manual and t.shuts_out(user, record)]

    def check(self, record, name: str, user) -> Transition:
        """Return the transition if `user` may make it on `record` now, else raise
        (NotAllowed: 403; InvalidTransition: 409). Always with the record: four eyes holds."""
        transition = self.get(name)
        if not transition.allows(user, record):
            raise NotAllowed(transition.refusal(user, record))
        if record.status not in transition.sources:
            raise InvalidTransition(
                f"Cannot {transition.label.lower()}: the {self.record_type} is "
                f"{self.states.get(record.status, record.status).lower()}."
            )
        return transition

    def in_set(self, set_name: str, state: str) -> bool:
        return state in self.sets[set_name]

    def states_in(self, set_name: str) -> tuple[str, ...]:
        """The states of a named set, in table order (for SQL `IN` clauses)."""
        return tuple(s for s in self.states if s in self.sets[set_name])

    def label(self, state: str) -> str:
        return self.states.get(state, state)

    def style(self, state: str) -> str:
        return self.state_styles.get(state, "secondary")

    def field_label(self, name: str) -> str:
        return self.field_labels.get(name, name.replace("_", " ").capitalize())


COMPLAINT = Workflow(
    record_type="complaint",
    initial="new",
    states={
        "new": "New",
        "triaged": "Triaged",
        "investigating": "Investigating",
        "resolved": "Resolved",
        "closed": "Closed",
        "rejected": "Rejected",
    },
    state_styles={
        "new": "primary",
        "triaged": "info",
        "investigating": "warning",
        "resolved": "success",
        "closed": "dark",
        "rejected": "secondary",
    },
    sets={
        "editable": frozenset({"new"}),  # sales may still correct what was logged
        "open": frozenset({"new", "triaged", "investigating"}),
        "settled": frozenset({"resolved", "closed", "rejected"}),  # the complainant has an answer
        "final": frozenset({"closed", "rejected"}),
    },
    field_labels={
        "investigator_id": "Investigator",
        "due_date": "Due date",
        "reportable_reason": "Reportability reason",
        "reply_to_complainant": "Reply to complainant",
        "closing_note": "Closing note",
        "rejection_reason": "Rejection reason",
    },
    transitions=(
        Transition(
            "triage",
            "Triage",
            sources=("new",),
            target="triaged",
            permission=Permission.COMPLAINT_TRIAGE,
            required=(
                "severity",
                "probability",
                "reportable",
                "reportable_reason",
                "investigator_id",
                "due_date",
            ),
            triggers=("complaint.triaged",),
        ),
        Transition(
            "investigate",
            "Start investigation",
            sources=("triaged",),
            target="investigating",
            permission=Permission.COMPLAINT_TRIAGE,
        ),
        Transition(
            "resolve",
            "Record reply and resolve",
            sources=("investigating",),
            target="resolved",
            permission=Permission.COMPLAINT_EDIT,
            required=("reply_to_complainant",),
            style="success",
        ),
        Transition(
            "close",
            "Close",
            sources=("resolved",),
            target="closed",
            permission=Permission.COMPLAINT_TRIAGE,
            required=("closing_note",),
            style="dark",
            confirm="Close this complaint? A closed complaint can no longer be changed.",
        ),
        Transition(
            "reject",
            "Reject (not a complaint)",
            sources=("new", "triaged"),
            target="rejected",
            permission=Permission.COMPLAINT_TRIAGE,
            required=("rejection_reason",),
            style="outline-danger",
            confirm="Reject this complaint? It will not be investigated.",
        ),
    ),
)

LOT = Workflow(
    record_type="lot",
    initial="released",
    states={
        "released": "Released",
        "on_hold": "On hold",
        "recalled": "Recalled",
        "destroyed": "Destroyed",
    },
    state_styles={
        "released": "success",
        "on_hold": "warning",
        "recalled": "danger",
        "destroyed": "dark",
    },
    sets={
        "shippable": frozenset({"released"}),
        "blocked": frozenset({"on_hold", "recalled", "destroyed"}),
        "final": frozenset({"destroyed"}),
    },
    field_labels={"reason": "Reason"},
    events_of_many=True,
    columns={"reason": "status_reason"},
    transitions=(
        Transition(
            "hold",
            "Put on hold",
            sources=("released",),
            target="on_hold",
            permission=Permission.LOTS_HOLD,
            required=("reason",),
            triggers=("lot.held",),
            style="warning",
        ),
        Transition(
            "release",
            "Release",
            sources=("on_hold",),
            target="released",
            permission=Permission.LOTS_HOLD,
            required=("reason",),
            style="success",
            confirm="Release these lots? They may be shipped again.",
        ),
        Transition(
            "destroy",
            "Record destruction",
            sources=("on_hold", "recalled"),
            target="destroyed",
            permission=Permission.LOTS_HOLD,
            required=("reason",),
            style="outline-danger",
            confirm="Record these lots as destroyed? This cannot be undone.",
        ),
        Transition(
            "recall",
            "Mark recalled",
            sources=("released", "on_hold"),
            target="recalled",
            permission=Permission.RECALL_MANAGE,
            required=("reason",),
            manual=False,  # only by the signed approval of a recall
        ),
    ),
)

# Containment is an activity of the incident (a move that keeps the state), not a state:
# it runs beside the investigation, as in every 8D. Proposing a recall moves the incident to
# "escalated" (made by the proposal, never by hand); a recall not made moves it back.
INCIDENT = Workflow(
    record_type="incident",
    initial="open",
    states={
        "open": "Open",
        "investigating": "Investigating",
        "escalated": "Recall proposed",
        "closed": "Closed",
    },
    state_styles={
        "open": "primary",
        "investigating": "warning",
        "escalated": "danger",
        "closed": "dark",
    },
    sets={
        "open": frozenset({"open", "investigating"}),
        "active": frozenset({"open", "investigating", "escalated"}),  # still worked on: edits, actions
        "final": frozenset({"closed"}),
        "closed": frozenset({"closed"}),
    },
    field_labels={
        "containment": "Containment",
        "decision_reason": "Decision reason",
        "closing_summary": "Closing summary",
        "reopen_reason": "Reason to reopen",
    },
    transitions=(
        Transition(
            "investigate",
            "Start investigation",
            sources=("open",),
            target="investigating",
            permission=Permission.INCIDENT_EDIT,
        ),
        Transition(
            "contain",
            "Record containment",
            sources=("open", "investigating", "escalated"),
            target=None,  # an activity: the incident stays where it is
            permission=Permission.INCIDENT_EDIT,
            required=("containment",),
            style="info",
        ),
        Transition(
            "escalate",
            "Escalate to recall",
            sources=("open", "investigating"),
            target="escalated",
            permission=Permission.RECALL_PROPOSE,
            required=("decision_reason",),
            triggers=("incident.escalated",),
            manual=False,  # made by proposing a recall for the incident
        ),
        Transition(
            "deescalate",
            "Back to investigating",
            sources=("escalated",),
            target="investigating",
            permission=Permission.RECALL_CANCEL,
            manual=False,  # made when its recall proposal ends without a recall
        ),
        Transition(
            "close",
            "Close incident",
            sources=("open", "investigating", "escalated"),
            target="closed",
            permission=Permission.INCIDENT_EDIT,
            required=("closing_summary",),
            signature="approved",
            style="dark",
            confirm="Close this incident? Closing is signed; it must be reopened before a recall.",
        ),
        Transition(
            "reopen",
            "Reopen incident",
            sources=("closed",),
            target="investigating",
            permission=Permission.INCIDENT_EDIT,
            required=("reopen_reason",),
            notes=("reopen_reason",),
            signature="approved",
            style="outline-danger",
            confirm="Reopen this incident? The reopening is signed and its reason recorded.",
        ),
    ),
)

ACTION = Workflow(
    record_type="action",
    initial="planned",
    states={
        "planned": "Planned",
        "in_progress": "In progress",
        "implemented": "Implemented",
        "verified": "Verified effective",
        "ineffective": "Ineffective",
    },
    state_styles={
        "planned": "secondary",
        "in_progress": "primary",
        "implemented": "info",
        "verified": "success",
        "ineffective": "danger",
    },
    sets={
        "editable": frozenset({"planned", "in_progress"}),
        "done": frozenset({"verified"}),
    },
    field_labels={
        "implementation_note": "Implementation note",
        "effectiveness_result": "Effectiveness result",
    },
    transitions=(
        Transition(
            "start",
            "Start",
            sources=("planned",),
            target="in_progress",
            permission=Permission.ACTION_MANAGE,
            owner=True,
        ),
        Transition(
            "implement",
            "Mark implemented",
            sources=("in_progress",),
            target="implemented",
            permission=Permission.ACTION_MANAGE,
            owner=True,
            required=("implementation_note",),
        ),
        Transition(
            "verify",
            "Verify effective",
            sources=("implemented",),
            target="verified",
            permission=Permission.ACTION_MANAGE,
            owner=True,
            required=("effectiveness_result",),
            signature="verified",
            style="success",
        ),
        Transition(
            "ineffective",
            "Record as ineffective",
            sources=("implemented",),
            target="ineffective",
            permission=Permission.ACTION_MANAGE,
            owner=True,
            required=("effectiveness_result",),
            style="outline-danger",
        ),
        Transition(
            "rework",
            "Back to in progress",
            sources=("ineffective",),
            target="in_progress",
            permission=Permission.ACTION_MANAGE,
            owner=True,
        ),
    ),
)

RECALL = Workflow(
    record_type="recall",
    initial="proposed",
    states={
        "proposed": "Proposed",
        "approved": "Approved",
        "notifying": "Notifying",
        "in_progress": "In progress",
        "completed": "Completed",
        "terminated": "Terminated",
        "cancelled": "Not approved",
    },
    state_styles={
        "proposed": "warning",
        "approved": "primary",
        "notifying": "danger",
        "in_progress": "info",
        "completed": "success",
        "terminated": "dark",
        "cancelled": "secondary",
    },
    sets={
        "sending": frozenset({"approved", "notifying", "in_progress"}),  # notices may go out
        "responding": frozenset({"approved", "notifying", "in_progress", "completed"}),  # links work
        "awaiting_approval": frozenset({"proposed"}),
        "not_made": frozenset({"cancelled"}),  # a proposal closed without a recall
        "final": frozenset({"terminated", "cancelled"}),
    },
    field_labels={
        "termination_note": "Note",
        "completion_note": "Completion note",
    },
    transitions=(
        Transition(
            "approve",
            "Approve recall",
            sources=("proposed",),
            target="approved",
            permission=Permission.RECALL_MANAGE,
            signature="approved",
            triggers=("recall.approved",),
            not_by="proposed_by_id",
            not_by_who="you proposed this recall",
            style="danger",
            confirm="Approve this recall? Its lots are marked recalled and the consignee list is built.",
        ),
        Transition(
            "cancel",
            "Do not recall",
            sources=("proposed",),
            target="cancelled",
            permission=Permission.RECALL_CANCEL,
            required=("termination_note",),
            style="outline-secondary",
            confirm="Close this proposal without a recall?",
        ),
        Transition(
            "notify",
            "Start notifying",
            sources=("approved",),
            target="notifying",
            permission=Permission.RECALL_MANAGE,
            manual=False,  # made by sending the first notices
        ),
        Transition(
            "progress",
            "Notices done: follow up",
            sources=("notifying",),
            target="in_progress",
            permission=Permission.RECALL_MANAGE,
        ),
        Transition(
            "complete",
            "Complete",
            sources=("in_progress",),
            target="completed",
            permission=Permission.RECALL_MANAGE,
            required=("completion_note",),
            style="success",
        ),
        Transition(
            "reopen",
            "Back to in progress",
            sources=("completed",),
            target="in_progress",
            permission=Permission.RECALL_MANAGE,
            style="outline-secondary",
        ),
        Transition(
            "terminate",
            "Terminate recall",
            sources=("completed",),
            target="terminated",
            permission=Permission.RECALL_MANAGE,
            required=("termination_note",),
            signature="approved",
            style="dark",
            confirm="Terminate this recall? Response links stop working; this is signed and final.",
        ),
    ),
)

INQUIRY = Workflow(
    record_type="inquiry",
    initial="received",
    states={"received": "Received", "drafting": "Drafting", "answered": "Answered", "closed": "Closed"},
    state_styles={"received": "warning", "drafting": "info", "answered": "success", "closed": "secondary"},
    sets={"open": frozenset({"received", "drafting", "answered"}), "final": frozenset({"closed"})},
    field_labels={"answer": "Answer"},
    transitions=(
        Transition(
            "draft", "Start drafting", sources=("received",), target="drafting", permission=Permission.PRESS_MANAGE
        ),
        Transition(
            "answer",
            "Record answer",
            sources=("received", "drafting"),
            target="answered",
            permission=Permission.PRESS_MANAGE,
            required=("answer",),
            style="success",
        ),
        Transition(
            "close",
            "Close",
            sources=("answered",),
            target="closed",
            permission=Permission.PRESS_MANAGE,
            style="outline-secondary",
        ),
        Transition(
            "reopen",
            "Reopen",
            sources=("answered", "closed"),
            target="drafting",
            permission=Permission.PRESS_MANAGE,
            style="outline-secondary",
        ),
    ),
)

STATEMENT = Workflow(
    record_type="statement",
    initial="draft",
    states={
        "draft": "Draft",
        "in_review": "In review",
        "approved": "Approved",
        "published": "Published",
        "withdrawn": "Withdrawn",
    },
    state_styles={
        "draft": "secondary",
        "in_review": "warning",
        "approved": "success",
        "published": "primary",
        "withdrawn": "dark",
    },
    sets={
        # A statement's text can be changed in these; approved and published ones get a new draft.
        "editable": frozenset({"draft", "in_review", "approved", "published"}),
        "unapproved": frozenset({"draft", "in_review"}),
        "awaiting_approval": frozenset({"in_review"}),
        "approved": frozenset({"approved", "published"}),  # its words may be used
        "final": frozenset({"withdrawn"}),
    },
    field_labels={
        "note": "Note",
        "published_where": "Where published",
        "published_at": "When published",
        "withdrawn_reason": "Reason",
    },
    transitions=(
        Transition(
            "revise",
            "Edit",
            sources=("draft", "in_review", "approved", "published"),
            target="draft",
            permission=Permission.PRESS_MANAGE,
            optional=(
                *("kind", "title", "body", "incident_id", "recall_id"),
                *("current_version", "author_id", "approved_version"),
            ),
            manual=False,  # made by saving new words: they need a second person's approval again
            audit_action="edited",
        ),
        Transition(
            "submit",
            "Send for approval",
            sources=("draft",),
            target="in_review",
            permission=Permission.PRESS_MANAGE,
            triggers=("statement.awaiting_approval",),
        ),
        Transition(
            "return",
            "Back to draft",
            sources=("in_review",),
            target="draft",
            permission=Permission.PRESS_MANAGE,
            required=("note",),
            notes=("note",),
            style="outline-secondary",
        ),
        Transition(
            "approve",
            "Approve statement",
            sources=("in_review",),
            target="approved",
            permission=Permission.PRESS_MANAGE,
            signature="approved",
            not_by="author_id",  # four eyes: never the author of the version in review
            not_by_who="you wrote the version in review",
            style="success",
            confirm="Approve this version? It becomes the words everyone uses.",
        ),
        Transition(
            "publish",
            "Record publication",
            sources=("approved",),
            target="published",
            permission=Permission.PRESS_MANAGE,
            required=("published_where",),
            optional=("published_at",),
        ),
        Transition(
            "withdraw",
            "Withdraw",
            sources=("draft", "in_review", "approved", "published"),
            target="withdrawn",
            permission=Permission.PRESS_MANAGE,
            required=("withdrawn_reason",),
            style="outline-danger",
            confirm="Withdraw this statement? It stops being shown to sales.",
        ),
    ),
)


def _notice_audited_on_recall(notice) -> tuple[str, int, str]:
    """A notice's moves belong to its recall's record (the §7.53 status report reads them there)."""
    return "recall", notice.recall_id, notice.recall.reference


# A notice is `pending` until something is done; `queued` once its email is in the outbox
# (the outbox row then says queued, sent or failed); `notified` when someone recorded a
# phone call, letter or visit.
NOTICE = Workflow(
    record_type="notice",
    initial="pending",
    states={"pending": "Not yet notified", "queued": "Email queued", "notified": "Notified by hand"},
    state_styles={"pending": "secondary", "queued": "info", "notified": "primary"},
    sets={
        "untold": frozenset({"pending"}),
        "told": frozenset({"queued", "notified"}),  # reminders go to these
    },
    field_labels={"method": "Method", "notified_at": "When", "notified_note": "Note"},
    audit_as=_notice_audited_on_recall,
    transitions=(
        Transition(
            "queue",
            "Send notice",
            sources=("pending",),
            target="queued",
            permission=Permission.RECALL_MANAGE,
            required=("method",),
            manual=False,  # made by sending notices, many at once
            audit_action="notices sent",
        ),
        Transition(
            "record_notification",
            "Record notification",
            sources=("pending", "queued", "notified"),
            target="notified",
            permission=Permission.RECALL_MANAGE,
            required=("method", "notified_at"),
            optional=("notified_note", "notified_by_id"),
            audit_action="consignee notified",
        ),
    ),
)

WORKFLOWS = {w.record_type: w for w in (COMPLAINT, LOT, INCIDENT, ACTION, RECALL, INQUIRY, STATEMENT, NOTICE)}
