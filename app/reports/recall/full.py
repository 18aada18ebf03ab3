"""The full recall report: the decision, its strategy, every lot in scope, every consignee with
what they were told and answered, the mass balance, press statements, timeline and signatures."""

from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, Paragraph, Spacer

from ...charts.effectiveness import EFFECTIVENESS_TITLE, effectiveness_chart
from ..styles import BODY, H1, H2, H3, para, text
from .data import ConsigneeRow, RecallReportData
from .layout import (
    FLAG_LEGEND,
    LEAD,
    Clock,
    chunked,
    day,
    facts,
    figures,
    fit,
    flag,
    percent,
    qty,
    render,
    signatures,
    timeline,
    yes_no,
)

CONSIGNEE_WIDTHS = [43 * mm, 18 * mm, 26 * mm, 26 * mm, 16 * mm, 16 * mm, 17 * mm, 18 * mm]
CONSIGNEE_HEADER = ["Consignee", "Shipped", "Notified", "Responded", "On hand", "Returned", "Destroyed", "Passed on"]
LOT_WIDTHS = [45 * mm, 85 * mm, 20 * mm, 18 * mm, 12 * mm]


def _header(data: RecallReportData, clock: Clock) -> list:
    f = data.facts
    rows = [
        ("Reference", f.reference),
        ("Title", f.title),
        ("Status", f.status),
        ("Classification", f.classification),
        ("Depth", f.depth),
        ("Public warning", "yes" if f.public_warning else "no"),
        ("Remedy", f.remedy),
        ("Effectiveness check level", f.effectiveness_level),
        ("Incident", f.incident),
        ("Proposed", f"{clock.full(f.proposed_at)} by {f.proposed_by}"),
        ("Approved", f"{clock.full(f.approved_at)} by {f.approved_by}" if f.approved_at else "not approved"),
        ("Estimated completion", day(f.estimated_completion)),
    ]
    if f.completion_note:
        rows.append(("Completion note", f.completion_note))
    if f.terminated_at:
        rows.append(("Terminated", clock.full(f.terminated_at)))
    if f.termination_note:
        rows.append(("Termination note", f.termination_note))
    return [
        Paragraph(f"Recall report {text(f.reference)}", H1),
        para(f"Times are in {data.zone.key}, the company's time zone.", BODY),
        Spacer(1, 2 * mm),
        facts(rows),
    ]


def _strategy(data: RecallReportData) -> list:
    f = data.facts
    return [
        Paragraph("Recall strategy", H2),
        Paragraph("Reason", H3),
        para(f.reason, BODY),
        Paragraph("Hazard", H3),
        para(f.hazard, BODY),
        Paragraph("Instructions to consignees", H3),
        para(f.instructions, BODY),
    ]


def _lots(data: RecallReportData) -> list:
    roots = ", ".join(data.root_codes) or "none"
    rows = (
        [
            [
                fit(lot.code, LOT_WIDTHS[0]),
                fit(lot.product, LOT_WIDTHS[1]),
                fit(lot.kind, LOT_WIDTHS[2]),
                fit(lot.status, LOT_WIDTHS[3]),
                "root" if lot.is_root else "",
            ]
            for lot in chunk
        ]
        for chunk in data.lots()
    )
    return [
        Paragraph("Lots in scope", H2),
        para(
            f"{data.lot_total:,} lot(s) in scope: the forward trace of the root lot(s) {roots}, "
            "as proposed and approved (a snapshot).",
            LEAD,
        ),
        *chunked(["Lot", "Product", "Kind", "Status", "Root"], rows, LOT_WIDTHS),
    ]


def consignee_row(row: ConsigneeRow, clock: Clock) -> list:
    notified = f"{clock.at(row.notified_at)}\n{row.method}" if row.notified_at else row.told
    return [
        fit(row.name + flag(row), CONSIGNEE_WIDTHS[0]),
        qty(row.shipped),
        notified,
        clock.at(row.responded_at),
        qty(row.on_hand),
        qty(row.returned),
        qty(row.destroyed),
        yes_no(row.distributed_further),
    ]


def _consignees(data: RecallReportData, clock: Clock) -> list:
    rows = ([consignee_row(row, clock) for row in chunk] for chunk in data.consignees())
    return [
        Paragraph("Consignees", H2),
        para(
            f"{data.figures.consignees:,} consignee(s) received lots in scope. Quantities are in the lots' "
            f"units; times in {data.zone.key}. {FLAG_LEGEND}",
            LEAD,
        ),
        *chunked(CONSIGNEE_HEADER, rows, CONSIGNEE_WIDTHS, right=(1, 4, 5, 6)),
    ]


