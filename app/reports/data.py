"""The plain data an incident report prints: loaded once (app/incidents/report_data.py),
then laid out by `build_incident_report` without touching the database."""

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from ..charts.weekly import WeeklyData


@dataclass(frozen=True)
class ComplaintRow:
    reference: str
    received_at: datetime
    customer: str
    product: str
    lot_codes: str
    category: str
    injury: bool


@dataclass(frozen=True)
class LotRow:
    code: str
    product: str
    kind: str
    status: str
    depth: int


@dataclass(frozen=True)
class ConsigneeRow:
    name: str
    country: str
    lots: int
    quantity: Decimal | None


@dataclass(frozen=True)
class ActionRow:
    reference: str
    kind: str
    description: str
    owner: str
    due_date: date
    status: str
    effectiveness_check: str
    effectiveness_result: str
    justification: str


@dataclass(frozen=True)
class EventRow:
    at: datetime
    who: str
    action: str
    record: str


@dataclass(frozen=True)
class SignatureRow:
    printed_name: str
    username: str
    meaning: str
    signed_at: datetime
    action: str


@dataclass(frozen=True)
class AuditSeal:
    """The audit chain as it stood when a report was printed (app/audit/checkpoints.py):
    printed under the signature manifest, so that paper contradicts a later truncation."""

    last_id: int
    head: str


@dataclass
class IncidentReportData:
    reference: str
    title: str
    status: str
    risk: str
    owner: str
    opened_at: datetime
    traced_at: datetime | None
    description: str
    generated_at: datetime
    complaints: list[ComplaintRow] = field(default_factory=list)
    lot_total: int = 0  # affected lots in the snapshot; `lots` may hold only the first of them
    lots: list[LotRow] = field(default_factory=list)
    consignees: list[ConsigneeRow] = field(default_factory=list)
    containment: str = ""
    whys: list[str] = field(default_factory=list)
    fishbone: str = ""
    root_cause: str = ""
    escape_point: str = ""
    decision: str = ""
    decision_reason: str = ""
    closing_summary: str = ""
    actions: list[ActionRow] = field(default_factory=list)
    timeline: list[EventRow] = field(default_factory=list)
    signatures: list[SignatureRow] = field(default_factory=list)
    audit_seal: AuditSeal | None = None  # None: the trail is empty
    # Complaints per week for the incident's products (all complaints, not only the linked
    # ones), when the loader reads them (app/trends/queries.weekly_for_incident); without it
    # the report charts the linked complaints alone.
    weekly: WeeklyData | None = None
