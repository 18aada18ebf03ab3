"""The plain data the recall reports print: filled by app/recalls/report_data.py, laid out by
`build_status_report` and `build_recall_report` without touching the database.

The long lists (lots in scope, consignees) are not held here: the loader hands in readers
that yield them CHUNK_ROWS plain rows at a time, called only while the PDF is laid out, so a
recall of 10,000 consignees is never one giant load.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from ...charts.effectiveness import ResponseCurve
from ..data import AuditSeal

NOT_TOLD = {"pending": "not notified", "queued": "email queued", "failed": "email failed"}


@dataclass(frozen=True)
class Facts:
    reference: str
    title: str
    status: str
    classification: str  # "Class II — temporary or medically reversible ..."
    depth: str
    public_warning: bool
    remedy: str
    effectiveness_level: str
    incident: str  # "INC-2026-0001 — Metal in oat bars"
    reason: str
    hazard: str
    instructions: str
    proposed_by: str
    proposed_at: datetime
    approved_by: str
    approved_at: datetime | None
    estimated_completion: date | None
    terminated_at: datetime | None
    completion_note: str
    termination_note: str


@dataclass(frozen=True)
class LotRow:
    code: str
    product: str
    kind: str
    status: str
    is_root: bool


@dataclass(frozen=True)
class ConsigneeRow:
    name: str
    country: str
    contact: str  # email, else phone
    shipped: Decimal
    state: str  # pending / queued / sent / failed / notified
    method: str  # Email / Phone / ... ("" when nothing was done)
    notified_at: datetime | None
    reminders: int
    responded_at: datetime | None
    on_hand: Decimal | None
    returned: Decimal | None
    destroyed: Decimal | None
    distributed_further: bool | None
    received_elsewhere: bool = False  # they said they also had a lot from elsewhere
    over_reported: bool = False  # a lot answered above what was shipped of it, without that flag

    @property
    def accounted(self) -> Decimal:
        return sum((q or Decimal(0) for q in (self.on_hand, self.returned, self.destroyed)), Decimal(0))

    @property
    def told(self) -> str:
        """How far notification went, for a consignee not (yet) known to be told."""
        return NOT_TOLD.get(self.state, "")


@dataclass(frozen=True)
class NotifiedRow:
    """Consignees told on one day (company zone) by one method (21 CFR 7.53(b)(1))."""

    day: date
    method: str
    count: int


@dataclass(frozen=True)
class EventRow:
    at: datetime
    who: str
    action: str
    details: str


@dataclass(frozen=True)
class SignatureRow:
    printed_name: str
    username: str
    meaning: str
    signed_at: datetime
    action: str


@dataclass(frozen=True)
class PressRow:
    at: datetime
    outlet: str
    title: str


@dataclass
class Effectiveness:
    """A recall's figures (app/recalls/responses.effectiveness): on its pages and in both reports."""

    consignees: int = 0
    states: dict[str, int] = field(default_factory=dict)  # pending / queued / sent / failed / notified
    notified: int = 0  # told: email delivered, told by hand, or answered
    responded: int = 0
    distributed_further: int = 0
    shipped: Decimal = Decimal(0)
    on_hand: Decimal = Decimal(0)
    returned: Decimal = Decimal(0)
    destroyed: Decimal = Decimal(0)
    shipped_to_responders: Decimal = Decimal(0)
    # Answered above what was shipped of a lot, summed lot by lot (never counted as accounted
    # for), and the part consignees said they had from elsewhere (the rest: answers recorded
    # before that check, migration 0014).
    beyond_shipped: Decimal = Decimal(0)
    beyond_flagged: Decimal = Decimal(0)
    elsewhere_consignees: int = 0  # consignees who said they had some from elsewhere
    level: str = "E"
    sample_share: int = 0
    sample_size: int = 0

    @property
    def reported(self) -> Decimal:
        """On hand + returned + destroyed, as answered (may exceed what was shipped)."""
        return self.on_hand + self.returned + self.destroyed

    @property
    def accounted(self) -> Decimal:
        """What was shipped and is accounted for: each lot counted up to what was shipped of it,
        so the share is never above 100 %."""
        return self.reported - self.beyond_shipped

    @property
    def beyond_unflagged(self) -> Decimal:
        """Answered above what was shipped without the consignee saying why (before 0014)."""
        return self.beyond_shipped - self.beyond_flagged

    @property
    def unaccounted(self) -> Decimal:
        return self.shipped - self.accounted

    @staticmethod
    def _percent(part, whole) -> float:
        return round(100 * float(part) / float(whole), 1) if whole else 0.0

    @property
    def notified_percent(self) -> float:
        return self._percent(self.notified, self.consignees)

    @property
    def responded_percent(self) -> float:
        return self._percent(self.responded, self.consignees)

    @property
    def accounted_percent(self) -> float:
        return self._percent(self.accounted, self.shipped)

    @property
    def non_responders(self) -> int:
        return self.consignees - self.responded


@dataclass
class ReplacementNeed:
    product: str
    unit: str
    shipped: Decimal
    on_hand: Decimal
    returned: Decimal

    @property
    def needed(self) -> Decimal:
        return self.on_hand + self.returned


def _no_rows(*_args) -> Iterable[list]:
    return iter(())


@dataclass
class RecallReportData:
    """Facts and figures read at once; `lots()` and `consignees()` read in chunks when called."""

    facts: Facts
    zone: ZoneInfo
    generated_at: datetime
    figures: Effectiveness
    lot_total: int = 0
    root_codes: list[str] = field(default_factory=list)
    notified_by_day: list[NotifiedRow] = field(default_factory=list)
    replacements: list[ReplacementNeed] = field(default_factory=list)
    timeline: list[EventRow] = field(default_factory=list)
    consignee_events_counted: int = 0  # per-consignee events summarised per day (0: all listed)
    signatures: list[SignatureRow] = field(default_factory=list)
    audit_seal: AuditSeal | None = None  # None: the trail is empty
    press: list[PressRow] = field(default_factory=list)
    responses: ResponseCurve | None = None  # answers per day since approval (None: not approved)
    # The readers of the long lists, handed in by the loader: lot chunks by code, and consignee
    # chunks by name (all, or only those who answered (True) or did not (False)).
    lot_reader: Callable[[], Iterable[list[LotRow]]] = _no_rows
    consignee_reader: Callable[[bool | None], Iterable[list[ConsigneeRow]]] = _no_rows

    def lots(self) -> Iterable[list[LotRow]]:
        return self.lot_reader()

    def consignees(self, responded: bool | None = None) -> Iterable[list[ConsigneeRow]]:
        return self.consignee_reader(responded)
