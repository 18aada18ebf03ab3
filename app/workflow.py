"""Transition tables: for each record type, the allowed moves, who may make them,
what each requires and what it triggers.

Views and templates ask these tables which buttons to show; services ask them whether
a move is allowed. Nothing else decides who may change a record's state.
"""

from dataclasses import dataclass, field

from .errors import InvalidTransition, NotAllowed


@dataclass(frozen=True)
class Transition:
    name: str
    label: str
    sources: tuple[str, ...]
    target: str
    roles: frozenset[str]
    required: tuple[str, ...] = ()  # fields that must be filled to make the move
    signature: str = ""  # meaning of the electronic signature the move needs ("" = none)
    triggers: tuple[str, ...] = ()  # events raised when the move is made
    style: str = "primary"  # Bootstrap button colour
    confirm: str = ""  # question asked before an irreversible move
    manual: bool = True  # False: made only by a service as part of a larger step (no button)
    # Four eyes: the record's attribute naming the one user who may not make this move.
    not_by: str = ""

    def allows(self, user, record=None) -> bool:
        """True if one of the user's roles may make this move. The pseudo-role "owner"
        lets the record's owner make it whatever their roles; `not_by` shuts out the
        record's proposer (or author) from approving their own work."""
        if self.not_by and record is not None and getattr(record, self.not_by, None) == user.id:
            return False
        if "owner" in self.roles and record is not None and getattr(record, "owner_id", None) == user.id:
            return True
        return any(user.has_role(role) for role in self.roles if role != "owner")