def balance_rows(data: RecallReportData) -> list[tuple[str, str]]:
    e = data.figures
    return [
        ("Quantity shipped to consignees", qty(e.shipped)),
        ("On hand at consignees (reported)", qty(e.on_hand)),
        ("Returned", qty(e.returned)),
        ("Destroyed", qty(e.destroyed)),
        ("Accounted for (on hand + returned + destroyed)", f"{qty(e.accounted)} ({percent(e.accounted_percent)})"),
        ("Not yet accounted for", qty(e.unaccounted)),
        *beyond_rows(e),
    ]


def beyond_rows(e) -> list[tuple[str, str]]:
    """The quantities answered above what was shipped of a lot, with their reason, when any."""
    rows = []
    if e.beyond_flagged:
        rows.append(
            (
                f"Above shipped, from elsewhere (E): {e.elsewhere_consignees:,} consignee(s)",
                qty(e.beyond_flagged),
            )
        )
    if e.beyond_unflagged:
        rows.append(("Above shipped, answered before the check (!)", qty(e.beyond_unflagged)))
    return rows


def effectiveness_rows(data: RecallReportData) -> list[tuple[str, str]]:
    e = data.figures
    states = ", ".join(f"{name} {count:,}" for name, count in sorted(e.states.items())) or "none"
    return [
        ("Consignees", f"{e.consignees:,}"),
        ("Notified (email delivered, by hand, or answered)", f"{e.notified:,} ({percent(e.notified_percent)})"),
        ("Notice states", states),
        ("Responded", f"{e.responded:,} ({percent(e.responded_percent)})"),
        ("Not responding", f"{e.non_responders:,}"),
        ("Passed the product on further", f"{e.distributed_further:,}"),
        ("Effectiveness check level", f"{e.level} ({e.sample_share}% of consignees)"),
        ("Consignees to check (sample size)", f"{e.sample_size:,}"),
    ]


def _responses_chart(data: RecallReportData) -> list:
    curve = data.responses
    if curve is None or not curve.consignees:
        return []
    note = (
        f"{curve.responded:,} of {curve.consignees:,} consignees ({percent(curve.percent)}) had responded by day "
        f"{curve.last_day} since approval on {curve.approved_on.isoformat()}; days are UTC days, counted from the "
        "consignee's first answer."
    )
    chart = effectiveness_chart([curve], title=EFFECTIVENESS_TITLE, width=180 * mm)
    return [KeepTogether([Spacer(1, 3 * mm), chart, para(note, LEAD)])]


def _balance(data: RecallReportData) -> list:
    out = [
        Paragraph("Mass balance and effectiveness", H2),
        figures(balance_rows(data)),
        Spacer(1, 3 * mm),
        figures(effectiveness_rows(data)),
        *_responses_chart(data),
    ]
    if data.replacements:
        rows = [
            [
                fit(n.product, 60 * mm),
                fit(n.unit, 20 * mm),
                qty(n.shipped),
                qty(n.on_hand),
                qty(n.returned),
                qty(n.needed),
            ]
            for n in data.replacements
        ]
        out += [
            Paragraph("Replacements needed", H3),
            *chunked(
                ["Product", "Unit", "Shipped", "On hand", "Returned", "To replace"],
                [rows],
                [60 * mm, 20 * mm, 25 * mm, 25 * mm, 25 * mm, 25 * mm],
                right=(2, 3, 4, 5),
            ),
        ]
    return out


def _press(data: RecallReportData, clock: Clock) -> list:
    if not data.press:
        return [Paragraph("Press statements", H2), para("No press statements are recorded yet.", BODY)]
    rows = [[clock.at(p.at), fit(p.outlet, 45 * mm), fit(p.title, 105 * mm)] for p in data.press]
    return [
        Paragraph("Press statements", H2),
        *chunked(["Time", "Outlet", "Statement"], [rows], [30 * mm, 45 * mm, 105 * mm]),
    ]


def build_recall_report(data: RecallReportData) -> bytes:
    """The full recall report as PDF bytes (consignees read in chunks while it is laid out)."""
    clock = Clock(data.zone)
    story = [
        *_header(data, clock),
        *_strategy(data),
        *_lots(data),
        *_consignees(data, clock),
        *_balance(data),
        *_press(data, clock),
        *timeline(data, clock),
        *signatures(data, clock),
    ]
    return render(story, data, "recall report")