@dataclass(frozen=True)
class Workflow:
    record_type: str
    initial: str
    states: dict[str, str]  # state -> label
    transitions: tuple[Transition, ...]
    state_styles: dict[str, str] = field(default_factory=dict)

    def get(self, name: str) -> Transition:
        for transition in self.transitions:
            if transition.name == name:
                return transition
        raise InvalidTransition(f"There is no action '{name}' for a {self.record_type}.")

    def from_state(self, state: str) -> list[Transition]:
        return [t for t in self.transitions if state in t.sources]

    def available(self, state: str, user, record=None) -> list[Transition]:
        """The moves this user may make from `state` (the buttons to show)."""
        return [t for t in self.from_state(state) if t.manual and t.allows(user, record)]

    def check(self, state: str, name: str, user, record=None) -> Transition:
        """Return the transition if `user` may make it from `state`, else raise."""
        transition = self.get(name)
        if not transition.allows(user, record):
            raise NotAllowed(f"Only {', '.join(sorted(transition.roles))} may {transition.label.lower()}.")
        if state not in transition.sources:
            raise InvalidTransition(
                f"Cannot {transition.label.lower()}: the {self.record_type} is {self.states.get(state, state).lower()}."
            )
        return transition

    def sources_any(self, name: str) -> str:
        """A state the move starts from (for checks on many records in several states)."""
        return self.get(name).sources[0]

    def label(self, state: str) -> str:
        return self.states.get(state, state)

    def style(self, state: str) -> str:
        return self.state_styles.get(state, "secondary")


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
    transitions=(
        Transition(
            "triage",
            "Triage",
            sources=("new",),
            target="triaged",
            roles=frozenset({"production"}),
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
            roles=frozenset({"production"}),
        ),
        Transition(
            "resolve",
            "Record reply and resolve",
            sources=("investigating",),
            target="resolved",
            roles=frozenset({"sales"}),
            required=("reply_to_complainant",),
            style="success",
        ),
        Transition(
            "close",
            "Close",
            sources=("resolved",),
            target="closed",
            roles=frozenset({"production"}),
            required=("closing_note",),
            style="dark",
            confirm="Close this complaint? A closed complaint can no longer be changed.",
        ),
        Transition(
            "reject",
            "Reject (not a complaint)",
            sources=("new", "triaged"),
            target="rejected",
            roles=frozenset({"production"}),
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
    transitions=(
        Transition(
            "hold",
            "Put on hold",
            sources=("released",),
            target="on_hold",
            roles=frozenset({"production"}),
            required=("reason",),
            triggers=("lot.held",),
            style="warning",
        ),
        Transition(
            "release",
            "Release",
            sources=("on_hold",),
            target="released",
            roles=frozenset({"production"}),
            required=("reason",),
            style="success",
            confirm="Release these lots? They may be shipped again.",
        ),
        Transition(
            "destroy",
            "Record destruction",
            sources=("on_hold", "recalled"),
            target="destroyed",
            roles=frozenset({"production"}),
            required=("reason",),
            style="outline-danger",
            confirm="Record these lots as destroyed? This cannot be undone.",
        ),
        Transition(
            "recall",
            "Mark recalled",
            sources=("released", "on_hold"),
            target="recalled",
            roles=frozenset({"marketing", "admin"}),
            required=("reason",),
            manual=False,  # only by the signed approval of a recall
        ),
    ),
)

INCIDENT = Workflow(
    record_type="incident",
    initial="open",
    states={
        "open": "Open",
        "investigating": "Investigating",
        "contained": "Contained",
        "closed": "Closed",
        "escalated": "Escalated to recall",
    },
    state_styles={
        "open": "primary",
        "investigating": "warning",
        "contained": "info",
        "closed": "dark",
        "escalated": "danger",
    },
    transitions=(
        Transition(
            "investigate",
            "Start investigation",
            sources=("open",),
            target="investigating",
            roles=frozenset({"production"}),
        ),
        Transition(
            "contain",
            "Record containment",
            sources=("open", "investigating"),
            target="contained",
            roles=frozenset({"production"}),
            required=("containment",),
            style="info",
        ),
        Transition(
            "close",
            "Close incident",
            sources=("contained",),
            target="closed",
            roles=frozenset({"production"}),
            required=("closing_summary",),
            signature="approved",
            style="dark",
            confirm="Close this incident? Closing is signed and final.",
        ),
        Transition(
            "escalate",
            "Escalate to recall",
            sources=("open", "investigating", "contained"),
            target="escalated",
            roles=frozenset({"production"}),
            required=("decision_reason",),
            triggers=("incident.escalated",),
            style="danger",
            confirm="Propose a recall for this incident? Marketing will be alerted.",
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
    transitions=(
        Transition(
            "start",
            "Start",
            sources=("planned",),
            target="in_progress",
            roles=frozenset({"owner", "production"}),
        ),
        Transition(
            "implement",
            "Mark implemented",
            sources=("in_progress",),
            target="implemented",
            roles=frozenset({"owner", "production"}),
            required=("implementation_note",),
        ),
        Transition(
            "verify",
            "Verify effective",
            sources=("implemented",),
            target="verified",
            roles=frozenset({"owner", "production"}),
            required=("effectiveness_result",),
            signature="verified",
            style="success",
        ),
        Transition(
            "ineffective",
            "Record as ineffective",
            sources=("implemented",),
            target="ineffective",
            roles=frozenset({"owner", "production"}),
            required=("effectiveness_result",),
            style="outline-danger",
        ),
        Transition(
            "rework",
            "Back to in progress",
            sources=("ineffective",),
            target="in_progress",
            roles=frozenset({"owner", "production"}),
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
    transitions=(
        Transition(
            "approve",
            "Approve recall",
            sources=("proposed",),
            target="approved",
            roles=frozenset({"marketing", "admin"}),
            signature="approved",
            triggers=("recall.approved",),
            not_by="proposed_by_id",
            style="danger",
            confirm="Approve this recall? Its lots are marked recalled and the consignee list is built.",
        ),
        Transition(
            "cancel",
            "Do not recall",
            sources=("proposed",),
            target="cancelled",
            roles=frozenset({"marketing", "admin", "production"}),
            required=("termination_note",),
            style="outline-secondary",
            confirm="Close this proposal without a recall?",
        ),
        Transition(
            "notify",
            "Start notifying",
            sources=("approved",),
            target="notifying",
            roles=frozenset({"marketing", "admin"}),
            manual=False,  # made by sending the first notices
        ),
        Transition(
            "progress",
            "Notices done: follow up",
            sources=("notifying",),
            target="in_progress",
            roles=frozenset({"marketing", "admin"}),
        ),
        Transition(
            "complete",
            "Complete",
            sources=("in_progress",),
            target="completed",
            roles=frozenset({"marketing", "admin"}),
            required=("completion_note",),
            style="success",
        ),
        Transition(
            "reopen",
            "Back to in progress",
            sources=("completed",),
            target="in_progress",
            roles=frozenset({"marketing", "admin"}),
            style="outline-secondary",
        ),
        Transition(
            "terminate",
            "Terminate recall",
            sources=("completed",),
            target="terminated",
            roles=frozenset({"marketing", "admin"}),
            required=("termination_note",),
            signature="approved",
            style="dark",
            confirm="Terminate this recall? Response links stop working; this is signed and final.",
        ),
    ),
)

PR = frozenset({"marketing", "admin"})

INQUIRY = Workflow(
    record_type="inquiry",
    initial="received",
    states={"received": "Received", "drafting": "Drafting", "answered": "Answered", "closed": "Closed"},
    state_styles={"received": "warning", "drafting": "info", "answered": "success", "closed": "secondary"},
    transitions=(
        Transition("draft", "Start drafting", sources=("received",), target="drafting", roles=PR),
        Transition(
            "answer",
            "Record answer",
            sources=("received", "drafting"),
            target="answered",
            roles=PR,
            required=("answer",),
            style="success",
        ),
        Transition("close", "Close", sources=("answered",), target="closed", roles=PR, style="outline-secondary"),
        Transition(
            "reopen", "Reopen", sources=("answered", "closed"), target="drafting", roles=PR, style="outline-secondary"
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
    transitions=(
        Transition(
            "submit",
            "Send for approval",
            sources=("draft",),
            target="in_review",
            roles=PR,
            triggers=("statement.awaiting_approval",),
        ),
        Transition(
            "return",
            "Back to draft",
            sources=("in_review",),
            target="draft",
            roles=PR,
            required=("note",),
            style="outline-secondary",
        ),
        Transition(
            "approve",
            "Approve statement",
            sources=("in_review",),
            target="approved",
            roles=PR,
            signature="approved",
            not_by="author_id",  # four eyes: never the author of the version in review
            style="success",
            confirm="Approve this version? It becomes the words everyone uses.",
        ),
        Transition(
            "publish",
            "Record publication",
            sources=("approved",),
            target="published",
            roles=PR,
            required=("published_where",),
        ),
        Transition(
            "withdraw",
            "Withdraw",
            sources=("draft", "in_review", "approved", "published"),
            target="withdrawn",
            roles=PR,
            required=("withdrawn_reason",),
            style="outline-danger",
            confirm="Withdraw this statement? It stops being shown to sales.",
        ),
    ),
)

WORKFLOWS = {w.record_type: w for w in (COMPLAINT, LOT, INCIDENT, ACTION, RECALL, INQUIRY, STATEMENT)}
